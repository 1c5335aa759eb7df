"""Schema upgrades: a real 0.1.0 database upgrades with every row kept; outdated schemas are refused.

The 0.1.0 databases are made once per session by the released code (tests/release_db.py)
and copied for each test, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import pg_admin, pg_url_for
from factories import write_config
from mailbot_cli import json_lines, run_mailbot
from release_db import as_before, extract_release, release_postgresql, release_sqlite, snapshot
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from mailbot.db.engine import make_engine, open_engine
from mailbot.db.migrate import alembic_config, known_revisions, upgrade_database
from mailbot.db.migrations import BASELINE, HEAD
from mailbot.db.schema import RELEASE_0_1_0_TABLES, SchemaState, classify, refusal
from mailbot.errors import SchemaError

# -- databases: fresh ones, and copies of the released code's ----------------------------


@pytest.fixture(scope="session")
def release_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return extract_release(tmp_path_factory.mktemp("mailbot-0.1.0"))


@pytest.fixture(scope="session")
def release_sqlite_file(release_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_sqlite(release_tree, tmp_path_factory.mktemp("release-sqlite"))


@pytest.fixture(scope="session")
def release_pg_name(release_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = f"mailbot_release_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    release_postgresql(release_tree, tmp_path_factory.mktemp("release-pg"), pg_url_for(name))
    yield name
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every test here runs on both; a test that takes two databases gets two of one kind."""
    return request.param


@pytest.fixture
def release_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A private copy of a database the released 0.1.0 made and used."""
    if backend == "sqlite":
        source: Path = request.getfixturevalue("release_sqlite_file")
        for part in source.parent.glob(source.name + "*"):  # the -wal file too, if one was left
            shutil.copy(part, tmp_path / part.name)
        yield f"sqlite:///{tmp_path / source.name}"
        return
    template = request.getfixturevalue("release_pg_name")
    name = f"mailbot_copy_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield pg_url_for(name)
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    name = f"mailbot_new_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    yield pg_url_for(name)
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _plain(url: str) -> Engine:
    """An engine that neither checks nor migrates: to look at a database as it is."""
    return create_engine(url)


def _revisions(url: str) -> list[str] | None:
    engine = _plain(url)
    try:
        if not inspect(engine).has_table("alembic_version"):
            return None
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def _mailbot(url: str, *args: str, cwd: Path):
    return run_mailbot(*args, cwd=cwd, env={"MAILBOT_DATABASE_URL": url})


# -- the upgrade of a real 0.1.0 database --------------------------------------------------


def test_release_database_upgrades_keeping_every_row_and_the_applied_link(release_url: str, tmp_path: Path) -> None:
    before = snapshot(release_url)
    assert set(before) == RELEASE_0_1_0_TABLES
    assert all(before[table] for table in RELEASE_0_1_0_TABLES), {t: len(r) for t, r in before.items()}
    assert _revisions(release_url) is None  # 0.1.0 kept no revision

    upgraded = _mailbot(release_url, "db", "upgrade", cwd=tmp_path)

    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().splitlines() == [
        f"upgraded a mailbot 0.1.0 database (stamped at revision {BASELINE}) to revision {HEAD}"
    ]
    assert _revisions(release_url) == [HEAD]
    assert as_before(snapshot(release_url), before) == before

    # Today's code reads what 0.1.0 wrote: every draft (the sent one, the rejected one) and the audit trail.
    listed = _mailbot(release_url, "drafts", "list", "--status", "all", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    drafts = json_lines(listed.stdout)
    assert [d["id"] for d in drafts] == [row["id"] for row in before["draft"]]
    assert {"sent", "rejected", "pending"} <= {d["status"] for d in drafts}
    audit = _mailbot(release_url, "audit", "list", "--json", cwd=tmp_path)
    assert {e["action"] for e in json_lines(audit.stdout)} >= {"approved", "rejected", "sent"}

    # The link 0.1.0's approval applied: the team member still points at the primary.
    (sent,) = [d for d in drafts if d["status"] == "sent"]
    (link,) = [r for r in sent["requests"] if r["outcome"] == "ready_to_link"]
    account_ids = {row["email"]: row["account_id"] for row in before["account"]}
    shown = _mailbot(release_url, "accounts", "show", link["team_member"], "--json", cwd=tmp_path)
    assert json_lines(shown.stdout)[0]["primary_account_id"] == account_ids[link["primary"]]


def test_a_second_upgrade_is_a_no_op(release_url: str, tmp_path: Path) -> None:
    assert _mailbot(release_url, "db", "upgrade", cwd=tmp_path).returncode == 0
    after_first = snapshot(release_url)

    again = _mailbot(release_url, "db", "upgrade", cwd=tmp_path)

    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines() == [
        f"the database is already at the current revision {HEAD}: nothing to do"
    ]
    assert snapshot(release_url) == after_first
    assert _revisions(release_url) == [HEAD]


def test_every_mail_of_0_1_0_becomes_its_own_conversation_with_its_message_ids(
    release_url: str, tmp_path: Path
) -> None:
    assert _mailbot(release_url, "db", "upgrade", cwd=tmp_path).returncode == 0
    engine = _plain(release_url)
    try:
        with engine.connect() as connection:
            mails = connection.execute(text("SELECT id, conversation_id, message_id, sender FROM inboundmessage")).all()
            drafts = connection.execute(text("SELECT inbound_id, conversation_id FROM draft")).all()
            known = dict(
                connection.execute(text("SELECT message_id, conversation_id FROM conversationmessageid")).all()
            )
            replies = connection.execute(
                text('SELECT o.message_id, o."to", d.inbound_id FROM outboxmessage o JOIN draft d ON d.id = o.draft_id')
            ).all()
            senders = set(
                connection.execute(
                    text("SELECT conversation_id, address FROM conversationparticipant WHERE role = 'sender'")
                ).all()
            )
            conversations = connection.execute(text("SELECT COUNT(*) FROM conversation")).scalar_one()
    finally:
        engine.dispose()
    assert mails and replies
    assert all(conversation == mail_id for mail_id, conversation, _msgid, _sender in mails)
    assert conversations == len(mails)
    assert all(conversation == inbound for inbound, conversation in drafts)
    for _mail_id, conversation, message_id, sender in mails:
        if message_id:
            assert known[message_id] == conversation
        if sender:
            assert (conversation, sender.lower()) in senders
    for message_id, _to, inbound in replies:  # a customer's answer to an old reply still threads
        assert known[message_id] == inbound


@pytest.mark.parametrize(
    "command",
    [("drafts", "list"), ("send",), ("triage", "{mail}")],
    ids=["drafts-list", "send", "triage"],
)
def test_an_outdated_database_is_refused_with_one_line(
    release_url: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    mail = tmp_path / "mail.eml"
    mail.write_bytes(b"From: a@example.org\r\nTo: support@example.com\r\nSubject: hi\r\n\r\nhello\r\n")
    before = snapshot(release_url)

    refused = _mailbot(release_url, *(part.format(mail=mail) for part in command), cwd=tmp_path)

    assert refused.returncode != 0
    assert refused.stdout == ""
    (line,) = refused.stderr.strip().splitlines()
    assert "mailbot 0.1.0" in line and "`mailbot db upgrade`" in line
    assert snapshot(release_url) == before and _revisions(release_url) is None


# -- the baseline is 0.1.0's schema; head is today's models -------------------------------


def _schema(url: str, *, ddl: bool) -> dict[str, object]:
    """Everything create_all decides: columns, keys, indexes, unique constraints (names included).

    ``ddl``: on SQLite, also the stored CREATE statements, to the character.
    """
    engine = _plain(url)
    try:
        insp = inspect(engine)
        described: dict[str, object] = {}
        for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
            described[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in insp.get_columns(table)
                ],
                "primary_key": insp.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                    for f in insp.get_foreign_keys(table)
                ),
                "indexes": sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in insp.get_indexes(table)),
                "unique": sorted(
                    (u["name"] or "", tuple(u["column_names"])) for u in insp.get_unique_constraints(table)
                ),
            }
        if ddl and engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                described["ddl"] = sorted(
                    connection.execute(
                        text("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'alembic_version'")
                    ).scalars()
                )
        return described
    finally:
        engine.dispose()


def test_the_baseline_is_exactly_the_release_schema(release_url: str, empty_url: str) -> None:
    from alembic import command

    engine = open_engine(empty_url, for_migrations=True)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), BASELINE)
    engine.dispose()

    assert _schema(empty_url, ddl=True) == _schema(release_url, ddl=True)


def test_an_upgraded_release_database_has_the_schema_of_a_new_one(release_url: str, empty_url: str) -> None:
    upgrade_database(release_url)
    make_engine(empty_url).dispose()

    assert _revisions(empty_url) == _revisions(release_url) == [HEAD]
    assert _schema(release_url, ddl=False) == _schema(empty_url, ddl=False)


def test_the_models_match_the_head_revision(empty_url: str) -> None:
    """A model change without a revision fails here: write one (see mailbot/db/migrations/README.md)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    from mailbot import models  # noqa: F401

    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_head_is_the_newest_revision_and_the_history_is_one_line() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD], "set HEAD in mailbot/db/migrations/__init__.py to the new revision"
    assert script.get_bases() == [BASELINE]
    assert known_revisions()[0] == HEAD and known_revisions()[-1] == BASELINE


# -- new databases, and schemas that are not ours to touch ----------------------------------


def test_instances_starting_together_on_a_new_database_create_it_once(empty_url: str) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            make_engine(empty_url).dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert _revisions(empty_url) == [HEAD]


def test_db_upgrade_creates_a_new_database(empty_url: str, tmp_path: Path) -> None:
    done = _mailbot(empty_url, "db", "upgrade", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"created the schema at revision {HEAD}"
    assert _revisions(empty_url) == [HEAD]


def test_a_revision_from_a_newer_mailbot_is_refused_by_every_command(empty_url: str, tmp_path: Path) -> None:
    make_engine(empty_url).dispose()
    engine = _plain(empty_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    engine.dispose()

    with pytest.raises(SchemaError, match="newer than this mailbot knows"):
        make_engine(empty_url)
    upgrade = _mailbot(empty_url, "db", "upgrade", cwd=tmp_path)
    assert upgrade.returncode != 0
    (line,) = upgrade.stderr.strip().splitlines()
    assert "f00dfeed" in line and "newer" in line
    assert _revisions(empty_url) == ["f00dfeed"]


def test_tables_without_a_revision_that_are_not_0_1_0_are_left_alone(empty_url: str) -> None:
    engine = _plain(empty_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE account (account_id INTEGER PRIMARY KEY, email VARCHAR)"))
    engine.dispose()

    for attempt in (make_engine, upgrade_database):
        with pytest.raises(SchemaError, match="left alone"):
            attempt(empty_url)
    assert _revisions(empty_url) is None
    assert inspect(_plain(empty_url)).get_table_names() == ["account"]


def test_a_failed_sqlite_upgrade_changes_nothing(release_sqlite_file: Path, tmp_path: Path) -> None:
    """A draft whose mail is gone (foreign keys were off once): refused before anything is written."""
    copy = tmp_path / "broken.db"
    shutil.copy(release_sqlite_file, copy)
    url = f"sqlite:///{copy}"
    engine = _plain(url)  # plain pysqlite leaves foreign keys off, as an old tool might have
    with engine.begin() as connection:
        connection.execute(text("UPDATE draft SET inbound_id = 999999 WHERE id = (SELECT min(id) FROM draft)"))
    engine.dispose()
    before = snapshot(url)

    with pytest.raises(SchemaError, match=r"1 rows in draft pointing at missing rows; nothing was changed"):
        upgrade_database(url)
    assert _revisions(url) is None and snapshot(url) == before


@pytest.mark.parametrize(
    ("versions", "tables", "state"),
    [
        (None, set(), SchemaState.EMPTY),
        ([], {"somebody_elses"}, SchemaState.EMPTY),
        (None, set(RELEASE_0_1_0_TABLES) | {"extra"}, SchemaState.RELEASE_0_1_0),
        (None, {"account", "draft"}, SchemaState.UNRECOGNISED),
        ([HEAD], set(RELEASE_0_1_0_TABLES), SchemaState.CURRENT),
        (["older"], set(RELEASE_0_1_0_TABLES), SchemaState.OUTDATED),
        (["unknown"], set(RELEASE_0_1_0_TABLES), SchemaState.NEWER),
        ([HEAD, "older"], set(RELEASE_0_1_0_TABLES), SchemaState.NEWER),
    ],
)
def test_classify(versions: list[str] | None, tables: set[str], state: SchemaState) -> None:
    assert classify(versions=versions, tables=tables, known={HEAD, "older"}) is state


def test_an_older_revision_is_refused_naming_db_upgrade() -> None:
    message = str(refusal(SchemaState.OUTDATED, ["older"]))
    assert f"revision older, this mailbot needs {HEAD}: run `mailbot db upgrade`" in message


def test_pending_drafts_of_0_1_0_display_and_approve_after_the_upgrade(release_url: str, tmp_path: Path) -> None:
    """0.1.0 stored the CLI's triage JSON as the record: no own text, no address sources."""
    config = write_config(tmp_path, url=release_url)  # the demo's plans
    assert _mailbot(release_url, "db", "upgrade", cwd=tmp_path).returncode == 0
    listed = _mailbot(release_url, "--config", config, "drafts", "list", "--json", cwd=tmp_path)
    pending = json_lines(listed.stdout)
    assert pending, listed.stderr
    ready = next(d for d in pending if any(r["action"] for r in d["requests"]))
    shown = _mailbot(release_url, "--config", config, "drafts", "show", str(ready["id"]), "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    detail = json_lines(shown.stdout)[0]
    assert detail["requests"] == ready["requests"] and detail["mail"]["own_text"].strip()
    action = next(r["action"] for r in ready["requests"] if r["action"])
    approved = _mailbot(release_url, "--config", config, "drafts", "approve", str(ready["id"]), cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert "".join(action["text"].split()) in "".join(approved.stdout.split())  # the terminal wraps long lines
    member = _mailbot(
        release_url, "--config", config, "accounts", "show", action["team_member"], "--json", cwd=tmp_path
    )
    assert json_lines(member.stdout)[0]["status"] == "active"
