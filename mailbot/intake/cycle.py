"""One poll cycle: fetch new mail → triage → store → mark on the server.

The order is what makes a crash harmless. For each batch of UIDs:

1. fetch the messages (``BODY.PEEK[]``: ``\\Seen`` is never touched);
2. skip the ones already stored (by ``dedup_key``), triage the rest — a triage
   crash becomes a ``needs_human`` record with the error — and insert the batch's
   records and drafts with one statement per table; if the database refuses that
   (another poller stored one first, or a value it cannot take), insert them one
   by one in savepoints, so a poison message costs only itself;
3. commit the batch;
4. only then flag (or move) the batch's messages on the server;
5. only then move ``MailboxState.last_uid`` past the batch.

Killed between 3 and 5, the next poll fetches the batch again, finds each
``dedup_key`` already stored, creates nothing and just marks. A changed
UIDVALIDITY restarts from UID 1 the same way. So every message gets exactly one
record and at most one draft, whatever the timing of a crash.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from mailbot.config import Settings
from mailbot.db.engine import new_session
from mailbot.debug_gates import wait_at_supersede_gate
from mailbot.intake.conversations import BatchConversations, Mail, Plan
from mailbot.intake.locks import mailbox_lock
from mailbot.intake.prefetch import BatchPrefetcher
from mailbot.intake.store import clean_text, failure_row, quick_dedup_key, record_rows
from mailbot.intake.workers import Outcome, choose_triager
from mailbot.mail.source import FetchedMessage, MailSource, make_source
from mailbot.models import Draft, InboundMessage, MailboxState, utcnow
from mailbot.triage.record import TriageRecord
from mailbot.triage_pool import InProcess, Pending, TriagePool
from mailbot.vocabulary import InboundStatus, Intent

if TYPE_CHECKING:
    from mailbot.triage.draft import DraftText

log = logging.getLogger(__name__)

#: Seconds to sleep at each step of a batch, so a test can kill a poll mid-batch.
DEBUG_PAUSE_ENV = "MAILBOT_DEBUG_POLL_PAUSE"
#: How long a poll waits for another poll of the same mailbox before giving up.
DEFAULT_LOCK_WAIT = 5.0

TriageFn = Callable[[bytes, Any], Any]


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
    deferred: int = 0  # new mails left for the next cycle by mailbox.max_per_poll
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
        if self.deferred:
            text += f", {self.deferred} left for the next poll"
        return text


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), max(size, 1)):
        yield items[start : start + size]


@dataclass
class _Prepared:
    """One new message, triaged and turned into rows, waiting for the batch insert."""

    key: str
    record: dict[str, Any]
    draft: dict[str, Any] | None
    crashed: bool = False  # triage raised: the record carries the error
    triaged: TriageRecord | None = None  # what triage read, for the conversation step
    draft_text: DraftText | None = None


@dataclass
class _Batch:
    """A fetched batch whose new mails are being triaged (maybe in worker processes)."""

    uids: Sequence[int]
    fetched: list[FetchedMessage]
    quick: list[str]
    known: set[str]
    new: list[tuple[FetchedMessage, str]]  # (message, quick key) not stored yet
    triaged: Pending[Outcome]


class _Cycle:
    """The work of one poll cycle over one folder, one batch at a time."""

    def __init__(
        self,
        *,
        settings: Settings,
        session: Session,
        source: MailSource,
        summary: PollSummary,
        triager: InProcess[Outcome] | TriagePool[Outcome],
        pause: float,
        context: Callable[[], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.source = source
        self.summary = summary
        self.triager = triager
        self.pause = pause
        self.folder = summary.folder
        self.conversations = BatchConversations(session=session, settings=settings, context=context or _no_context)

    def _sleep(self) -> None:
        if self.pause:
            time.sleep(self.pause)

    def begin(self, uids: Sequence[int], fetched: list[FetchedMessage]) -> _Batch:
        """Skip what is stored already and start triaging the rest."""
        self.summary.fetched += len(fetched)
        quick = [quick_dedup_key(m.raw) for m in fetched]
        known = self._known_keys(quick)
        new = [(m, key) for m, key in zip(fetched, quick, strict=True) if key not in known]
        triaged = self.triager.start([m.raw for m, _key in new])
        return _Batch(uids=uids, fetched=fetched, quick=quick, known=known, new=new, triaged=triaged)

    def finish(self, box: MailboxState, batch: _Batch, *, source_lock: AbstractContextManager[Any]) -> None:
        """Store, commit, mark, advance: in this order, so a crash anywhere loses nothing."""
        mailbox = self.settings.mailbox
        known = batch.known
        keys = [key for key in batch.quick if key in known]  # stored by an earlier run: just mark
        self.summary.already_stored += len(keys)
        new: list[_Prepared] = []
        for (message, quick_key), outcome in zip(batch.new, batch.triaged.get(), strict=True):
            item = self._prepare(message, quick_key, outcome)
            keys.append(item.key)
            if item.key in known:
                self.summary.already_stored += 1
                continue
            known.add(item.key)
            new.append(item)
            self._sleep()
        self._insert(new)
        self.session.commit()  # records first ...
        self._sleep()
        marked = [m.uid for m in batch.fetched]
        if marked:  # ... then the server
            with source_lock:
                if mailbox.processed_folder:
                    self.source.move(self.folder, marked, mailbox.processed_folder)
                else:
                    self.source.add_flag(self.folder, marked, mailbox.processed_flag)
            self.summary.marked += len(marked)
        self._sleep()
        if keys:
            self.session.execute(
                update(InboundMessage).where(col(InboundMessage.dedup_key).in_(keys)).values(marked=True)
            )
        box.last_uid = max(box.last_uid, *batch.uids)  # ... then the saved position
        self.session.add(box)
        self.session.commit()

    def _known_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = list(set(keys))
        if not wanted:
            return set()
        rows = self.session.exec(select(InboundMessage.dedup_key).where(col(InboundMessage.dedup_key).in_(wanted)))
        return set(rows)

    def _prepare(self, message: FetchedMessage, quick_key: str, outcome: Outcome) -> _Prepared:
        where = {"mailbox": self.source.name, "folder": self.folder}
        if isinstance(outcome, str):  # triage raised: keep the mail, say why
            log.error("UID %s: %s", message.uid, outcome)
            self.summary.errors += 1
            row = failure_row(raw=message.raw, uid=message.uid, key=quick_key, error=outcome, **where)
            return _Prepared(key=quick_key, record=row, draft=None, crashed=True)
        key = clean_text(outcome.dedup_key) or quick_key
        record, draft = record_rows(message, outcome, key=key, **where)
        triaged = TriageRecord.from_stored(record["result"]) if record["result"] else None
        if triaged is not None and message.truncated:  # recorded for a human: it joins no one's draft
            triaged = replace(triaged, intent=Intent.OTHER, status=InboundStatus.NEEDS_HUMAN, requests=())
        return _Prepared(
            key=key, record=record, draft=draft, triaged=triaged, draft_text=outcome.draft if draft else None
        )

    def _insert(self, items: list[_Prepared]) -> None:
        """The whole batch in one statement per table; one by one if that fails."""
        if not items:
            return
        try:
            self._insert_rows(items)
        except (SQLAlchemyError, ValueError):  # a duplicate from another poller, or bad text
            self.session.rollback()  # only this batch: everything before it is committed
            for item in items:
                self._insert_one(item)
            return
        for item in items:
            self._count(item)

    def _plan(self, items: list[_Prepared]) -> tuple[Plan, list[Mail]]:
        """The conversation look-ups and the pure step: reads only, made before any write of the rows.

        Reads first, outside a savepoint: on SQLite a transaction that has read
        before it writes cannot wait for another poller's write lock (its snapshot
        is stale: "database is locked" at once), one that writes first waits.
        """
        mails = [Mail(i.key, i.record, i.draft, i.triaged, i.draft_text) for i in items]
        plan = self.conversations.plan(mails)
        wait_at_supersede_gate()  # tests only: the race test holds the poll here (mailbot/debug_gates.py)
        return plan, mails

    def _insert_rows(self, items: list[_Prepared], planned: tuple[Plan, list[Mail]] | None = None) -> None:
        """Conversations, records, drafts, then what links them (``intake.conversations``)."""
        plan, mails = planned or self._plan(items)
        self.conversations.write_conversations(plan)
        for item, mail in zip(items, mails, strict=True):
            item.draft = mail.draft
        # executemany, then one SELECT for the new ids: RETURNING with a guaranteed
        # row order makes SQLite insert one row per statement.
        inbound = InboundMessage.__table__  # type: ignore[attr-defined]
        self.session.execute(insert(inbound), [item.record for item in items])
        ids = dict(
            self.session.execute(
                select(inbound.c.dedup_key, inbound.c.id).where(inbound.c.dedup_key.in_([i.key for i in items]))
            ).all()
        )
        self.conversations.before_drafts(plan, ids)
        drafted = [item for item in items if item.draft is not None]
        draft_ids: dict[str, int] = {}
        if drafted:
            rows = [{**item.draft, "inbound_id": ids[item.key]} for item in drafted]  # type: ignore[dict-item]
            self.session.execute(insert(Draft.__table__), rows)  # type: ignore[attr-defined]
            if self.conversations.needs_draft_ids(plan):
                by_inbound = {ids[i.key]: i.key for i in drafted}
                draft_ids = {
                    by_inbound[inbound_id]: draft_id
                    for inbound_id, draft_id in self.session.execute(
                        select(Draft.inbound_id, Draft.id).where(col(Draft.inbound_id).in_(list(by_inbound)))
                    ).all()
                }
        self.conversations.after_drafts(plan, ids, draft_ids)

    def _insert_one(self, item: _Prepared) -> None:
        """Per-message isolation: a row the database refuses costs only that row."""
        try:
            planned = self._plan([item])
            with self.session.begin_nested():
                self._insert_rows([item], planned)
            self._count(item)
            return
        except IntegrityError:  # another poller stored it between our check and insert
            self.summary.already_stored += 1
            return
        except (SQLAlchemyError, ValueError) as exc:
            log.warning("storing UID %s failed: %s", item.record["uid"], exc.__class__.__name__)
            self.summary.errors += 1
            error = f"storing failed: {exc.__class__.__name__}"
        fallback = failure_row(
            raw=item.record["raw"],
            uid=item.record["uid"],
            key=item.key,
            error=error,
            mailbox=self.source.name,
            folder=self.folder,
        )
        failed = _Prepared(key=item.key, record=fallback, draft=None)
        try:
            planned = self._plan([failed])
            with self.session.begin_nested():
                self._insert_rows([failed], planned)
        except IntegrityError:
            self.summary.already_stored += 1
            return
        # Any other database error propagates: the poll stops before marking or
        # advancing past a message that has no record, so nothing is lost.
        self.summary.stored += 1
        self.summary.needs_human += 1

    def _count(self, item: _Prepared) -> None:
        self.summary.stored += 1
        if item.draft is not None:
            self.summary.drafted += 1
        elif item.record["status"] == InboundStatus.IGNORED:
            self.summary.ignored += 1
        elif item.record["status"] == InboundStatus.NEEDS_HUMAN:
            self.summary.needs_human += 1


def _no_context() -> Any:
    raise RuntimeError("the conversation step needs a triage context")


def _folder_state_row(session: Session, mailbox: str, folder: str) -> MailboxState:
    query = select(MailboxState).where(MailboxState.mailbox == mailbox, MailboxState.folder == folder)
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
    progress: Callable[[int, int], None] | None = None,
) -> PollSummary:
    """Run one cycle on ``settings.mailbox.folder``; raises ``MailboxUnavailable``.

    ``source`` defaults to the one ``settings.mailbox`` describes; ``triage`` to
    the real pipeline (tests pass a failing one to show per-message isolation).
    ``should_stop`` is asked between batches, so ``mailbot run`` stops promptly on
    SIGTERM without leaving a batch half-marked. ``progress(done, total)`` hears how
    many of this cycle's new mails are stored, after each batch (a bar for a backlog).
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
            cap = settings.mailbox.max_per_poll
            if cap and len(uids) > cap:
                # A first connect to a full mailbox is taken in portions: the rest waits
                # for the next cycle (its UIDs stay above last_uid), nothing is skipped.
                summary.deferred = len(uids) - cap
                uids = uids[:cap]
            if uids:
                _run_batches(
                    settings=settings,
                    session=session,
                    source=source,
                    summary=summary,
                    box=box,
                    uids=uids,
                    triage=triage,
                    today=today or date.today(),
                    pause=pause_seconds,
                    should_stop=should_stop,
                    progress=progress,
                )
            box.last_success_at = utcnow()
            session.add(box)
            session.commit()
    summary.seconds = time.monotonic() - started
    return summary


def _run_batches(
    *,
    settings: Settings,
    session: Session,
    source: MailSource,
    summary: PollSummary,
    box: MailboxState,
    uids: list[int],
    triage: TriageFn | None,
    today: date,
    pause: float,
    should_stop: Callable[[], bool] | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Fetch one batch ahead, triage one batch ahead, store and mark in order."""

    books: list[Any] = []

    def context() -> Any:
        # Imported here: an idle poll from cron never loads rules and templates.
        from mailbot.accounts.source import open_account_book
        from mailbot.triage.pipeline import TriageContext

        # One book per cycle: its cache never outlives the cycle.
        books.append(open_account_book(settings, connection=session))
        return TriageContext.from_settings(settings, accounts=books[-1], today=today)

    batches = list(_chunks(uids, settings.mailbox.batch_size))
    # Made before the fetch thread starts: worker processes are forked.
    triager = choose_triager(
        settings=settings, new_mails=len(uids), triage=triage, context_factory=context, today=today
    )
    parent: list[Any] = []

    def parent_context() -> Any:
        """The parent's own context for the conversation step (workers have theirs), made once."""
        if not parent:
            parent.append(triager.context if isinstance(triager, InProcess) else context())
        return parent[0]

    cycle = _Cycle(
        settings=settings,
        session=session,
        source=source,
        summary=summary,
        triager=triager,
        pause=pause,
        context=parent_context,
    )
    max_bytes = settings.triage.max_message_bytes
    stored = 0

    def finish(batch: _Batch, lock: AbstractContextManager[Any]) -> None:
        nonlocal stored
        cycle.finish(box, batch, source_lock=lock)
        stored += len(batch.uids)
        if progress is not None:
            progress(stored, len(uids))

    if progress is not None:  # after the fork above: a progress bar may start a thread
        progress(0, len(uids))
    try:
        with BatchPrefetcher(source, folder=summary.folder, batches=batches, max_bytes=max_bytes) as fetched:
            waiting: _Batch | None = None
            for batch_uids, messages in fetched:
                started = cycle.begin(batch_uids, messages)  # workers triage this one ...
                if waiting is not None:  # ... while the one before is stored and marked
                    finish(waiting, fetched.lock)
                waiting = started
                if should_stop is not None and should_stop():
                    summary.interrupted = batch_uids is not batches[-1]
                    break
            if waiting is not None:
                finish(waiting, fetched.lock)
    finally:
        triager.close()
        for book in books:
            book.close()
