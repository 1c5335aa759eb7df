"""Both account sources: the same poll outcomes, and the change log `mailbot accounts changes`.

A corpus is polled twice — once with the records in mailbot's table, once with
the same records behind the reference account API over real HTTP — and every
mail must come out the same. With the database source, approvals record each
change they make, and `accounts changes` hands exactly those back.
"""

from __future__ import annotations

import csv
import io
import json
import mailbox
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import customer_mail, poll_maildir, run_cli, write_config
from mailbot_cli import REPO, SHARED_CORPUS
from servers.account_api import TOKEN, AccountApiServer
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from mailbot.accounts.book import AccountRecord
from mailbot.accounts.csv_import import parse_account_rows, upsert_accounts
from mailbot.config import settings_from_mapping
from mailbot.db.engine import make_engine
from mailbot.intake.cycle import poll_once
from mailbot.mail.files import iter_mail_files
from mailbot.models import AccountAction, InboundMessage
from mailbot.review.approve import approve, reject

TODAY = date(2026, 6, 15)
PAID = date(2027, 1, 31)


def _outcomes(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with Session(engine) as session:
        rows = session.exec(select(InboundMessage))
        return {
            row.dedup_key: (
                row.intent,
                row.status,
                sorted((r["primary"], r["team_member"], r["outcome"]) for r in row.result.get("requests", [])),
            )
            for row in rows
        }


def _poll_corpus(folder: Path, mails: Path, *, url: str, workdir: Path, accounts: dict[str, Any]) -> None:
    config = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
    maildir = workdir / "Maildir"
    box = mailbox.Maildir(maildir, create=True)
    for item in iter_mail_files([mails]):
        if item.error is None:
            box.add(item.raw)
    config.update(
        database={"url": url},
        mailbox={"kind": "maildir", "path": str(maildir), "batch_size": 25},
        outbox={"path": str(workdir / "outbox")},
        accounts=accounts,
    )
    settings = settings_from_mapping(config, env={})
    summary = poll_once(settings=settings, engine=make_engine(url), today=TODAY)
    assert summary.errors == 0


@pytest.mark.parametrize("corpus", ["shared", "own"])
def test_a_poll_against_the_api_gives_the_database_sources_outcomes(
    corpus: str, db_engine: Engine, account_api: AccountApiServer, tmp_path: Path
) -> None:
    folder = SHARED_CORPUS if corpus == "shared" else REPO / "tests" / "data"
    if not folder.is_dir():
        pytest.skip(f"the shared corpus is not beside this checkout ({folder})")
    mails = folder / ("msgs" if corpus == "shared" else "mails")
    records = parse_account_rows((folder / "accounts.csv").read_text(encoding="utf-8-sig"))
    account_api.seed(*(r.as_csv_dict() for r in records))

    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    reference = make_engine(reference_url)
    upsert_accounts(engine=reference, rows=parse_account_rows((folder / "accounts.csv").read_text("utf-8-sig")))
    (tmp_path / "db").mkdir()
    _poll_corpus(folder, mails, url=reference_url, workdir=tmp_path / "db", accounts={"source": "database"})

    (tmp_path / "http").mkdir()
    before = account_api.requests()
    _poll_corpus(
        folder,
        mails,
        url=db_engine.url.render_as_string(hide_password=False),
        workdir=tmp_path / "http",
        accounts={"source": "http", "url": account_api.url, "token": TOKEN},
    )
    expected, actual = _outcomes(reference), _outcomes(db_engine)
    assert len(expected) >= 30
    assert actual == expected
    asked = {target: n for target, n in account_api.targets().items() if target.startswith("GET ")}
    assert asked and max(asked.values()) == 1  # each address, id and member list once per cycle
    assert account_api.requests() - before == sum(asked.values())
    assert account_api.applied() == []  # a poll changes nothing


# -- the database source: approvals' changes, handed back ---------------------------


@pytest.fixture
def db_setup(db_engine: Engine, tmp_path: Path):
    maildir = tmp_path / "Maildir"
    mailbox.Maildir(maildir, create=True)
    settings = settings_from_mapping(
        {
            "database": {"url": db_engine.url.render_as_string(hide_password=False)},
            "support": {"address": "support@vendor.example"},
            "mailbox": {"kind": "maildir", "path": str(maildir)},
            "outbox": {"path": str(tmp_path / "outbox")},
            "plans": {"basic": {"team_seats": 0}, "pro": {"team_seats": 2}},
            # unrelated mails from one sender seconds apart: each its own conversation
            "conversations": {"window_days": 0},
        },
        env={},
    )
    upsert_accounts(
        engine=db_engine,
        rows=[
            AccountRecord(1, "boss@firma.example", "pro", "active", PAID, None),
            AccountRecord(2, "va@firma.example", "basic", "trial", None, None),
            AccountRecord(3, "va2@firma.example", "basic", "trial", None, None),
            AccountRecord(4, "old@firma.example", "pro", "expired", date(2025, 5, 31), 1),
        ],
    )
    return db_engine, settings, tmp_path


def _changes_cli(tmp_path: Path, engine: Engine, *args: str):
    config = write_config(tmp_path, url=engine.url.render_as_string(hide_password=False))
    return run_cli("--config", str(config), "accounts", "changes", *args, cwd=tmp_path)


def test_accounts_changes_lists_exactly_what_approvals_applied(db_setup) -> None:
    engine, settings, tmp_path = db_setup
    link, reactivation, second_link, unclear = poll_maildir(
        engine,
        settings,
        customer_mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="c1"),
        customer_mail("boss@firma.example", "Please reactivate my team member old@firma.example.", msgid="c2"),
        customer_mail("boss@firma.example", "Please link my assistant va2@firma.example.", msgid="c3"),
        customer_mail("boss@firma.example", "Please link my team member.", msgid="c4"),
        today=TODAY,
    )
    assert unclear.requests[0]["outcome"] == "need_info"
    for draft in (link, reactivation, unclear):
        approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    reject(engine=engine, draft_id=second_link.id, agent="bob", reason="customer called back")

    listed = _changes_cli(tmp_path, engine)
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["action"], r["account_id"], r["email"], r["agent"], r["source"]) for r in rows] == [
        ("link", "2", "va@firma.example", "alice", "database"),
        ("reactivate", "4", "old@firma.example", "alice", "database"),
    ]
    assert (rows[0]["before_plan"], rows[0]["before_primary_account_id"]) == ("basic", "")
    assert (rows[0]["after_plan"], rows[0]["after_primary_account_id"], rows[0]["after_status"]) == (
        "pro",
        "1",
        "active",
    )
    assert (rows[1]["before_status"], rows[1]["before_paid_until"]) == ("expired", "2025-05-31")
    assert (rows[1]["after_status"], rows[1]["after_paid_until"]) == ("active", "2027-01-31")
    assert all(datetime.fromisoformat(r["at"]).tzinfo is not None for r in rows)

    as_json = [json.loads(line) for line in _changes_cli(tmp_path, engine, "--json").stdout.splitlines()]
    assert [c["after"]["primary_account_id"] for c in as_json] == [1, 1]
    assert as_json[0]["before"] == {
        "account_id": 2,
        "email": "va@firma.example",
        "plan": "basic",
        "status": "trial",
        "paid_until": None,
        "primary_account_id": None,
    }


def test_accounts_changes_since_filters_by_day(db_setup) -> None:
    engine, settings, tmp_path = db_setup
    link, reactivation = poll_maildir(
        engine,
        settings,
        customer_mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="s1"),
        customer_mail("boss@firma.example", "Please reactivate my team member old@firma.example.", msgid="s2"),
        today=TODAY,
    )
    for draft in (link, reactivation):
        approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    with Session(engine) as session:  # the link was made in January
        session.exec(
            update(AccountAction)
            .where(AccountAction.account_id == 2)
            .values(confirmed_at=datetime(2026, 1, 10, 8, 0, tzinfo=UTC))
        )
        session.commit()
    since = [
        json.loads(x) for x in _changes_cli(tmp_path, engine, "--since", "2026-03-01", "--json").stdout.splitlines()
    ]
    assert [c["account_id"] for c in since] == [4]
    everything = _changes_cli(tmp_path, engine, "--since", "2026-01-10", "--json").stdout.splitlines()
    assert len(everything) == 2
    bad = _changes_cli(tmp_path, engine, "--since", "last week")
    assert bad.returncode == 2 and "ISO date" in bad.stderr
