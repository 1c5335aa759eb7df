"""Engine and sessions; the schema is created on first use.

SQLite is the embedded default; PostgreSQL (``postgresql+psycopg://``) is for
teams that run several instances against one database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from mailbot import models  # noqa: F401  (registers the tables)
from mailbot.errors import ConfigError


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``; creates the SQLite file's folder and the schema."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with the URL in it
        raise ConfigError(f"database.url: not a database URL ({exc.__class__.__name__})") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if create:
        SQLModel.metadata.create_all(engine)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web console read while a poll writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
