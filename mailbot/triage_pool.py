"""Triage on every core: the forked worker pool a poll's backlog and a large dry run share.

Triage is pure CPU, so one Python process caps a first poll of thousands of
mails, or ``mailbot triage`` over an exported folder, at one core. For many
mails both hand them in chunks to a pool of forked worker processes; small runs
— the usual cron poll, a handful of files — triage in-process, since forking
would cost more than it saves (``PARALLEL_MIN_MAILS``).

Each worker opens its own database connection and builds its own
``TriageContext``. It only looks accounts up (a Connection, never a Session: a
worker writes nothing, and a dry run stores nothing at all). What comes back
per mail is the caller's ``task``: the poll sends plain ``TriagedMail`` values
(or the error text), the dry run the whole ``TriageResult``, which its
conversation step needs. A task is a module-level function: it crosses to the
workers by name.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from mailbot.config import Settings
from mailbot.errors import MailbotError

#: A run with at least this many mails to triage triages in worker processes.
PARALLEL_MIN_MAILS = 400
#: Mails per task of a streamed run (``TriagePool.imap``): big enough that sending
#: a chunk costs nothing beside triaging it, small enough that a worker left
#: without work at the end idles briefly and that a progress bar moves.
CHUNK_MAILS = 100
#: How much lower the workers' scheduling priority is than their parent's (``nice``).
WORKER_NICENESS = 10

T = TypeVar("T")
K = TypeVar("K")

_context: Any = None  # the worker's TriageContext, made by _start_worker


class Pending(Protocol[T]):
    def get(self) -> list[T]: ...


def worker_count(settings: Settings) -> int:
    """``[triage] workers`` as processes: 0 is one per core this process may use."""
    if settings.accounts.source == "http":
        # One book in one process: each address is asked of the API at most once
        # per run (worker processes would each keep their own cache).
        return 1
    workers = settings.triage.workers
    if workers == 0:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return workers


def workers_for(settings: Settings, mails: int) -> int:
    """How many processes should triage ``mails`` mails; 1 means this one."""
    return worker_count(settings) if mails >= PARALLEL_MIN_MAILS else 1


class InProcess(Generic[T]):
    """Triage in this process, lazily: ``start(...).get()`` and ``imap`` work when asked."""

    def __init__(self, task: Callable[[bytes, Any], T], context: Any) -> None:
        self.task = task
        self.context = context

    def start(self, raws: Sequence[bytes]) -> Pending[T]:
        task, context = self.task, self.context

        class _Later:
            def get(self) -> list[T]:
                return [task(raw, context) for raw in raws]

        return _Later()

    def imap(self, items: Iterable[tuple[K, bytes]]) -> Iterator[tuple[K, T]]:
        for key, raw in items:
            yield key, self.task(raw, self.context)

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
    # Below the parent: a poll joins, stores and marks each batch in order and a dry
    # run groups conversations, so every moment it waits for a core the whole run
    # waits; the workers fill what it leaves (and the console and the sender, in the
    # same service, stay responsive during a backlog).
    os.nice(WORKER_NICENESS)
    # A parent killed with SIGKILL cannot stop its workers, and they would wait
    # on their task queue for ever (their siblings keep its pipe open): leave
    # as soon as the parent is gone.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    from mailbot.accounts.source import open_account_book
    from mailbot.db.engine import make_engine
    from mailbot.triage.pipeline import TriageContext

    engine = make_engine(settings.database.url)
    # Read-only: account look-ups. Lives as long as the worker.
    accounts = open_account_book(settings, connection=engine.connect())
    _context = TriageContext.from_settings(settings, accounts=accounts, today=today)


def _triage_chunk(task: Callable[[bytes, Any], T], raws: list[bytes]) -> list[T]:
    return [task(raw, _context) for raw in raws]


def _ready() -> None:
    """A no-op task: submitting it makes the executor fork every worker now."""


class TriagePool(Generic[T]):
    """``task`` over mails in forked processes; results come back in the order given.

    Create it before this process starts any thread (a progress bar, a fetch
    thread): the workers are forked here. ``died`` is the one-line error for a
    worker that dies (killed, out of memory): it says what the caller's run did
    and did not do.
    """

    def __init__(
        self, settings: Settings, *, today: date, workers: int, task: Callable[[bytes, Any], T], died: str
    ) -> None:
        self.workers = workers
        self.task = task
        self.died = died
        # Imported and compiled here, once, before the fork: each worker inherits the
        # modules and the compiled rules instead of spending the CPU (which it shares
        # with this process and its siblings) to import and compile them again.
        from mailbot.accounts.source import open_account_book  # noqa: F401
        from mailbot.triage.pipeline import triage_message  # noqa: F401
        from mailbot.triage.rules import load_rules

        load_rules(settings.triage.rules_path)
        # fork: the workers start in milliseconds with everything imported. With
        # fork the executor starts all workers at the first submit, which happens
        # here, before the caller starts a thread, so no running thread is forked.
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(settings, today),
        )
        try:
            self._pool.submit(_ready).result()
        except BrokenProcessPool:  # a worker died starting
            self.close()
            raise MailbotError(died) from None

    def _submit(self, raws: list[bytes]) -> Future[list[T]]:
        try:
            return self._pool.submit(_triage_chunk, self.task, raws)
        except BrokenProcessPool:
            raise MailbotError(self.died) from None

    def _result(self, future: Future[list[T]]) -> list[T]:
        try:
            return future.result()
        except BrokenProcessPool:
            raise MailbotError(self.died) from None

    def start(self, raws: Sequence[bytes]) -> Pending[T]:
        """One batch, two chunks per worker, started now; ``get()`` waits for all of it."""
        size = max(1, -(-len(raws) // (self.workers * 2)))
        futures = [self._submit(list(raws[i : i + size])) for i in range(0, len(raws), size)]
        result = self._result

        class _Result:
            def get(self) -> list[T]:
                return [outcome for future in futures for outcome in result(future)]

        return _Result()

    def imap(self, items: Iterable[tuple[K, bytes]], *, chunk: int = CHUNK_MAILS) -> Iterator[tuple[K, T]]:
        """Each key with its mail's result, in order, as a stream.

        ``items`` is read a chunk at a time and at most two chunks per worker are
        in flight (one being triaged, one waiting, so a worker never idles while
        this process collects), so memory holds a few chunks, never the whole run.
        """
        in_flight: deque[tuple[list[K], Future[list[T]]]] = deque()
        keys: list[K] = []
        raws: list[bytes] = []
        for key, raw in items:
            keys.append(key)
            raws.append(raw)
            if len(raws) == chunk:
                if len(in_flight) == self.workers * 2:
                    yield from self._collect(*in_flight.popleft())
                in_flight.append((keys, self._submit(raws)))
                keys, raws = [], []
        if raws:
            in_flight.append((keys, self._submit(raws)))
        while in_flight:
            yield from self._collect(*in_flight.popleft())

    def _collect(self, keys: list[K], future: Future[list[T]]) -> Iterator[tuple[K, T]]:
        yield from zip(keys, self._result(future), strict=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
