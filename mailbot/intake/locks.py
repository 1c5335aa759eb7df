"""An overlap lock so two polls never work on one mailbox at once.

Cron may start a poll while the last one still runs, and a team may run
``mailbot run`` on two machines. On PostgreSQL the lock is a session-level
advisory lock, so it holds across machines and vanishes with the connection when
a poller dies; on SQLite (one machine by nature) it is an ``fcntl`` lock on a file
beside the database, which the kernel drops when the process dies.

The unique ``dedup_key`` still guards against duplicates if the lock is bypassed;
the lock saves the wasted work and the confusing double marking.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine


def lock_key(name: str) -> int:
    """A signed 64-bit key for ``pg_try_advisory_lock``, stable across processes."""
    digest = hashlib.sha256(f"mailbot-poll:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def mailbox_lock(engine: Engine, name: str, *, wait_seconds: float = 0.0) -> Iterator[bool]:
    """Hold the poll lock for mailbox ``name``.

    Yields False when another holder kept it for ``wait_seconds``: the caller skips.
    """
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, lock_key(name), wait_seconds) as held:
            yield held
    else:
        with _file_lock(_lock_path(engine, name), wait_seconds) as held:
            yield held


def _lock_path(engine: Engine, name: str) -> Path:
    suffix = hashlib.sha256(name.encode()).hexdigest()[:12]
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        db = Path(database)
        return db.with_name(f"{db.name}.poll-{suffix}.lock")
    return Path(tempfile.gettempdir()) / f"mailbot-poll-{suffix}.lock"


@contextmanager
def _file_lock(path: Path, wait_seconds: float) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    with open(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(engine: Engine, key: int, wait_seconds: float) -> Iterator[bool]:
    deadline = time.monotonic() + wait_seconds
    with engine.connect() as connection:
        while True:
            held = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()  # the lock is per session; do not sit idle in a transaction
            if held:
                break
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(0.2)
        try:
            yield True
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            connection.commit()
