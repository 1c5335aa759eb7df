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
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any, Protocol

from mailbot.config import Settings
from mailbot.errors import AccountApiError, MailbotError
from mailbot.intake.store import TriagedMail

#: A cycle with at least this many new mails triages in worker processes.
PARALLEL_MIN_MAILS = 400
#: How much lower the workers' scheduling priority is than the poller's (``nice``).
WORKER_NICENESS = 10

Outcome = TriagedMail | str  # str: why triage raised
_context: Any = None


class Pending(Protocol):
    def get(self) -> list[Outcome]: ...


def triage_one(triage: Callable[[bytes, Any], Any], raw: bytes, context: Any) -> Outcome:
    try:
        return TriagedMail.of(triage(raw, context))
    except AccountApiError:
        raise  # the records cannot be read: the poll stops, the mail waits
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


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _start_worker(settings: Settings, today: date) -> None:
    global _context
    # Forked from a process that may have handlers for these (``mailbot run``):
    # the parent decides when to stop, and a plain SIGTERM must end a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Below the poller: it joins conversations, stores and marks each batch in order, so
    # every moment it waits for a core the whole backlog waits; the workers fill what it
    # leaves (and the console and the sender, in the same service, stay responsive).
    os.nice(WORKER_NICENESS)
    # A poller killed with SIGKILL cannot stop its workers, and they would wait
    # on their task queue for ever (their siblings keep its pipe open): leave
    # as soon as the parent is gone.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    from mailbot.accounts.source import open_account_book
    from mailbot.db.engine import make_engine, new_session
    from mailbot.triage.pipeline import TriageContext

    engine = make_engine(settings.database.url)
    accounts = open_account_book(settings, connection=new_session(engine))
    _context = TriageContext.from_settings(settings, accounts=accounts, today=today)


def _triage_chunk(raws: list[bytes]) -> list[Outcome]:
    from mailbot.triage.pipeline import triage_message

    return [triage_one(triage_message, raw, _context) for raw in raws]


def _ready() -> None:
    """A no-op task: submitting it makes the executor fork every worker now."""


class WorkerPool:
    """Triage batches in forked processes; ``start`` returns at once."""

    def __init__(self, settings: Settings, *, today: date, workers: int) -> None:
        self.workers = workers
        # Imported and compiled here, once, before the fork: each worker inherits the
        # modules and the compiled rules instead of spending the CPU (which it shares
        # with this process and its siblings) to import and compile them again.
        from mailbot.accounts.source import open_account_book  # noqa: F401
        from mailbot.triage.pipeline import triage_message  # noqa: F401
        from mailbot.triage.rules import load_rules

        load_rules(settings.triage.rules_path)
        # fork: the workers start in milliseconds with everything imported. With
        # fork the executor starts all workers at the first submit, which happens
        # here, before the fetch thread exists, so no running thread is forked.
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(settings, today),
        )
        self._pool.submit(_ready).result()

    def start(self, raws: Sequence[bytes]) -> Pending:
        size = max(1, -(-len(raws) // (self.workers * 2)))  # two chunks per worker
        futures = [self._pool.submit(_triage_chunk, list(raws[i : i + size])) for i in range(0, len(raws), size)]

        class _Result:
            def get(self) -> list[Outcome]:
                try:
                    return [outcome for future in futures for outcome in future.result()]
                except BrokenProcessPool:
                    raise MailbotError(
                        "a triage worker process died (out of memory?); nothing of this batch "
                        "was stored or marked, the next poll takes it again"
                    ) from None

        return _Result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def choose_triager(
    *,
    settings: Settings,
    new_mails: int,
    triage: Callable[[bytes, Any], Any] | None,
    context_factory: Callable[[], Any],
    today: date,
) -> InProcess | WorkerPool:
    """Worker processes for a large backlog on a machine with cores to spare, else in-process."""
    workers = settings.triage.workers
    if settings.accounts.source == "http":
        # One book in one process: each address is asked of the API at most once
        # per cycle (worker processes would each keep their own cache).
        workers = 1
    if workers == 0:  # auto: one per core this process may use
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if triage is None and workers > 1 and new_mails >= PARALLEL_MIN_MAILS:
        return WorkerPool(settings, today=today, workers=workers)
    if triage is None:
        from mailbot.triage.pipeline import triage_message

        triage = triage_message
    return InProcess(triage, context_factory())
