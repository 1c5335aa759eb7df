"""Engine and sessions, on a schema that is current.

SQLite is the embedded default; PostgreSQL (``postgresql+psycopg://``) is for
teams that run several instances against one database.

``make_engine`` checks the schema once per engine with one query of
``alembic_version`` and no Alembic import, so a dry run stays as fast as before.
A new database is migrated to the current revision there and then; any other
schema that is not current is refused with one line that names ``mailbot db
upgrade`` (``mailbot.db.migrate``), which is the only code that changes a schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError

from mailbot.db.migrations import HEAD
from mailbot.errors import ConfigError

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlmodel import Session


def make_engine(url: str) -> Engine:
    """An engine for ``url`` whose schema is current; creates a new database's schema.

    Raises ``SchemaError`` (one line naming ``mailbot db upgrade``) for an outdated
    schema, before any command reads or writes a row.
    """
    engine = open_engine(url)
    try:
        if _stored_revisions(engine) != [HEAD]:
            from mailbot.db.migrate import create_or_refuse  # the slow path: rare, and it needs Alembic

            create_or_refuse(url)
    except BaseException:
        engine.dispose()
        raise
    return engine


def open_engine(url: str, *, for_migrations: bool = False) -> Engine:
    """An engine for ``url`` with no schema check; creates the SQLite file's folder.

    ``for_migrations``: on SQLite every transaction takes the write lock at its
    start (``BEGIN IMMEDIATE``, so DDL is transactional and two processes never
    migrate at once) and foreign keys stay off, as Alembic's table copies need.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database
    if not database or database == ":memory:":
        # Each engine (the migrating one too) would get a database of its own, lost at exit.
        raise ConfigError("database.url: an in-memory SQLite database keeps nothing; name a file")
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = Path(database).parent
        raise ConfigError(f"database.url: cannot create the folder {where}: {exc.strerror or exc}") from None
    engine = create_engine(parsed, connect_args={"timeout": 30})
    if for_migrations:
        event.listen(engine, "connect", _sqlite_migration_connection)
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
    else:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with the URL in it
        raise ConfigError(f"database.url: not a database URL ({exc.__class__.__name__})") from None


def _stored_revisions(engine: Engine) -> list[str] | None:
    """The rows of ``alembic_version``; None when it cannot be read (no such table yet)."""
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # the slow path looks closer, and reports a server that is down
        return None


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
    # WAL lets the web console read while a poll writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_migration_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # pysqlite would commit DDL on its own; with no isolation level we issue BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def new_session(engine: Engine) -> Session:
    from sqlmodel import Session

    return Session(engine, expire_on_commit=False)
