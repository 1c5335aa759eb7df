"""A poll against the account API: requests per mail, and mails/s beside the database source.

    python benchmarks/bench_accounts_api.py [--mails 1000] [--customers 600] [--rounds 3]

1. Makes a backlog of customer mails (seeded, so every run is the same): link
   requests, reactivation requests with both addresses, questions for a human
   and out-of-office replies, from ``--customers`` primaries, some of whom write
   more than once. Every primary and team member has a record.
2. Starts the reference account API (mailbot/accounts/reference_api.py) under
   uvicorn on localhost in this process, and seeds it and a SQLite database with
   the same records.
3. Per round, in fresh child processes: one ``poll_once`` of the backlog from a
   Maildir with ``[accounts] source = "database"``, then one with ``"http"``.
   The API's own counter gives the requests of the http poll.

Prints requests per mail (the target is at most 2 on average), mails/s of both
sources and their ratio (the median over the rounds: a shared machine is noisy),
and checks that both polls decided every mail the same way.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

PLANS = {"basic": {"team_seats": 0}, "pro": {"team_seats": 3}}
PAID = date(2099, 1, 31)
AUTH = "Authentication-Results: mx.vendor.example; dkim=pass header.d={d}; dmarc=pass header.from={d}\n"


def make_backlog(*, mails: int, customers: int, seed: int = 7) -> tuple[list[bytes], list[dict]]:
    """The mails and every record they name."""
    rng = random.Random(seed)
    accounts: list[dict] = []
    for n in range(customers):
        boss, va, old = 10_000 + 3 * n, 10_001 + 3 * n, 10_002 + 3 * n
        domain = f"kunde{n}.example"
        accounts += [
            _record(boss, f"chef@{domain}", "pro", "active", PAID, None),
            _record(va, f"assistenz@{domain}", "basic", "trial", None, None),
            _record(old, f"team@{domain}", "pro", "expired", date(2024, 12, 31), boss),
        ]
    raws = []
    for n in range(mails):
        customer = rng.randrange(customers)
        domain = f"kunde{customer}.example"
        kind = rng.choices(["link", "reactivate", "other", "auto"], weights=[40, 30, 20, 10])[0]
        body, extra = {
            "link": (f"Hallo,\nbitte verknüpfen Sie meine Assistentin assistenz@{domain} mit meinem Konto.\n", ""),
            "reactivate": (
                f"Hello,\nwe renewed. Please reactivate our team member team@{domain}; my account is chef@{domain}.\n",
                "",
            ),
            "other": ("Hallo,\nich habe eine Frage zu meiner letzten Rechnung.\n", ""),
            "auto": ("Ich bin bis Montag nicht im Büro.\n", "Auto-Submitted: auto-replied\n"),
        }[kind]
        raws.append(
            (
                f"{AUTH.format(d=domain)}{extra}From: Chef <chef@{domain}>\nTo: support@vendor.example\n"
                f"Subject: Team-Konto\nMessage-ID: <bench-{n}@{domain}>\nDate: Mon, 15 Jun 2026 09:00:00 +0200\n"
                f"Content-Type: text/plain; charset=utf-8\n\n{body}\nViele Grüße\nChef\n"
            ).encode()
        )
    return raws, accounts


def _record(account_id: int, email: str, plan: str, status: str, paid: date | None, primary: int | None) -> dict:
    return {
        "account_id": account_id,
        "email": email,
        "plan": plan,
        "status": status,
        "paid_until": paid.isoformat() if paid else None,
        "primary_account_id": primary,
    }


# -- the child: one poll ------------------------------------------------------------


def child_poll(config: dict) -> dict:
    from sqlmodel import Session, select

    from mailbot.config import settings_from_mapping
    from mailbot.db.engine import make_engine
    from mailbot.intake.cycle import poll_once
    from mailbot.models import InboundMessage

    settings = settings_from_mapping(config, env={})
    engine = make_engine(settings.database.url)
    started = time.perf_counter()
    summary = poll_once(settings=settings, engine=engine, today=date(2026, 6, 15))
    seconds = time.perf_counter() - started
    with Session(engine) as session:
        outcomes = {row.dedup_key: row.outcome for row in session.exec(select(InboundMessage))}
    return {"seconds": seconds, "mails": summary.fetched, "errors": summary.errors, "outcomes": outcomes}


def run_child(config: dict) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(config)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"poll failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the parent ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_poll(json.loads(args.child))))
        return

    from servers.account_api import AccountApiServer

    from mailbot.accounts.book import AccountRecord
    from mailbot.accounts.csv_import import upsert_accounts
    from mailbot.db.engine import make_engine

    raws, accounts = make_backlog(mails=args.mails, customers=args.customers)
    with tempfile.TemporaryDirectory(prefix="bench-accounts-") as tmp:
        work = Path(tmp)
        api = AccountApiServer(work).start()
        try:
            rows = []
            for round_number in range(1, args.rounds + 1):
                api.seed(*accounts)
                results = {}
                for source in ("database", "http"):
                    folder = work / f"{source}-{round_number}"
                    folder.mkdir()
                    box = mailbox.Maildir(folder / "Maildir", create=True)
                    for raw in raws:
                        box.add(raw)
                    url = f"sqlite:///{folder / 'mailbot.db'}"
                    if source == "database":
                        upsert_accounts(
                            engine=make_engine(url),
                            rows=[AccountRecord(**{**a, "paid_until": _date(a["paid_until"])}) for a in accounts],
                        )
                    config = {
                        "database": {"url": url},
                        "support": {"address": "support@vendor.example"},
                        "mailbox": {"kind": "maildir", "path": str(folder / "Maildir")},
                        "outbox": {"path": str(folder / "outbox")},
                        "accounts": {"source": source, "url": api.url, "token": api.token}
                        if source == "http"
                        else {"source": "database"},
                        "plans": PLANS,
                    }
                    before = api.requests()
                    results[source] = run_child(config)
                    results[source]["requests"] = api.requests() - before
                db, http = results["database"], results["http"]
                assert db["outcomes"] == http["outcomes"], "the two sources decided differently"
                assert db["errors"] == http["errors"] == 0
                row = {
                    "mails": http["mails"],
                    "requests": http["requests"],
                    "requests_per_mail": http["requests"] / http["mails"],
                    "database_mails_per_s": db["mails"] / db["seconds"],
                    "http_mails_per_s": http["mails"] / http["seconds"],
                }
                row["ratio"] = row["http_mails_per_s"] / row["database_mails_per_s"]
                rows.append(row)
                print(
                    f"round {round_number}: {row['mails']} mails, {row['requests']} API requests "
                    f"({row['requests_per_mail']:.2f}/mail); database {row['database_mails_per_s']:.0f} mails/s, "
                    f"http {row['http_mails_per_s']:.0f} mails/s (ratio {row['ratio']:.2f})",
                    flush=True,
                )
        finally:
            api.stop()
    per_mail = statistics.median(r["requests_per_mail"] for r in rows)
    print(
        f"median: {per_mail:.2f} API requests per mail (target <= 2: {'met' if per_mail <= 2 else 'NOT met'}); "
        f"database {statistics.median(r['database_mails_per_s'] for r in rows):.0f} mails/s, "
        f"http {statistics.median(r['http_mails_per_s'] for r in rows):.0f} mails/s, "
        f"ratio {statistics.median(r['ratio'] for r in rows):.2f}"
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


if __name__ == "__main__":
    main()
