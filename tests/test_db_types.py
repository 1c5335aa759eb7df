"""Datetime columns hold UTC and hand back aware UTC, on both databases, whatever the session's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from mailbot.db.engine import make_engine, new_session
from mailbot.errors import ConfigError
from mailbot.models import AuditEvent

BERLIN_SUMMER = timezone(timedelta(hours=2))


def test_an_aware_time_is_stored_as_utc_and_read_back_aware(storage_url: str) -> None:
    # A session zone other than UTC: PostgreSQL would otherwise shift an aware value on the way in.
    url = storage_url + ("?options=-c%20timezone%3DAmerica%2FNew_York" if storage_url.startswith("postgresql") else "")
    engine = make_engine(url)
    with new_session(engine) as session:
        session.add(AuditEvent(action="approved", at=datetime(2030, 6, 1, 14, 30, tzinfo=BERLIN_SUMMER)))
        session.add(AuditEvent(action="rejected", at=datetime(2030, 6, 1, 9, 0)))  # naive: UTC already
        session.commit()
    with engine.connect() as connection:
        stored = [str(v) for v in connection.execute(text("SELECT at FROM auditevent ORDER BY id")).scalars()]
    with new_session(engine) as session:
        read = [event.at for event in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    engine.dispose()

    assert [s[:19] for s in stored] == ["2030-06-01 12:30:00", "2030-06-01 09:00:00"]
    assert read == [datetime(2030, 6, 1, 12, 30, tzinfo=UTC), datetime(2030, 6, 1, 9, 0, tzinfo=UTC)]
    assert all(moment.tzinfo is UTC for moment in read)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="in-memory SQLite"):
        make_engine(url)
