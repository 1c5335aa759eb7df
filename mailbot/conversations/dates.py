"""A mail's place in time: its Date header as aware UTC, or the moment it arrived.

Conversations are read in this order and join rule 3's window is measured on it.
A Date without a zone is read as UTC; an unreadable one gives way to ``fallback``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache


def mail_time(header: str | None, *, fallback: datetime) -> datetime:
    moment = _parsed(header) if header else None
    if moment is not None:
        return moment
    return fallback if fallback.tzinfo is not None else fallback.replace(tzinfo=UTC)


@lru_cache(maxsize=4096)
def _parsed(header: str) -> datetime | None:
    """The header as aware UTC, or None; cached because a poll batch asks for each mail's Date several
    times (ordering, the senders' windows, the step) and the stdlib parser is slow."""
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
