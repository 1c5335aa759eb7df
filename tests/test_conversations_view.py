"""Reading conversations: the read model, `mailbot conversations list|show`, and `drafts` with conversations.

Mails and drafts come from real polls of a Maildir, approval and delivery from
the real review and outbox code; ``factories.conversation`` gathers them into
conversations the way the triage side stores them. On SQLite and PostgreSQL.
The scenario at the top is shared with the console tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from factories import account, conversation, poll_maildir, supersede_draft, write_config
from factories import customer_mail as mail
from mailbot_cli import json_lines, run_mailbot
from sqlalchemy import Engine, event
from sqlmodel import Session, select
from test_web import console_settings

from mailbot.accounts.book import AccountRecord
from mailbot.accounts.csv_import import upsert_accounts
from mailbot.config import Settings
from mailbot.models import Draft, InboundMessage, OutboxMessage
from mailbot.outbox.queue import deliver_queued
from mailbot.review.approve import approve
from mailbot.review.conversations import (
    conversation_status,
    find_conversation,
    list_conversations,
    request_origins,
    superseded_refusal,
)
from mailbot.vocabulary import ConversationStatus

TODAY = date(2026, 6, 15)
BOSS = "boss@firma.example"
STRANGER = "stranger@else.example"
CUSTOMER = "kunde@other.example"
#: The scenario's repeats are real ones: SPEC's default window, not the single-mail tests' 0.
REAL_WINDOW = {"window_days": 14}


def seed(today: date) -> list[AccountRecord]:
    paid = today + timedelta(days=200)
    return [
        account(1, BOSS, plan="pro", status="active", paid_until=paid),
        account(2, "va@firma.example", plan="basic", status="trial", paid_until=None),
    ]


@dataclass(frozen=True)
class Scenario:
    """Conversation ``thread``: a need-info mail answered by our reply, a follow-up whose draft a repeat
    superseded. ``kept_out``: a stranger's reply into that thread, kept out. ``question``: a mail for a human."""

    thread: int
    kept_out: int
    question: int
    mails: dict[str, int]
    drafts: dict[str, int]
    note: str


def written_now(raw: bytes, *, in_reply_to: str | None = None) -> bytes:
    """``raw`` dated now (rule 3's window is measured on the Date), answering ``in_reply_to`` as a client does."""
    raw = raw.replace(b"Date: Mon, 15 Jun 2026 09:00:00 +0200", f"Date: {format_datetime(datetime.now(UTC))}".encode())
    if in_reply_to:
        raw = f"In-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n".encode() + raw
    return raw


def build_scenario(engine: Engine, settings: Settings, *, today: date) -> Scenario:
    """The customer's client answers our reply by its real Message-ID; a stranger replies into the thread."""
    seen: set[int | None] = set()

    def poll(raw: bytes) -> Draft | None:
        """One real poll of one mail; the draft it made, if any."""
        new = [d for d in poll_maildir(engine, settings, raw, today=today) if d.id not in seen]
        seen.update(d.id for d in new)
        return new[0] if new else None

    asked = poll(written_now(mail(BOSS, "Hello,\n\nplease link my assistant to my account.\n\nBoss", msgid="c1")))
    assert asked is not None and asked.id and asked.requests[0]["outcome"] == "need_info"
    approve(engine=engine, settings=settings, draft_id=asked.id, agent="alice", today=today)
    assert deliver_queued(engine=engine, settings=settings).sent == 1
    with Session(engine) as session:
        (ours,) = session.exec(select(OutboxMessage.message_id))
    answer = poll(
        written_now(
            mail(BOSS, "Her address is va@firma.example, please link her.", msgid="c2", subject="Re: Team member"),
            in_reply_to=ours,
        )
    )
    repeat = poll(written_now(mail(BOSS, "Please link va@firma.example to my account, thanks.", msgid="c3")))
    stranger = poll(
        written_now(
            mail(
                STRANGER, "Please link va@firma.example to boss@firma.example.", msgid="c4", subject="Re: Team member"
            ),
            in_reply_to=ours,
        )
    )
    question = poll(
        written_now(mail(CUSTOMER, "What does the agency plan cost per year?", msgid="c5", subject="Prices"))
    )
    assert answer and repeat and stranger and question is None
    assert answer.id and repeat.id and stranger.id
    with Session(engine) as session:
        rows = {m.message_id.split("@")[0].strip("<"): m for m in session.exec(select(InboundMessage)) if m.message_id}
    ids = {key: m.id for key, m in rows.items() if m.id is not None}
    drafts = {"asked": asked.id, "answer": answer.id, "repeat": repeat.id, "stranger": stranger.id}
    if rows["c1"].conversation_id is not None:  # the triage side stores conversations itself
        thread, kept_out, question_id = (rows[k].conversation_id for k in ("c1", "c4", "c5"))
        assert thread and kept_out and question_id and rows["c4"].join_note
        return Scenario(thread, kept_out, question_id, ids, drafts, rows["c4"].join_note)
    thread = conversation(
        engine,
        mails=[ids["c1"], ids["c2"], ids["c3"]],
        drafts=[asked.id, answer.id, repeat.id],
        superseded={answer.id: repeat.id},
        stated_in={answer.id: [(ids["c1"], ids["c2"])]},  # c1's request, completed by c2's address
        joined_by={ids["c3"]: "repeat"},
    )
    note = f"replied into conversation #{thread} but {STRANGER} is not a participant"
    kept_out = conversation(engine, mails=[ids["c4"]], drafts=[stranger.id], join_notes={ids["c4"]: note})
    question_id = conversation(engine, mails=[ids["c5"]], intent="other", subject="Prices")
    return Scenario(thread, kept_out, question_id, ids, drafts, note)


@pytest.fixture
def scenario(db_engine: Engine, tmp_path: Path) -> tuple[Engine, Path, Scenario]:
    settings = console_settings(str(db_engine.url), tmp_path, conversations=REAL_WINDOW)
    upsert_accounts(engine=db_engine, rows=seed(TODAY))
    built = build_scenario(db_engine, settings, today=TODAY)
    return db_engine, write_config(tmp_path, url=str(db_engine.url)), built


def superseded_by_follow_up(engine: Engine, old: int, new: int) -> None:
    """A follow-up's poll supersedes its conversation's draft; until the triage side does, the test does it."""
    with Session(engine) as session:
        draft = session.get(Draft, old)
        assert draft is not None
        status = draft.status
    if status != "superseded":
        assert supersede_draft(engine, old, new)
    with Session(engine) as session:
        replaced = session.get(Draft, old)
        assert replaced is not None and (replaced.status, replaced.superseded_by) == ("superseded", new)


# -- pure decisions ------------------------------------------------------------------------

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("open_draft", "answered", "needs_human", "status"),
    [
        (True, None, None, ConversationStatus.WAITING),
        (True, NOW, None, ConversationStatus.WAITING),
        (False, None, NOW, ConversationStatus.WAITING),
        (False, NOW - timedelta(minutes=1), NOW, ConversationStatus.WAITING),  # asked again after our reply
        (False, NOW, NOW - timedelta(minutes=1), ConversationStatus.ANSWERED),
        (False, NOW, None, ConversationStatus.ANSWERED),
        (False, None, None, ConversationStatus.CLOSED),
    ],
)
def test_a_conversation_waits_while_a_draft_or_an_unanswered_mail_needs_an_agent(
    open_draft: bool, answered: datetime | None, needs_human: datetime | None, status: ConversationStatus
) -> None:
    assert (
        conversation_status(open_draft=open_draft, last_answer_at=answered, last_needs_human_at=needs_human) == status
    )


def test_requests_of_older_drafts_read_as_asked_by_the_drafts_own_mail() -> None:
    old = Draft(
        id=7, inbound_id=3, intent="link", language="en", sender=BOSS, sender_verified="pass", to=BOSS, subject="s",
        body="b", requests=[{"primary": BOSS, "team_member": None, "outcome": "need_info"}],
    )  # fmt: skip
    carried = Draft(
        id=8, inbound_id=5, intent="link", language="en", sender=BOSS, sender_verified="unknown", to=BOSS,
        subject="s", body="b",
        requests=[{"primary": BOSS, "outcome": "ready_to_link", "stated_in": 3, "asked_by": 4, "asker": "x@y.example",
                   "asker_verified": "pass"}],
    )  # fmt: skip
    renewal = Draft(id=9, proactive=True, intent="reactivate", language="en", to=BOSS, subject="s", body="b",
                    requests=[{"primary": BOSS, "outcome": "ready_to_reactivate"}])  # fmt: skip
    (first,) = request_origins(old)
    assert (first["stated_in"], first["asked_by"], first["asker"], first["asker_verified"]) == (3, 3, BOSS, "pass")
    (second,) = request_origins(carried)
    assert (second["stated_in"], second["asked_by"], second["asker"]) == (3, 4, "x@y.example")
    (third,) = request_origins(renewal)
    assert (third["stated_in"], third["asked_by"], third["asker"]) == (None, None, None)


def test_the_refusal_names_the_replacing_draft() -> None:
    assert superseded_refusal(4, 9) == "draft 4 was superseded by draft 9: review draft 9 instead"


# -- the read model over stored rows -------------------------------------------------------


def test_list_shows_each_conversation_with_its_state(scenario) -> None:
    engine, _config, s = scenario
    with Session(engine) as session:
        rows = {row["id"]: row for row in list_conversations(session=session)}
    assert set(rows) == {s.thread, s.kept_out, s.question}
    thread = rows[s.thread]
    assert (thread["mails"], thread["pending_draft_id"], thread["status"]) == (3, s.drafts["repeat"], "waiting")
    assert (thread["intent"], thread["subject"], thread["proactive"]) == ("link", "Team member", False)
    question = rows[s.question]
    assert (question["mails"], question["pending_draft_id"], question["status"]) == (1, None, "waiting")
    assert rows[s.kept_out]["pending_draft_id"] == s.drafts["stranger"]


def test_show_lists_mails_drafts_and_replies_in_order_with_where_each_request_came_from(scenario) -> None:
    engine, _config, s = scenario
    with Session(engine) as session:
        detail = find_conversation(session=session, conversation_id=s.thread)
        assert find_conversation(session=session, conversation_id=10_000) is None
    assert detail is not None
    kinds = [(item["kind"], item["id"]) for item in detail["items"]]
    m, d = s.mails, s.drafts
    assert kinds[:3] == [("mail", m["c1"]), ("draft", d["asked"]), ("reply", kinds[2][1])]
    assert kinds[3:] == [("mail", m["c2"]), ("draft", d["answer"]), ("mail", m["c3"]), ("draft", d["repeat"])]
    reply = detail["items"][2]
    assert (reply["draft_id"], reply["to"], reply["status"]) == (d["asked"], BOSS, "sent")
    assert reply["message_id"].startswith("<") and reply["sent_at"] is not None
    superseded = detail["items"][4]
    assert (superseded["status"], superseded["superseded_by"]) == ("superseded", d["repeat"])
    (carried,) = detail["items"][4]["requests"]  # c1 asked, c2 named the address
    assert (carried["stated_in"], carried["asked_by"], carried["outcome"], carried["team_member"]) == (
        m["c1"],
        m["c2"],
        "ready_to_link",
        "va@firma.example",
    )
    assert (detail["items"][3]["joined_by"], detail["items"][5]["joined_by"]) == ("thread", "repeat")
    (own,) = detail["items"][1]["requests"]
    assert own["stated_in"] == m["c1"] and own["asker"] == BOSS  # an older row: its own mail asked
    assert {(p["address"], p["role"]) for p in detail["participants"]} >= {(BOSS, "sender"), (BOSS, "recipient")}


def test_listing_a_page_takes_the_same_few_queries_however_many_conversations(scenario, tmp_path) -> None:
    engine, _config, s = scenario
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            assert len(list_conversations(session=session)) == 3
            few = len(statements)
            for _ in range(5):
                conversation(engine, mails=[s.mails["c5"]], intent="other")  # moves the mail on each time
            statements.clear()
            assert len(list_conversations(session=session)) == 8
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few <= 6


def test_the_conversation_queries_use_the_indexes(tmp_path: Path) -> None:
    """SQLite's plan for each query of a page: a search on an index, never a scan of mail or drafts."""
    from mailbot.db.engine import make_engine
    from mailbot.review.conversations import conversation_facts, load_conversation

    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    plans: list[str] = []

    def explain(conn, _cursor, statement, parameters, _context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            plans.extend(str(row[-1]) for row in rows)

    with Session(engine) as session:
        session.connection()  # schema ready before listening
        event.listen(engine, "before_cursor_execute", explain)
        try:
            conversation_facts(session=session, ids=[1, 2, 3])
            load_conversation(session=session, conversation_id=1)
        finally:
            event.remove(engine, "before_cursor_execute", explain)
    scans = [p for p in plans if p.startswith("SCAN") and ("inboundmessage" in p or "draft" in p)]
    assert plans and scans == [], plans
    engine.dispose()


# -- the command line --------------------------------------------------------------------


def test_conversations_list_and_show_json(scenario, tmp_path: Path) -> None:
    _engine, config, s = scenario
    listed = run_mailbot("--config", config, "conversations", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = json_lines(listed.stdout)
    assert {line["id"] for line in lines} == {s.thread, s.kept_out, s.question}
    moments = [line["last_activity_at"] for line in lines]
    assert moments == sorted(moments, reverse=True)  # newest activity first
    assert set(lines[0]) == {
        "id", "intent", "subject", "language", "proactive", "started_at", "last_activity_at", "mails",
        "pending_draft_id", "status",
    }  # fmt: skip
    newest = run_mailbot("--config", config, "conversations", "list", "--json", "--limit", "1", cwd=tmp_path)
    assert [line["id"] for line in json_lines(newest.stdout)] == [lines[0]["id"]]
    shown = run_mailbot("--config", config, "conversations", "show", str(s.thread), "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    (detail,) = json_lines(shown.stdout)
    assert [i["kind"] for i in detail["items"]] == ["mail", "draft", "reply", "mail", "draft", "mail", "draft"]
    assert set(detail["items"][0]) == {
        "kind", "id", "message_id", "sender", "date", "subject", "intent", "status", "outcome", "joined_by",
        "join_note",
    }  # fmt: skip
    assert set(detail["items"][2]) == {"kind", "id", "draft_id", "message_id", "to", "subject", "status", "sent_at"}
    assert detail["items"][4]["superseded_by"] == s.drafts["repeat"]
    kept = run_mailbot("--config", config, "conversations", "show", str(s.kept_out), "--json", cwd=tmp_path)
    assert json_lines(kept.stdout)[0]["items"][0]["join_note"] == s.note


def test_conversations_show_as_a_table_names_the_replacing_draft_and_the_origin(scenario, tmp_path: Path) -> None:
    _engine, config, s = scenario
    done = run_mailbot("--config", config, "conversations", "show", str(s.thread), cwd=tmp_path, env={"COLUMNS": "160"})
    assert done.returncode == 0, done.stderr
    assert f"superseded, replaced by draft #{s.drafts['repeat']}" in done.stdout
    assert f"from mail: #{s.mails['c1']} from {BOSS}; asked by #{s.mails['c2']} ({BOSS})" in done.stdout
    assert "our reply" in done.stdout and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", done.stdout)
    kept = run_mailbot(
        "--config", config, "conversations", "show", str(s.kept_out), cwd=tmp_path, env={"COLUMNS": "160"}
    )
    assert f"kept out: {s.note}" in kept.stdout
    table = run_mailbot("--config", config, "conversations", "list", cwd=tmp_path, env={"COLUMNS": "160"})
    assert table.returncode == 0 and "waiting" in table.stdout and "Prices" in table.stdout


@pytest.mark.parametrize("wrong", ["999999", "abc", "0", "1.5", "99999999999999999999999"])
def test_an_unknown_or_invalid_id_is_one_line_and_exit_1(scenario, tmp_path: Path, wrong: str) -> None:
    _engine, config, _s = scenario
    done = run_mailbot("--config", config, "conversations", "show", wrong, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == "" and done.stderr.strip() == f"error: no conversation with id {wrong}"


def test_drafts_list_and_show_carry_the_conversation(scenario, tmp_path: Path) -> None:
    _engine, config, s = scenario
    listed = run_mailbot("--config", config, "drafts", "list", "--status", "all", "--json", cwd=tmp_path)
    by_id = {line["id"]: line for line in json_lines(listed.stdout)}
    assert by_id[s.drafts["repeat"]]["conversation_id"] == s.thread
    assert by_id[s.drafts["stranger"]]["conversation_id"] == s.kept_out
    superseded = run_mailbot("--config", config, "drafts", "list", "--status", "superseded", "--json", cwd=tmp_path)
    assert superseded.returncode == 0, superseded.stderr
    (line,) = json_lines(superseded.stdout)
    assert (line["id"], line["status"], line["superseded_by"]) == (s.drafts["answer"], "superseded", s.drafts["repeat"])
    shown = run_mailbot(
        "--config", config, "drafts", "show", str(s.drafts["answer"]), cwd=tmp_path, env={"COLUMNS": "160"}
    )
    assert shown.returncode == 0, shown.stderr
    assert f"superseded: by draft #{s.drafts['repeat']}: review draft #{s.drafts['repeat']} instead" in shown.stdout
    assert f"conversation: #{s.thread}" in shown.stdout
