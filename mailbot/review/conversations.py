"""Conversations as an agent reads them (the read side of SPEC "Conversations").

Pure functions turn stored rows into the shapes of ``mailbot conversations
list|show --json`` (conv-contract), so the CLI and the console print one
model. The keyword-only query helpers load only the conversations asked for,
through the ``conversation_id`` indexes, with a fixed number of queries per
page: never one query per row, never a scan of all mail.

Drafts stored before conversations existed carry no ``stated_in``/``asked_by``
in their requests; they read as asked by the draft's own mail, which is what
they were.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from mailbot.db.types import UtcDateTime
from mailbot.models import (
    Conversation,
    ConversationParticipant,
    Draft,
    InboundMessage,
    OutboxMessage,
    is_row_id,
)
from mailbot.vocabulary import ConversationStatus, DraftStatus, InboundStatus

#: Drafts that wait for an agent: pending, or refused by the account system (edit and approve again, or reject).
OPEN_DRAFTS = (DraftStatus.PENDING, DraftStatus.ACTION_FAILED)
#: Drafts an agent approved: the conversation got (or is about to get) our reply.
ANSWERING_DRAFTS = (DraftStatus.APPROVED, DraftStatus.SENT, DraftStatus.FAILED)
#: Where a conversation lists its items of one moment: the mail, then the draft it made, then the reply.
_KIND_ORDER = {"mail": 0, "draft": 1, "reply": 2}
MAX_CONVERSATIONS = 500


# -- pure: rows to the contract's shapes ------------------------------------------------


def mail_moment(mail: InboundMessage) -> datetime:
    """When the mail says it was written (its Date), else when it arrived."""
    return mail.dated_at or mail.received_at


def request_origins(draft: Draft) -> list[dict[str, Any]]:
    """The draft's stored requests, each with the mail it came from and who asked.

    A row without the conversation keys (a draft from before conversations,
    or a conversation's first) was asked by the draft's own mail; a proactive
    draft's requests came from no mail at all.
    """
    own = None if draft.proactive else draft.inbound_id
    defaults = {
        "stated_in": own,
        "asked_by": own,
        "asker": None if draft.proactive else draft.sender,
        "asker_verified": None if draft.proactive else draft.sender_verified,
    }
    return [
        {**request, **{key: value if request.get(key) is None else request[key] for key, value in defaults.items()}}
        for request in draft.requests or []
    ]


def mail_item(mail: InboundMessage) -> dict[str, Any]:
    return {
        "kind": "mail",
        "id": mail.id,
        "message_id": mail.message_id,
        "sender": mail.sender,
        "date": mail_moment(mail),
        "subject": mail.subject,
        "intent": mail.intent,
        "status": mail.status,
        "outcome": mail.outcome,
        "joined_by": mail.joined_by,
        "join_note": mail.join_note,
    }


def draft_item(draft: Draft) -> dict[str, Any]:
    return {
        "kind": "draft",
        "id": draft.id,
        "status": draft.status,
        "superseded_by": draft.superseded_by,
        "proactive": draft.proactive,
        "to": draft.to,
        "subject": draft.subject,
        "created_at": draft.created_at,
        "requests": request_origins(draft),
    }


def reply_item(reply: OutboxMessage, draft: Draft) -> dict[str, Any]:
    return {
        "kind": "reply",
        "id": reply.id,
        "draft_id": reply.draft_id,
        "message_id": reply.message_id,
        "to": reply.to,
        "subject": draft.subject,
        "status": reply.status,
        "sent_at": reply.sent_at,
    }


def timeline(
    mails: Iterable[InboundMessage], drafts: Iterable[Draft], replies: Iterable[OutboxMessage]
) -> list[dict[str, Any]]:
    """Every mail, draft (superseded ones too) and reply of a conversation, in time order.

    Ordered by mailbot's own clock — a mail when it arrived, a draft when it
    was made, a reply when its approval queued it — so a draft always follows
    its mail and a reply the state it answered; a customer's Date header may be
    skewed or false (each mail still shows its own ``date``).
    """
    drafts = list(drafts)
    by_id = {d.id: d for d in drafts}
    keyed: list[tuple[datetime, int, int, dict[str, Any]]] = []
    for mail in mails:
        keyed.append((mail.received_at, _KIND_ORDER["mail"], mail.id or 0, mail_item(mail)))
    for draft in drafts:
        keyed.append((draft.created_at, _KIND_ORDER["draft"], draft.id or 0, draft_item(draft)))
    for reply in replies:
        answered = by_id.get(reply.draft_id)
        if answered is not None:
            keyed.append((reply.queued_at, _KIND_ORDER["reply"], reply.id or 0, reply_item(reply, answered)))
    keyed.sort(key=lambda k: k[:3])
    return [item for *_key, item in keyed]


def conversation_status(
    *, open_draft: bool, last_answer_at: datetime | None, last_needs_human_at: datetime | None
) -> ConversationStatus:
    """Waiting: a draft waits for review, or a mail needs a human and no reply was approved since.

    Both moments are mailbot's own clocks (the mail's arrival, the approval),
    never a customer's Date header, which may lie.
    """
    if open_draft:
        return ConversationStatus.WAITING
    if last_needs_human_at is not None and (last_answer_at is None or last_needs_human_at > last_answer_at):
        return ConversationStatus.WAITING
    return ConversationStatus.ANSWERED if last_answer_at is not None else ConversationStatus.CLOSED


@dataclass(frozen=True)
class ConversationFacts:
    """What the list shows of a conversation besides its own row."""

    mails: int = 0
    pending_draft_id: int | None = None
    open_draft: bool = False
    last_answer_at: datetime | None = None
    last_needs_human_at: datetime | None = None

    @property
    def status(self) -> ConversationStatus:
        return conversation_status(
            open_draft=self.open_draft,
            last_answer_at=self.last_answer_at,
            last_needs_human_at=self.last_needs_human_at,
        )


def conversation_summary(conversation: Conversation, facts: ConversationFacts) -> dict[str, Any]:
    """One line of ``conversations list --json``."""
    return {
        "id": conversation.id,
        "intent": conversation.intent,
        "subject": conversation.subject,
        "language": conversation.language,
        "proactive": conversation.proactive,
        "started_at": conversation.started_at,
        "last_activity_at": conversation.last_activity_at,
        "mails": facts.mails,
        "pending_draft_id": facts.pending_draft_id,
        "status": facts.status,
    }


def facts_from_rows(mails: Iterable[InboundMessage], drafts: Iterable[Draft]) -> ConversationFacts:
    """The list's facts of one conversation whose rows are loaded already (``show``, the console)."""
    mails, drafts = list(mails), list(drafts)
    pending = [d.id for d in drafts if d.status == DraftStatus.PENDING and d.id is not None]
    answers = [d.decided_at for d in drafts if d.status in ANSWERING_DRAFTS and d.decided_at is not None]
    needs_human = [m.received_at for m in mails if m.status == InboundStatus.NEEDS_HUMAN]
    return ConversationFacts(
        mails=len(mails),
        pending_draft_id=max(pending) if pending else None,
        open_draft=any(d.status in OPEN_DRAFTS for d in drafts),
        last_answer_at=max(answers) if answers else None,
        last_needs_human_at=max(needs_human) if needs_human else None,
    )


@dataclass(frozen=True)
class ConversationRows:
    """One conversation, loaded: its row, its mails, drafts, replies and participants."""

    conversation: Conversation
    mails: list[InboundMessage]
    drafts: list[Draft]
    replies: list[OutboxMessage]
    participants: list[ConversationParticipant]

    @property
    def facts(self) -> ConversationFacts:
        return facts_from_rows(self.mails, self.drafts)


def conversation_detail(rows: ConversationRows) -> dict[str, Any]:
    """``conversations show --json``: the list's fields, the participants, and every item in order."""
    detail = conversation_summary(rows.conversation, rows.facts)
    detail["participants"] = [{"address": p.address, "role": p.role} for p in rows.participants]
    detail["items"] = timeline(rows.mails, rows.drafts, rows.replies)
    return detail


# -- queries: a fixed number per page, each through an index ------------------------------


def conversation_facts(*, session: Session, ids: Collection[int]) -> dict[int, ConversationFacts]:
    """The facts of the conversations ``ids``: four grouped queries on the conversation_id indexes."""
    if not ids:
        return {}
    wanted = list(ids)
    mails = dict(
        session.exec(
            select(InboundMessage.conversation_id, func.count())
            .where(col(InboundMessage.conversation_id).in_(wanted))
            .group_by(col(InboundMessage.conversation_id))
        ).all()
    )
    needs_human = dict(
        session.exec(
            select(InboundMessage.conversation_id, func.max(InboundMessage.received_at, type_=UtcDateTime))
            .where(
                col(InboundMessage.conversation_id).in_(wanted),
                col(InboundMessage.status) == InboundStatus.NEEDS_HUMAN,
            )
            .group_by(col(InboundMessage.conversation_id))
        ).all()
    )
    open_rows = session.exec(
        select(Draft.conversation_id, Draft.id, Draft.status).where(
            col(Draft.conversation_id).in_(wanted), col(Draft.status).in_(list(OPEN_DRAFTS))
        )
    ).all()
    answers = dict(
        session.exec(
            select(Draft.conversation_id, func.max(Draft.decided_at, type_=UtcDateTime))
            .where(col(Draft.conversation_id).in_(wanted), col(Draft.status).in_(list(ANSWERING_DRAFTS)))
            .group_by(col(Draft.conversation_id))
        ).all()
    )
    pending: dict[int, int] = {}
    open_ids: set[int] = set()
    for conversation_id, draft_id, status in open_rows:
        if conversation_id is None or draft_id is None:
            continue
        open_ids.add(conversation_id)
        if status == DraftStatus.PENDING:
            pending[conversation_id] = max(draft_id, pending.get(conversation_id, 0))
    return {
        cid: ConversationFacts(
            mails=mails.get(cid, 0),
            pending_draft_id=pending.get(cid),
            open_draft=cid in open_ids,
            last_answer_at=answers.get(cid),
            last_needs_human_at=needs_human.get(cid),
        )
        for cid in wanted
    }


def list_conversations(*, session: Session, limit: int = MAX_CONVERSATIONS) -> list[dict[str, Any]]:
    """The newest ``limit`` conversations by last activity (its index), each with its facts."""
    rows = list(
        session.exec(
            select(Conversation)
            .order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc())
            .limit(limit)
        )
    )
    facts = conversation_facts(session=session, ids=[c.id for c in rows if c.id is not None])
    return [conversation_summary(c, facts.get(c.id or 0, ConversationFacts())) for c in rows]


def load_conversation(*, session: Session, conversation_id: int) -> ConversationRows | None:
    """Everything of one conversation, or ``None`` when no conversation has the id."""
    conversation = session.get(Conversation, conversation_id) if is_row_id(conversation_id) else None
    if conversation is None:
        return None
    mails = list(
        session.exec(
            select(InboundMessage)
            .where(col(InboundMessage.conversation_id) == conversation_id)
            .order_by(col(InboundMessage.id))
        )
    )
    drafts = list(
        session.exec(select(Draft).where(col(Draft.conversation_id) == conversation_id).order_by(col(Draft.id)))
    )
    draft_ids = [d.id for d in drafts if d.id is not None]
    replies = (
        list(session.exec(select(OutboxMessage).where(col(OutboxMessage.draft_id).in_(draft_ids)))) if draft_ids else []
    )
    participants = list(
        session.exec(
            select(ConversationParticipant)
            .where(col(ConversationParticipant.conversation_id) == conversation_id)
            .order_by(col(ConversationParticipant.id))
        )
    )
    return ConversationRows(conversation, mails, drafts, replies, participants)


def find_conversation(*, session: Session, conversation_id: int) -> dict[str, Any] | None:
    """``conversations show --json`` for one id, or ``None`` when there is no such conversation."""
    rows = load_conversation(session=session, conversation_id=conversation_id)
    return None if rows is None else conversation_detail(rows)


@dataclass(frozen=True)
class WaitingMail:
    """The newest mail of a conversation that waits for a human and has no draft: a row of the queue."""

    id: int
    conversation_id: int
    sender: str | None
    subject: str
    language: str | None
    received_at: datetime


def waiting_mails(*, session: Session, limit: int = MAX_CONVERSATIONS) -> list[WaitingMail]:
    """Per conversation with no open draft, its newest mail that needs a human, unless a reply was approved since.

    Only the columns the queue shows are read (never the raw mail), through
    the status index; the conversations' facts come in the same few grouped
    queries as the list's.
    """
    rows = session.execute(  # columns, not entities: sqlmodel's select types at most four
        sql_select(
            col(InboundMessage.id),
            col(InboundMessage.conversation_id),
            col(InboundMessage.sender),
            col(InboundMessage.subject),
            col(InboundMessage.language),
            col(InboundMessage.received_at),
        )
        .where(
            col(InboundMessage.status) == InboundStatus.NEEDS_HUMAN, col(InboundMessage.conversation_id).is_not(None)
        )
        .order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
        .limit(limit)
    ).all()
    newest: dict[int, WaitingMail] = {}
    for mail_id, cid, sender, subject, language, received_at in rows:
        if cid is not None and cid not in newest:
            newest[cid] = WaitingMail(mail_id, cid, sender, subject, language, received_at)
    facts = conversation_facts(session=session, ids=list(newest))
    return [
        mail
        for cid, mail in newest.items()
        if not facts[cid].open_draft and facts[cid].status == ConversationStatus.WAITING
    ]


def superseded_refusal(draft_id: int, superseded_by: int | None) -> str:
    """The one line that refuses approving a superseded draft (conv-contract): it names the replacing draft."""
    return f"draft {draft_id} was superseded by draft {superseded_by}: review draft {superseded_by} instead"
