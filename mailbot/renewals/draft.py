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

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, insert
from sqlmodel import Session, col, func, select

from mailbot.accounts.book import AccountRecord
from mailbot.config import Settings
from mailbot.conversations.subjects import tagged_subject
from mailbot.models import Conversation, ConversationParticipant, Draft, InboundMessage
from mailbot.renewals.mail import render_renewal
from mailbot.triage.decide import Decision
from mailbot.triage.record import stored_request
from mailbot.vocabulary import DraftStatus, Intent, ParticipantRole, SenderVerification

LANGUAGES = ("de", "en")


#: Addresses per look-up of ``primary_languages`` (well below every driver's parameter limit).
_CHUNK = 500


def primary_languages(session: Session, addresses: Iterable[str]) -> dict[str, str]:
    """The language of each primary's latest conversation, for those that have one (lower-case keys).

    A conversation the primary wrote in counts (proactive ones are our own
    choice, not the customer's); mail stored before conversations existed is
    read by its sender. Batched: an import may reveal a thousand renewals.
    """
    wanted = sorted({a.lower() for a in addresses})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.exec(
            select(ConversationParticipant.address, Conversation.language)
            .join(Conversation, col(ConversationParticipant.conversation_id) == col(Conversation.id))
            .where(
                col(ConversationParticipant.address).in_(chunk),
                col(ConversationParticipant.role) == ParticipantRole.SENDER,
                col(Conversation.proactive).is_(False),
                col(Conversation.language).in_(LANGUAGES),
            )
            .order_by(col(Conversation.last_activity_at), col(Conversation.id))
        )
        latest = {address: language for address, language in rows}  # the last one wins
        missing = [a for a in chunk if a not in latest]
        if missing:
            older = session.exec(
                select(func.lower(InboundMessage.sender), InboundMessage.language)
                .where(func.lower(InboundMessage.sender).in_(missing), col(InboundMessage.language).in_(LANGUAGES))
                .order_by(col(InboundMessage.received_at), col(InboundMessage.id))
            )
            latest.update({address: language for address, language in older if language})
        found.update({a: lang for a, lang in latest.items() if lang in LANGUAGES})
    return found


def primary_language(session: Session, *, address: str, default: str) -> str:
    """The language of the primary's latest conversation, else ``default`` (``[renewals] language``)."""
    return primary_languages(session, [address]).get(address.lower(), default)


def proactive_request(decision: Decision, *, asker: str) -> dict[str, object]:
    """A request as stored (the conversation contract's keys): asked by the verified primary, in no mail."""
    return {
        **stored_request(decision),
        "stated_in": None,
        "asked_by": None,
        "asker": asker,
        "asker_verified": SenderVerification.PASS,
    }


def open_proactive_draft(
    session: Session,
    *,
    settings: Settings,
    primary: AccountRecord,
    decisions: list[Decision],
    paid_until: date,
    now: datetime,
    language: str | None = None,
) -> int:
    """Store the conversation, its participants and the pending draft (not committed); the draft's id.

    ``language``: the primary's, when the caller looked it up already (a batch).
    """
    if language is None:
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
    # Core inserts on the session's connection (same transaction): an import may
    # open a thousand of these, and the ORM's unit of work would triple the cost.
    connection = session.connection()
    # (Values as parameters, not in the statement: one compiled INSERT serves every draft.)
    conversation_insert = connection.execute(
        insert(Conversation),
        {
            "intent": Intent.REACTIVATE,
            "subject": text.subject,
            "language": language,
            "started_at": now,
            "last_activity_at": now,
            "proactive": True,
        },
    )
    conversation_id = _inserted_id(conversation_insert)
    members = dict.fromkeys(d.request.team_member.lower() for d in decisions if d.request.team_member)
    connection.execute(
        insert(ConversationParticipant),
        [
            {"conversation_id": conversation_id, "address": primary.email.lower(), "role": ParticipantRole.PRIMARY},
            *(
                {"conversation_id": conversation_id, "address": member, "role": ParticipantRole.TEAM_MEMBER}
                for member in members
            ),
        ],
    )
    draft_insert = connection.execute(
        insert(Draft),
        {
            "inbound_id": None,
            "conversation_id": conversation_id,
            "proactive": True,
            "message_id": None,
            "intent": Intent.REACTIVATE,
            "language": language,
            "sender": primary.email,
            "sender_verified": SenderVerification.PASS,
            "to": primary.email,
            "subject": tagged_subject(
                text.subject, conversation_id=conversation_id, tag=settings.conversations.subject_tag
            ),
            "body": text.body,
            "html": None,
            "in_reply_to": None,
            "references": None,
            "requests": [proactive_request(d, asker=primary.email) for d in decisions],
            "status": DraftStatus.PENDING,
            "created_at": now,
            "version": 1,
        },
    )
    return _inserted_id(draft_insert)


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
