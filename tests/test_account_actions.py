"""Approval against the vendor's account API, over real HTTP (the reference API under uvicorn).

Drafts come from a real poll of a Maildir whose look-ups go to the API; every
test runs on SQLite and on PostgreSQL. The API's own counters say what it was
asked and what it applied, so "applied once" is the vendor's word, not ours.
"""

from __future__ import annotations

import json
import mailbox
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from factories import ROOT, customer_mail, poll_maildir
from servers.account_api import TOKEN, AccountApiServer, api_account
from sqlalchemy import Engine
from sqlmodel import Session, select

from mailbot.config import Settings, settings_from_mapping
from mailbot.db.types import as_utc
from mailbot.errors import ActionRefused, DraftStateError
from mailbot.models import AccountAction, Draft, OutboxMessage
from mailbot.outbox.actions import retry_due_actions
from mailbot.outbox.queue import deliver_queued
from mailbot.review.approve import approve, reject

TODAY = date(2026, 6, 15)
PAID = date(2027, 1, 31)
LINK = "Please link my VA va@firma.example to my account."
CONFIG = """
[database]
url = "{url}"
[support]
address = "support@vendor.example"
[mailbox]
kind = "maildir"
path = "{maildir}"
[outbox]
path = "{outbox}"
retry_base_seconds = {retry_base}
[accounts]
source = "http"
url = "{api}"
token = "{token}"
timeout = {timeout}
retries = 2
retry_base_seconds = 0.05
[plans.basic]
team_seats = 0
[plans.pro]
team_seats = 2
"""


class Setup:
    def __init__(self, engine: Engine, api: AccountApiServer, tmp_path: Path) -> None:
        self.engine = engine
        self.api = api
        self.tmp_path = tmp_path
        self.maildir = tmp_path / "Maildir"
        mailbox.Maildir(self.maildir, create=True)
        self.settings = self.make_settings()

    def make_settings(self, *, token: str = TOKEN, timeout: float = 2.0, retry_base: float = 60.0) -> Settings:
        return settings_from_mapping(
            {
                "database": {"url": self.engine.url.render_as_string(hide_password=False)},
                "support": {"address": "support@vendor.example"},
                "mailbox": {"kind": "maildir", "path": str(self.maildir)},
                "outbox": {"path": str(self.tmp_path / "outbox"), "retry_base_seconds": retry_base},
                "accounts": {
                    "source": "http",
                    "url": self.api.url,
                    "token": token,
                    "timeout": timeout,
                    "retries": 2,
                    "retry_base_seconds": 0.05,
                },
                "plans": {"basic": {"team_seats": 0}, "pro": {"team_seats": 2}},
            },
            env={},
        )

    def config_file(self, *, token: str = TOKEN, timeout: float = 2.0, retry_base: float = 60.0) -> Path:
        path = self.tmp_path / "mailbot.toml"
        path.write_text(
            CONFIG.format(
                url=self.engine.url.render_as_string(hide_password=False),
                maildir=self.maildir,
                outbox=self.tmp_path / "outbox",
                api=self.api.url,
                token=token,
                timeout=timeout,
                retry_base=retry_base,
            ),
            encoding="utf-8",
        )
        return path

    def poll(self, *raws: bytes) -> list[Draft]:
        return poll_maildir(self.engine, self.settings, *raws, today=TODAY)

    def link_draft(self, msgid: str = "a1") -> Draft:
        (draft,) = self.poll(customer_mail("boss@firma.example", LINK, msgid=msgid))
        assert draft.requests[0]["outcome"] == "ready_to_link"
        return draft

    def jobs(self) -> list[AccountAction]:
        with Session(self.engine) as session:
            return list(session.exec(select(AccountAction).order_by(AccountAction.id)))

    def outbox(self) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            return list(session.exec(select(OutboxMessage)))

    def draft(self, draft_id: int) -> Draft:
        with Session(self.engine) as session:
            found = session.get(Draft, draft_id)
            assert found is not None
            return found


@pytest.fixture
def setup(db_engine: Engine, account_api: AccountApiServer, tmp_path: Path) -> Setup:
    account_api.seed(
        api_account(77, "boss@firma.example"),
        api_account(1042, "va@firma.example", plan="basic", status="trial", paid_until=None),
        api_account(1043, "old@firma.example", status="expired", paid_until=date(2025, 1, 31), primary=77),
    )
    return Setup(db_engine, account_api, tmp_path)


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_polling_asks_the_api_and_changes_nothing(setup: Setup) -> None:
    draft = setup.link_draft()
    assert draft.status == "pending"
    assert setup.api.applied() == []
    assert setup.api.record(1042)["primary_account_id"] is None  # type: ignore[index]
    targets = setup.api.targets()
    assert targets["GET /accounts?email=boss%40firma.example"] == 1
    assert targets["GET /accounts?email=va%40firma.example"] == 1


def test_approval_performs_the_action_with_its_key_then_queues_the_reply(setup: Setup) -> None:
    draft = setup.link_draft()
    result = approve(engine=setup.engine, settings=setup.settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert result.outbox_message_id is not None and result.held is None
    (job,) = setup.jobs()
    assert setup.api.applied() == [{"key": job.idempotency_key, "action": "link", "account_id": 1042}]
    assert job.status == "confirmed" and job.attempts == 1 and job.agent == "alice"
    assert job.before["primary_account_id"] is None and job.before["plan"] == "basic"  # type: ignore[index]
    assert job.after == {
        "account_id": 1042,
        "email": "va@firma.example",
        "plan": "pro",
        "status": "active",
        "paid_until": "2027-01-31",
        "primary_account_id": 77,
    }
    (row,) = setup.outbox()
    assert as_utc(row.queued_at) >= as_utc(job.confirmed_at)
    assert deliver_queued(engine=setup.engine, settings=setup.settings).sent == 1
    assert setup.draft(draft.id).status == "sent"


def test_approval_decides_again_against_fresh_look_ups(setup: Setup) -> None:
    draft = setup.link_draft()
    setup.api.seed(  # meanwhile the team member was linked elsewhere, in the vendor's system
        api_account(77, "boss@firma.example"),
        api_account(5, "other@firma.example"),
        api_account(1042, "va@firma.example", primary=5),
    )
    from mailbot.errors import StaleDecision

    with pytest.raises(StaleDecision, match="linked_elsewhere"):
        approve(engine=setup.engine, settings=setup.settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert setup.draft(draft.id).status == "pending"
    assert setup.jobs() == [] and setup.outbox() == [] and setup.api.applied() == []


def test_a_409_leaves_action_failed_shows_the_vendors_words_and_sends_nothing(setup: Setup) -> None:
    draft = setup.link_draft()
    setup.api.fault("status", method="POST", status=409, error="Seat limit of the billing contract reached")
    with pytest.raises(ActionRefused, match="Seat limit of the billing contract reached"):
        approve(engine=setup.engine, settings=setup.settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert setup.draft(draft.id).status == "action_failed"
    assert setup.outbox() == []
    assert deliver_queued(engine=setup.engine, settings=setup.settings).sent == 0
    assert retry_due_actions(engine=setup.engine, settings=setup.settings, now=later(600)).confirmed == 0
    (job,) = setup.jobs()
    assert job.status == "refused" and job.vendor_message == "Seat limit of the billing contract reached"
    assert setup.api.record(1042)["primary_account_id"] is None  # type: ignore[index]

    config = setup.config_file()
    shown = run_cli("--config", str(config), "drafts", "show", str(draft.id), "--json", cwd=setup.tmp_path)
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["status"] == "action_failed"
    assert [(a["status"], a["vendor_message"]) for a in detail["actions"]] == [
        ("refused", "Seat limit of the billing contract reached")
    ]
    text = run_cli("--config", str(config), "drafts", "show", str(draft.id), cwd=setup.tmp_path)
    assert "Seat limit of the billing contract reached" in text.stdout

    # The agent edits and approves again: a new key, the change is made, the edited reply goes out.
    again = approve(
        engine=setup.engine,
        settings=setup.settings,
        draft_id=draft.id,
        agent="bob",
        body="Hello, we have linked the account.\n",
        today=TODAY,
    )
    assert again.outbox_message_id is not None and again.edited
    refused, confirmed = setup.jobs()
    assert refused.status == "refused" and confirmed.status == "confirmed"
    assert refused.idempotency_key != confirmed.idempotency_key
    assert [a["key"] for a in setup.api.applied()] == [confirmed.idempotency_key]
    assert setup.draft(draft.id).original_body == draft.body


def test_a_refused_draft_can_be_rejected(setup: Setup) -> None:
    draft = setup.link_draft()
    setup.api.fault("status", method="POST", status=422, error="plan pro is discontinued")
    with pytest.raises(ActionRefused):
        approve(engine=setup.engine, settings=setup.settings, draft_id=draft.id, agent="alice", today=TODAY)
    reject(engine=setup.engine, draft_id=draft.id, agent="alice", reason="answered by phone")
    assert setup.draft(draft.id).status == "rejected"
    assert setup.outbox() == [] and setup.api.applied() == []


def test_503s_hold_the_reply_until_mailbot_send_applies_the_action_once(setup: Setup) -> None:
    draft = setup.link_draft()
    # Three tries per request (retries = 2): the approval's all fail, the next run's first succeeds.
    setup.api.fault("status", method="POST", status=503, times=3)
    settings = setup.make_settings(retry_base=0.01)
    result = approve(engine=setup.engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert result.outbox_message_id is None
    assert "503" in (result.held or "")
    (job,) = setup.jobs()
    assert job.status == "retry" and job.attempts == 1 and "503" in (job.last_error or "")
    assert setup.outbox() == [] and setup.api.applied() == []
    assert setup.draft(draft.id).status == "approved"

    config = setup.config_file(retry_base=0.01)
    deadline = time.monotonic() + 30
    while True:  # the job's backoff (10 ms here) must have passed: poll until send takes it
        sent = run_cli("--config", str(config), "send", cwd=setup.tmp_path)
        assert sent.returncode == 0, sent.stderr
        if "confirmed 1" in sent.stdout or time.monotonic() > deadline:
            break
    assert sent.stdout.splitlines() == [
        "sent 1, retrying 0, failed 0, needs agent 0",
        "account actions: confirmed 1, retrying 0, refused 0; replies released 1",
    ]
    (job,) = setup.jobs()
    assert job.status == "confirmed" and job.attempts == 2
    assert setup.api.applied() == [{"key": job.idempotency_key, "action": "link", "account_id": 1042}]
    assert setup.draft(draft.id).status == "sent"
    again = run_cli("--config", str(config), "send", cwd=setup.tmp_path)
    assert again.stdout.strip() == "sent 0, retrying 0, failed 0, needs agent 0"
    assert len(setup.api.applied()) == 1


def test_a_wrong_token_gives_one_clear_line(setup: Setup) -> None:
    draft = setup.link_draft()
    config = setup.config_file(token="expired-token-9f2")
    result = run_cli(
        "--config", str(config), "drafts", "approve", str(draft.id), "--agent", "alice", cwd=setup.tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "[accounts] token" in lines[0] and "401" in lines[0]
    assert "expired-token-9f2" not in result.stderr + result.stdout
    assert setup.draft(draft.id).status == "pending"  # nothing was claimed for good
    assert setup.jobs() == [] and setup.api.applied() == []

    mailbox.Maildir(setup.maildir).add(customer_mail("boss@firma.example", LINK, msgid="t2"))
    polled = run_cli("--config", str(config), "poll", cwd=setup.tmp_path)
    assert polled.returncode == 2
    assert len(polled.stderr.strip().splitlines()) == 1 and "[accounts] token" in polled.stderr


def test_an_unreachable_api_stops_the_poll_and_loses_no_mail(setup: Setup) -> None:
    setup.api.fault("status", status=503, times=100)
    with pytest.raises(Exception, match="account API is unavailable"):
        setup.poll(customer_mail("boss@firma.example", LINK, msgid="down1"))
    with Session(setup.engine) as session:
        assert session.exec(select(Draft)).all() == []
    setup.api.fault("status", status=200, times=0)  # (no-op) the API recovers once the faults are used up
    with Session(setup.engine) as session:
        from mailbot.models import InboundMessage

        assert session.exec(select(InboundMessage)).all() == []


def test_a_slow_api_hits_the_time_out_and_the_job_is_retried(setup: Setup) -> None:
    draft = setup.link_draft()
    setup.api.fault("slow", method="POST", seconds=2.0, times=3)
    settings = setup.make_settings(timeout=0.5)
    result = approve(engine=setup.engine, settings=settings, draft_id=draft.id, agent="alice", today=TODAY)
    assert result.outbox_message_id is None and "no answer within 0.5s" in (result.held or "")
    (job,) = setup.jobs()
    assert job.status == "retry"
    summary = retry_due_actions(engine=setup.engine, settings=setup.settings, now=later(10))
    assert summary.confirmed == 1 and summary.released == 1
    # The slow requests reached the API after the client gave up; the key made them one change.
    assert [a["key"] for a in setup.api.applied()] == [job.idempotency_key]
    assert len(setup.outbox()) == 1


def test_kill_9_while_the_answer_is_on_its_way_applies_once_and_replies_once(setup: Setup) -> None:
    draft = setup.link_draft()
    setup.api.fault("slow", method="POST", seconds=60.0, after_apply=True)
    config = setup.config_file(timeout=30)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "--config", str(config), "drafts", "approve", str(draft.id)],
        cwd=setup.tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not setup.api.applied():  # the vendor made the change; its answer is still on the way
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    (job,) = setup.jobs()
    assert job.status == "sending"
    assert setup.outbox() == []  # no reply for a change we never saw confirmed
    assert retry_due_actions(engine=setup.engine, settings=setup.settings, now=later(1)).confirmed == 0  # leased
    rerun = later(60)  # the rerun, once the interrupted job's lease has run out
    summary = retry_due_actions(engine=setup.engine, settings=setup.settings, now=rerun)
    assert summary.confirmed == 1 and summary.released == 1
    assert deliver_queued(engine=setup.engine, settings=setup.settings, now=rerun).sent == 1
    assert retry_due_actions(engine=setup.engine, settings=setup.settings, now=later(120)).confirmed == 0
    assert [a["key"] for a in setup.api.applied()] == [job.idempotency_key]
    assert len(list((setup.tmp_path / "outbox").glob("*.eml"))) == 1


def test_two_agents_approving_the_same_draft_make_one_action(setup: Setup) -> None:
    draft = setup.link_draft()
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def agent(name: str) -> None:
        start.wait()
        try:
            approve(engine=setup.engine, settings=setup.settings, draft_id=draft.id, agent=name, today=TODAY)
            outcomes.append("approved")
        except DraftStateError:
            outcomes.append("refused")

    threads = [threading.Thread(target=agent, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]
    assert len(setup.api.applied()) == 1 and len(setup.jobs()) == 1 and len(setup.outbox()) == 1


def test_accounts_changes_lists_what_the_api_confirmed(setup: Setup) -> None:
    link = setup.link_draft()
    _link, reactivation = setup.poll(  # poll_maildir answers every draft so far
        customer_mail(
            "boss@firma.example", "I renewed, please reactivate my team member old@firma.example.", msgid="r1"
        )
    )
    assert reactivation.requests[0]["outcome"] == "ready_to_reactivate"
    for draft in (link, reactivation):
        approve(engine=setup.engine, settings=setup.settings, draft_id=draft.id, agent="alice", today=TODAY)
    config = setup.config_file()
    listed = run_cli("--config", str(config), "accounts", "changes", "--json", cwd=setup.tmp_path)
    assert listed.returncode == 0, listed.stderr
    changes = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(c["action"], c["account_id"], c["source"]) for c in changes] == [
        ("link", 1042, "http"),
        ("reactivate", 1043, "http"),
    ]
    assert changes[1]["before"]["status"] == "expired" and changes[1]["after"]["status"] == "active"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    later_run = run_cli("--config", str(config), "accounts", "changes", "--since", tomorrow, cwd=setup.tmp_path)
    assert later_run.stdout.splitlines() == [later_run.stdout.splitlines()[0]]  # the CSV header only


def test_status_counts_held_replies_and_fails_on_an_action_failing_too_long(setup: Setup) -> None:
    from mailbot.status import check_health

    draft = setup.link_draft()
    setup.api.fault("status", method="POST", status=503, times=3)
    approve(engine=setup.engine, settings=setup.settings, draft_id=draft.id, agent="alice", today=TODAY)
    config = setup.config_file()
    fresh = run_cli("--config", str(config), "status", "--json", cwd=setup.tmp_path)
    report = json.loads(fresh.stdout)
    assert (report["held_replies"], report["failing_actions"]) == (1, 1)
    assert fresh.returncode == 0, report["problems"]  # failing, but not yet for long
    late = check_health(
        engine=setup.engine, max_age=timedelta(days=1), max_failing=timedelta(minutes=60), now=later(90)
    )
    assert not late.ok
    assert late.problems == [
        "1 account actions are failing; the oldest for 90 minutes "
        "(their replies are held; see `mailbot drafts list --status approved`)"
    ]
