"""Shared fixtures. Real servers only: a missing server fails the run, it never skips."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from servers.dovecot import DovecotServer

# -- mailbox ingestion: Dovecot and the databases ------------------------------------

#: libpq connection string of a PostgreSQL server where tests may create databases.
PG_ADMIN_DSN = os.environ.get(
    "MAILBOT_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test"
)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One real Dovecot for the session (plain IMAP, STARTTLS and IMAPS on free ports)."""
    server = DovecotServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def imap_user(dovecot: DovecotServer) -> str:
    """A fresh Dovecot login with an empty INBOX, so tests never see each other's mail."""
    name = f"u{uuid.uuid4().hex[:12]}"
    dovecot.add_user(name, f"pw-{name}")
    return name


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    import psycopg

    name = f"mailbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_DSN)
    host, port, user = params.get("host", "127.0.0.1"), params.get("port", 5432), params["user"]
    yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The same test on SQLite and on PostgreSQL (emptied before each test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mailbot.db'}"
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from mailbot.db import make_engine

    url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url
