"""The approval gate: nothing changes or is sent until an agent approves, then both happen once.

Drafts come from a real poll of a Maildir; the tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from factories import account, account_row, maildir_settings, poll_maildir
from factories import customer_mail as mail
from sqlalchemy import Engine
from sqlmodel import Session, select

from mailbot.accounts.book import AccountRecord
from mailbot.accounts.csv_import import upsert_accounts
from mailbot.config import Settings
from mailbot.errors import DraftStateError, ReviewError, StaleDecision
from mailbot.models import Account, AuditEvent, Draft, OutboxMessage
from mailbot.outbox.queue import deliver_queued
from mailbot.review.approve import approve, reject

TODAY = date(2026, 6, 15)
PAID = date(2027, 1, 31)


def accounts() -> list[AccountRecord]:
    return [
        account(1, "boss@firma.example", plan="pro", status="active", paid_until=PAID),
        account(2, "va@firma.example", plan="basic", status="trial", paid_until=None),
        account(3, "va2@firma.example", plan="basic", status="trial", paid_until=None),
        account(4, "old@firma.example", plan="pro", status="expired", paid_until=date(2021, 5, 31), primary=1),
    ]


@pytest.fixture
def setup(db_engine: Engine, tmp_path: Path) -> tuple[Engine, Settings, Path]:
    settings, maildir = maildir_settings(url=str(db_engine.url), folder=tmp_path)
    upsert_accounts(engine=db_engine, rows=accounts())
    return db_engine, settings, maildir


def deliver_and_poll(setup, *raws: bytes) -> list[Draft]:
    engine, settings, _maildir = setup
    return poll_maildir(engine, settings, *raws, today=TODAY)


def outbox_rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage)))


def test_polling_drafts_but_changes_and_sends_nothing(setup) -> None:
    engine, settings, _ = setup
    drafts = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="a1"))
    assert [d.status for d in drafts] == ["pending"]
    assert drafts[0].requests[0]["outcome"] == "ready_to_link"
    assert account_row(engine, 2).primary_account_id is None
    summary = deliver_queued(engine=engine, settings=settings)
    assert summary.sent == 0 and outbox_rows(engine) == []
    assert not (Path(settings.outbox.path).exists() and any(Path(settings.outbox.path).iterdir()))


def test_approval_applies_exactly_the_shown_link_and_queues_one_reply(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="a2"))
    shown = draft.requests[0]["action"]["text"]
    result = approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert result.actions == [shown]
    assert shown == "link va@firma.example (#2) to boss@firma.example (#1), plan pro, paid until 2027-01-31"
    member = account_row(engine, 2)
    assert (member.primary_account_id, member.plan, member.status, member.paid_until) == (1, "pro", "active", PAID)
    (row,) = outbox_rows(engine)
    assert row.status == "queued" and row.message_id == result.outbox_message_id
    with Session(engine) as session:
        stored = session.get(Draft, draft.id)
        assert stored.status == "approved" and stored.decided_by == "alice"
        events = session.exec(select(AuditEvent).where(AuditEvent.draft_id == draft.id)).all()
        assert [e.action for e in events] == ["approved"]
        assert events[0].agent == "alice" and events[0].detail["actions"][0]["text"] == shown


def test_approval_of_reactivation_sets_status_and_paid_until(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(
        setup, mail("boss@firma.example", "We renewed. Please reactivate old@firma.example.", msgid="r1")
    )
    assert draft.requests[0]["outcome"] == "ready_to_reactivate"
    approve(engine=engine, settings=settings, draft_id=draft.id, agent="bob", today=TODAY)
    member = account_row(engine, 4)
    assert (member.status, member.paid_until, member.primary_account_id) == ("active", PAID, 1)


def test_stale_decision_is_refused_and_changes_nothing(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="s1"))
    with Session(engine) as session:  # meanwhile someone else takes the last free seat
        other = session.get(Account, 3)
        other.primary_account_id = 1
        session.add(other)
        session.commit()
    with pytest.raises(StaleDecision) as refused:
        approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert refused.value.outcomes == ["no_free_seat"]
    assert account_row(engine, 2).primary_account_id is None
    assert outbox_rows(engine) == []
    with Session(engine) as session:
        assert session.get(Draft, draft.id).status == "pending"
        actions = [e.action for e in session.exec(select(AuditEvent))]
        assert actions == ["approve_refused"]


def test_changed_paid_until_makes_the_shown_action_stale(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="s2"))
    with Session(engine) as session:
        boss = session.get(Account, 1)
        boss.paid_until = date(2028, 1, 31)
        session.add(boss)
        session.commit()
    with pytest.raises(StaleDecision):
        approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert account_row(engine, 2).primary_account_id is None


def test_rejection_changes_nothing_and_sends_nothing(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="j1"))
    reject(engine=engine, draft_id=draft.id, agent="carol", reason="customer withdrew")
    assert account_row(engine, 2).primary_account_id is None
    assert outbox_rows(engine) == []
    assert deliver_queued(engine=engine, settings=settings).sent == 0
    with pytest.raises(DraftStateError):
        approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    with Session(engine) as session:
        stored = session.get(Draft, draft.id)
        assert (stored.status, stored.reject_reason, stored.decided_by) == ("rejected", "customer withdrew", "carol")


def test_rejection_needs_a_reason(setup) -> None:
    engine, _, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="j2"))
    with pytest.raises(ReviewError):
        reject(engine=engine, draft_id=draft.id, agent="carol", reason="  ")


def test_edited_text_is_sent_and_the_original_is_kept(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="e1"))
    original = draft.body
    result = approve(
        engine=engine,
        settings=settings,
        draft_id=draft.id,
        agent="alice",
        body="Hello, done!\n\nVendor Support",
        today=TODAY,
    )
    assert result.edited
    with Session(engine) as session:
        stored = session.get(Draft, draft.id)
        assert stored.original_body == original and stored.body.startswith("Hello, done!")
    (row,) = outbox_rows(engine)
    assert b"Hello, done!" in row.raw


def test_concurrent_approvals_apply_once(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="c1"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def agent(name: str) -> None:
        barrier.wait()
        try:
            approve(engine=engine, settings=settings, draft_id=draft.id, agent=name, today=TODAY)
            outcomes.append("approved")
        except DraftStateError:
            outcomes.append("told")

    threads = [threading.Thread(target=agent, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["approved", "told"]
    assert len(outbox_rows(engine)) == 1
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "approved")).all()) == 1


def test_two_drafts_for_the_last_seat_link_only_one(setup) -> None:
    engine, settings, _ = setup
    drafts = deliver_and_poll(
        setup,
        mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="t1"),
        mail("boss@firma.example", "Please link my assistant va2@firma.example.", msgid="t2"),
    )
    assert [d.requests[0]["outcome"] for d in drafts] == ["ready_to_link", "ready_to_link"]
    approve(engine=engine, settings=settings, draft_id=drafts[0].id, agent="alice", today=TODAY)
    with pytest.raises(StaleDecision):  # pro has 2 seats: old@ holds one, va@ now the other
        approve(engine=engine, settings=settings, draft_id=drafts[1].id, agent="bob", today=TODAY)
    assert account_row(engine, 3).primary_account_id is None


def test_unverified_sender_approval_changes_no_account(setup) -> None:
    engine, settings, _ = setup
    raw = mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="u1").replace(
        b"dmarc=pass", b"dmarc=fail"
    )
    (draft,) = deliver_and_poll(setup, raw)
    assert draft.sender_verified == "fail" and draft.requests[0]["outcome"] == "sender_unverified"
    result = approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert result.actions == []
    assert account_row(engine, 2).primary_account_id is None


def test_approved_reply_is_delivered_once_to_the_file_outbox(setup) -> None:
    engine, settings, _ = setup
    (draft,) = deliver_and_poll(setup, mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="f1"))
    approve(engine=engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert deliver_queued(engine=engine, settings=settings).sent == 1
    assert deliver_queued(engine=engine, settings=settings).sent == 0
    files = list(Path(settings.outbox.path).glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "In-Reply-To: <f1@firma.example>" in text and "Subject: Re: Team member" in text
    with Session(engine) as session:
        assert session.get(Draft, draft.id).status == "sent"


def test_only_approval_queues_replies() -> None:
    """The outbox is the only way out, and only review.approve puts a reply in it."""
    import re

    package = Path(__file__).resolve().parent.parent / "mailbot"
    callers = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"\bqueue_reply\(|\bOutboxMessage\(", path.read_text(encoding="utf-8"))
    }
    # models.py: the class itself; outbox/actions.py: the reply of an approved draft
    # whose account-API actions were all confirmed.
    assert callers == {"outbox/queue.py", "models.py", "review/approve.py", "outbox/actions.py"}
    review = (package / "review" / "approve.py").read_text(encoding="utf-8")
    assert review.count("queue_reply(") == 1 and "def approve(" in review
    actions = (package / "outbox" / "actions.py").read_text(encoding="utf-8")
    assert actions.count("queue_reply(") == 1
    assert "draft.status != DraftStatus.APPROVED" in actions and "position not in confirmed" in actions
