"""Engine and sessions.

SQLite is the embedded default; PostgreSQL (``postgresql+psycopg://``) is for
teams that run several instances against one database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from mailbot.errors import ConfigError

if TYPE_CHECKING:
    from sqlmodel import Session


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``; creates the SQLite file's folder and, if missing, the schema.

    ``create=False`` only checks that the schema exists (cheap), for read-mostly
    commands like ``triage``; the default always runs ``create_all``.
    """
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
    if create or not _has_schema(engine):
        # The ORM is imported only here: a dry run over an existing database needs none of it.
        from sqlmodel import SQLModel

        from mailbot import models  # noqa: F401  (registers the tables)

        SQLModel.metadata.create_all(engine)
    return engine


def _has_schema(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table("account")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web console read while a poll writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def new_session(engine: Engine) -> Session:
    from sqlmodel import Session

    return Session(engine, expire_on_commit=False)
