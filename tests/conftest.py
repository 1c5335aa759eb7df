"""Shared fixtures. Real servers only: a missing server fails the run, it never skips."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from servers.account_api import AccountApiServer
from servers.dovecot import DovecotServer
from servers.smtp import (
    SMTP_PASSWORD,
    SMTP_USER,
    DroppingHandler,
    FlakyHandler,
    RecordingHandler,
    RejectingHandler,
    SmtpServer,
)

# -- mailbox ingestion: Dovecot and the databases ------------------------------------

#: libpq connection string of a PostgreSQL server where tests may create databases.
PG_ADMIN_DSN = os.environ.get("MAILBOT_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One real Dovecot for the session (plain IMAP, STARTTLS and IMAPS on free ports)."""
    server = DovecotServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def imap_user(dovecot: DovecotServer) -> str:
    """A fresh Dovecot login with an empty INBOX, so tests never see each other's mail."""
    return dovecot.new_user()


def pg_admin(sql: str) -> None:
    """One statement on the admin connection (CREATE/DROP DATABASE need autocommit)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


def pg_url_for(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the test server."""
    import psycopg

    params = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_DSN)
    host, port, user = params.get("host", "127.0.0.1"), params.get("port", 5432), params["user"]
    return f"postgresql+psycopg://{user}@{host}:{port}/{name}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"mailbot_test_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    yield pg_url_for(name)
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The same test on SQLite and on PostgreSQL (emptied before each test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mailbot.db'}"
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from mailbot.db.engine import make_engine

    url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def db_engine(storage_url: str) -> Iterator[Any]:
    """An engine on ``storage_url`` (so: once on SQLite, once on PostgreSQL), schema made."""
    from mailbot.db.engine import make_engine

    engine = make_engine(storage_url)
    yield engine
    engine.dispose()


# -- delivery: aiosmtpd in-process (tests/servers/smtp.py) ----------------------------


@pytest.fixture
def smtp_server_factory(tmp_path) -> Iterator[Callable[..., SmtpServer]]:
    """Start an aiosmtpd server with any handler and options; all stop at teardown."""
    started: list[SmtpServer] = []

    def start(handler: RecordingHandler | None = None, **options: Any) -> SmtpServer:
        server = SmtpServer(handler, directory=tmp_path, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory) -> SmtpServer:
    """Accepts and records every message."""
    return smtp_server_factory()


@pytest.fixture
def smtp_tls_server(smtp_server_factory, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """Requires STARTTLS, then AUTH LOGIN/PLAIN as SMTP_USER/SMTP_PASSWORD. Its self-signed
    certificate is trusted through SSL_CERT_FILE, so the client really verifies it."""
    server = smtp_server_factory(starttls=True, users={SMTP_USER: SMTP_PASSWORD})
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cafile))
    return server


@pytest.fixture
def smtp_flaky_server(smtp_server_factory) -> SmtpServer:
    """Answers 451 to the first DATA, then accepts."""
    return smtp_server_factory(FlakyHandler(failures=1, stage="DATA"))


@pytest.fixture
def smtp_rejecting_server(smtp_server_factory) -> SmtpServer:
    """Answers 550 (user unknown) to every RCPT."""
    return smtp_server_factory(RejectingHandler())


@pytest.fixture
def smtp_dropping_server(smtp_server_factory) -> SmtpServer:
    """Drops the connection after the first message's data, unanswered; then accepts."""
    return smtp_server_factory(DroppingHandler(drops=1))


# -- the vendor's account API: the reference implementation under uvicorn -------------


@pytest.fixture
def account_api(tmp_path) -> Iterator[AccountApiServer]:
    """A fresh reference account API on a free port (its own SQLite file, no records yet)."""
    server = AccountApiServer(tmp_path).start()
    yield server
    server.stop()
