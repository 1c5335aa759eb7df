"""A first connect to a full mailbox: taken in portions, and old mail is recorded, never answered."""

from __future__ import annotations

import mailbox
from datetime import date
from pathlib import Path

import pytest
from factories import customer_mail
from sqlmodel import Session, select

from mailbot.accounts.book import MemoryAccountBook
from mailbot.config import settings_from_mapping
from mailbot.db.engine import make_engine
from mailbot.errors import ConfigError
from mailbot.intake.cycle import poll_once
from mailbot.models import Draft, InboundMessage
from mailbot.triage.pipeline import TriageContext, triage_message

LINK = "Please link my VA va@firma.example."


def _settings(tmp_path: Path, **extra: dict) -> object:
    data = {
        "database": {"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        "support": {"address": "support@vendor.example"},
        "mailbox": {"kind": "maildir", "path": str(tmp_path / "Maildir"), **extra.get("mailbox", {})},
        "triage": extra.get("triage", {}),
        "plans": {"pro": {"team_seats": 2}},
    }
    return settings_from_mapping(data, env={})


def _dated(msgid: str, date_header: str | None) -> bytes:
    raw = customer_mail("boss@firma.example", LINK, msgid=msgid)
    old = b"Date: Mon, 15 Jun 2026 09:00:00 +0200\n"
    return raw.replace(old, f"Date: {date_header}\n".encode() if date_header else b"")


def test_max_per_poll_takes_a_backlog_in_portions_and_skips_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path, mailbox={"max_per_poll": 3})
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for n in range(5):
        box.add(customer_mail("boss@firma.example", LINK, msgid=f"b{n}"))
    engine = make_engine(settings.database.url)
    first = poll_once(settings=settings, engine=engine)
    second = poll_once(settings=settings, engine=engine)
    third = poll_once(settings=settings, engine=engine)
    assert (first.fetched, first.deferred) == (3, 2)
    assert "2 left for the next poll" in first.line()
    assert (second.fetched, second.deferred) == (2, 0)
    assert third.fetched == 0
    with Session(engine) as session:
        ids = sorted(m.message_id for m in session.exec(select(InboundMessage)))
    assert ids == [f"<b{n}@firma.example>" for n in range(5)]


def test_mail_before_answer_since_is_recorded_but_not_drafted(tmp_path: Path) -> None:
    settings = _settings(tmp_path, triage={"answer_since": "2026-01-01"})
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(_dated("old", "Tue, 02 Dec 2025 10:00:00 +0100"))
    box.add(_dated("new", "Fri, 02 Jan 2026 10:00:00 +0100"))
    box.add(_dated("undated", None))
    engine = make_engine(settings.database.url)
    summary = poll_once(settings=settings, engine=engine)
    assert summary.fetched == 3 and summary.drafted == 2
    with Session(engine) as session:
        records = {m.message_id: m for m in session.exec(select(InboundMessage))}
        drafted = {d.message_id for d in session.exec(select(Draft))}
    assert drafted == {"<new@firma.example>", "<undated@firma.example>"}
    old = records["<old@firma.example>"]
    assert old.status == "needs_human" and old.intent == "link"
    assert "answer_since" in old.result["reason"]


def test_answer_since_in_the_dry_run_keeps_the_decision(tmp_path: Path) -> None:
    settings = _settings(tmp_path, triage={"answer_since": "2026-01-01"})
    ctx = TriageContext.from_settings(settings, accounts=MemoryAccountBook([]), today=date(2026, 6, 1))
    result = triage_message(_dated("old", "Tue, 02 Dec 2025 10:00:00 +0100"), ctx)
    assert result.draft is None and result.status == "needs_human"
    assert [d.outcome for d in result.requests] == ["primary_not_found"]


def test_answer_since_must_be_a_date(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"triage\.answer_since"):
        _settings(tmp_path, triage={"answer_since": "last year"})


def test_status_says_when_intake_is_stale(tmp_path: Path) -> None:
    import json
    from datetime import UTC, datetime, timedelta

    from mailbot_cli import run_mailbot

    from mailbot.status import check_health

    settings = _settings(tmp_path)
    env = {"MAILBOT_DATABASE_URL": settings.database.url}
    never = run_mailbot("status", "--json", cwd=tmp_path, env=env)
    assert never.returncode == 1 and json.loads(never.stdout)["problems"] == ["no poll has run yet"]

    mailbox.Maildir(tmp_path / "Maildir", create=True).add(customer_mail("boss@firma.example", LINK, msgid="s1"))
    engine = make_engine(settings.database.url)
    poll_once(settings=settings, engine=engine)
    fresh = run_mailbot("status", "--json", cwd=tmp_path, env=env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    report = json.loads(fresh.stdout)
    assert report["ok"] and report["drafts"] == {"pending": 1} and report["folders"][0]["folder"] == "INBOX"

    later = datetime.now(UTC) + timedelta(hours=2)
    stale = check_health(engine=engine, max_age=timedelta(minutes=30), now=later)
    assert not stale.ok and "last successful poll 1" in stale.problems[0]
