"""Approve versus supersede, in two OS processes (issue 9: "exactly one of them wins").

Process A (an agent) approves draft N while process B (the poller) triages a
follow-up in N's conversation, which supersedes N. Each is a
``tests/race_worker.py`` with its own interpreter and database engine, driven
through its pipes. Rounds are of four kinds, so both orders are hit on purpose
and the free races run besides them:

* ``approval first``: B stops at the supersede gate (mailbot/debug_gates.py) —
  it has read N as pending and built its draft on N — A approves and commits,
  then B goes on and its conditional update finds N no longer pending;
* ``supersede first``: B passes the gate and finishes, then A approves;
* ``at the gate``: B waits at the gate; A's approval and B's update start at once;
* ``free``: A and B start at once, no gate.

Every round exactly one wins: either the approval holds (one reply queued for
N, N not superseded, and the follow-up's draft is built on what was sent — the
linked team member is not asked for again) or it is refused with the contract's
line (N superseded by the follow-up's draft, nothing queued). Never both, never
two queued replies for one conversation state.
"""

from __future__ import annotations

import json
import mailbox
import os
import select
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Any

import pytest
from mailbot_cli import REPO
from servers.mails import EXAMPLE_CONFIG
from sqlalchemy import text
from sqlmodel import col
from sqlmodel import select as sql_select

from mailbot.accounts.csv_import import import_accounts
from mailbot.db.engine import make_engine, new_session
from mailbot.models import Account, Draft, InboundMessage, OutboxMessage

ROUNDS = 20
KINDS = ("approval first", "supersede first", "at the gate", "free")
WORKER = Path(__file__).resolve().parent / "race_worker.py"
#: Seconds a process may take for one step before the test gives up on it (a hang is a failure, not a wait).
STEP_TIMEOUT = 120
AUTH = "Authentication-Results: mx.example.com; dkim=pass header.d=race.example; dmarc=pass header.from=race.example"


def _primary(n: int) -> str:
    return f"primary-{n}@race.example"


def _member(n: int, which: str) -> str:
    return f"member-{n}{which}@race.example"


def _accounts_csv(path: Path) -> Path:
    lines = ["account_id,email,plan,status,paid_until,primary_account_id"]
    for n in range(ROUNDS):
        lines.append(f"{7000 + n},{_primary(n)},pro,active,2099-06-30,")
        lines.append(f"{7100 + n},{_member(n, 'a')},basic,trial,,")
        lines.append(f"{7200 + n},{_member(n, 'b')},basic,trial,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _mail(n: int, *, follow_up: bool, date: datetime) -> bytes:
    """Round n's first mail (link member a), or its threaded follow-up (also link member b)."""
    first = f"<race-{n}-first@race.example>"
    head = [
        AUTH,
        f"From: Pat Primary {n} <{_primary(n)}>",
        "To: support@example.com",
        f"Subject: {'Re: ' if follow_up else ''}Team member for round {n}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: <race-{n}-{'second' if follow_up else 'first'}@race.example>",
    ]
    if follow_up:
        head += [f"In-Reply-To: {first}", f"References: {first}"]
        text = f"please also link {_member(n, 'b')} to my account."
    else:
        text = f"please link the account {_member(n, 'a')} as a team member to my account."
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(head) + f"\r\n\r\nHello,\r\n\r\n{text}\r\n\r\nThanks, Pat\r\n").encode()


class Worker:
    """One race_worker.py process: a command in, one JSON answer out."""

    def __init__(self, settings: dict[str, Any], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(settings)],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert "ready" in self.answer()

    @property
    def stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        readable, _w, _x = select.select([self.stdout], [], [], STEP_TIMEOUT)
        line = self.stdout.readline() if readable else ""
        if not line:
            self.process.kill()
            _out, err = self.process.communicate()
            raise AssertionError(f"race worker gave no answer: {err[-3000:]}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=STEP_TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


class Gate:
    """The test's side of mailbot/debug_gates.py: two FIFOs, no sleeps."""

    def __init__(self, base: Path) -> None:
        self.base = str(base)
        os.mkfifo(self.base + ".arrived")
        os.mkfifo(self.base + ".go")
        # Open now, non-blocking: the poller's open for writing then never waits for us.
        self._arrived = os.open(self.base + ".arrived", os.O_RDONLY | os.O_NONBLOCK)

    def wait_arrived(self, poller: Worker) -> None:
        """Until the poller is at the gate; fails if it finishes (or dies) without reaching it."""
        readable, _w, _x = select.select([self._arrived, poller.stdout], [], [], STEP_TIMEOUT)
        if self._arrived in readable and os.read(self._arrived, 1) == b"1":
            return
        what = poller.answer() if poller.stdout in readable else "nothing within the time-out"
        raise AssertionError(f"the poll never reached the supersede gate; it answered {what}")

    def open(self) -> None:
        """Let the poller go on (opening for writing waits until it listens, which it does next)."""
        os.close(os.open(self.base + ".go", os.O_WRONLY))

    def close(self) -> None:
        os.close(self._arrived)


def _state(engine, n: int, draft_id: int) -> dict[str, Any]:
    """What the round left: N, the follow-up's draft, the replies queued in the conversation."""
    with new_session(engine) as session:
        first = session.get(Draft, draft_id, populate_existing=True)
        assert first is not None
        follow_up_mail = session.exec(
            sql_select(InboundMessage).where(InboundMessage.message_id == f"<race-{n}-second@race.example>")
        ).one()
        later = list(
            session.exec(
                sql_select(Draft).where(Draft.conversation_id == first.conversation_id, col(Draft.id) != draft_id)
            )
        )
        drafts_of_conversation = [draft_id, *(d.id for d in later)]
        replies = list(
            session.exec(sql_select(OutboxMessage).where(col(OutboxMessage.draft_id).in_(drafts_of_conversation)))
        )
        member_a = session.exec(sql_select(Account).where(Account.email == _member(n, "a"))).one()
        return {
            "status": first.status,
            "superseded_by": first.superseded_by,
            "conversation_id": first.conversation_id,
            "follow_up_conversation": follow_up_mail.conversation_id,
            "later": [(d.id, d.status, [r.get("team_member") for r in d.requests]) for d in later],
            "replies": [(r.draft_id, r.message_id) for r in replies],
            "member_a_linked": member_a.primary_account_id == 7000 + n,
        }


def _race_round(kind: str, approver: Worker, poller: Worker, gate_base: Path, draft_id: int) -> dict[str, Any]:
    """One race of A's approval of ``draft_id`` against B's poll of the follow-up; both answers."""
    if kind == "free":
        approver.send(op="approve", draft_id=draft_id, agent="alice")
        poller.send(op="poll", gate=None)
        return {"approve": approver.answer(), "poll": poller.answer()}
    gate = Gate(gate_base)
    try:
        poller.send(op="poll", gate=gate.base)
        gate.wait_arrived(poller)
        if kind == "approval first":
            approver.send(op="approve", draft_id=draft_id, agent="alice")
            approved = approver.answer()
            gate.open()
            return {"approve": approved, "poll": poller.answer()}
        if kind == "supersede first":
            gate.open()
            polled = poller.answer()
            approver.send(op="approve", draft_id=draft_id, agent="alice")
            return {"approve": approver.answer(), "poll": polled}
        gate.open()  # "at the gate": the supersede and the claim race from here
        approver.send(op="approve", draft_id=draft_id, agent="alice")
        return {"approve": approver.answer(), "poll": poller.answer()}
    finally:
        gate.close()


@pytest.fixture
def race_setup(storage_url: str, tmp_path: Path):
    maildir = tmp_path / "Maildir"
    mailbox.Maildir(maildir, create=True)
    settings = {
        **EXAMPLE_CONFIG,
        "database": {"url": storage_url},
        "mailbox": {"kind": "maildir", "path": str(maildir)},
        "outbox": {"path": str(tmp_path / "outbox")},
    }
    engine = make_engine(storage_url)
    import_accounts(engine=engine, path=_accounts_csv(tmp_path / "accounts.csv"))
    approver, poller = Worker(settings, tmp_path), Worker(settings, tmp_path)
    try:
        yield engine, maildir, approver, poller
    finally:
        approver.close()
        poller.close()
        engine.dispose()


def _deliver(maildir: Path, raw: bytes) -> None:
    mailbox.Maildir(maildir, create=False).add(raw)  # into new/, as a delivery agent leaves it


def _deadlocks(engine) -> int | None:
    """PostgreSQL's count of deadlocks it broke in this database (None on SQLite, which has none)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        return connection.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        ).scalar_one()


def test_approval_and_supersede_race_exactly_one_wins(race_setup, tmp_path: Path) -> None:
    engine, maildir, approver, poller = race_setup
    deadlocks_before = _deadlocks(engine)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    outcomes: Counter[tuple[str, str]] = Counter()
    for n in range(ROUNDS):
        kind = KINDS[n % len(KINDS)]
        _deliver(maildir, _mail(n, follow_up=False, date=start + timedelta(minutes=n)))
        poller.send(op="poll", gate=None)
        assert poller.answer()["drafted"] == 1
        with new_session(engine) as session:
            (pending,) = session.exec(
                sql_select(Draft)
                .join(InboundMessage, col(InboundMessage.id) == col(Draft.inbound_id))
                .where(InboundMessage.message_id == f"<race-{n}-first@race.example>")
            )
        assert pending.status == "pending"
        draft_id = pending.id
        assert draft_id is not None

        _deliver(maildir, _mail(n, follow_up=True, date=start + timedelta(minutes=n, seconds=30)))
        answers = _race_round(kind, approver, poller, tmp_path / f"gate-{n}", draft_id)
        where = f"round {n} ({kind}): {answers}"
        poll, approval = answers["poll"], answers["approve"]
        assert "error" not in approval, where  # refused or approved, never a database error
        assert (poll["fetched"], poll["stored"], poll["drafted"], poll["errors"]) == (1, 1, 1, 0), where
        state = _state(engine, n, draft_id)
        where += f", left {state}"
        assert state["conversation_id"] is not None, where
        assert state["follow_up_conversation"] == state["conversation_id"], where
        (follow_up,) = state["later"]  # one draft for the follow-up, whoever won
        follow_up_id, follow_up_status, follow_up_members = follow_up
        assert follow_up_status == "pending", where

        if "approved" in approval:  # the approval held ...
            outcomes[(kind, "approval")] += 1
            assert (state["status"], state["superseded_by"]) == ("approved", None), where
            assert state["replies"] == [(draft_id, approval["approved"])], where
            assert state["member_a_linked"], where
            # ... so the follow-up was triaged against what was sent: member a is done, not asked again.
            assert follow_up_members == [_member(n, "b")], where
        else:  # ... or it was refused, and nothing went out
            outcomes[(kind, "supersede")] += 1
            assert approval["refused"] == "DraftSuperseded", where
            assert approval["message"] == (
                f"draft {draft_id} was superseded by draft {follow_up_id}: review draft {follow_up_id} instead"
            ), where
            assert approval["superseded_by"] == follow_up_id, where
            assert (state["status"], state["superseded_by"]) == ("superseded", follow_up_id), where
            assert state["replies"] == [], where
            assert not state["member_a_linked"], where
            assert follow_up_members == [_member(n, "a"), _member(n, "b")], where

    # Neither side may wait for the other's locks in the opposite order: PostgreSQL breaks such a
    # deadlock by failing one transaction — the poll's batch, or the agent's approval with a database
    # error. The workers exit first, so their backends' statistics are in.
    approver.close()
    poller.close()
    assert _deadlocks(engine) == deadlocks_before, "approval and poll deadlocked (see the PostgreSQL log)"
    # Both orders were hit, each by the rounds that force it.
    rounds_per_kind = ROUNDS // len(KINDS)
    assert outcomes[("approval first", "approval")] == rounds_per_kind, outcomes
    assert outcomes[("supersede first", "supersede")] == rounds_per_kind, outcomes
    assert sum(outcomes.values()) == ROUNDS, outcomes
