"""Renewals (SPEC "Renewals"), on SQLite and PostgreSQL: each way in drafts once, approval reactivates.

The records are dated relative to today, because approval decides again with
today's date: a primary renewed until ``RENEWED`` has team members paid until
``LAPSED`` (or not active).
"""

from __future__ import annotations

import csv
import mailbox
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import account, run_cli, write_config
from mailbot_cli import json_lines
from servers.account_api import TOKEN, AccountApiServer, api_account
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mailbot.accounts.book import CSV_FIELDS, AccountRecord
from mailbot.accounts.csv_import import upsert_accounts
from mailbot.config import Settings, settings_from_mapping
from mailbot.errors import ImportRowError
from mailbot.models import (
    Account,
    Conversation,
    ConversationParticipant,
    Draft,
    InboundMessage,
    OutboxMessage,
    Renewal,
)
from mailbot.outbox.queue import deliver_queued
from mailbot.renewals.notice import import_with_renewals, renewed
from mailbot.review.approve import approve
from mailbot.vocabulary import (
    DraftStatus,
    Intent,
    Outcome,
    ParticipantRole,
    RenewalOutcome,
    RenewalSource,
    SenderVerification,
)

TODAY = date.today()
OLD = TODAY + timedelta(days=20)  # the primary's paid-until before it renewed
RENEWED = TODAY + timedelta(days=385)
LATER = TODAY + timedelta(days=750)
LAPSED = TODAY - timedelta(days=30)


def records(*, boss_until: date = OLD, members_until: date = OLD) -> list[AccountRecord]:
    """A primary with two linked team members (one expired) and a primary without any."""
    return [
        account(1, "boss@firma.example", plan="pro", paid_until=boss_until),
        account(2, "va@firma.example", plan="pro", paid_until=members_until, primary=1),
        account(3, "va2@firma.example", plan="pro", status="expired", paid_until=LAPSED, primary=1),
        account(4, "solo@firma.example", plan="pro", paid_until=boss_until),
        account(5, "other@firma.example", plan="basic", status="trial", paid_until=None),
    ]


def settings_for(url: str, tmp_path: Path, **sections: dict[str, Any]) -> Settings:
    maildir = tmp_path / "Maildir"
    mailbox.Maildir(maildir, create=True)
    data: dict[str, Any] = {
        "database": {"url": url},
        "support": {"address": "support@vendor.example", "name": "Vendor Support"},
        "mailbox": {"kind": "maildir", "path": str(maildir)},
        "outbox": {"path": str(tmp_path / "outbox")},
        "plans": {"basic": {"team_seats": 0}, "pro": {"team_seats": 2}},
    }
    data.update(sections)
    return settings_from_mapping(data, env={})


def write_csv(path: Path, rows: list[AccountRecord]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.as_csv_dict().items()})
    return path


def drafts(engine: Engine) -> list[Draft]:
    with Session(engine) as session:
        return list(session.exec(select(Draft).order_by(col(Draft.id))))


def renewals(engine: Engine) -> list[Renewal]:
    with Session(engine) as session:
        return list(session.exec(select(Renewal).order_by(col(Renewal.id))))


def paid_until(engine: Engine, account_id: int) -> date | None:
    with Session(engine) as session:
        row = session.get(Account, account_id)
        assert row is not None
        return row.paid_until


@pytest.fixture
def setup(db_engine: Engine, tmp_path: Path) -> tuple[Engine, Settings]:
    upsert_accounts(engine=db_engine, rows=records())
    return db_engine, settings_for(str(db_engine.url), tmp_path)


# -- the import ------------------------------------------------------------------------------


def test_an_import_that_renews_a_primary_drafts_once_however_often_it_is_repeated(setup, tmp_path: Path) -> None:
    engine, settings = setup
    renewed_file = write_csv(tmp_path / "renewed.csv", records(boss_until=RENEWED))
    first = import_with_renewals(engine=engine, settings=settings, path=renewed_file)
    assert (first.summary.inserted, first.summary.updated) == (0, 5)
    outcomes = {r.email: r.outcome for r in first.renewals}
    # boss has lapsed team members; solo renewed too but has none: recorded, no draft.
    assert outcomes == {
        "boss@firma.example": RenewalOutcome.DRAFTED,
        "solo@firma.example": RenewalOutcome.NO_LAPSED_TEAM_MEMBERS,
    }
    for _ in range(2):
        again = import_with_renewals(engine=engine, settings=settings, path=renewed_file)
        assert again.renewals == []
    (draft,) = drafts(engine)
    assert draft.proactive and draft.inbound_id is None and draft.status == DraftStatus.PENDING
    assert [(r.primary_email, r.paid_until, r.source, r.outcome, r.draft_id) for r in renewals(engine)] == [
        ("boss@firma.example", RENEWED, RenewalSource.IMPORT, RenewalOutcome.DRAFTED, draft.id),
        ("solo@firma.example", RENEWED, RenewalSource.IMPORT, RenewalOutcome.NO_LAPSED_TEAM_MEMBERS, None),
    ]


def test_the_proactive_draft_opens_a_reactivate_conversation_for_the_verified_primary(setup, tmp_path) -> None:
    engine, settings = setup
    import_with_renewals(
        engine=engine, settings=settings, path=write_csv(tmp_path / "r.csv", records(boss_until=RENEWED))
    )
    (draft,) = drafts(engine)
    assert (draft.intent, draft.language, draft.to, draft.sender) == (
        Intent.REACTIVATE,
        "de",
        "boss@firma.example",
        "boss@firma.example",
    )
    assert draft.sender_verified == SenderVerification.PASS
    assert draft.message_id is None and draft.in_reply_to is None and draft.references is None
    assert draft.subject == f"Ihre Verlängerung und Ihre Teammitglieder [#{draft.conversation_id}]"
    assert [(r["team_member"], r["outcome"], r["rule"]) for r in draft.requests] == [
        ("va@firma.example", Outcome.READY_TO_REACTIVATE, "reactivate #9"),
        ("va2@firma.example", Outcome.READY_TO_REACTIVATE, "reactivate #9"),
    ]
    for request in draft.requests:
        assert request["primary"] == "boss@firma.example"
        assert (request["stated_in"], request["asked_by"]) == (None, None)
        assert (request["asker"], request["asker_verified"]) == ("boss@firma.example", "pass")
        assert request["action"]["paid_until"] == RENEWED.isoformat()
    with Session(engine) as session:
        conversation = session.get(Conversation, draft.conversation_id)
        assert conversation is not None
        assert conversation.proactive and conversation.intent == Intent.REACTIVATE
        assert conversation.subject == "Ihre Verlängerung und Ihre Teammitglieder"
        participants = session.exec(
            select(ConversationParticipant.address, ConversationParticipant.role)
            .where(ConversationParticipant.conversation_id == conversation.id)
            .order_by(col(ConversationParticipant.address))
        ).all()
    assert sorted(participants) == [
        ("boss@firma.example", ParticipantRole.PRIMARY),
        ("va2@firma.example", ParticipantRole.TEAM_MEMBER),
        ("va@firma.example", ParticipantRole.TEAM_MEMBER),
    ]


def test_a_team_member_that_is_not_active_is_lapsed_even_when_paid(setup, tmp_path: Path) -> None:
    engine, settings = setup
    rows = records(boss_until=RENEWED, members_until=RENEWED + timedelta(days=10))
    rows[2] = account(3, "va2@firma.example", plan="pro", status="trial", paid_until=LATER, primary=1)
    import_with_renewals(engine=engine, settings=settings, path=write_csv(tmp_path / "r.csv", rows))
    (draft,) = drafts(engine)
    assert [r["team_member"] for r in draft.requests] == ["va2@firma.example"]


def test_a_renewal_whose_team_members_are_current_drafts_nothing_but_is_recorded(setup, tmp_path: Path) -> None:
    engine, settings = setup
    rows = records(boss_until=RENEWED, members_until=RENEWED)
    rows[2] = account(3, "va2@firma.example", plan="pro", status="active", paid_until=LATER, primary=1)
    result = import_with_renewals(engine=engine, settings=settings, path=write_csv(tmp_path / "r.csv", rows))
    assert drafts(engine) == []
    assert {r.email: r.outcome for r in result.renewals}["boss@firma.example"] == RenewalOutcome.NO_LAPSED_TEAM_MEMBERS
    assert [r.outcome for r in renewals(engine)] == [RenewalOutcome.NO_LAPSED_TEAM_MEMBERS] * 2


def test_a_bad_row_imports_nothing_and_drafts_nothing(setup, tmp_path: Path) -> None:
    engine, settings = setup
    path = write_csv(tmp_path / "r.csv", records(boss_until=RENEWED))
    path.write_text(path.read_text() + "6,broken,pro,active,2027-01-01,\n")
    with pytest.raises(ImportRowError, match="line 7: email is not an address"):
        import_with_renewals(engine=engine, settings=settings, path=path)
    assert drafts(engine) == [] and renewals(engine) == []
    assert paid_until(engine, 1) == OLD


def test_an_import_that_moves_a_primary_back_drafts_nothing(setup, tmp_path: Path) -> None:
    engine, settings = setup
    assert renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=LATER).draft_id
    # The vendor's export still has an older date: the import stores it, but it is no renewal.
    result = import_with_renewals(
        engine=engine, settings=settings, path=write_csv(tmp_path / "r.csv", records(boss_until=RENEWED))
    )
    assert [r.email for r in result.renewals] == ["solo@firma.example"]  # solo's renewal is new
    assert len(drafts(engine)) == 1
    assert paid_until(engine, 1) == RENEWED


# -- mailbot accounts renewed ----------------------------------------------------------------


def test_renewed_drafts_once_and_moves_the_primarys_paid_until(setup) -> None:
    engine, settings = setup
    first = renewed(engine=engine, settings=settings, email="Boss@Firma.example", paid_until=RENEWED)
    assert first.outcome == RenewalOutcome.DRAFTED
    assert first.team_members == ("va@firma.example", "va2@firma.example")
    assert paid_until(engine, 1) == RENEWED
    again = renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    assert again.outcome == RenewalOutcome.ALREADY_SEEN and again.draft_id is None
    assert len(drafts(engine)) == 1 and len(renewals(engine)) == 1


def test_an_older_date_after_a_newer_one_drafts_nothing_and_changes_nothing(setup) -> None:
    engine, settings = setup
    newer = renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=LATER)
    older = renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    assert (newer.outcome, older.outcome) == (RenewalOutcome.DRAFTED, RenewalOutcome.NOT_NEWER)
    assert paid_until(engine, 1) == LATER
    assert len(drafts(engine)) == 1
    assert [(r.paid_until, r.outcome) for r in renewals(engine)] == [
        (LATER, RenewalOutcome.DRAFTED),
        (RENEWED, RenewalOutcome.NOT_NEWER),
    ]
    # A still later renewal is a new one: it drafts again (the first draft may long be sent).
    latest = renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=LATER + timedelta(1))
    assert latest.outcome == RenewalOutcome.DRAFTED and len(drafts(engine)) == 2


def test_a_date_that_is_not_later_than_the_record_is_no_renewal(setup) -> None:
    engine, settings = setup
    same = renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=OLD)
    assert same.outcome == RenewalOutcome.NOT_NEWER and drafts(engine) == []


def test_the_cli_gives_one_line_errors_and_drafts_once(storage_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, url=storage_url)
    path = write_csv(tmp_path / "accounts.csv", records())
    assert run_cli("--config", str(config), "accounts", "import", str(path), cwd=tmp_path).returncode == 0

    def cli(*args: str):
        return run_cli("--config", str(config), "accounts", "renewed", *args, cwd=tmp_path)

    unknown = cli("nobody@firma.example", "--paid-until", RENEWED.isoformat())
    assert unknown.returncode == 1 and unknown.stderr.strip() == "no account has the address nobody@firma.example"
    member = cli("va@firma.example", "--paid-until", RENEWED.isoformat())
    assert member.returncode == 1
    assert member.stderr.strip() == "va@firma.example is a team member of account #1, not a primary account"
    bad = cli("boss@firma.example", "--paid-until", "31.01.2027")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "--paid-until: expected an ISO date like 2027-01-31, got '31.01.2027'"
    assert "Traceback" not in unknown.stderr + member.stderr + bad.stderr

    done = cli("boss@firma.example", "--paid-until", RENEWED.isoformat())
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.split()
        == (
            f"renewal of boss@firma.example to {RENEWED.isoformat()}: drafted draft 1 to reactivate 2 team members "
            "(va@firma.example, va2@firma.example)"
        ).split()
    )
    repeat = cli("boss@firma.example", "--paid-until", RENEWED.isoformat())
    assert repeat.returncode == 0 and "nothing drafted (already seen)" in " ".join(repeat.stdout.split())

    listed = run_cli("--config", str(config), "drafts", "list", "--json", cwd=tmp_path)
    (line,) = json_lines(listed.stdout)
    assert line["proactive"] is True and line["intent"] == "reactivate" and line["to"] == "boss@firma.example"
    shown = run_cli("--config", str(config), "drafts", "show", "1", "--json", cwd=tmp_path)
    (detail,) = json_lines(shown.stdout)
    assert detail["proactive"] is True and detail["inbound"] is None and detail["mail"] is None
    assert "Warning" not in shown.stderr
    text = run_cli("--config", str(config), "drafts", "show", "1", cwd=tmp_path)
    assert "mailbot wrote this after the primary renewed" in " ".join(text.stdout.split())


# -- language --------------------------------------------------------------------------------


def _mail_from(engine: Engine, sender: str, language: str) -> None:
    with Session(engine) as session:
        conversation = Conversation(intent=Intent.LINK, subject="Team", language=language)
        session.add(conversation)
        session.flush()
        session.add(
            ConversationParticipant(conversation_id=conversation.id, address=sender, role=ParticipantRole.SENDER)
        )
        session.add(
            InboundMessage(
                dedup_key=f"<{language}@x>", sender=sender, language=language, raw=b"", conversation_id=conversation.id
            )
        )
        session.commit()


def test_the_draft_speaks_the_language_of_the_primarys_latest_conversation(setup) -> None:
    engine, settings = setup
    _mail_from(engine, "boss@firma.example", "de")
    _mail_from(engine, "boss@firma.example", "en")
    result = renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    (draft,) = drafts(engine)
    assert draft.id == result.draft_id and draft.language == "en"
    assert draft.subject.startswith("Your renewal and your team members [#")
    assert draft.body.startswith("Hello,\n\nyour subscription for boss@firma.example has been renewed")


def test_without_a_conversation_the_configured_language_is_used(db_engine: Engine, tmp_path: Path) -> None:
    upsert_accounts(engine=db_engine, rows=records())
    settings = settings_for(
        str(db_engine.url), tmp_path, renewals={"language": "en"}, conversations={"subject_tag": False}
    )
    renewed(engine=db_engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    (draft,) = drafts(db_engine)
    assert draft.language == "en" and draft.subject == "Your renewal and your team members"


# -- approval --------------------------------------------------------------------------------


def test_approval_reactivates_every_team_member_and_the_mail_reaches_the_smtp_server(
    db_engine: Engine, tmp_path: Path, smtp_server
) -> None:
    upsert_accounts(engine=db_engine, rows=records())
    settings = settings_for(
        str(db_engine.url),
        tmp_path,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none", "timeout": 5.0},
    )
    result = renewed(engine=db_engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    assert result.draft_id is not None
    assert smtp_server.received == []  # nothing is sent before an agent approves
    assert (paid_until(db_engine, 2), paid_until(db_engine, 3)) == (OLD, LAPSED)

    approval = approve(engine=db_engine, settings=settings, draft_id=result.draft_id, agent="alice")
    assert len(approval.actions) == 2 and approval.outbox_message_id
    with Session(db_engine) as session:
        members = [session.get(Account, i) for i in (2, 3)]
        assert [(m.status, m.paid_until) for m in members if m] == [("active", RENEWED), ("active", RENEWED)]
    summary = deliver_queued(engine=db_engine, settings=settings)
    assert summary.sent == 1
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["boss@firma.example"]
    message = received.message()
    assert message["Subject"].startswith("Ihre Verlängerung und Ihre Teammitglieder [#")
    assert message["In-Reply-To"] is None and message["Message-ID"] == approval.outbox_message_id
    assert "va@firma.example und va2@firma.example" in message.get_content()
    (draft,) = drafts(db_engine)
    assert draft.status == DraftStatus.SENT


def test_a_stale_proactive_draft_is_refused_like_any_other(setup) -> None:
    from mailbot.errors import StaleDecision

    engine, settings = setup
    result = renewed(engine=engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    # Someone reactivated va by hand meanwhile: the draft no longer holds for it.
    with Session(engine) as session:
        row = session.get(Account, 2)
        assert row is not None
        row.paid_until = LATER
        session.add(row)
        session.commit()
    assert result.draft_id is not None
    with pytest.raises(StaleDecision, match="ready_to_reactivate is now already_active"):
        approve(engine=engine, settings=settings, draft_id=result.draft_id, agent="alice")
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


# -- the account API -------------------------------------------------------------------------


def api_settings(db_engine: Engine, tmp_path: Path, api: AccountApiServer, **sections: dict[str, Any]) -> Settings:
    return settings_for(
        str(db_engine.url),
        tmp_path,
        accounts={"source": "http", "url": api.url, "token": TOKEN, "retries": 0},
        **sections,
    )


def test_with_the_account_api_a_renewal_prompts_a_fresh_look_up_and_approval_goes_through_the_api(
    db_engine: Engine, tmp_path: Path, account_api: AccountApiServer, smtp_server
) -> None:
    account_api.seed(
        # The vendor's system already has the renewal; its team members lapsed.
        api_account(77, "boss@firma.example", paid_until=RENEWED),
        api_account(1043, "va@firma.example", status="expired", paid_until=LAPSED, primary=77),
        api_account(1044, "va2@firma.example", status="active", paid_until=OLD, primary=77),
        api_account(1045, "fine@firma.example", status="active", paid_until=LATER, primary=77),
    )
    settings = api_settings(
        db_engine,
        tmp_path,
        account_api,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none", "timeout": 5.0},
    )
    first = renewed(engine=db_engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    assert first.outcome == RenewalOutcome.DRAFTED
    assert first.team_members == ("va@firma.example", "va2@firma.example")
    targets = account_api.targets()
    assert any("primary_account_id=77" in target for target in targets)
    again = renewed(engine=db_engine, settings=settings, email="boss@firma.example", paid_until=RENEWED)
    assert again.outcome == RenewalOutcome.ALREADY_SEEN
    older = renewed(engine=db_engine, settings=settings, email="boss@firma.example", paid_until=OLD)
    assert older.outcome == RenewalOutcome.NOT_NEWER
    assert len(drafts(db_engine)) == 1

    assert first.draft_id is not None
    approval = approve(engine=db_engine, settings=settings, draft_id=first.draft_id, agent="alice")
    assert approval.outbox_message_id is not None
    assert [(a["action"], a["account_id"]) for a in account_api.applied()] == [
        ("reactivate", 1043),
        ("reactivate", 1044),
    ]
    for member in (1043, 1044):
        assert account_api.record(member)["status"] == "active"  # type: ignore[index]
        assert account_api.record(member)["paid_until"] == RENEWED.isoformat()  # type: ignore[index]
    assert deliver_queued(engine=db_engine, settings=settings).sent == 1
    assert [r.rcpt_tos for r in smtp_server.received] == [["boss@firma.example"]]
