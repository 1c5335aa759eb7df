"""The proactive draft of a renewal: a new conversation, its participants and one pending draft.

mailbot opens the conversation itself (``proactive``, intent ``reactivate``): no
customer mail started it, so the draft has no ``inbound_id`` and its requests
have no mail that stated them (``stated_in``/``asked_by`` null). The primary is
the asker, verified: the records say it renewed. Its participants are the
primary and every lapsed team member, so a customer who writes in about them
while the draft is pending joins this conversation (join rule 3).

This is the one place that opens such a conversation; when the conversation
helpers of ``mailbot.conversations`` are at hand, the integrator points this
module at them (subject tag, participants).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, func, select

from mailbot.accounts.book import AccountRecord
from mailbot.config import Settings
from mailbot.models import Conversation, ConversationParticipant, Draft, InboundMessage
from mailbot.renewals.mail import render_renewal
from mailbot.triage.decide import Decision
from mailbot.triage.record import stored_request
from mailbot.vocabulary import DraftStatus, Intent, ParticipantRole, SenderVerification

LANGUAGES = ("de", "en")


def primary_language(session: Session, *, address: str, default: str) -> str:
    """The language of the primary's latest conversation, else ``default`` (``[renewals] language``).

    A conversation the primary wrote in counts (proactive ones are our own
    choice, not the customer's); mail stored before conversations existed is
    read by its sender.
    """
    address = address.lower()
    found = session.exec(
        select(Conversation.language)
        .join(ConversationParticipant, col(ConversationParticipant.conversation_id) == col(Conversation.id))
        .where(
            col(ConversationParticipant.address) == address,
            col(ConversationParticipant.role) == ParticipantRole.SENDER,
            col(Conversation.proactive).is_(False),
            col(Conversation.language).in_(LANGUAGES),
        )
        .order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc())
        .limit(1)
    ).first()
    if found is None:
        found = session.exec(
            select(InboundMessage.language)
            .where(func.lower(InboundMessage.sender) == address, col(InboundMessage.language).in_(LANGUAGES))
            .order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
            .limit(1)
        ).first()
    return found if found in LANGUAGES else default


def proactive_request(decision: Decision, *, asker: str) -> dict[str, object]:
    """A request as stored (the conversation contract's keys): asked by the verified primary, in no mail."""
    return {
        **stored_request(decision),
        "stated_in": None,
        "asked_by": None,
        "asker": asker,
        "asker_verified": SenderVerification.PASS,
    }


def tagged_subject(subject: str, conversation_id: int, *, tag: bool) -> str:
    """Our ``[#id]`` tag at the end of the subject, as every reply in a conversation carries it."""
    return f"{subject} [#{conversation_id}]" if tag else subject


def open_proactive_draft(
    session: Session,
    *,
    settings: Settings,
    primary: AccountRecord,
    decisions: list[Decision],
    paid_until: date,
    now: datetime,
) -> Draft:
    """Store the conversation, its participants and the pending draft (flushed, not committed)."""
    language = primary_language(session, address=primary.email, default=settings.renewals.language)
    text = render_renewal(
        decisions=decisions,
        language=language,
        primary=primary.email,
        paid_until=paid_until,
        support_name=settings.support.name,
        support_address=settings.support.address,
        templates_path=settings.triage.templates_path,
    )
    conversation = Conversation(
        intent=Intent.REACTIVATE,
        subject=text.subject,
        language=language,
        started_at=now,
        last_activity_at=now,
        proactive=True,
    )
    session.add(conversation)
    session.flush()
    assert conversation.id is not None
    members = dict.fromkeys(d.request.team_member.lower() for d in decisions if d.request.team_member)
    session.add(
        ConversationParticipant(
            conversation_id=conversation.id, address=primary.email.lower(), role=ParticipantRole.PRIMARY
        )
    )
    for member in members:
        session.add(
            ConversationParticipant(conversation_id=conversation.id, address=member, role=ParticipantRole.TEAM_MEMBER)
        )
    draft = Draft(
        inbound_id=None,
        conversation_id=conversation.id,
        proactive=True,
        message_id=None,
        intent=Intent.REACTIVATE,
        language=language,
        sender=primary.email,
        sender_verified=SenderVerification.PASS,
        to=primary.email,
        subject=tagged_subject(text.subject, conversation.id, tag=settings.conversations.subject_tag),
        body=text.body,
        requests=[proactive_request(d, asker=primary.email) for d in decisions],
        status=DraftStatus.PENDING,
        created_at=now,
    )
    session.add(draft)
    session.flush()
    return draft
