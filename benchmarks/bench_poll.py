"""Poll throughput, idle-poll latency and memory against a real Dovecot.

    python benchmarks/bench_poll.py [--backlog 5000] [--large 50000] [--rounds 3] [--idle-runs 20]

1. Starts a Dovecot (tests/servers/dovecot.py) and drops a backlog of mails with
   unique Message-IDs into a fresh user's Maildir (built from ../shared/corpus/msgs
   when it is there, else examples/mails), then lets Dovecot index them.
2. The floor: imapclient fetches the same mails (``BODY.PEEK[]``, same batch
   size) and the stdlib parses each with ``policy.default`` and reads its body.
3. ``poll_once`` over the same backlog into a SQLite database: fetch, triage,
   store records and drafts, flag on the server. Ratio = poll rate / floor rate.
   Floor and poll alternate for ``--rounds`` rounds (a shared 2-core machine is
   noisy); the median ratio is the figure to quote.
4. Idle polls (nothing new) on the folder of 5,000, then of 50,000 mails.
5. A poll of the 45,000-mail backlog that takes the folder to 50,000, for peak RSS.

Each measured step runs in a fresh child process, so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from servers.dovecot import DovecotServer  # noqa: E402
from servers.mails import EXAMPLE_ACCOUNTS, EXAMPLE_CONFIG, with_message_id  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
BATCH = 200


def _peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


# -- child processes ----------------------------------------------------------------


def child_floor(args: argparse.Namespace) -> dict:
    from email import message_from_bytes, policy

    from imapclient import IMAPClient

    started = time.perf_counter()
    parsed = 0
    with IMAPClient(args.host, port=args.port, ssl=False) as client:
        client.login(args.user, args.password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for start in range(0, len(uids), BATCH):
            answer = client.fetch(uids[start : start + BATCH], ["BODY.PEEK[]"])
            for uid in sorted(answer):
                msg = message_from_bytes(answer.pop(uid)[b"BODY[]"], policy=policy.default)
                body = msg.get_body(preferencelist=("plain", "html"))
                if body is not None:
                    with contextlib.suppress(LookupError, UnicodeError):
                        body.get_content()
                parsed += 1
    return {"seconds": time.perf_counter() - started, "mails": parsed, "peak_rss_mib": _peak_rss_mib()}


def _settings(args: argparse.Namespace):
    from mailbot.config import settings_from_mapping

    config = json.loads(args.config)
    return settings_from_mapping(config, env={})


def child_poll(args: argparse.Namespace) -> dict:
    from mailbot.db.engine import make_engine
    from mailbot.intake.cycle import poll_once

    settings = _settings(args)
    engine = make_engine(settings.database.url)
    started = time.perf_counter()
    summary = poll_once(settings=settings, engine=engine)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "mails": summary.fetched,
        "drafted": summary.drafted,
        "errors": summary.errors,
        "peak_rss_mib": _peak_rss_mib(),
        # Triage worker processes (forked for a backlog), the largest of them.
        "worker_peak_rss_mib": _peak_rss_mib(resource.RUSAGE_CHILDREN),
    }


def child_idle(args: argparse.Namespace) -> dict:
    from mailbot.db.engine import make_engine
    from mailbot.intake.cycle import poll_once

    settings = _settings(args)
    engine = make_engine(settings.database.url)
    poll_once(settings=settings, engine=engine)  # warm: imports, pool, Dovecot's cache
    times = []
    for _ in range(args.idle_runs):
        started = time.perf_counter()
        summary = poll_once(settings=settings, engine=engine)
        times.append(time.perf_counter() - started)
        assert summary.fetched == 0, summary.line()
    return {"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000}


def run_child(mode: str, **options: object) -> dict:
    command = [sys.executable, __file__, "--child", mode]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the parent ---------------------------------------------------------------------


def source_mails() -> tuple[list[bytes], Path, dict]:
    """The mails to copy, the accounts that go with them, and their config."""
    if (CORPUS / "msgs").is_dir():
        import tomllib

        config = tomllib.loads((CORPUS / "config.toml").read_text())
        config.pop("database", None)
        mails = [p.read_bytes() for p in sorted((CORPUS / "msgs").glob("*.eml"))]
        return mails, CORPUS / "accounts.csv", config
    mails = [p.read_bytes() for p in sorted((REPO / "examples" / "mails").glob("*.eml"))]
    return mails, EXAMPLE_ACCOUNTS, dict(EXAMPLE_CONFIG)


def deliver_backlog(server: DovecotServer, user: str, mails: list[bytes], start: int, count: int) -> None:
    for n in range(start, start + count):
        raw = with_message_id(mails[n % len(mails)], f"<bench-{n}@mailbot.test>")
        server.deliver(raw, user=user)
    with server.client(user) as client:  # let Dovecot index the new files before timing
        client.select_folder("INBOX", readonly=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=5000)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--idle-runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", default="")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--config", default="")
    args = parser.parse_args()
    if args.child:
        result = {"floor": child_floor, "poll": child_poll, "idle": child_idle}[args.child](args)
        print(json.dumps(result))
        return

    from mailbot.accounts.csv_import import import_accounts
    from mailbot.db.engine import make_engine

    mails, accounts, config = source_mails()
    work = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    source = "../shared/corpus/msgs" if accounts != EXAMPLE_ACCOUNTS else "examples/mails"
    print(
        f"backlog: {args.backlog:,} mails from {source} ({len(mails)} distinct texts), batch {BATCH}, "
        f"{args.rounds} rounds (floor and poll alternate; each round a fresh mailbox and database)"
    )
    with DovecotServer(tls=False) as server:
        floors, polls = [], []
        for round_no in range(args.rounds):
            user = server.new_user()
            login = {"host": server.host, "port": server.port, "user": user, "password": server.users[user]}
            config.update(
                database={"url": f"sqlite:///{work / f'mailbot-{round_no}.db'}"},
                mailbox={**server.mailbox_config(user), "batch_size": BATCH},
            )
            import_accounts(engine=make_engine(config["database"]["url"]), path=accounts)
            deliver_backlog(server, user, mails, 0, args.backlog)
            if round_no == 0:
                run_child("floor", **login)  # warm-up: Dovecot's cache, the page cache
            floors.append(run_child("floor", **login))
            polls.append(run_child("poll", config=json.dumps(config)))
            floor_rate = floors[-1]["mails"] / floors[-1]["seconds"]
            poll_rate = polls[-1]["mails"] / polls[-1]["seconds"]
            print(
                f"  round {round_no + 1}: floor {floor_rate:,.0f} mails/s, poll {poll_rate:,.0f} mails/s, "
                f"ratio {poll_rate / floor_rate:.2f}x"
            )
        floor, poll = floors[-1], polls[-1]
        floor_rates = [f["mails"] / f["seconds"] for f in floors]
        poll_rates = [p["mails"] / p["seconds"] for p in polls]
        ratios = [p / f for p, f in zip(poll_rates, floor_rates, strict=True)]
        print(
            f"floor (imapclient fetch + policy.default parse + body): median {statistics.median(floor_rates):,.0f} "
            f"mails/s, best {max(floor_rates):,.0f}, peak RSS {floor['peak_rss_mib']:.0f} MiB"
        )
        print(
            f"poll_once (fetch, triage, store, draft, flag):     median {statistics.median(poll_rates):,.0f} "
            f"mails/s, best {max(poll_rates):,.0f}, {poll['drafted']:,} drafts, {poll['errors']} errors, "
            f"peak RSS {poll['peak_rss_mib']:.0f} MiB (each triage worker <= {poll['worker_peak_rss_mib']:.0f} MiB)"
        )
        print(
            f"ratio poll / floor: median {statistics.median(ratios):.2f}x, "
            f"best/best {max(poll_rates) / max(floor_rates):.2f}x (target >= 1.0x)"
        )

        idle_small = run_child("idle", config=json.dumps(config), idle_runs=args.idle_runs)
        print(
            f"idle poll, {args.backlog:,} mails in the folder: median {idle_small['median_ms']:.1f} ms, "
            f"max {idle_small['max_ms']:.1f} ms (target < 50 ms)"
        )
        if args.large > args.backlog:
            more = args.large - args.backlog
            deliver_backlog(server, user, mails, args.backlog, more)
            large = run_child("poll", config=json.dumps(config))
            print(
                f"poll of {more:,} more (folder now {args.large:,}): {large['mails']:,} mails in "
                f"{large['seconds']:.1f} s = {large['mails'] / large['seconds']:,.0f} mails/s, "
                f"peak RSS {large['peak_rss_mib']:.0f} MiB, each triage worker <= "
                f"{large['worker_peak_rss_mib']:.0f} MiB (target <= 100 MiB)"
            )
            idle_large = run_child("idle", config=json.dumps(config), idle_runs=args.idle_runs)
            print(
                f"idle poll, {args.large:,} mails in the folder: median {idle_large['median_ms']:.1f} ms, "
                f"max {idle_large['max_ms']:.1f} ms (target < 50 ms, flat)"
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
