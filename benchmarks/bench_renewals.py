"""An account import that reveals renewals, against a plain import of the same file.

    python benchmarks/bench_renewals.py [--rounds 3] [--url sqlite|postgresql+psycopg://…]

1. Makes two exports of 10,000 accounts (deterministic): "before" and "after".
   In "after", 1,000 primaries renewed (paid_until a year later) and each has two
   linked team members left behind (one expired, one paid only to the old date);
   500 more primaries renewed whose team member is already paid for the new year;
   3,000 primaries with a team member each did not change.
2. Per round, on a fresh database filled with "before" (not timed): the import
   of "after" with renewal detection (``mailbot accounts import``:
   ``renewals.notice.import_with_renewals``, one transaction: compare, record,
   draft) and, on another fresh database, the plain upsert of the same file
   (``accounts.csv_import.import_accounts``). The order alternates per round.

Prints both times (median over the rounds: a shared machine is noisy), their
ratio, and the drafts made, which must be exactly 1,000 (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from sqlmodel import Session, func, select  # noqa: E402

from mailbot.accounts.book import CSV_FIELDS  # noqa: E402
from mailbot.accounts.csv_import import import_accounts  # noqa: E402
from mailbot.config import settings_from_mapping  # noqa: E402
from mailbot.db.engine import make_engine  # noqa: E402
from mailbot.models import Draft, Renewal  # noqa: E402
from mailbot.renewals.notice import import_with_renewals  # noqa: E402

TODAY = date.today()
OLD = TODAY + timedelta(days=10)
NEW = OLD + timedelta(days=365)
LAPSED = TODAY - timedelta(days=40)
RENEWING, CURRENT, UNCHANGED = 1_000, 500, 3_000  # 3,000 + 1,000 + 6,000 = 10,000 accounts


def exports(folder: Path) -> tuple[Path, Path]:
    before: list[tuple] = []
    after: list[tuple] = []
    next_id = 1

    def add(email: str, status: str, paid_before: date | None, paid_after: date | None, primary: int | None) -> int:
        nonlocal next_id
        account_id = next_id
        next_id += 1
        before.append((account_id, email, "pro", status, paid_before, primary))
        after.append((account_id, email, "pro", status, paid_after, primary))
        return account_id

    for n in range(RENEWING):
        boss = add(f"chef{n}@renewing{n}.example", "active", OLD, NEW, None)
        add(f"team{n}@renewing{n}.example", "expired", LAPSED, LAPSED, boss)
        add(f"assist{n}@renewing{n}.example", "active", OLD, OLD, boss)
    for n in range(CURRENT):
        boss = add(f"chef{n}@current{n}.example", "active", OLD, NEW, None)
        add(f"team{n}@current{n}.example", "active", NEW, NEW, boss)
    for n in range(UNCHANGED):
        boss = add(f"chef{n}@same{n}.example", "active", OLD, OLD, None)
        add(f"team{n}@same{n}.example", "active", OLD, OLD, boss)
    assert len(after) == 10_000
    return _write(folder / "before.csv", before), _write(folder / "after.csv", after)


def _write(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_FIELDS)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def fresh_url(base: str, folder: Path) -> str:
    if base == "sqlite":
        return f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    import psycopg  # a fresh database on the server the URL names
    from sqlalchemy.engine import make_url

    name = f"bench_renewals_{uuid.uuid4().hex[:8]}"
    url = make_url(base)
    admin = f"host={url.host or '127.0.0.1'} port={url.port or 5432} user={url.username} dbname={url.database}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(url.set(database=name))


def one_round(base: str, folder: Path, before: Path, after: Path, *, renewals: bool) -> tuple[float, int, int]:
    url = fresh_url(base, folder)
    engine = make_engine(url)
    settings = settings_from_mapping(
        {
            "database": {"url": url},
            "support": {"address": "support@vendor.example", "name": "Vendor Support"},
            "plans": {"pro": {"team_seats": 2}},
        },
        env={},
    )
    import_accounts(engine=engine, path=before)
    started = time.perf_counter()
    if renewals:
        import_with_renewals(engine=engine, settings=settings, path=after)
    else:
        import_accounts(engine=engine, path=after)
    elapsed = time.perf_counter() - started
    with Session(engine) as session:
        drafts = session.exec(select(func.count()).select_from(Draft)).one()
        seen = session.exec(select(func.count()).select_from(Renewal)).one()
    engine.dispose()
    return elapsed, drafts, seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default="sqlite", help="sqlite (default) or a PostgreSQL URL to make databases on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        before, after = exports(folder)
        plain: list[float] = []
        detecting: list[float] = []
        drafts = seen = 0
        for n in range(args.rounds):
            order = (False, True) if n % 2 == 0 else (True, False)
            for renewals in order:
                elapsed, made, recorded = one_round(args.url, folder, before, after, renewals=renewals)
                if renewals:
                    detecting.append(elapsed)
                    drafts, seen = made, recorded
                else:
                    plain.append(elapsed)
                    assert made == 0
        plain_s, detecting_s = statistics.median(plain), statistics.median(detecting)
        print("import of 10,000 accounts; 1,000 primaries renewed with lapsed team members, 500 without")
        rounds = ", ".join(f"{t:.2f}" for t in plain)
        print(f"plain import          {plain_s:7.2f} s   (median of {args.rounds}: {rounds})")
        print(
            f"import with renewals  {detecting_s:7.2f} s   (median of {args.rounds}: "
            f"{', '.join(f'{t:.2f}' for t in detecting)})"
        )
        print(f"ratio                 {detecting_s / plain_s:7.2f}x the plain import")
        print(f"renewals recorded     {seen:7d}")
        print(f"drafts made           {drafts:7d}   (expected exactly {RENEWING})")
    return 0 if drafts == RENEWING and seen == RENEWING + CURRENT else 1


if __name__ == "__main__":
    sys.exit(main())
