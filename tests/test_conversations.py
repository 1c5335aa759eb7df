"""Conversations (issue 9): join rules 1-4 and the follow-up steps, on real .eml files of several clients.

tests/data/conversations/mails holds three conversations and their strays, DE and
EN, from Gmail, Outlook, Apple Mail and Thunderbird:

* a: need_info (team member missing) answered by the address; a second team member
  added later; a stranger replying into the thread; an out-of-office; a thank-you;
* b: need_info (primary missing) from the team member, who then names the primary
  (confirm_from_primary); the primary's "Yes, please"; a follow-up of the other intent;
* c: a repeat without threading inside the window (same intent), an unverified
  follow-up that adds a team member, a repeat of the other intent, one outside the window.

The same files go through the dry run and through ``mailbot poll`` on a Maildir
(SQLite and PostgreSQL), in two polls so the second one finds the first one's
conversations in the database.
"""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import TODAY, maildir_settings, triage_context
from mailbot_cli import REPO, json_lines, run_mailbot
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mailbot.accounts.csv_import import import_accounts
from mailbot.conversations.book import ConversationBook
from mailbot.conversations.join import join_conversation
from mailbot.conversations.phrases import confirms, is_acknowledgement
from mailbot.conversations.state import ConversationState
from mailbot.conversations.subjects import base_subject, reply_subject, subject_tag
from mailbot.errors import DraftSuperseded
from mailbot.intake.cycle import poll_once
from mailbot.models import Conversation, ConversationMessageId, ConversationParticipant, Draft, InboundMessage
from mailbot.review.approve import approve
from mailbot.triage.record import TriageRecord
from mailbot.triage.rules import load_rules
from mailbot.vocabulary import Intent, JoinRule, ParticipantRole, SenderVerification

DATA = REPO / "tests" / "data" / "conversations"
MAILS = DATA / "mails"
FIRST_POLL = ("a1-", "b1-", "c1-")  # the rest arrive in the second poll

# file prefix -> (intent, the conversation's first file, the file whose draft it supersedes, outcomes)
EXPECTED: dict[str, tuple[str, str, str | None, list[str]]] = {
    "a1": ("link", "a1", None, ["need_info"]),
    "a2": ("link", "a1", "a1", ["ready_to_link"]),  # the answer names the team member
    "a3": ("link", "a1", "a2", ["ready_to_link", "ready_to_link"]),  # a second team member added later
    "a4": ("link", "a4", None, ["need_info"]),  # a stranger in the thread: a conversation of its own
    "a5": ("auto", "a1", None, []),  # out-of-office: recorded in the thread, changes nothing
    "a6": ("other", "a1", None, []),  # thank-you: ignored, touches no draft
    "b1": ("link", "b1", None, ["need_info"]),  # the team member, primary missing
    "b2": ("link", "b1", "b1", ["confirm_from_primary"]),  # she names the primary
    "b3": ("link", "b1", "b2", ["ready_to_link"]),  # the primary's "Yes, please"
    "b4": ("reactivate", "b1", "b3", ["ready_to_reactivate"]),  # the other intent: link dropped
    "c1": ("link", "c1", None, ["ready_to_link"]),
    "c2": ("link", "c1", "c1", ["ready_to_link"]),  # repeat inside the window, same intent
    "c3": ("link", "c1", "c2", ["ready_to_link", "sender_unverified"]),  # unverified adds only unverified
    "c4": ("reactivate", "c4", None, ["not_linked"]),  # repeat of the other intent: new
    "c5": ("link", "c5", None, ["ready_to_link"]),  # outside the window: new
}


def _prefix(name: str) -> str:
    return Path(name).name[:2]


# -- the pure parts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "base"),
    [
        ("Re: AW: Teammitglied [#12]", "Teammitglied"),
        ("WG: Re[2]: Team member", "Team member"),
        ("RE: [#7] Fwd: Link", "Link"),
        ("Antw: Konto", "Konto"),
        ("Team member", "Team member"),
    ],
)
def test_base_subject_strips_prefixes_and_our_tag(subject: str, base: str) -> None:
    assert base_subject(subject) == base


def test_reply_subject_never_stacks_re_or_the_tag() -> None:
    assert reply_subject("AW: Re: Teammitglied [#12]", conversation_id=12) == "Re: Teammitglied [#12]"
    assert reply_subject("Re: Teammitglied [#12]", conversation_id=12, tag=False) == "Re: Teammitglied"
    assert reply_subject("", conversation_id=None) == "Re: Ihre Anfrage / your request"
    assert subject_tag("Re: x [#3] [#41]") == 41 and subject_tag("Re: x #41") is None


def test_acknowledgement_and_confirmation_phrases() -> None:
    rules = load_rules()
    assert is_acknowledgement("Danke!", rules=rules)
    assert is_acknowledgement("Thanks, that worked.\n\nOlivia", rules=rules)
    assert not is_acknowledgement("Thanks, but it still does not work", rules=rules)
    assert not is_acknowledgement("Thank you! Please also add anna@x.example", rules=rules)
    assert confirms("Ja, bitte.", rules=rules) and confirms("Confirmed.", rules=rules)
    assert not confirms("Nein, bitte nicht.", rules=rules) and not confirms("No, don't.", rules=rules)


def _record(sender: str, *, intent: Intent = Intent.LINK, in_reply_to: str | None = None) -> TriageRecord:
    from mailbot.vocabulary import InboundStatus

    return TriageRecord(
        message_id=f"<{sender}-{in_reply_to}>",
        sender=sender,
        subject="Re: Team member" if in_reply_to else "Team member",
        date=None,
        intent=intent,
        language="en",
        status=InboundStatus.TRIAGED,
        sender_verified=SenderVerification.PASS,
        reason="",
        in_reply_to=in_reply_to,
    )


def _state(key: int, *, sender: str, at: datetime, intent: Intent = Intent.LINK) -> ConversationState:
    state = ConversationState(key=key, label=str(key), intent=intent, subject="Team member", last_activity=at)
    state.add_participant(sender, ParticipantRole.SENDER)
    return state


def test_join_rules_in_order_with_the_non_participant_and_machine_mail() -> None:
    now = datetime(2026, 6, 15, tzinfo=UTC)
    book = ConversationBook()
    thread = book.add(_state(1, sender="boss@x.example", at=now - timedelta(days=30)), message_ids=["<m1>"])
    recent = book.add(_state(2, sender="boss@x.example", at=now - timedelta(days=3)))

    def join(record: TriageRecord, window: int = 14):
        return join_conversation(record, book=book, dated_at=now, window_days=window, own_intent=lambda: record.intent)

    threaded = join(_record("boss@x.example", in_reply_to="<m1>"))
    assert (threaded.rule, threaded.conversation) == (JoinRule.THREAD, thread)  # rule 1 beats a newer repeat
    repeat = join(_record("boss@x.example"))
    assert (repeat.rule, repeat.conversation) == (JoinRule.REPEAT, recent)
    assert join(_record("boss@x.example"), window=2).rule == JoinRule.NEW  # outside the window
    late = book.add(_state(3, sender="late@x.example", at=now + timedelta(days=120)))
    assert late.last_activity > now
    assert join(_record("late@x.example")).rule == JoinRule.NEW  # dated months before that conversation
    assert join(_record("boss@x.example", intent=Intent.REACTIVATE)).rule == JoinRule.NEW  # the other intent
    stranger = join(_record("max@y.example", in_reply_to="<m1>"))
    assert stranger.rule == JoinRule.NEW and stranger.conversation is None
    assert stranger.note == "replied into conversation #1 but max@y.example is not a participant"
    machine = join(_record("mailer-daemon@y.example", intent=Intent.AUTO, in_reply_to="<m1>"))
    assert (machine.rule, machine.conversation) == (JoinRule.THREAD, thread)


def test_an_unverified_follow_up_neither_spoils_nor_borrows_a_verified_request() -> None:
    from factories import account, book

    from mailbot.conversations.follow_up import decide_asked
    from mailbot.conversations.state import AskedRequest
    from mailbot.triage.decide import Decision
    from mailbot.triage.extract import Request
    from mailbot.vocabulary import LINK_ADDRESS_MISSING

    ctx = triage_context(
        book(account(1, "boss@x.example"), account(2, "va@x.example", plan="basic", status="trial", paid_until=None))
    )
    placeholder = Decision(Request("boss@x.example", "va@x.example"), LINK_ADDRESS_MISSING, "")
    verified = AskedRequest(placeholder, 1, 1, "boss@x.example", SenderVerification.PASS)
    spoofed = AskedRequest(placeholder, 2, 2, "boss@x.example", SenderVerification.FAIL)
    outcomes = [
        r.outcome
        for r in decide_asked(
            [verified, spoofed], intent=Intent.LINK, accounts=ctx.accounts, plans=ctx.plans, today=TODAY
        )
    ]
    assert outcomes == ["ready_to_link", "sender_unverified"]


# -- the dry run ---------------------------------------------------------------------


def test_dry_run_groups_the_files_in_date_order(tmp_path: Path) -> None:
    env = {"MAILBOT_CONFIG": str(DATA / "config.toml"), "MAILBOT_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    assert run_mailbot("accounts", "import", DATA / "accounts.csv", cwd=tmp_path, env=env).returncode == 0
    result = run_mailbot("triage", "--json", MAILS, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    rows = json_lines(result.stdout)
    assert [_prefix(row["file"]) for row in rows][:4] == ["a1", "c1", "b1", "a2"]  # Date order, not file order
    first = {_prefix(r["file"]): r["message_id"] for r in rows}
    for row in rows:
        intent, conversation, supersedes, outcomes = EXPECTED[_prefix(row["file"])]
        got = (row["intent"], row["conversation"], row["supersedes"] and _prefix(row["supersedes"]))
        assert got == (intent, first[conversation], supersedes), row["file"]
        assert [r["outcome"] for r in row["requests"]] == outcomes, row["file"]
        if row["draft"]:
            assert row["draft"]["subject"].count("Re:") == 1 and "[#" not in row["draft"]["subject"]
    by = {_prefix(r["file"]): r for r in rows}
    assert by["a4"]["join_note"].endswith("but max@other-firm.example is not a participant")
    assert (by["a6"]["status"], by["a6"]["reason"], by["a6"]["draft"]) == ("ignored", "acknowledgement", None)
    assert by["b2"]["draft"]["to"] == "va2@harbor-studio.example"
    assert by["b3"]["draft"]["to"] == "owner@harbor-studio.example"  # addressed to the new mail's sender
    assert by["b3"]["requests"][0]["asker"] == "owner@harbor-studio.example"  # the primary confirmed
    assert [r["asker_verified"] for r in by["c3"]["requests"]] == ["pass", "fail"]


# -- the poll, on both databases ------------------------------------------------------


def _poll(engine: Engine, settings, names: list[Path]) -> None:
    box = mailbox.Maildir(settings.mailbox.path)
    for path in names:
        box.add(path.read_bytes())
    poll_once(settings=settings, engine=engine, today=TODAY)


@pytest.fixture
def polled(db_engine: Engine, tmp_path: Path):
    settings, _maildir = maildir_settings(url=str(db_engine.url), folder=tmp_path, window_days=14)
    settings = settings.model_copy(
        update={"plans": {**settings.plans, "pro": settings.plans["pro"].__class__("pro", team_seats=3)}}
    )
    import_accounts(engine=db_engine, path=DATA / "accounts.csv")
    files = sorted(MAILS.glob("*.eml"))
    _poll(db_engine, settings, [f for f in files if f.name.startswith(FIRST_POLL)])
    _poll(db_engine, settings, [f for f in files if not f.name.startswith(FIRST_POLL)])
    return db_engine, settings


def test_poll_joins_follow_ups_and_supersedes_their_drafts(polled) -> None:
    engine, _settings = polled
    with Session(engine) as session:
        rows = list(session.exec(select(InboundMessage)))
        by_id = {m.message_id: m for m in rows}
        mails = {}
        for path in MAILS.glob("*.eml"):
            msgid = next(
                line.split(":", 1)[1].strip()
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.lower().startswith("message-id:")
            )
            mails[_prefix(path.name)] = by_id[msgid]
        drafts = {d.inbound_id: d for d in session.exec(select(Draft))}
        for prefix, (intent, conversation, supersedes, outcomes) in EXPECTED.items():
            mail = mails[prefix]
            assert (mail.intent, mail.conversation_id) == (intent, mails[conversation].conversation_id), prefix
            assert mail.dated_at is not None
            draft = drafts.get(mail.id)
            assert [r["outcome"] for r in (draft.requests if draft else [])] == outcomes, prefix
            if supersedes is not None:
                old = drafts[mails[supersedes].id]
                assert (old.status, old.superseded_by) == ("superseded", draft.id), prefix
        assert mails["a2"].joined_by == "thread" and mails["c2"].joined_by == "repeat"
        assert mails["a4"].joined_by == "new" and "not a participant" in (mails["a4"].join_note or "")
        assert (mails["a6"].status, mails["a6"].outcome) == ("ignored", "ignored")
        assert mails["a6"].result["reason"] == "acknowledgement"
        pending = {d.conversation_id for d in drafts.values() if d.status == "pending"}
        assert len(pending) == sum(1 for d in drafts.values() if d.status == "pending")  # one per conversation
        a3 = drafts[mails["a3"].id]
        assert a3.subject == f"Re: Teammitglied verknüpfen [#{mails['a1'].conversation_id}]"
        # which mail each request came from, and who asks it
        assert [(r["stated_in"], r["asked_by"]) for r in a3.requests] == [
            (mails["a1"].id, mails["a2"].id),
            (mails["a3"].id, mails["a3"].id),
        ]
        b3 = drafts[mails["b3"].id]
        assert (b3.requests[0]["asker"], b3.requests[0]["asked_by"]) == ("owner@harbor-studio.example", mails["b3"].id)
        conversation = session.get(Conversation, mails["a1"].conversation_id)
        assert (conversation.intent, conversation.subject) == ("link", "Teammitglied verknüpfen")
        # the out-of-office did not move the conversation's activity; the thank-you did
        assert conversation.last_activity_at == mails["a6"].dated_at
        participants = set(
            session.exec(
                select(ConversationParticipant.address, ConversationParticipant.role).where(
                    ConversationParticipant.conversation_id == conversation.id
                )
            )
        )
        assert ("lena@kanzlei-berg.example", "team_member") in participants
        assert not any(a == "max@other-firm.example" for a, _role in participants)
        known = set(
            session.exec(
                select(ConversationMessageId.message_id).where(ConversationMessageId.conversation_id == conversation.id)
            )
        )
        assert {mails[p].message_id for p in ("a1", "a2", "a3", "a5", "a6")} <= known


def test_approving_a_superseded_draft_is_refused_and_names_the_new_one(polled) -> None:
    engine, settings = polled
    with Session(engine) as session:
        old = session.exec(select(Draft).where(Draft.status == "superseded").order_by(col(Draft.id))).first()
        assert old is not None
    with pytest.raises(DraftSuperseded) as refused:
        approve(engine=engine, settings=settings, draft_id=old.id, agent="alice", today=TODAY)
    assert str(refused.value) == (
        f"draft {old.id} was superseded by draft {old.superseded_by}: review draft {old.superseded_by} instead"
    )
    assert (refused.value.draft_id, refused.value.superseded_by) == (old.id, old.superseded_by)
    with Session(engine) as session:
        assert session.get(Draft, old.id).status == "superseded"


def test_a_reply_to_our_reply_threads_into_its_conversation(polled, tmp_path: Path) -> None:
    engine, settings = polled
    with Session(engine) as session:
        draft = session.exec(
            select(Draft).where(Draft.status == "pending", col(Draft.to) == "claudia@wagner-design.example")
        ).first()
        assert draft is not None
    approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    with Session(engine) as session:
        reply = session.exec(
            select(ConversationMessageId).where(
                ConversationMessageId.conversation_id == draft.conversation_id, ConversationMessageId.kind == "reply"
            )
        ).one()
        assert (
            session.exec(
                select(ConversationParticipant).where(
                    ConversationParticipant.conversation_id == draft.conversation_id,
                    ConversationParticipant.role == "recipient",
                )
            )
            .one()
            .address
            == "claudia@wagner-design.example"
        )
    answer = (
        "Authentication-Results: mx.vendor.example; dkim=pass header.d=wagner-design.example; "
        "dmarc=pass header.from=wagner-design.example\n"
        "From: Claudia Wagner <claudia@wagner-design.example>\nTo: support@vendor.example\n"
        f"Subject: AW: {draft.subject}\nMessage-ID: <answer.1@wagner-design.example>\n"
        f"In-Reply-To: {reply.message_id}\nReferences: {reply.message_id}\n"
        "Date: Mon, 20 Jul 2026 10:00:00 +0200\nContent-Type: text/plain; charset=utf-8\n\n"
        "Danke, hat geklappt!\n"
    ).encode()
    mailbox.Maildir(settings.mailbox.path).add(answer)
    poll_once(settings=settings, engine=engine, today=TODAY)
    with Session(engine) as session:
        stored = session.exec(
            select(InboundMessage).where(InboundMessage.message_id == "<answer.1@wagner-design.example>")
        ).one()
        # weeks after the window, but it threads on our reply's Message-ID
        assert (stored.conversation_id, stored.joined_by, stored.status) == (draft.conversation_id, "thread", "ignored")


def test_cli_refuses_a_superseded_draft_with_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/c.db"
    env = {"MAILBOT_CONFIG": str(DATA / "config.toml"), "MAILBOT_DATABASE_URL": db}
    from mailbot.db.engine import make_engine

    engine = make_engine(db)
    settings, _ = maildir_settings(url=db, folder=tmp_path, window_days=14)
    import_accounts(engine=engine, path=DATA / "accounts.csv")
    _poll(engine, settings, sorted(MAILS.glob("c[12]-*.eml")))
    with Session(engine) as session:
        old, new = session.exec(select(Draft).order_by(col(Draft.id))).all()
    engine.dispose()
    result = run_mailbot("drafts", "approve", str(old.id), "--agent", "alice", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == f"draft {old.id} was superseded by draft {new.id}: review draft {new.id} instead"
