"""SQLModel tables: one per concept.

JSON-ish columns are stored as text with ``sa_type=JSON`` so the same schema runs
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from mailbot.db.types import UtcDateTime
from mailbot.vocabulary import DraftStatus, InboundStatus, OutboxStatus, SenderVerification

#: The largest id a row can have (a signed 64-bit integer on both databases). A
#: larger number typed by an agent names no row; asking the driver would overflow.
MAX_ROW_ID = 2**63 - 1


def is_row_id(value: int) -> bool:
    return 0 < value <= MAX_ROW_ID


def utcnow() -> datetime:
    """Aware UTC, as the datetime columns hand back (``UtcDateTime``): mixing naive and aware is a bug source."""
    return datetime.now(UTC)


class Account(SQLModel, table=True):
    """A customer account record, as imported from the vendor's CSV."""

    account_id: int = Field(primary_key=True)
    email: str = Field(index=True, unique=True)  # stored lower-case
    plan: str
    status: str  # one of accounts.book.STATUSES
    paid_until: date | None = None
    primary_account_id: int | None = Field(default=None, index=True)


class MailboxState(SQLModel, table=True):
    """Where the last poll of one folder stopped, so the next fetches only newer UIDs."""

    __table_args__ = (UniqueConstraint("mailbox", "folder"),)
    id: int | None = Field(default=None, primary_key=True)
    mailbox: str  # e.g. imap://support@mail.example:993
    folder: str
    uidvalidity: int | None = None
    last_uid: int = 0
    last_success_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # What `mailbot run` is doing for this folder (idling, polling, reconnecting,
    # stopped) and since when; kept here so every instance's `mailbot status` sees it.
    intake: str | None = None
    intake_since: datetime | None = Field(default=None, sa_type=UtcDateTime)


class InboundMessage(SQLModel, table=True):
    """Every mail the poller saw, exactly once (``dedup_key`` is unique)."""

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(unique=True)  # Message-ID, else sha256 of the raw bytes
    message_id: str | None = None
    mailbox: str = ""
    folder: str = ""
    uid: int | None = None
    sender: str | None = None
    subject: str = ""
    date: str | None = None
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    intent: str = ""
    language: str | None = None
    outcome: str = ""  # an Outcome: the first request's, or needs_human / ignored
    status: str = Field(default=InboundStatus.TRIAGED, index=True)  # an InboundStatus
    error: str | None = None
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # the TriageRecord, stored
    raw: bytes = Field(sa_column=Column(LargeBinary))
    marked: bool = False  # flagged/moved on the server after commit
    # The conversation the mail joined, by which rule (a JoinRule), and, when it
    # threaded but was kept out (a non-participant), the reason the agent reads.
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    joined_by: str | None = None
    join_note: str | None = None
    # The Date header as a point in time (received_at when missing or unreadable):
    # conversations are read in this order and rule 3's window is measured on it.
    dated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class Draft(SQLModel, table=True):
    """A reply an agent approves, edits or rejects: it answers its conversation as it stands.

    A draft is made by an inbound mail (at most one per mail) or, for a renewal,
    by mailbot itself (``proactive``, no inbound mail). A newer draft of the same
    conversation supersedes a pending one: ``superseded_by`` names it.
    """

    id: int | None = Field(default=None, primary_key=True)
    inbound_id: int | None = Field(default=None, foreign_key="inboundmessage.id", unique=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    superseded_by: int | None = None
    proactive: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    message_id: str | None = None  # the customer's Message-ID
    intent: str
    language: str
    sender: str | None = None
    sender_verified: str = SenderVerification.UNKNOWN
    to: str
    subject: str
    body: str
    html: str | None = None
    original_body: str | None = None  # kept when an agent edits the text
    in_reply_to: str | None = None
    references: str | None = None
    # The requests as the TriageRecord stores them (``triage.record.decisions_of`` reads them).
    requests: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    status: str = Field(default=DraftStatus.PENDING, index=True)  # a DraftStatus
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reject_reason: str | None = None
    version: int = 1  # optimistic lock: two agents approving at once, one wins


class Conversation(SQLModel, table=True):
    """One customer matter: the customer's mails about it, our replies, its drafts (SPEC "Conversations").

    ``last_activity_at`` is the Date of its last mail (machine mail aside) or
    reply: rule 3's window is measured from it, through its index.
    """

    id: int | None = Field(default=None, primary_key=True)
    intent: str = ""  # an Intent: the conversation's, as its latest request-bearing mail set it
    subject: str = ""  # the first mail's subject, without Re:/AW:/Fwd: and without our tag
    language: str | None = None  # of its latest mail written by a customer
    started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_activity_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UtcDateTime)
    proactive: bool = False  # opened by mailbot for a renewal, not by a customer's mail


class ConversationMessageId(SQLModel, table=True):
    """A Message-ID known to a conversation: a customer's mail or one of our replies (join rule 1).

    Unique: one Message-ID belongs to one conversation, so a reply's In-Reply-To
    or References find their conversation with one indexed look-up.
    """

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)  # as written, with angle brackets
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    kind: str  # inbound | reply


class ConversationParticipant(SQLModel, table=True):
    """An address that takes part in a conversation, and how (SPEC "Participants").

    ``role`` is ``sender`` (wrote a mail in it: join rule 3 looks these up by
    address), ``recipient`` (one of our replies went there), ``primary`` or
    ``team_member`` (named in one of its requests).
    """

    __table_args__ = (UniqueConstraint("conversation_id", "address", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    address: str = Field(index=True)  # lower-case
    role: str


class Renewal(SQLModel, table=True):
    """One renewal mailbot learnt of: (primary, new paid_until) drafts at most once (SPEC "Renewals")."""

    __table_args__ = (UniqueConstraint("primary_account_id", "paid_until"),)
    id: int | None = Field(default=None, primary_key=True)
    primary_account_id: int = Field(index=True)
    primary_email: str
    paid_until: date
    source: str  # import | cli | billing
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    outcome: str  # drafted | no_lapsed_team_members | not_newer | ...
    draft_id: int | None = Field(default=None, foreign_key="draft.id")


class BillingEvent(SQLModel, table=True):
    """A billing webhook event, processed once per ``event_id``, kept with its outcome (audit)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True)
    type: str
    received_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UtcDateTime)
    email: str | None = None
    paid_until: date | None = None
    outcome: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class OutboxMessage(SQLModel, table=True):
    """A reply queued for delivery; ``sending`` is committed before the SMTP transaction."""

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", unique=True)
    message_id: str  # our own, generated once
    to: str = Field(index=True)
    raw: bytes = Field(sa_column=Column(LargeBinary))
    status: str = Field(default=OutboxStatus.QUEUED, index=True)  # an OutboxStatus
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_error: str | None = None
    queued_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ActionStatus(StrEnum):
    """Where one account action stands; only ``confirmed`` releases a reply."""

    QUEUED = "queued"  # stored with its key, not yet sent
    SENDING = "sending"  # sent (or about to be); the lease in next_attempt_at
    RETRY = "retry"  # failed for now: tried again from next_attempt_at
    CONFIRMED = "confirmed"  # the change is made (the change log of `accounts changes`)
    REFUSED = "refused"  # the vendor said no; vendor_message has their words
    CANCELLED = "cancelled"  # never sent: its draft was approved again or rejected


class AccountAction(SQLModel, table=True):
    """One account change an approval asked for: a durable job, then an entry of the change log.

    Against the account API the job outlives crashes and retries: its
    ``idempotency_key`` is stored before the first request and sent with every
    retry, so the vendor applies it once. With the database source the row is
    written ``confirmed`` in the approval's own transaction. ``before`` and
    ``after`` hold the team member's record (the CSV's fields) around the change.
    """

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    position: int = 0  # the request's place in the draft
    kind: str  # link | reactivate
    account_id: int  # the team member's
    email: str
    action: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # Action.as_dict()
    idempotency_key: str = Field(unique=True)
    status: str = Field(default=ActionStatus.QUEUED, index=True)
    source: str = "database"  # database | http: where the change was made
    agent: str
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    failing_since: datetime | None = Field(default=None, sa_type=UtcDateTime)  # first of the failures in a row
    last_error: str | None = None
    vendor_message: str | None = None  # the API's refusal, verbatim
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    confirmed_at: datetime | None = Field(default=None, index=True, sa_type=UtcDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did what, when: every agent decision and every delivery step."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=UtcDateTime)
    agent: str | None = None
    action: str
    draft_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class Agent(SQLModel, table=True):
    """A support agent who may log in to the web console."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # Raised to end every console session of the agent (logout, new password): a
    # session cookie names the epoch it was made in. server_default for existing rows.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
