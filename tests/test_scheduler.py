"""``mailbot run``: schedule, backoff while the server is down, recovery, clean stop."""

from __future__ import annotations

import itertools
import logging
import mailbox
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from mailbot_cli import REPO
from poll_support import (
    cli_config,
    drafts,
    duplicates,
    engine_with_accounts,
    make_settings,
    start_run,
    stored,
    wait_for,
)
from servers.dovecot import DovecotServer, free_port
from servers.mails import simple_mail

from mailbot.config import load_settings
from mailbot.errors import ConfigError
from mailbot.intake.service import PollService, make_trigger, run_service
from mailbot.outbox.backoff import backoff_seconds


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff_seconds(n, base=60, cap=900) for n in range(1, 7)]
    assert delays == [60, 120, 240, 480, 900, 900]


def test_trigger_is_cron_when_set_else_the_interval(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    every = make_trigger(make_settings(url, {"kind": "maildir"}, schedule={"interval_seconds": 30}))
    cron = make_trigger(make_settings(url, {"kind": "maildir"}, schedule={"cron": "*/5 8-18 * * 1-5"}))
    assert isinstance(every, IntervalTrigger) and every.interval.total_seconds() == 30
    assert isinstance(cron, CronTrigger)
    with pytest.raises(ConfigError, match=r"schedule\.cron"):
        make_trigger(make_settings(url, {"kind": "maildir"}, schedule={"cron": "every minute"}))


def test_a_cycle_logs_one_line_and_backs_off_while_the_server_is_down(dovecot, imap_user, tmp_path, caplog) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        dovecot.mailbox_config(imap_user, port=free_port()),
        schedule={"interval_seconds": 10, "max_backoff_seconds": 25},
    )
    service = PollService(settings, engine=engine_with_accounts(settings))
    with caplog.at_level(logging.INFO, logger="mailbot.run"):
        for _ in range(3):
            service.cycle()
    lines = [r.getMessage() for r in caplog.records if r.name == "mailbot.run"]
    assert len(lines) == 3 and service.failures == 3
    assert [line.split("next try in ")[1].split("s;")[0] for line in lines] == ["10", "20", "25"]
    assert all("mailbox unavailable" in line and "delivery:" in line for line in lines)


def test_backoff_postpones_the_scheduled_job(dovecot, imap_user, tmp_path, caplog) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        dovecot.mailbox_config(imap_user, port=free_port()),
        schedule={"interval_seconds": 1, "max_backoff_seconds": 2},
    )
    stop = threading.Event()
    with caplog.at_level(logging.INFO, logger="mailbot.run"):
        runner = threading.Thread(
            target=run_service,
            args=(settings,),
            kwargs={"stop_event": stop, "install_signal_handlers": False},
        )
        runner.start()
        time.sleep(5.6)
        stop.set()
        runner.join(timeout=30)
    tries = [r.created for r in caplog.records if "mailbox unavailable" in r.getMessage()]
    gaps = [round(b - a) for a, b in itertools.pairwise(tries)]
    # Down from the start: tries at 0, 1, 3, 5 s: the wait grows to the cap, not every second.
    assert gaps[:3] == [1, 2, 2]
    assert not runner.is_alive()


def test_run_recovers_after_the_server_was_down_and_loses_no_mail(tmp_path) -> None:
    with DovecotServer(tls=False) as server:  # its own server: this test stops it
        user = server.new_user()
        for n in range(3):
            server.append(simple_mail(n), user=user)
        config = cli_config(
            tmp_path / "mailbot.toml",
            f"sqlite:///{tmp_path / 'db.sqlite'}",
            server.mailbox_config(user),
            schedule={"interval_seconds": 1, "max_backoff_seconds": 2},
            outbox={"path": str(tmp_path / "outbox")},
        )
        engine = engine_with_accounts(load_settings(config, env={}))
        run = start_run(config, tmp_path)
        try:
            assert wait_for(lambda: len(stored(engine)) == 3)
            server.stop()
            for n in range(3, 6):  # mail keeps arriving while IMAP is down
                server.deliver(simple_mail(n), user=user)
            time.sleep(3.5)  # at least two failed cycles
            server.start()
            assert wait_for(lambda: len(stored(engine)) == 6)
            server.append(simple_mail(6), user=user)
            assert wait_for(lambda: len(stored(engine)) == 7)
        finally:
            run.send_signal(signal.SIGTERM)
            _out, log = run.communicate(timeout=30)
    assert run.returncode == 0, log
    records = stored(engine)
    assert len(records) == 7 and not duplicates([r.dedup_key for r in records])
    assert len(drafts(engine)) == 7
    cycles = [line for line in log.splitlines() if " mailbot.run: poll: " in line]
    assert any("mailbox unavailable" in line for line in cycles)
    assert all("delivery: " in line for line in cycles)  # one line per cycle, with both steps
    assert "Traceback" not in log and log.rstrip().endswith("mailbot.run: stopped")


def test_run_stops_cleanly_on_sigint(tmp_path) -> None:
    mailbox.Maildir(tmp_path / "md", create=True).add(simple_mail(1))
    config = cli_config(
        tmp_path / "mailbot.toml",
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        {"kind": "maildir", "path": str(tmp_path / "md")},
        schedule={"interval_seconds": 60},
        outbox={"path": str(tmp_path / "outbox")},
    )
    engine = engine_with_accounts(load_settings(config, env={}))
    run = start_run(config, tmp_path)
    assert wait_for(lambda: len(stored(engine)) == 1)
    run.send_signal(signal.SIGINT)
    _out, log = run.communicate(timeout=30)
    assert run.returncode == 0, log
    assert "Traceback" not in log and "mailbot.run: stopped" in log


def test_sigterm_during_a_backlog_stops_between_batches_and_loses_nothing(dovecot, imap_user, tmp_path) -> None:
    from mailbot.triage_pool import PARALLEL_MIN_MAILS

    total = PARALLEL_MIN_MAILS + 200  # big enough for the worker processes
    for n in range(total):
        dovecot.deliver(simple_mail(n), user=imap_user)
    config = cli_config(
        tmp_path / "mailbot.toml",
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        dovecot.mailbox_config(imap_user, batch_size=20),
        schedule={"interval_seconds": 60},
        outbox={"path": str(tmp_path / "outbox")},
    )
    engine = engine_with_accounts(load_settings(config, env={}))
    run = start_run(config, tmp_path)
    assert wait_for(lambda: len(stored(engine)) > 0)
    run.send_signal(signal.SIGTERM)
    _out, log = run.communicate(timeout=60)
    assert run.returncode == 0, log
    assert "Traceback" not in log and "mailbot.run: stopped" in log
    first = len(stored(engine))

    rest = subprocess.run(
        [sys.executable, "-m", "mailbot", "--config", str(config), "poll"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )

    assert rest.returncode == 0, rest.stderr
    records = stored(engine)
    assert len(records) == total and not duplicates([r.dedup_key for r in records])
    assert first < total and "stopped early to shut down" in log  # it did stop mid-backlog
