"""Arrival-to-draft latency of ``mailbot run`` with IMAP IDLE against scheduled polling.

    python benchmarks/bench_idle.py [--mails 20] [--mean-gap 3] [--interval 60] [--seed 1] [--idle-cpu 300]

1. Starts a Dovecot (tests/servers/dovecot.py) and, for ``idle = true`` and then
   ``idle = false`` (same schedule, ``--interval`` seconds), a ``mailbot run``
   watching a fresh user's INBOX with a SQLite database.
2. Appends ``--mails`` mails over IMAP at random intervals (exponential, mean
   ``--mean-gap`` seconds, the same sequence for both runs) and watches the
   database for each mail's draft. Latency = from the end of the APPEND to the
   moment the draft is visible in the database (checked every 20 ms).
3. Prints median, p95 and max per mode, and polling / IDLE as a ratio.

``--idle-cpu N`` then lets a ``mailbot run`` (IDLE, default schedule) idle for N
seconds on an empty mailbox and prints the CPU seconds it used meanwhile (user +
system, from /proc/<pid>/stat).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from poll_support import cli_config, engine_with_accounts, start_run, wait_for  # noqa: E402
from servers.dovecot import DovecotServer  # noqa: E402
from servers.mails import simple_mail  # noqa: E402
from sqlalchemy import text  # noqa: E402

from mailbot.config import load_settings  # noqa: E402

DRAFTED = text("SELECT i.message_id FROM draft d JOIN inboundmessage i ON i.id = d.inbound_id")
INTAKE = text("SELECT intake FROM mailboxstate")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _intake(engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(INTAKE).scalar()


def _start(server: DovecotServer, directory: Path, *, idle: bool, interval: int):
    user = server.new_user()
    directory.mkdir()
    config = cli_config(
        directory / "mailbot.toml",
        f"sqlite:///{directory / 'db.sqlite'}",
        server.mailbox_config(user, idle=idle),
        schedule={"interval_seconds": interval},
        outbox={"path": str(directory / "outbox")},
    )
    engine = engine_with_accounts(load_settings(config, env={}))
    run = start_run(config, directory)
    want = "idling" if idle else "polling"
    if not wait_for(lambda: _intake(engine) == want, timeout=60):
        run.kill()
        raise SystemExit(f"mailbot run did not reach {want}: {run.communicate()[1]}")
    return user, engine, run


def _stop(run: subprocess.Popen[str]) -> None:
    run.terminate()
    _out, log = run.communicate(timeout=60)
    if run.returncode != 0:
        raise SystemExit(f"mailbot run exited {run.returncode}: {log}")


def measure_latency(server: DovecotServer, directory: Path, *, idle: bool, args: argparse.Namespace) -> list[float]:
    user, engine, run = _start(server, directory, idle=idle, interval=args.interval)
    gaps = random.Random(args.seed)
    arrived: dict[str, float] = {}
    drafted: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with engine.connect() as connection:
                now = time.monotonic()
                for (message_id,) in connection.execute(DRAFTED):
                    drafted.setdefault(message_id, now)
            done.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(args.mails):
            time.sleep(gaps.expovariate(1 / args.mean_gap))
            message_id = f"<bench-idle-{idle}-{n}@mailbot.test>"
            server.append(simple_mail(n, message_id=message_id), user=user)
            arrived[message_id] = time.monotonic()
        deadline = time.monotonic() + args.interval * 2 + 30
        while len(drafted) < len(arrived) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        done.set()
        watcher.join()
        _stop(run)
    missing = set(arrived) - set(drafted)
    if missing:
        raise SystemExit(f"{len(missing)} mails never got a draft (idle = {idle})")
    return [drafted[m] - arrived[m] for m in arrived]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def measure_idle_cpu(server: DovecotServer, directory: Path, seconds: float) -> float:
    _user, _engine, run = _start(server, directory, idle=True, interval=60)
    time.sleep(3)  # the start-up cycles are done
    before = _cpu_seconds(run.pid)
    time.sleep(seconds)
    used = _cpu_seconds(run.pid) - before
    _stop(run)
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=20)
    parser.add_argument("--mean-gap", type=float, default=3.0, help="mean seconds between two mails")
    parser.add_argument("--interval", type=int, default=60, help="[schedule] interval_seconds of both runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--idle-cpu", type=float, default=0, metavar="SECONDS", help="also measure idle CPU")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp, DovecotServer(tls=False, spare_users=3) as server:
        root = Path(tmp)
        figures = {}
        for idle in (True, False):
            latencies = measure_latency(server, root / f"idle-{idle}", idle=idle, args=args)
            figures[idle] = (statistics.median(latencies), _p95(latencies), max(latencies))
        print(f"{args.mails} mails, mean gap {args.mean_gap:g} s, schedule every {args.interval} s")
        for idle, label in ((True, "idle = true "), (False, "idle = false")):
            median, p95, worst = figures[idle]
            print(f"{label}: median {median:6.2f} s, p95 {p95:6.2f} s, max {worst:6.2f} s")
        ratio = [figures[False][i] / figures[True][i] for i in range(3)]
        print(f"polling / IDLE: median {ratio[0]:.0f}x, p95 {ratio[1]:.0f}x, max {ratio[2]:.0f}x")
        if args.idle_cpu:
            used = measure_idle_cpu(server, root / "idle-cpu", args.idle_cpu)
            print(f"idle run, {args.idle_cpu:g} s (IDLE, schedule every 60 s): {used:.2f} CPU seconds")


if __name__ == "__main__":
    main()
