"""Deliver approved replies from the outbox, each at most once.

A reply moves ``queued → sending → sent``. ``sending`` (with ``attempts + 1``) is
committed *before* the SMTP transaction and ``sent`` after it, so a crash in
between leaves a row in ``sending``: we cannot know whether the server took the
mail, and a second copy of an account confirmation is worse than a question to a
human, so such a row goes to ``needs_agent`` instead of being sent again. So does
a time-out or drop after ``DATA`` (``UncertainDeliveryError``). An agent resends
deliberately (``mailbot.outbox.resend``).

While a row is ``sending``, ``next_attempt_at`` holds the end of its lease: the
time by which the instance that claimed it must have finished. Only a row whose
lease has run out counts as interrupted, so one instance never flags a reply that
another is sending right now.

Two instances never take the same row: on PostgreSQL the candidate is selected
``FOR UPDATE SKIP LOCKED``; on both databases the claim is a conditional
``UPDATE … WHERE status = 'queued'`` whose row count tells whether we won.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mailbot.config import Settings
from mailbot.db.engine import new_session
from mailbot.db.types import as_utc
from mailbot.errors import DraftStateError, PermanentDeliveryError, TemporaryDeliveryError, UncertainDeliveryError
from mailbot.mail.reply import build_reply, envelope_recipients, parse_reply, reply_bytes
from mailbot.models import Conversation, ConversationMessageId, ConversationParticipant, Draft, OutboxMessage
from mailbot.outbox.events import delivery_event
from mailbot.outbox.file import write_file_outbox
from mailbot.outbox.sent_copy import copy_to_sent_folder
from mailbot.outbox.smtp import SmtpUnavailable, send_smtp
from mailbot.vocabulary import DraftStatus, MessageKind, OutboxStatus, ParticipantRole

log = logging.getLogger(__name__)


def _now_or(moment: datetime | None) -> datetime:
    """The fixed clock a test passed (naive means UTC), else the real one."""
    return datetime.now(UTC) if moment is None else as_utc(moment)


@dataclass
class DeliverySummary:
    """What one run did; ``stopped`` says why it ended early (server unreachable)."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    flagged: int = 0  # interrupted rows moved to needs_agent
    throttled: int = 0
    stopped: str | None = None
    flagged_ids: list[int] = field(default_factory=list)

    def line(self) -> str:
        """The one line ``mailbot send`` prints."""
        line = f"sent {self.sent}, retrying {self.retry}, failed {self.failed}, needs agent {self.flagged}"
        if self.throttled:
            line += f", throttled {self.throttled}"
        if self.stopped:
            line += f" (stopped: {self.stopped})"
        return line


def recipient_key(message_to: list[str]) -> str:
    """The value of ``OutboxMessage.to``: the throttle counts replies per this key."""
    return ", ".join(address.lower() for address in message_to)


def queue_reply(*, session: Session, draft: Draft, settings: Settings, now: datetime | None = None) -> OutboxMessage:
    """Build the reply for an approved ``draft`` and add it to the outbox; no commit.

    The bytes and our Message-ID are made once, here: every retry sends the very
    same message, so the customer's client sees one reply however often we try.
    The caller commits in the approval transaction (the action and the outbox row
    together, or neither).
    """
    if draft.id is None:
        raise ValueError("the draft must be stored before its reply is queued")
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.draft_id == draft.id)).first()
    if existing is not None:
        raise DraftStateError(f"draft {draft.id}: a reply is already queued ({existing.status})")
    moment = _now_or(now)
    message = build_reply(
        draft_to=draft.to,
        subject=draft.subject,
        body=draft.body,
        html=draft.html,
        in_reply_to=draft.in_reply_to or draft.message_id,
        references=draft.references,
        support_address=settings.support.address,
        support_name=settings.support.name,
        date=moment,
    )
    row = OutboxMessage(
        draft_id=draft.id,
        message_id=str(message["Message-ID"]),
        to=recipient_key(envelope_recipients(message)),
        raw=reply_bytes(message),
        next_attempt_at=moment,
        queued_at=moment,
    )
    session.add(row)
    _register_in_conversation(session, draft=draft, message_id=row.message_id, to=row.to, moment=moment)
    return row


def _register_in_conversation(session: Session, *, draft: Draft, message_id: str, to: str, moment: datetime) -> None:
    """Our reply joins its conversation in the approval's transaction: its Message-ID, its recipients.

    So the customer's answer threads (join rule 1) and its recipients may write in
    it. ``last_activity_at`` moves when the reply is *queued*, not when it is sent:
    the approval is when we answered (the send follows within a poll), and only
    this transaction is sure to run once; rule 3's window is measured from it.
    """
    if draft.conversation_id is None:
        return
    session.add(
        ConversationMessageId(message_id=message_id, conversation_id=draft.conversation_id, kind=MessageKind.REPLY)
    )
    known = set(
        session.exec(
            select(ConversationParticipant.address).where(
                ConversationParticipant.conversation_id == draft.conversation_id,
                ConversationParticipant.role == ParticipantRole.RECIPIENT,
            )
        )
    )
    for address in dict.fromkeys(a.strip() for a in to.split(",") if a.strip()):
        if address not in known:
            session.add(
                ConversationParticipant(
                    conversation_id=draft.conversation_id, address=address, role=ParticipantRole.RECIPIENT
                )
            )
    session.exec(
        update(Conversation)
        .where(col(Conversation.id) == draft.conversation_id, col(Conversation.last_activity_at) < moment)
        .values(last_activity_at=moment)
    )


def deliver_queued(*, engine: Engine, settings: Settings, now: datetime | None = None) -> DeliverySummary:
    """Send every queued reply that is due; flag interrupted ones. One run, then return.

    ``now`` fixes the clock for tests (naive means UTC); otherwise the real clock
    is read at each step. Runs its own event loop per message, so call it from a thread,
    not from inside a running asyncio loop. An unexpected error (a bug) propagates
    and leaves its row ``sending``: the first run after the lease flags it for an
    agent rather than guessing whether it went out.
    """

    def clock() -> datetime:
        return _now_or(now)

    summary = DeliverySummary()
    sent: list[OutboxMessage] = []
    summary.flagged_ids = _flag_interrupted(engine=engine, now=clock())
    summary.flagged = len(summary.flagged_ids)
    while True:
        row = _claim_next(engine=engine, settings=settings, now=clock(), summary=summary)
        if row is None:
            break
        try:
            reply = _transmit(row, settings=settings)
        except SmtpUnavailable as exc:
            _record_unavailable(engine=engine, row=row, settings=settings, now=clock(), error=exc)
            summary.retry += 1
            summary.stopped = str(exc)
            break
        except UncertainDeliveryError as exc:
            # The server may have it: never retried blindly, an agent decides (outbox resend).
            _record_needs_agent(engine=engine, row=row, now=clock(), reason=str(exc))
            summary.flagged += 1
            summary.flagged_ids.append(row.id or 0)
        except TemporaryDeliveryError as exc:
            failed = _record_temporary(engine=engine, row=row, settings=settings, now=clock(), error=exc)
            if failed:
                summary.failed += 1
            else:
                summary.retry += 1
        except PermanentDeliveryError as exc:
            _record_failed(engine=engine, row=row, now=clock(), error=str(exc), code=_code(exc))
            summary.failed += 1
        else:
            _record_sent(engine=engine, row=row, now=clock(), reply=reply)
            summary.sent += 1
            sent.append(row)
    if sent and settings.smtp is not None and settings.mailbox.kind == "imap" and settings.mailbox.sent_folder:
        copy_to_sent_folder(engine=engine, settings=settings, rows=sent, now=clock())
    return summary


def _code(exc: Exception) -> int | None:
    return getattr(exc, "code", None)


def _lease(settings: Settings) -> timedelta:
    """How long a claimed row may stay ``sending`` before it counts as interrupted.

    aiosmtplib's timeout applies per command (connect, TLS, login, MAIL, RCPT,
    DATA, end of data ...), so the lease covers ten of them plus some slack.
    """
    if settings.smtp is None:
        return timedelta(seconds=60)
    return timedelta(seconds=settings.smtp.timeout * 10 + 60)


def _flag_interrupted(*, engine: Engine, now: datetime) -> list[int]:
    """Rows left ``sending`` past their lease go to ``needs_agent``, not back to the queue."""
    flagged: list[int] = []
    with new_session(engine) as session:
        ids = session.exec(
            select(OutboxMessage.id).where(
                col(OutboxMessage.status) == OutboxStatus.SENDING, col(OutboxMessage.next_attempt_at) <= now
            )
        ).all()
        for row_id in ids:
            result = session.exec(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == row_id,
                    col(OutboxMessage.status) == OutboxStatus.SENDING,
                    col(OutboxMessage.next_attempt_at) <= now,
                )
                .values(
                    status=OutboxStatus.NEEDS_AGENT,
                    last_error="interrupted after the SMTP transaction began: "
                    "check whether the customer got the reply before resending",
                )
            )
            if result.rowcount != 1:
                continue  # another instance flagged it first
            row = session.get(OutboxMessage, row_id, populate_existing=True)
            assert row is not None and row.id is not None
            session.add(delivery_event(row, "delivery_needs_agent", now, reason=row.last_error))
            flagged.append(row.id)
        session.commit()
    return flagged


def _claim_next(*, engine: Engine, settings: Settings, now: datetime, summary: DeliverySummary) -> OutboxMessage | None:
    """Commit the next due row as ``sending`` (attempts + 1) and return it; None when none is due.

    A row over its address's throttle goes back to ``queued`` in the same
    transaction, due when the window frees up, and the next candidate is tried.
    """
    postgres = engine.dialect.name == "postgresql"
    with new_session(engine) as session:
        while True:
            candidate = (
                select(OutboxMessage.id)
                .where(col(OutboxMessage.status) == OutboxStatus.QUEUED, col(OutboxMessage.next_attempt_at) <= now)
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(1)
            )
            if postgres:
                candidate = candidate.with_for_update(skip_locked=True)
            row_id = session.exec(candidate).first()
            if row_id is None:
                session.rollback()
                return None
            # On SQLite this UPDATE is the first write, so it takes the database's
            # write lock; the throttle count below then cannot race another writer.
            claimed = session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.status) == OutboxStatus.QUEUED)
                .values(status=OutboxStatus.SENDING)
            )
            if claimed.rowcount != 1:
                session.rollback()  # another instance took it between SELECT and UPDATE
                continue
            row = session.get(OutboxMessage, row_id, populate_existing=True)
            assert row is not None
            if postgres:
                # Serialise claims for one address so two instances cannot both
                # pass the throttle with the last free slot.
                session.exec(select(func.pg_advisory_xact_lock(func.hashtext("mailbot-throttle:" + row.to))))
            free_at = _throttle_free_at(session=session, row=row, settings=settings, now=now)
            if free_at is not None:
                row.status = OutboxStatus.QUEUED
                row.next_attempt_at = free_at
                row.last_error = (
                    f"throttled: {settings.outbox.max_per_address} replies to {row.to} "
                    f"within {settings.outbox.window_minutes} minutes"
                )
                session.add(row)
                session.commit()
                summary.throttled += 1
                continue
            row.attempts += 1
            row.next_attempt_at = now + _lease(settings)
            session.add(row)
            session.commit()
            return row


def _throttle_free_at(*, session: Session, row: OutboxMessage, settings: Settings, now: datetime) -> datetime | None:
    """None when ``row`` may go now; else when the address's window has room again.

    Counts replies to the same address sent within the window plus those being
    sent right now (their send time is taken as now). ``max_per_address = 0``
    turns the throttle off.
    """
    limit = settings.outbox.max_per_address
    if limit <= 0:
        return None
    window = timedelta(minutes=settings.outbox.window_minutes)
    times = session.exec(
        select(OutboxMessage.status, OutboxMessage.sent_at).where(
            col(OutboxMessage.to) == row.to,
            col(OutboxMessage.id) != row.id,
            or_(
                and_(col(OutboxMessage.status) == OutboxStatus.SENT, col(OutboxMessage.sent_at) > now - window),
                col(OutboxMessage.status) == OutboxStatus.SENDING,
            ),
        )
    ).all()
    if len(times) < limit:
        return None
    moments = sorted((sent_at or now) if status == OutboxStatus.SENT else now for status, sent_at in times)
    free_at = moments[len(moments) - limit] + window
    return max(free_at, now + timedelta(seconds=1))


def _transmit(row: OutboxMessage, *, settings: Settings) -> str:
    """Send the stored bytes; returns the server's reply or where the file went."""
    message = parse_reply(row.raw)
    if settings.smtp is None:
        try:
            path = write_file_outbox(message, path=settings.outbox.path)
        except OSError as exc:
            # A full or read-only disk stops every reply alike, as a dead server does.
            raise SmtpUnavailable(f"cannot write to outbox {settings.outbox.path}: {exc}") from None
        return f"written to {path}"
    return asyncio.run(send_smtp(message, settings=settings.smtp))


def _load(session: Session, row: OutboxMessage) -> OutboxMessage:
    fresh = session.get(OutboxMessage, row.id, populate_existing=True)
    assert fresh is not None
    return fresh


def _set_draft_status(session: Session, draft_id: int, status: DraftStatus) -> None:
    draft = session.get(Draft, draft_id)
    if draft is not None:
        draft.status = status
        session.add(draft)


def _record_sent(*, engine: Engine, row: OutboxMessage, now: datetime, reply: str) -> None:
    """The server took the reply. Set even if another instance meanwhile flagged the
    row (our lease ran out): we know it was sent, and say so."""
    with new_session(engine) as session:
        fresh = _load(session, row)
        fresh.status = OutboxStatus.SENT
        fresh.sent_at = now
        fresh.last_error = None
        session.add(fresh)
        _set_draft_status(session, fresh.draft_id, DraftStatus.SENT)
        session.add(delivery_event(fresh, "sent", now, reply=reply))
        session.commit()


def _record_needs_agent(*, engine: Engine, row: OutboxMessage, now: datetime, reason: str) -> None:
    with new_session(engine) as session:
        fresh = _load(session, row)
        fresh.status = OutboxStatus.NEEDS_AGENT
        fresh.last_error = reason
        session.add(fresh)
        session.add(delivery_event(fresh, "delivery_needs_agent", now, reason=reason))
        session.commit()


def _record_temporary(
    *, engine: Engine, row: OutboxMessage, settings: Settings, now: datetime, error: Exception
) -> bool:
    """Back to the queue with exponential backoff, or failed after the last attempt.

    Returns True when the row failed for good.
    """
    if row.attempts >= settings.outbox.max_attempts:
        _record_failed(
            engine=engine,
            row=row,
            now=now,
            error=f"gave up after {row.attempts} attempts: {error}",
            code=_code(error),
        )
        return True
    with new_session(engine) as session:
        fresh = _load(session, row)
        delay = settings.outbox.retry_base_seconds * 2 ** (fresh.attempts - 1)
        fresh.status = OutboxStatus.QUEUED
        fresh.next_attempt_at = now + timedelta(seconds=delay)
        fresh.last_error = str(error)
        session.add(fresh)
        retry_at = fresh.next_attempt_at.isoformat()
        detail = {"error": str(error), "code": _code(error), "retry_at": retry_at}
        session.add(delivery_event(fresh, "delivery_retry", now, **detail))
        session.commit()
        return False


def _record_unavailable(
    *, engine: Engine, row: OutboxMessage, settings: Settings, now: datetime, error: Exception
) -> None:
    """The server (or outbox folder) could not take any message: the reply was never
    offered, so the attempt is not counted — an outage must not use up a reply's
    attempts and fail it."""
    with new_session(engine) as session:
        fresh = _load(session, row)
        fresh.status = OutboxStatus.QUEUED
        fresh.attempts = max(fresh.attempts - 1, 0)
        fresh.next_attempt_at = now + timedelta(seconds=settings.outbox.retry_base_seconds)
        fresh.last_error = str(error)
        session.add(fresh)
        session.add(delivery_event(fresh, "delivery_retry", now, error=str(error), counted=False))
        session.commit()


def _record_failed(*, engine: Engine, row: OutboxMessage, now: datetime, error: str, code: int | None) -> None:
    with new_session(engine) as session:
        fresh = _load(session, row)
        fresh.status = OutboxStatus.FAILED
        fresh.last_error = error
        session.add(fresh)
        _set_draft_status(session, fresh.draft_id, DraftStatus.FAILED)
        session.add(delivery_event(fresh, "delivery_failed", now, error=error, code=code))
        session.commit()


def replies_due(*, engine: Engine, now: datetime | None = None) -> bool:
    """Whether a queued reply is due: one indexed ``LIMIT 1`` query, cheap enough to ask every
    few seconds, so ``mailbot run`` sends an approval made in another process promptly."""
    with Session(engine) as session:
        due = select(OutboxMessage.id).where(
            col(OutboxMessage.status) == OutboxStatus.QUEUED, col(OutboxMessage.next_attempt_at) <= _now_or(now)
        )
        return session.exec(due.limit(1)).first() is not None
