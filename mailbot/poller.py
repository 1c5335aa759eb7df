"""One poll cycle: fetch new mail → triage → store → mark on the server.

The order is what makes a crash harmless. For each batch of UIDs:

1. fetch the messages (``BODY.PEEK[]``: ``\\Seen`` is never touched);
2. triage each one and add its record (and draft) in its own savepoint, so a
   poison message or a record that another poller stored first costs only itself;
3. commit the batch;
4. only then flag (or move) the batch's messages on the server;
5. only then move ``MailboxState.last_uid`` past the batch.

Killed between 3 and 5, the next poll fetches the batch again, finds each
``dedup_key`` already stored, creates nothing and just marks. A changed
UIDVALIDITY restarts from UID 1 the same way. So every message gets exactly one
record and at most one draft, whatever the timing of a crash.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from mailbot.config import Settings
from mailbot.db import new_session
from mailbot.locks import mailbox_lock
from mailbot.mail.sources import FetchedMessage, MailSource, make_source
from mailbot.models import Draft, InboundMessage, MailboxState

log = logging.getLogger(__name__)

#: Seconds to sleep at each step of a batch, so a test can kill a poll mid-batch.
DEBUG_PAUSE_ENV = "MAILBOT_DEBUG_POLL_PAUSE"
#: How long a poll waits for another poll of the same mailbox before giving up.
DEFAULT_LOCK_WAIT = 5.0

TriageFn = Callable[[bytes, Any], Any]
_MSGID = re.compile(rb"<[^<>\s]+>")


@dataclass
class PollSummary:
    """What one cycle did; ``line()`` is what ``mailbot poll`` prints."""

    mailbox: str
    folder: str
    fetched: int = 0
    stored: int = 0
    drafted: int = 0
    ignored: int = 0
    needs_human: int = 0
    errors: int = 0
    already_stored: int = 0
    marked: int = 0
    resynced: bool = False
    skipped: str | None = None  # why nothing was done (another poll holds the lock)
    interrupted: bool = False  # stopped between batches because the service shuts down
    seconds: float = 0.0

    def line(self) -> str:
        if self.skipped:
            return f"{self.mailbox} {self.folder}: skipped, {self.skipped}"
        text = (
            f"fetched {self.fetched}, drafted {self.drafted}, ignored {self.ignored}, "
            f"needs human {self.needs_human}, errors {self.errors}"
        )
        if self.already_stored:
            text += f", already stored {self.already_stored}"
        if self.resynced:
            text += ", resynced after a UIDVALIDITY change"
        if self.interrupted:
            text += ", stopped early to shut down"
        return text


def quick_dedup_key(raw: bytes) -> str:
    """The dedup key from the headers alone, to skip re-triaging a message we already have.

    Only an optimisation: the stored key is always triage's own ``result.dedup_key``
    (the same rule: first Message-ID, else sha256 of the raw bytes).
    """
    message_id = BytesHeaderParser(policy=compat32).parsebytes(raw).get("Message-ID")
    if message_id:
        match = _MSGID.search(str(message_id).encode("utf-8", "surrogateescape"))
        if match:
            return _clean(match.group(0).decode("utf-8", "surrogateescape")) or ""
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _now() -> datetime:
    # Aware: SQLModel's datetime columns refuse naive values (models.utcnow() is naive).
    return datetime.now(UTC)


def _clean(value: str | None) -> str | None:
    """Text the database accepts: no NUL (PostgreSQL refuses it) and no lone surrogates.

    Raw 8-bit header bytes come out of ``compat32`` as surrogate escapes; they are
    almost always UTF-8 (RFC 6532), so turn them back into the characters meant.
    """
    if not isinstance(value, str):
        return value
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    value = value.encode("utf-8", "replace").decode("utf-8")  # any other lone surrogate
    return value.replace("\x00", "")


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), max(size, 1)):
        yield items[start : start + size]


class _Cycle:
    """The state of one poll cycle over one folder (kept small: one batch at a time)."""

    def __init__(
        self,
        *,
        settings: Settings,
        session: Session,
        source: MailSource,
        summary: PollSummary,
        triage: TriageFn,
        context: Any,
        pause: float,
    ) -> None:
        self.settings = settings
        self.session = session
        self.source = source
        self.summary = summary
        self.triage = triage
        self.context = context
        self.pause = pause
        self.folder = summary.folder

    def _sleep(self) -> None:
        if self.pause:
            time.sleep(self.pause)

    def run_batch(self, box: MailboxState, uids: Sequence[int]) -> None:
        mailbox = self.settings.mailbox
        fetched = list(
            self.source.fetch(self.folder, uids, max_bytes=self.settings.triage.max_message_bytes)
        )
        self.summary.fetched += len(fetched)
        known = self._known_keys(quick_dedup_key(m.raw) for m in fetched)
        recorded: list[int] = []
        keys: list[str] = []
        for message in fetched:
            key = self._store(message, known)
            known.add(key)
            recorded.append(message.uid)
            keys.append(key)
            self._sleep()
        self.session.commit()  # records first ...
        self._sleep()
        if recorded:  # ... then the server
            if mailbox.processed_folder:
                self.source.move(self.folder, recorded, mailbox.processed_folder)
            else:
                self.source.add_flag(self.folder, recorded, mailbox.processed_flag)
            self.summary.marked += len(recorded)
        self._sleep()
        if keys:
            self.session.execute(
                update(InboundMessage)
                .where(col(InboundMessage.dedup_key).in_(keys))
                .values(marked=True)
            )
        box.last_uid = max(box.last_uid, *uids)
        self.session.add(box)
        self.session.commit()

    def _known_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = list(set(keys))
        if not wanted:
            return set()
        rows = self.session.exec(
            select(InboundMessage.dedup_key).where(col(InboundMessage.dedup_key).in_(wanted))
        )
        return set(rows)

    def _store(self, message: FetchedMessage, known: set[str]) -> str:
        """Record one message unless it is already stored; returns its dedup key."""
        quick = quick_dedup_key(message.raw)
        if quick in known:
            self.summary.already_stored += 1
            return quick
        try:
            result = self.triage(message.raw, self.context)
        except Exception as exc:  # triage promises not to raise; a bug must not stop the poll
            log.exception("triage failed on UID %s", message.uid)
            self.summary.errors += 1
            return self._store_failure(
                message, quick, f"triage failed: {exc.__class__.__name__}: {exc}"
            )
        key = _clean(result.dedup_key) or quick
        if key in known:
            self.summary.already_stored += 1
            return key
        record, draft = self._records(message, result)
        try:
            with self.session.begin_nested():
                self.session.add(record)
                self.session.flush()
                if draft is not None:
                    draft.inbound_id = record.id
                    self.session.add(draft)
                    self.session.flush()
        except IntegrityError:
            # Another poller stored it between our check and our insert.
            self.summary.already_stored += 1
            return key
        except (SQLAlchemyError, ValueError) as exc:  # ValueError: text the driver refuses
            log.warning("storing UID %s failed: %s", message.uid, exc.__class__.__name__)
            self.summary.errors += 1
            return self._store_failure(message, key, f"storing failed: {exc.__class__.__name__}")
        self._count(record.status, draft)
        return key

    def _count(self, status: str, draft: Draft | None) -> None:
        self.summary.stored += 1
        if draft is not None:
            self.summary.drafted += 1
        elif status == "ignored":
            self.summary.ignored += 1
        elif status == "needs_human":
            self.summary.needs_human += 1

    def _records(self, message: FetchedMessage, result: Any) -> tuple[InboundMessage, Draft | None]:
        status, outcome, error = result.status, result.outcome, result.error
        draft_of = result.draft
        if message.truncated:
            status, outcome, draft_of = "needs_human", "needs_human", None
            error = (
                f"message is {message.size:,} bytes, over triage.max_message_bytes; "
                f"only the first {len(message.raw):,} bytes are stored, the whole mail stays "
                "on the server"
            )
        as_json = _clean_json(result.to_json())
        record = InboundMessage(
            dedup_key=_clean(result.dedup_key),
            message_id=_clean(result.message_id),
            mailbox=self.source.name,
            folder=self.folder,
            uid=message.uid,
            sender=_clean(result.sender),
            subject=_clean(result.subject) or "",
            date=_clean(result.date),
            intent=result.intent,
            language=result.language,
            outcome=outcome,
            status=status,
            error=_clean(error),
            result=as_json,
            raw=message.raw,
            received_at=_now(),
        )
        if draft_of is None:
            return record, None
        draft = Draft(
            inbound_id=0,  # set once the record has its id
            message_id=_clean(result.message_id),
            intent=result.intent,
            language=result.language or "en",
            sender=_clean(result.sender),
            sender_verified=result.sender_verified,
            to=_clean(draft_of.to) or "",
            subject=_clean(draft_of.subject) or "",
            body=_clean(draft_of.body) or "",
            html=_clean(draft_of.html),
            in_reply_to=_clean(draft_of.in_reply_to),
            references=_clean(draft_of.references),
            requests=as_json.get("requests", []),
            created_at=_now(),
        )
        return record, draft

    def _store_failure(self, message: FetchedMessage, key: str, error: str) -> str:
        """Keep the raw mail as needs_human when triage or the full record failed."""
        record = InboundMessage(
            dedup_key=key,
            mailbox=self.source.name,
            folder=self.folder,
            uid=message.uid,
            outcome="needs_human",
            status="needs_human",
            error=_clean(error),
            result={},
            raw=message.raw,
            received_at=_now(),
        )
        try:
            with self.session.begin_nested():
                self.session.add(record)
                self.session.flush()
        except IntegrityError:
            self.summary.already_stored += 1
            return key
        # Any other database error propagates: the poll stops before marking or
        # advancing past a message that has no record, so nothing is lost.
        self.summary.stored += 1
        self.summary.needs_human += 1
        return key


def _folder_state_row(session: Session, mailbox: str, folder: str) -> MailboxState:
    query = select(MailboxState).where(
        MailboxState.mailbox == mailbox, MailboxState.folder == folder
    )
    box = session.exec(query).first()
    if box is not None:
        return box
    try:
        with session.begin_nested():
            box = MailboxState(mailbox=mailbox, folder=folder)
            session.add(box)
        session.commit()
        return box
    except IntegrityError:
        session.rollback()
        return session.exec(query).one()


def poll_once(
    *,
    settings: Settings,
    engine: Engine,
    source: MailSource | None = None,
    today: date | None = None,
    triage: TriageFn | None = None,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    pause_seconds: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PollSummary:
    """Run one cycle on ``settings.mailbox.folder``; raises ``MailboxUnavailable``.

    ``source`` defaults to the one ``settings.mailbox`` describes; ``triage`` to
    the real pipeline (tests pass a failing one to show per-message isolation).
    ``should_stop`` is asked between batches, so ``mailbot run`` stops promptly on
    SIGTERM without leaving a batch half-marked.
    """
    started = time.monotonic()
    source = source if source is not None else make_source(settings.mailbox)
    folder = settings.mailbox.folder
    summary = PollSummary(mailbox=source.name, folder=folder)
    if pause_seconds is None:
        pause_seconds = float(os.environ.get(DEBUG_PAUSE_ENV) or 0)
    with mailbox_lock(engine, source.name, wait_seconds=lock_wait) as held:
        if not held:
            summary.skipped = "another poll of this mailbox is running"
            return summary
        with source, new_session(engine) as session:
            state = source.folder_state(folder)
            box = _folder_state_row(session, source.name, folder)
            if box.uidvalidity != state.uidvalidity:
                if box.uidvalidity is not None:
                    log.warning(
                        "%s %s: UIDVALIDITY changed from %s to %s; re-reading the folder "
                        "(stored mail is not duplicated)",
                        source.name,
                        folder,
                        box.uidvalidity,
                        state.uidvalidity,
                    )
                    summary.resynced = True
                box.uidvalidity, box.last_uid = state.uidvalidity, 0
                session.add(box)
                session.commit()
            uids = source.uids_after(folder, box.last_uid, state=state)
            if uids:
                # Imported here: an idle poll from cron never loads rules and templates.
                from mailbot.accounts import DbAccountBook
                from mailbot.triage.pipeline import TriageContext, triage_message

                context = TriageContext.from_settings(
                    settings, accounts=DbAccountBook(session), today=today or date.today()
                )
                cycle = _Cycle(
                    settings=settings,
                    session=session,
                    source=source,
                    summary=summary,
                    triage=triage or triage_message,
                    context=context,
                    pause=pause_seconds,
                )
                for batch in _chunks(uids, settings.mailbox.batch_size):
                    if should_stop is not None and should_stop():
                        summary.interrupted = True
                        break
                    cycle.run_batch(box, batch)
            box.last_success_at = _now()
            session.add(box)
            session.commit()
    summary.seconds = time.monotonic() - started
    return summary
