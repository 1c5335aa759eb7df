"""A mail's place in time: its Date header as aware UTC, or the moment it arrived.

Conversations are read in this order and join rule 3's window is measured on it.
A Date without a zone is read as UTC; an unreadable one gives way to ``fallback``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def mail_time(header: str | None, *, fallback: datetime) -> datetime:
    if header:
        try:
            moment = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError, OverflowError):
            moment = None
        if moment is not None:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return fallback if fallback.tzinfo is not None else fallback.replace(tzinfo=UTC)
