"""Fetch the next batch while the current one is triaged.

Fetching is mostly waiting for the server; triage is CPU. Overlapping them keeps
a backlog poll at least as fast as a bare fetch-and-parse loop, while memory
stays bounded at two batches.

An IMAP source is one connection and not safe for two threads at once, so every
use of the source — the fetch thread's and the caller's STORE/MOVE — goes through
``lock``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

from mailbot.mail.source import FetchedMessage, MailSource

_DONE = object()


class BatchPrefetcher:
    """Yields ``(uids, messages)`` per batch, fetched one batch ahead in a thread.

    Use as a context manager; leaving it stops the thread even mid-iteration.
    Errors in the thread (the server went away) are raised from the iteration.
    """

    def __init__(
        self,
        source: MailSource,
        folder: str,
        batches: Sequence[Sequence[int]],
        *,
        max_bytes: int = 0,
    ) -> None:
        self.source = source
        self.folder = folder
        self.batches = batches
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mailbot-fetch", daemon=True)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for uids in self.batches:
                if self._stop.is_set():
                    return
                with self.lock:
                    messages = list(self.source.fetch(self.folder, uids, max_bytes=self.max_bytes))
                if not self._put((uids, messages)):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the caller's thread
            self._put(exc)

    def __iter__(self) -> Iterator[tuple[Sequence[int], list[FetchedMessage]]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def __enter__(self) -> BatchPrefetcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        while True:  # unblock a thread waiting to hand over a batch
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=60)
