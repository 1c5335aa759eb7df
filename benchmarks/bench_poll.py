"""Poll throughput, idle-poll latency and memory against a real Dovecot.

    python benchmarks/bench_poll.py [--backlog 5000] [--large 50000] [--rounds 3] [--idle-runs 20]
    python benchmarks/bench_poll.py --follow-ups 0.4 [--mails 5000] [--rounds 3] [--idle-runs 20]
                                    [--later 200] [--history-short 300]

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

``--follow-ups F`` (issue 9) builds a backlog of conversations instead: a share F
of the mails are follow-ups of earlier mails of the same backlog (see
``conversation_backlog``) — half of them replies threaded through In-Reply-To and
References (an answer naming the missing address where the earlier mail got
need_info, "please also add …" to a link or reactivate request, a thank-you
otherwise), half repeats by the same sender without threading headers. The rest
are first mails, each copy of a text dated 30 days after the previous copy (the
newest a month before the text's own Date), so copies fall outside each other's
14-day window and start conversations of their own. Steps 2 and 3 as above on
this backlog; then the idle poll with an empty history against the idle poll
after the backlog, and polls of ``--later`` new follow-ups into a short history
(the backlog's first ``--history-short`` mails) against into the whole backlog's
(flat: the ratios are the figures).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    """Copies of the texts with unique Message-IDs, each copy dated 30 days before the next.

    Real mail has distinct Dates: with the texts' own Dates on every copy, the
    conversation step read almost every copy as a repeat of the last (the same
    sender inside the window) and the backlog became one long chain of
    superseded drafts. 30 days apart, each copy starts a conversation of its
    own, as in ``--follow-ups``'s first mails; the floor fetches the same mails.
    """
    for n in range(start, start + count):
        copy, text = divmod(n, len(mails))
        raw = with_message_id(mails[text], f"<bench-{n}@mailbot.test>")
        server.deliver(_dated(raw, _date_of(raw) - timedelta(days=30 * (copy + 1))), user=user)
    with server.client(user) as client:  # let Dovecot index the new files before timing
        client.select_folder("INBOX", readonly=True)


# -- the conversation backlog (--follow-ups) ----------------------------------------

_DATE = re.compile(rb"^Date:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n", re.I | re.M)
_AUTH = re.compile(rb"^Authentication-Results:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n", re.I | re.M)
_FROM = re.compile(rb"^From:([^\r\n]*(\r?\n[ \t][^\r\n]*)*)\r?\n", re.I | re.M)
_SUBJECT = re.compile(rb"^Subject:([^\r\n]*(\r?\n[ \t][^\r\n]*)*)\r?\n", re.I | re.M)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
#: Outcomes whose reply asks the customer for the missing address.
_ASKS_FOR_ADDRESS = {"need_info"}


@dataclass(frozen=True)
class SourceText:
    """One corpus mail and what a follow-up to it needs: who wrote it, about what, when."""

    raw: bytes
    sender: bytes  # the From header's value as written (encoded words and all)
    address: str
    subject: bytes  # the Subject header's value as written
    language_de: bool
    date: datetime
    auth: bytes  # its Authentication-Results lines, raw (a follow-up comes through the same server)
    intent: str
    outcome: str | None  # of its first request


def source_texts(mails: list[bytes], names: list[str]) -> list[SourceText]:
    from email import message_from_bytes, policy
    from email.utils import parseaddr, parsedate_to_datetime

    expected: dict[str, dict] = {}
    if (CORPUS / "expected.jsonl").is_file():
        for line in (CORPUS / "expected.jsonl").read_text().splitlines():
            row = json.loads(line)
            expected[row["file"]] = row
    texts = []
    for raw, name in zip(mails, names, strict=True):
        message = message_from_bytes(raw, policy=policy.default)
        head = _HEADER_END.split(raw, 1)[0] + b"\r\n"
        sender, subject = _FROM.search(head), _SUBJECT.search(head)
        assert sender is not None, name
        decoded_subject = str(message["Subject"] or "").lower()
        row = expected.get(
            name, {"intent": "link", "requests": [{"outcome": "need_info" if "need-info" in name else None}]}
        )
        texts.append(
            SourceText(
                raw=raw,
                sender=sender.group(1).strip(),
                address=parseaddr(str(message["From"]))[1].lower(),
                subject=subject.group(1).strip() if subject else b"",
                language_de=any(w in decoded_subject for w in ("konto", "team", "reaktiv", "verkn", "mitarbeit")),
                date=parsedate_to_datetime(str(message["Date"])),
                auth=b"".join(m.group(0) for m in _AUTH.finditer(head)),
                intent=row["intent"],
                outcome=(row["requests"] or [{}])[0].get("outcome"),
            )
        )
    return texts


def _date_of(raw: bytes) -> datetime:
    from email.utils import parsedate_to_datetime

    found = _DATE.search(_HEADER_END.split(raw, 1)[0] + b"\r\n")
    assert found is not None, "every source mail has a Date"
    return parsedate_to_datetime(found.group(0).decode().split(":", 1)[1].strip())


def _dated(raw: bytes, when: datetime) -> bytes:
    from email.utils import format_datetime

    return _DATE.sub(f"Date: {format_datetime(when)}\r\n".encode(), raw, count=1)


def _threaded_reply(text: SourceText, *, first_id: str, own_id: str, when: datetime) -> bytes:
    """The customer answers our reply to ``text`` (threaded to their first mail, as Outlook and Gmail do)."""
    from email.utils import format_datetime

    domain = text.address.rpartition("@")[2]
    german = text.language_de
    if text.outcome in _ASKS_FOR_ADDRESS:
        body = (
            f"Die Adresse ist assistenz@{domain}" if german else f"Sure, the address is assistant@{domain}"
        ) + "\r\n"
    elif text.intent in ("link", "reactivate"):
        verb = "verknuepfen" if text.intent == "link" else "reaktivieren"
        body = (
            f"Bitte auch das Konto zweite.kraft@{domain} {verb}."
            if german
            else f"Please also {text.intent} the account second.helper@{domain}."
        ) + "\r\n"
    else:
        body = ("Danke!" if german else "Thanks, that's all.") + "\r\n"
    subject = text.subject if text.subject.lower().startswith((b"re:", b"aw:")) else b"Re: " + text.subject
    head = (
        text.auth
        + b"From: "
        + text.sender
        + b"\r\nTo: support@vendor.example\r\nSubject: "
        + subject
        + (
            f"\r\nDate: {format_datetime(when)}\r\nMessage-ID: {own_id}\r\nIn-Reply-To: {first_id}\r\n"
            f"References: {first_id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        ).encode()
    )
    quoted = (
        f"\r\nOn {format_datetime(when - timedelta(minutes=30))}, Support wrote:\r\n> Thank you for your message.\r\n"
    )
    return head + (body + quoted).encode()


First = tuple[SourceText, str, datetime]  # a first mail of the backlog: its text, Message-ID and Date


def _follow_up(first: First, message_id: str, rng: random.Random, mix: dict, *, at: datetime | None = None) -> bytes:
    """A threaded reply or a repeat without threading, half and half; dated ``at`` or soon after the first mail."""
    text, first_id, when = first
    if rng.random() < 0.5 and text.intent != "auto":  # nobody answers our reply to an out-of-office
        mix["threaded"] += 1
        mix["answers need_info"] += text.outcome in _ASKS_FOR_ADDRESS
        return _threaded_reply(text, first_id=first_id, own_id=message_id, when=at or when + timedelta(hours=1))
    mix["repeat"] += 1
    return _dated(with_message_id(text.raw, message_id), at or when + timedelta(hours=2))


def conversation_backlog(
    texts: list[SourceText], count: int, share: float, *, seed: int = 9
) -> tuple[list[bytes], dict, list[First]]:
    """``count`` mails with unique Message-IDs of which ``share`` follow up an earlier one; the mix; the firsts."""
    rng = random.Random(seed)
    mails: list[bytes] = []
    firsts: list[First] = []
    mix = {"first": 0, "threaded": 0, "answers need_info": 0, "repeat": 0}
    owed = 0.0
    copies = -(-count // len(texts))
    for n in range(count):
        message_id = f"<bench-{n}@mailbot.test>"
        owed += share
        if owed >= 1.0 and firsts:
            owed -= 1.0
            # Mostly the recent mails (same or previous batch), some much older: both paths of the join look-up.
            pick = len(firsts) - 1 - min(int(rng.expovariate(1 / 150)), len(firsts) - 1)
            mails.append(_follow_up(firsts[pick], message_id, rng, mix))
            continue
        copy, text = divmod(len(firsts), len(texts))
        text_n = texts[text]
        when = text_n.date - timedelta(days=30 * (copies - copy))  # in delivery order, the last copy the newest
        mails.append(_dated(with_message_id(text_n.raw, message_id), when))
        firsts.append((text_n, message_id, when))
        mix["first"] += 1
    return mails, mix, firsts


def later_follow_ups(firsts: list[First], count: int, *, tag: str, seed: int) -> list[bytes]:
    """``count`` follow-ups arriving now, after the backlog: replies into threads anywhere in the stored history
    (joined by Message-ID), repeats to the newest conversations (only those are inside the window)."""
    rng = random.Random(seed)
    mix = {"threaded": 0, "answers need_info": 0, "repeat": 0}
    now = max(when for _text, _id, when in firsts) + timedelta(days=1)
    recent = firsts[-300:]
    return [
        _follow_up(rng.choice(firsts if n % 2 else recent), f"<bench-{tag}-{n}@mailbot.test>", rng, mix, at=now)
        for n in range(count)
    ]


def deliver_mails(server: DovecotServer, user: str, mails: list[bytes]) -> None:
    for raw in mails:
        server.deliver(raw, user=user)
    with server.client(user) as client:  # let Dovecot index the new files before timing
        client.select_folder("INBOX", readonly=True)


def follow_up_main(args: argparse.Namespace) -> None:
    from mailbot.accounts.csv_import import import_accounts
    from mailbot.db.engine import make_engine

    mails, accounts, config = source_mails()
    names = (
        [p.name for p in sorted((CORPUS / "msgs").glob("*.eml"))]
        if accounts != EXAMPLE_ACCOUNTS
        else [p.name for p in sorted((REPO / "examples" / "mails").glob("*.eml"))]
    )
    backlog, mix, firsts = conversation_backlog(source_texts(mails, names), args.backlog, args.follow_ups)
    work = Path(tempfile.mkdtemp(prefix="bench-poll-conv-"))
    print(
        f"backlog: {len(backlog):,} mails, {mix['first']:,} first mails and "
        f"{len(backlog) - mix['first']:,} follow-ups ({(len(backlog) - mix['first']) / len(backlog):.0%}): "
        f"{mix['threaded']:,} threaded replies ({mix['answers need_info']:,} answering need_info with the address), "
        f"{mix['repeat']:,} repeats without threading; batch {BATCH}, {args.rounds} rounds"
    )

    def fresh(server: DovecotServer, name: str) -> tuple[dict, dict]:
        user = server.new_user()
        login = {"host": server.host, "port": server.port, "user": user, "password": server.users[user]}
        round_config = {
            **config,
            "database": {"url": f"sqlite:///{work / f'mailbot-{name}.db'}"},
            "mailbox": {**server.mailbox_config(user), "batch_size": BATCH},
        }
        import_accounts(engine=make_engine(round_config["database"]["url"]), path=accounts)
        return login, round_config

    with DovecotServer(tls=False) as server:
        _login, empty = fresh(server, "empty")
        idle_empty = run_child("idle", config=json.dumps(empty), idle_runs=args.idle_runs)
        floors, polls = [], []
        for round_no in range(args.rounds):
            login, round_config = fresh(server, f"round-{round_no}")
            deliver_mails(server, login["user"], backlog)
            if round_no == 0:
                run_child("floor", **login)  # warm-up: Dovecot's cache, the page cache
            floors.append(run_child("floor", **login))
            polls.append(run_child("poll", config=json.dumps(round_config)))
            floor_rate = floors[-1]["mails"] / floors[-1]["seconds"]
            poll_rate = polls[-1]["mails"] / polls[-1]["seconds"]
            print(
                f"  round {round_no + 1}: floor {floors[-1]['seconds']:.2f} s ({floor_rate:,.0f} mails/s), "
                f"poll {polls[-1]['seconds']:.2f} s ({poll_rate:,.0f} mails/s), ratio {poll_rate / floor_rate:.2f}x, "
                f"{polls[-1]['drafted']:,} drafts, {polls[-1]['errors']} errors"
            )
        floor_rates = [f["mails"] / f["seconds"] for f in floors]
        poll_rates = [p["mails"] / p["seconds"] for p in polls]
        ratios = [p / f for p, f in zip(poll_rates, floor_rates, strict=True)]
        poll = polls[-1]
        print(
            f"floor (imapclient fetch + policy.default parse + body): median {statistics.median(floor_rates):,.0f} "
            f"mails/s, median {statistics.median(f['seconds'] for f in floors):.2f} s"
        )
        print(
            f"poll_once with conversations (fetch, triage, join, store, draft, supersede, flag): median "
            f"{statistics.median(poll_rates):,.0f} mails/s, "
            f"median {statistics.median(p['seconds'] for p in polls):.2f} s, "
            f"peak RSS {poll['peak_rss_mib']:.0f} MiB (each triage worker <= {poll['worker_peak_rss_mib']:.0f} MiB)"
        )
        print(
            f"ratio poll / floor: median {statistics.median(ratios):.2f}x, "
            f"best/best {max(poll_rates) / max(floor_rates):.2f}x (target >= 1.0x)"
        )
        print(f"conversations after the poll: {conversation_counts(round_config['database']['url'])}")
        idle_grown = run_child("idle", config=json.dumps(round_config), idle_runs=args.idle_runs)
        print(
            f"idle poll, empty history: median {idle_empty['median_ms']:.1f} ms, max {idle_empty['max_ms']:.1f} ms; "
            f"after the {len(backlog):,}-mail backlog: median {idle_grown['median_ms']:.1f} ms, "
            f"max {idle_grown['max_ms']:.1f} ms; "
            f"grown / empty {idle_grown['median_ms'] / idle_empty['median_ms']:.2f}x "
            f"(target: flat, < 50 ms)"
        )

        # Follow-ups arriving later, into a short history and into the whole backlog's: the join
        # look-ups are indexed, so the time per mail must not grow with the history.
        short_login, short = fresh(server, "short")
        prefix = backlog[: args.history_short]
        deliver_mails(server, short_login["user"], prefix)
        run_child("poll", config=json.dumps(short))
        in_prefix = {f"<bench-{n}@mailbot.test>" for n in range(len(prefix))}
        short_firsts = [first for first in firsts if first[1] in in_prefix]
        short_times, long_times = [], []
        for repeat in range(args.rounds):
            size = args.later
            deliver_mails(
                server, short_login["user"], later_follow_ups(short_firsts, size, tag=f"s{repeat}", seed=repeat)
            )
            short_times.append(run_child("poll", config=json.dumps(short))["seconds"] / size)
            deliver_mails(server, login["user"], later_follow_ups(firsts, size, tag=f"l{repeat}", seed=repeat))
            long_times.append(run_child("poll", config=json.dumps(round_config))["seconds"] / size)
        short_ms, long_ms = statistics.median(short_times) * 1000, statistics.median(long_times) * 1000
        print(
            f"a poll of {args.later} later follow-ups: {short_ms:.2f} ms per mail into a {len(prefix):,}-mail "
            f"history, {long_ms:.2f} ms per mail into the {len(backlog):,}-mail history; "
            f"long / short {long_ms / short_ms:.2f}x (target: flat)"
        )
    shutil.rmtree(work, ignore_errors=True)


def conversation_counts(url: str) -> str:
    """How the poll joined the backlog: mails per join rule, conversations, drafts per status."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            joined = dict(
                connection.execute(text("SELECT joined_by, count(*) FROM inboundmessage GROUP BY joined_by")).all()
            )
            conversations = connection.execute(text("SELECT count(*) FROM conversation")).scalar()
            statuses = dict(connection.execute(text("SELECT status, count(*) FROM draft GROUP BY status")).all())
    finally:
        engine.dispose()
    return f"{conversations:,} conversations; mails joined by {joined}; drafts {statuses}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", "--mails", dest="backlog", type=int, default=5000)
    parser.add_argument(
        "--follow-ups", type=float, default=0.0, help="share of follow-ups in a backlog of conversations (e.g. 0.4)"
    )
    parser.add_argument("--later", type=int, default=200, help="--follow-ups: later follow-ups per timed poll")
    parser.add_argument("--history-short", type=int, default=300, help="--follow-ups: the short history to compare")
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
    if args.follow_ups:
        if not 0 < args.follow_ups < 1:
            raise SystemExit("--follow-ups: a share between 0 and 1, e.g. 0.4")
        follow_up_main(args)
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
