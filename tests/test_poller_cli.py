"""``mailbot poll``, ``drafts list/show`` and ``demo`` as an operator runs them (subprocesses)."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

from mailbot_cli import json_lines, run_mailbot
from poll_support import FLAG, cli_config, drafts, duplicates, engine_with_accounts, server_flags, start_run, stored
from servers.dovecot import free_port
from servers.mails import EXAMPLE_ACCOUNTS, example_mails, simple_mail
from sqlalchemy import func, select, text

from mailbot.config import load_settings
from mailbot.db.engine import make_engine
from mailbot.db.migrations import HEAD
from mailbot.models import InboundMessage, MailboxState


def _config(tmp_path: Path, dovecot, user: str, db_url: str, **mailbox) -> Path:
    return cli_config(tmp_path / "mailbot.toml", db_url, dovecot.mailbox_config(user, **mailbox))


def _poll_process(config: Path, cwd: Path, **env: str) -> subprocess.Popen[str]:
    return start_run(config, cwd, "poll", **env)


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(InboundMessage)).scalar_one()


def test_poll_prints_one_summary_line(dovecot, imap_user, tmp_path) -> None:
    for _name, raw in example_mails():
        dovecot.append(raw, user=imap_user)
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config = _config(tmp_path, dovecot, imap_user, db_url)
    assert run_mailbot("--config", config, "accounts", "import", EXAMPLE_ACCOUNTS, cwd=tmp_path).returncode == 0

    done = run_mailbot("--config", config, "poll", cwd=tmp_path)
    again = run_mailbot("--config", config, "poll", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "fetched 7, drafted 5, ignored 1, needs human 1, errors 0\n"
    assert again.stdout == "fetched 0, drafted 0, ignored 0, needs human 0, errors 0\n"


def test_poll_exits_non_zero_with_one_line_when_the_server_is_down(dovecot, imap_user, tmp_path) -> None:
    port = free_port()
    config = _config(tmp_path, dovecot, imap_user, f"sqlite:///{tmp_path / 'db.sqlite'}", port=port)

    done = run_mailbot("--config", config, "poll", cwd=tmp_path)

    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == f"error: IMAP server 127.0.0.1:{port}: cannot connect: connection refused"


def test_poll_exits_non_zero_on_a_wrong_password_and_never_shows_it(dovecot, imap_user, tmp_path) -> None:
    secret = "S3cret-Passw0rd-XYZ"
    config = _config(tmp_path, dovecot, imap_user, f"sqlite:///{tmp_path / 'db.sqlite'}", password=secret)

    done = run_mailbot("--config", config, "poll", cwd=tmp_path)
    from_env = run_mailbot("--config", config, "poll", cwd=tmp_path, env={"MAILBOT_MAILBOX_PASSWORD": secret + "2"})

    for result in (done, from_env):
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr
        assert lines[0].startswith("error: IMAP server") and f"login as {imap_user} failed" in lines[0]
        assert secret not in result.stdout + result.stderr


def test_poll_killed_mid_batch_then_rerun_stores_each_mail_once(dovecot, imap_user, storage_url, tmp_path) -> None:
    total = 24
    for n in range(total):
        dovecot.append(simple_mail(n), user=imap_user)
    config = _config(tmp_path, dovecot, imap_user, storage_url)
    engine = engine_with_accounts(load_settings(config, env={}))
    slow = {"MAILBOT_MAILBOX_BATCH_SIZE": "3", "MAILBOT_DEBUG_POLL_PAUSE": "0.04"}
    chance = random.Random(3)
    kills = 0
    for _attempt in range(15):
        process = _poll_process(config, tmp_path, **slow)
        before, deadline = _count(engine), time.monotonic() + 30
        while process.poll() is None and _count(engine) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        if process.poll() is not None:
            break
        # Land anywhere in the batch: before its commit, between commit and flag,
        # between flag and the saved last UID.
        time.sleep(chance.uniform(0.0, 0.35))
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    final = _poll_process(config, tmp_path)
    _out, err = final.communicate(timeout=120)

    assert kills >= 3, "the poll finished before it could be killed often enough"
    assert final.returncode == 0, err
    records = stored(engine)
    assert len(records) == total and not duplicates([r.dedup_key for r in records])
    assert sorted(r.uid for r in records) == list(range(1, total + 1))
    inbound_of_drafts = [d.inbound_id for d in drafts(engine)]
    assert len(inbound_of_drafts) == total and not duplicates(inbound_of_drafts)
    assert all(FLAG in flags for flags in server_flags(dovecot, imap_user).values())
    with engine.connect() as connection:
        assert connection.execute(select(MailboxState.last_uid)).scalar_one() == total
    assert all(r.marked for r in records)


def test_a_second_poll_of_the_same_mailbox_waits_then_exits_cleanly(dovecot, imap_user, storage_url, tmp_path) -> None:
    for n in range(40):
        dovecot.append(simple_mail(n), user=imap_user)
    config = _config(tmp_path, dovecot, imap_user, storage_url)
    engine = engine_with_accounts(load_settings(config, env={}))
    slow = _poll_process(config, tmp_path, MAILBOT_MAILBOX_BATCH_SIZE="2", MAILBOT_DEBUG_POLL_PAUSE="0.1")
    deadline = time.monotonic() + 30
    while _count(engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)

    second = run_mailbot("--config", config, "poll", cwd=tmp_path)
    slow_out, slow_err = slow.communicate(timeout=120)

    assert second.returncode == 0, second.stderr
    assert "skipped, another poll of this mailbox is running" in second.stdout
    assert slow.returncode == 0, slow_err
    assert slow_out.startswith("fetched 40, drafted 40")
    assert len(stored(engine)) == 40


def test_drafts_list_and_show(dovecot, imap_user, tmp_path) -> None:
    for _name, raw in example_mails():
        dovecot.append(raw, user=imap_user)
    config = _config(tmp_path, dovecot, imap_user, f"sqlite:///{tmp_path / 'db.sqlite'}")
    run_mailbot("--config", config, "accounts", "import", EXAMPLE_ACCOUNTS, cwd=tmp_path)
    run_mailbot("--config", config, "poll", cwd=tmp_path)

    listed = run_mailbot("--config", config, "drafts", "list", "--json", cwd=tmp_path)
    sent = run_mailbot("--config", config, "drafts", "list", "--status", "sent", "--json", cwd=tmp_path)
    table = run_mailbot("--config", config, "drafts", "list", cwd=tmp_path, env={"COLUMNS": "220"})
    wrong = run_mailbot("--config", config, "drafts", "list", "--status", "bogus", cwd=tmp_path)

    rows = json_lines(listed.stdout)
    # Olivia's follow-up (05) supersedes her need-info draft (04): issue 9, one pending draft per conversation.
    assert len(rows) == 4 and json_lines(sent.stdout) == []
    required = {"id", "message_id", "intent", "language", "to", "subject", "status", "requests"}
    assert all(required <= set(row) and row["status"] == "pending" for row in rows)
    link = next(r for r in rows if r["message_id"] == "<demo-01-link-de@wagner-design.example>")
    assert (link["intent"], link["language"], link["to"]) == ("link", "de", "claudia.wagner@wagner-design.example")
    assert [(r["primary"], r["team_member"], r["outcome"]) for r in link["requests"]] == [
        ("claudia.wagner@wagner-design.example", "jonas.fischer@wagner-design.example", "ready_to_link")
    ]
    assert "Re: Teammitglied verknüpfen" in table.stdout
    assert wrong.returncode != 0

    shown = run_mailbot("--config", config, "drafts", "show", str(link["id"]), "--json", cwd=tmp_path)
    detail = json_lines(shown.stdout)[0]
    assert detail["body"].startswith("Guten Tag") and detail["in_reply_to"] == link["message_id"]
    assert detail["inbound"]["message_id"] == link["message_id"] and detail["inbound"]["uid"] == 1
    plain = run_mailbot("--config", config, "drafts", "show", str(link["id"]), cwd=tmp_path)
    assert "jonas.fischer@wagner-design.example" in plain.stdout and "ready_to_link" in plain.stdout
    missing = run_mailbot("--config", config, "drafts", "show", "999", cwd=tmp_path)
    assert missing.returncode != 0 and "999" in missing.stderr and "Traceback" not in missing.stderr


def test_demo_runs_twice_from_any_directory(tmp_path) -> None:
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    env = {"MAILBOT_DATABASE_URL": "sqlite:////nonexistent/never-used.db"}  # demo ignores config

    first = run_mailbot("demo", cwd=elsewhere, env=env)
    second = run_mailbot("demo", cwd=elsewhere, env=env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    for result in (first, second):
        assert "poll: fetched 7, drafted 5, ignored 1, needs human 1, errors 0" in result.stdout
        assert "Subject: Re: Teammitglied verknüpfen" in result.stdout
        assert "Agent 'demo-agent' approves draft" in result.stdout
        assert "applied: link jonas.fischer@wagner-design.example" in result.stdout
        # issue 9: Olivia's need-info draft is superseded by her follow-up's, not left pending beside it
        assert "3 drafts still wait for an agent" in result.stdout
        assert "need_info → draft 4 superseded by draft 5" in result.stdout
    demo_db = make_engine(f"sqlite:///{elsewhere / 'var' / 'demo' / 'mailbot.db'}")
    with demo_db.connect() as connection:  # the demo's database starts at the current revision
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
    assert len(stored(demo_db)) == 7 and len(drafts(demo_db)) == 5
    env = {"MAILBOT_DATABASE_URL": "sqlite:///var/demo/mailbot.db"}
    listed = run_mailbot("drafts", "list", "--json", cwd=elsewhere, env=env)
    assert len(json_lines(listed.stdout)) == 3
    sent = run_mailbot("drafts", "list", "--status", "sent", "--json", cwd=elsewhere, env=env)
    assert len(json_lines(sent.stdout)) == 1
    (reply,) = (elsewhere / "var" / "demo" / "outbox").glob("*.eml")
    assert "Subject: Re: Teammitglied" in reply.read_text(encoding="utf-8")
    member = run_mailbot("accounts", "show", "jonas.fischer@wagner-design.example", "--json", cwd=elsewhere, env=env)
    assert json_lines(member.stdout)[0]["primary_account_id"] == 2001


def _processes_using(config: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(config)], capture_output=True, text=True)
    return found.stdout.split()


def test_killing_a_backlog_poll_leaves_no_worker_behind_and_the_rerun_completes(
    dovecot, imap_user, storage_url, tmp_path
) -> None:
    from mailbot.triage_pool import PARALLEL_MIN_MAILS

    total = PARALLEL_MIN_MAILS * 2
    for n in range(total):
        dovecot.deliver(simple_mail(n), user=imap_user)
    config = _config(tmp_path, dovecot, imap_user, storage_url, batch_size=40)
    engine = engine_with_accounts(load_settings(config, env={}))
    process = _poll_process(config, tmp_path)
    deadline = time.monotonic() + 60
    while _count(engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(_processes_using(config)) >= 2  # the poller and its triage workers
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    process.stderr.close()

    deadline = time.monotonic() + 10
    while _processes_using(config) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_using(config) == []
    rerun = run_mailbot("--config", config, "poll", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    records = stored(engine)
    assert len(records) == total and not duplicates([r.dedup_key for r in records])
    assert len(drafts(engine)) == total
