"""The CSV import of the vendor's account export: validated whole, applied all-or-nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from mailbot.accounts.book import CSV_FIELDS, STATUSES, AccountRecord
from mailbot.accounts.database import find_account, record_of, row_of
from mailbot.errors import ImportRowError

if TYPE_CHECKING:
    from sqlmodel import Session


def parse_account_rows(text: str) -> list[AccountRecord]:
    """Validate every row first: an import is all-or-nothing."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(h.strip() for h in (reader.fieldnames or ()))
    if header != CSV_FIELDS:
        raise ImportRowError(f"line 1: expected the header {','.join(CSV_FIELDS)}, got {','.join(header)}")
    rows: list[AccountRecord] = []
    seen_ids: set[int] = set()
    seen_emails: set[str] = set()
    for row in reader:
        line = reader.line_num
        try:
            account = _account_from_row(row)
        except ValueError as exc:
            raise ImportRowError(f"line {line}: {exc}") from None
        if account.account_id in seen_ids:
            raise ImportRowError(f"line {line}: account_id {account.account_id} appears twice")
        if account.email in seen_emails:
            raise ImportRowError(f"line {line}: email {account.email} appears twice")
        seen_ids.add(account.account_id)
        seen_emails.add(account.email)
        rows.append(account)
    return rows


def _account_from_row(row: dict[str, str | None]) -> AccountRecord:
    if None in row or any(row.get(f) is None for f in CSV_FIELDS):
        raise ValueError("wrong number of fields")
    values = {k: (row[k] or "").strip() for k in CSV_FIELDS}
    if not values["account_id"].isdigit():
        raise ValueError(f"account_id must be a whole number, got {values['account_id']!r}")
    email = values["email"].lower()
    if email.count("@") != 1 or not all(email.split("@")) or any(c.isspace() for c in email):
        raise ValueError(f"email is not an address: {values['email']!r}")
    if not values["plan"]:
        raise ValueError("plan is empty")
    if values["status"] not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {values['status']!r}")
    paid_until = None
    if values["paid_until"]:
        try:
            paid_until = date.fromisoformat(values["paid_until"])
        except ValueError:
            raise ValueError(f"paid_until must be an ISO date, got {values['paid_until']!r}") from None
    primary = values["primary_account_id"]
    if primary and not primary.isdigit():
        raise ValueError(f"primary_account_id must be a whole number, got {primary!r}")
    return AccountRecord(
        account_id=int(values["account_id"]),
        email=email,
        plan=values["plan"],
        status=values["status"],
        paid_until=paid_until,
        primary_account_id=int(primary) if primary else None,
    )


@dataclass(frozen=True)
class ImportSummary:
    inserted: int
    updated: int


def read_account_file(path: Path) -> list[AccountRecord]:
    """Every record of a CSV file, validated whole before anything is stored."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportRowError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ImportRowError(f"{path}: is not UTF-8 text") from None
    return parse_account_rows(content)


def import_accounts(*, engine: Engine, path: Path) -> ImportSummary:
    """Insert or update account records from a CSV file, in one transaction."""
    return upsert_accounts(engine=engine, rows=read_account_file(path))


def upsert_accounts(*, engine: Engine, rows: Iterable[AccountRecord]) -> ImportSummary:
    from sqlmodel import Session

    with Session(engine) as session:
        summary = upsert_rows(session=session, rows=rows)
        session.commit()
    return summary


def upsert_rows(
    *,
    session: Session,
    rows: Iterable[AccountRecord],
    updated_records: list[tuple[AccountRecord, AccountRecord]] | None = None,
) -> ImportSummary:
    """Insert or update ``rows`` in the caller's transaction (no commit).

    ``updated_records`` collects (before, after) of every record that existed, so
    the caller can compare them in the same transaction (renewals: an import
    that moves a primary's ``paid_until`` later).
    """
    from mailbot.models import Account

    inserted = updated = 0
    for row in rows:
        existing = session.get(Account, row.account_id)
        if existing is None:
            other = find_account(session=session, email=row.email)
            if other is not None:  # same address under a new id: the id is what changed
                session.delete(other)
                session.flush()
            session.add(row_of(row))
            inserted += 1
        else:
            if existing.email != row.email:
                other = find_account(session=session, email=row.email)
                if other is not None:  # the address moved to this id (e.g. two swapped)
                    session.delete(other)
                    session.flush()
            if updated_records is not None:
                updated_records.append((record_of(existing), row))
            for name in CSV_FIELDS[1:]:
                setattr(existing, name, getattr(row, name))
            updated += 1
    return ImportSummary(inserted=inserted, updated=updated)
