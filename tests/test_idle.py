"""Push intake: ``mailbot run`` waits in IMAP IDLE on a real Dovecot and drafts new mail at once.

The poll interval is 300 s in these tests, so a draft that appears while the
test waits (seconds) can only have come through IDLE, not through the schedule.
"""

from __future__ import annotations

import json
import mailbox
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from mailbot_cli import run_mailbot
from poll_support import cli_config, drafts, duplicates, engine_with_accounts, start_run, stored, wait_for
from servers.dovecot import DovecotServer
from servers.mails import simple_mail
from sqlalchemy.engine import Engine
from sqlmodel import select

from mailbot.config import load_settings, settings_from_mapping
from mailbot.db.engine import new_session
from mailbot.errors import ConfigError
from mailbot.mail.imap_idle import IdleConnection, Wake, has_new_mail
from mailbot.models import MailboxState, OutboxMessage

#: Long enough that the schedule never fires while a test runs.
SLOW_SCHEDULE = {"interval_seconds": 300, "max_backoff_seconds": 4}
#: Every capability Dovecot 2.3 announces after login, except IDLE.
WITHOUT_IDLE = (
    "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE "
    "UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH "
    "LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY"
)


def intake(engine: Engine) -> str | None:
    """The intake state `mailbot run` recorded for the (only) folder."""
    with new_session(engine) as session:
        box = session.exec(select(MailboxState)).first()
        return box.intake if box is not None else None


def _config(tmp_path: Path, server: DovecotServer, user: str, db_url: str, **mailbox: object) -> Path:
    return cli_config(
        tmp_path / "mailbot.toml",
        db_url,
        server.mailbox_config(user, **mailbox),
        schedule=SLOW_SCHEDULE,
        outbox={"path": str(tmp_path / "outbox")},
    )


def _start_idling(config: Path, cwd: Path) -> tuple[Engine, subprocess.Popen[str]]:
    """``mailbot run`` on ``config``, once it has reached IDLE."""
    engine = engine_with_accounts(load_settings(config, env={}))
    run = start_run(config, cwd)
    if not wait_for(lambda: intake(engine) == "idling"):
        run.kill()
        pytest.fail(f"run never reached IDLE: {run.communicate()[1]}")
    return engine, run


def _stop(run) -> str:
    run.send_signal(signal.SIGTERM)
    _out, log = run.communicate(timeout=15)
    assert run.returncode == 0, log
    assert "Traceback" not in log and log.rstrip().endswith("mailbot.run: stopped"), log
    return log


# -- the IDLE connection on its own ------------------------------------------------------


def test_exists_is_new_mail_and_flag_changes_are_not() -> None:
    assert has_new_mail([(b"OK", b"Still here"), (4, b"EXISTS")])
    assert not has_new_mail([(3, b"FETCH", (b"FLAGS", (b"$MailbotTriaged",))), (b"OK", b"Still here")])
    assert not has_new_mail([(2, b"EXPUNGE")])


def test_idle_reports_new_mail_a_quiet_timeout_and_a_wake_up(dovecot, imap_user) -> None:
    settings = settings_from_mapping({"mailbox": dovecot.mailbox_config(imap_user)}, env={})
    wake_read, wake_write = socket.socketpair()
    connection = IdleConnection(settings.mailbox)
    with connection:
        assert connection.supports_idle()
        connection.watch("INBOX")
        assert connection.wait(timeout=0.3, wake_fd=wake_read.fileno()) is Wake.QUIET
        # Mail that arrives before IDLE starts is reported as soon as it does.
        dovecot.append(simple_mail(1), user=imap_user)
        assert connection.wait(timeout=30, wake_fd=wake_read.fileno()) is Wake.NEW_MAIL
        threading.Timer(0.2, dovecot.append, args=(simple_mail(2),), kwargs={"user": imap_user}).start()
        assert connection.wait(timeout=30, wake_fd=wake_read.fileno()) is Wake.NEW_MAIL
        threading.Timer(0.2, wake_write.send, args=(b"x",)).start()
        assert connection.wait(timeout=30, wake_fd=wake_read.fileno()) is Wake.WOKEN
        connection.watch("INBOX")  # the connection is out of IDLE and takes commands again
    wake_read.close()
    wake_write.close()


@pytest.mark.parametrize("value", [0, 1741])
def test_idle_refresh_must_be_positive_and_under_29_minutes(value: int) -> None:
    with pytest.raises(ConfigError, match=r"mailbox\.idle_refresh_seconds: expected 1 to 1740"):
        settings_from_mapping({"mailbox": {"idle_refresh_seconds": value}}, env={})


# -- mailbot run -------------------------------------------------------------------------


def test_mail_that_arrives_while_run_idles_is_drafted_at_once(dovecot, imap_user, storage_url, tmp_path) -> None:
    config = _config(tmp_path, dovecot, imap_user, storage_url, idle_refresh_seconds=2)
    engine, run = _start_idling(config, tmp_path)
    try:
        status = json.loads(run_mailbot("--config", config, "status", "--json", cwd=tmp_path).stdout)
        assert [f["intake"] for f in status["folders"]] == ["idling"] and status["folders"][0]["intake_since"]
        # Several in a row, the later ones after IDLE was re-issued (every 2 s here).
        for n in range(4):
            dovecot.append(simple_mail(n), user=imap_user)
            assert wait_for(lambda n=n: len(drafts(engine)) == n + 1, timeout=15), f"mail {n} not drafted"
    finally:
        log = _stop(run)
    records = stored(engine)
    assert len(records) == 4 and not duplicates([r.dedup_key for r in records])
    assert all(r.marked for r in records)
    assert "idle: waiting for new mail in INBOX" in log
    assert intake(engine) == "stopped"


def test_run_survives_a_dovecot_restart_mid_idle_and_loses_no_mail(storage_url, tmp_path) -> None:
    with DovecotServer(tls=False, spare_users=1) as server:  # its own server: this test stops it
        user = server.new_user()
        config = _config(tmp_path, server, user, storage_url)
        engine, run = _start_idling(config, tmp_path)
        try:
            server.append(simple_mail(0), user=user)
            assert wait_for(lambda: len(stored(engine)) == 1, timeout=15)
            server.stop()
            assert wait_for(lambda: intake(engine) == "reconnecting", timeout=15)
            for n in range(1, 4):  # mail keeps arriving while IMAP is down
                server.deliver(simple_mail(n), user=user)
            server.start()
            assert wait_for(lambda: len(stored(engine)) == 4, timeout=30), "mail from the downtime not taken in"
            assert wait_for(lambda: intake(engine) == "idling")
            server.append(simple_mail(4), user=user)  # and IDLE works again after the restart
            assert wait_for(lambda: len(stored(engine)) == 5, timeout=15)
        finally:
            log = _stop(run)
    records = stored(engine)
    assert len(records) == 5 and not duplicates([r.dedup_key for r in records])
    assert len(drafts(engine)) == 5
    assert "idle: reconnected to" in log and "reconnecting in" in log


def test_sigterm_during_idle_ends_idle_and_exits_cleanly(tmp_path) -> None:
    with DovecotServer(tls=False, spare_users=1) as server:
        user = server.new_user()
        config = _config(tmp_path, server, user, f"sqlite:///{tmp_path / 'db.sqlite'}")
        engine, run = _start_idling(config, tmp_path)
        _stop(run)  # communicate() has a 15 s limit: "within a few seconds"
        # Dovecot logs how each session ended: ours said DONE and LOGOUT, none was cut off in IDLE.
        assert wait_for(lambda: server.log_text().count(f"imap({user})") >= 2)
        sessions = [line for line in server.log_text().splitlines() if f"imap({user})" in line]
    assert sessions and all("Logged out" in line for line in sessions), sessions
    assert intake(engine) == "stopped"


def test_a_server_without_idle_is_polled_on_the_schedule(tmp_path) -> None:
    with DovecotServer(tls=False, spare_users=1, extra_config=WITHOUT_IDLE) as server:
        user = server.new_user()
        config = cli_config(
            tmp_path / "mailbot.toml",
            f"sqlite:///{tmp_path / 'db.sqlite'}",
            server.mailbox_config(user),
            schedule={"interval_seconds": 1},
            outbox={"path": str(tmp_path / "outbox")},
        )
        engine = engine_with_accounts(load_settings(config, env={}))
        run = start_run(config, tmp_path)
        try:
            assert wait_for(lambda: intake(engine) == "polling")
            server.append(simple_mail(1), user=user)
            assert wait_for(lambda: len(drafts(engine)) == 1)
        finally:
            log = _stop(run)
    assert "does not announce IDLE; polling on the schedule" in log
    assert "idle: waiting" not in log


def test_maildir_with_idle_on_polls_on_the_schedule(tmp_path) -> None:
    mailbox.Maildir(tmp_path / "md", create=True).add(simple_mail(1))
    config = cli_config(
        tmp_path / "mailbot.toml",
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        {"kind": "maildir", "path": str(tmp_path / "md"), "idle": True},
        schedule=SLOW_SCHEDULE,
        outbox={"path": str(tmp_path / "outbox")},
    )
    engine = engine_with_accounts(load_settings(config, env={}))
    run = start_run(config, tmp_path)
    try:
        assert wait_for(lambda: intake(engine) == "polling")
        assert wait_for(lambda: len(drafts(engine)) == 1)
    finally:
        log = _stop(run)
    assert "idle:" not in log


def test_a_reply_approved_while_run_idles_is_sent_within_seconds(dovecot, imap_user, tmp_path) -> None:
    config = _config(tmp_path, dovecot, imap_user, f"sqlite:///{tmp_path / 'db.sqlite'}")
    engine, run = _start_idling(config, tmp_path)
    try:
        dovecot.append(simple_mail(1), user=imap_user)
        assert wait_for(lambda: len(drafts(engine)) == 1, timeout=15)
        draft_id = drafts(engine)[0].id
        approved = run_mailbot("--config", config, "drafts", "approve", str(draft_id), "--agent", "anna", cwd=tmp_path)
        assert approved.returncode == 0, approved.stderr
        # The next scheduled cycle is 300 s away: only the frequent outbox check can send it.
        assert wait_for(lambda: _outbox_status(engine) == ["sent"], timeout=15)
    finally:
        _stop(run)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def _outbox_status(engine: Engine) -> list[str]:
    with new_session(engine) as session:
        return [row.status for row in session.exec(select(OutboxMessage))]
