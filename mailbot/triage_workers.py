"""Triage on every core when a poll meets a backlog.

Triage is pure CPU, so one Python process caps a first poll of thousands of
mails at one core. For a large batch list the poller hands each batch to a pool
of forked worker processes, and meanwhile stores and marks the batch before it.
Small polls — the usual cron run — triage in-process: forking would cost more
than it saves.

Each worker opens its own database connection (account look-ups only) and builds
its own ``TriageContext``; results come back as ``TriagedMail`` (plain values),
or as the error text when triage raised, so the poller records it as
``needs_human`` exactly as it does in-process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from datetime import date
from multiprocessing.pool import Pool
from typing import Any, Protocol

from mailbot.config import Settings
from mailbot.inbound_rows import TriagedMail

#: A cycle with at least this many new mails triages in worker processes.
PARALLEL_MIN_MAILS = 400

Outcome = TriagedMail | str  # str: why triage raised
_context: Any = None


class Pending(Protocol):
    def get(self) -> list[Outcome]: ...


def triage_one(triage: Callable[[bytes, Any], Any], raw: bytes, context: Any) -> Outcome:
    try:
        return TriagedMail.of(triage(raw, context))
    except Exception as exc:  # triage promises not to raise; a bug must not stop the poll
        return f"triage failed: {exc.__class__.__name__}: {exc}"


class InProcess:
    """Triage in this process, when ``get()`` is called (so a batch waits its turn)."""

    def __init__(self, triage: Callable[[bytes, Any], Any], context: Any) -> None:
        self.triage = triage
        self.context = context

    def start(self, raws: Sequence[bytes]) -> Pending:
        triage, context = self.triage, self.context

        class _Later:
            def get(self) -> list[Outcome]:
                return [triage_one(triage, raw, context) for raw in raws]

        return _Later()

    def close(self) -> None:
        pass


def _start_worker(settings: Settings, today: date) -> None:
    global _context
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    from mailbot.accounts import DbAccountBook
    from mailbot.db import make_engine, new_session
    from mailbot.triage.pipeline import TriageContext

    engine = make_engine(settings.database.url, create=False)
    accounts = DbAccountBook(new_session(engine))
    _context = TriageContext.from_settings(settings, accounts=accounts, today=today)


def _triage_chunk(raws: list[bytes]) -> list[Outcome]:
    from mailbot.triage.pipeline import triage_message

    return [triage_one(triage_message, raw, _context) for raw in raws]


class WorkerPool:
    """Triage batches in forked processes; ``start`` returns at once."""

    def __init__(self, settings: Settings, *, today: date, workers: int) -> None:
        self.workers = workers
        # fork: the workers start in milliseconds with everything imported. The
        # pool is made before the fetch thread starts, so no thread is forked.
        context = multiprocessing.get_context("fork")
        self._pool: Pool = context.Pool(workers, initializer=_start_worker, initargs=(settings, today))

    def start(self, raws: Sequence[bytes]) -> Pending:
        size = max(1, -(-len(raws) // (self.workers * 2)))  # two chunks per worker
        chunks = [list(raws[i : i + size]) for i in range(0, len(raws), size)]
        result = self._pool.map_async(_triage_chunk, chunks)

        class _Result:
            def get(self) -> list[Outcome]:
                return [outcome for chunk in result.get() for outcome in chunk]

        return _Result()

    def close(self) -> None:
        self._pool.terminate()  # every result we wanted has been collected
        self._pool.join()


def choose_triager(
    *,
    settings: Settings,
    new_mails: int,
    triage: Callable[[bytes, Any], Any] | None,
    context_factory: Callable[[], Any],
    today: date,
) -> InProcess | WorkerPool:
    """Worker processes for a large backlog on a machine with cores to spare, else in-process."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if triage is None and cores > 1 and new_mails >= PARALLEL_MIN_MAILS:
        return WorkerPool(settings, today=today, workers=cores)
    if triage is None:
        from mailbot.triage.pipeline import triage_message

        triage = triage_message
    return InProcess(triage, context_factory())
