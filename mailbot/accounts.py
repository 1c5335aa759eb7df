"""Account look-ups and the CSV import.

The triage core asks an ``AccountBook`` (a protocol) rather than a database, so
the decisions stay pure and testable; ``DbAccountBook`` answers from SQL and
caches per instance, since one triage run asks about the same accounts often.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, text

from mailbot.errors import ImportRowError

if TYPE_CHECKING:
    from sqlmodel import Session

    from mailbot.models import Account

CSV_FIELDS = ("account_id", "email", "plan", "status", "paid_until", "primary_account_id")
STATUSES = ("active", "trial", "expired", "cancelled")


class AccountLike(Protocol):
    account_id: int
    email: str
    plan: str
    status: str
    paid_until: date | None
    primary_account_id: int | None


class AccountBook(Protocol):
    """What the decisions need to know about account records."""

    def by_email(self, email: str) -> AccountLike | None: ...

    def by_id(self, account_id: int) -> AccountLike | None: ...

    def linked_members(self, primary_id: int) -> list[AccountLike]: ...


@dataclass
class MemoryAccountBook:
    """Accounts held in memory: for tests and for re-checking a batch of decisions."""

    accounts: list[AccountLike]

    def by_email(self, email: str) -> AccountLike | None:
        return next((a for a in self.accounts if a.email == email.lower()), None)

    def by_id(self, account_id: int) -> AccountLike | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def linked_members(self, primary_id: int) -> list[AccountLike]:
        return [a for a in self.accounts if a.primary_account_id == primary_id]


@dataclass(frozen=True)
class AccountRecord:
    """An account row as the decisions read it (plain values, no ORM session)."""

    account_id: int
    email: str
    plan: str
    status: str
    paid_until: date | None
    primary_account_id: int | None


_COLUMNS = "account_id, email, plan, status, paid_until, primary_account_id"


class DbAccountBook:
    """Account look-ups against the database, cached for the life of the instance.

    Plain SQL through SQLAlchemy Core on a session or connection: the triage path
    (a dry run over thousands of mails, or a poll) needs no ORM objects. Use a fresh
    instance per poll cycle or per approval so a cache never outlives the records.
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection  # a Session or a Connection: both execute text()
        self._by_email: dict[str, AccountRecord | None] = {}
        self._members: dict[int, list[AccountRecord]] = {}

    def _rows(self, where: str, **params: object) -> list[AccountRecord]:
        result = self.connection.execute(text(f"SELECT {_COLUMNS} FROM account WHERE {where}"), params)
        return [AccountRecord(*_typed(row)) for row in result]

    def by_email(self, email: str) -> AccountRecord | None:
        key = email.lower()
        if key not in self._by_email:
            self._by_email[key] = next(iter(self._rows("email = :email", email=key)), None)
        return self._by_email[key]

    def by_id(self, account_id: int) -> AccountRecord | None:
        return next(iter(self._rows("account_id = :id", id=account_id)), None)

    def linked_members(self, primary_id: int) -> list[AccountRecord]:
        if primary_id not in self._members:
            self._members[primary_id] = self._rows("primary_account_id = :id ORDER BY account_id", id=primary_id)
        return self._members[primary_id]


def _typed(row: Any) -> tuple[Any, ...]:
    """SQLite hands dates back as text through text(); PostgreSQL as dates."""
    paid = row[4]
    if isinstance(paid, str):
        paid = date.fromisoformat(paid[:10])
    return (row[0], row[1], row[2], row[3], paid, row[5])


def find_account(*, session: Session, email: str) -> Account | None:
    from sqlmodel import select

    from mailbot.models import Account

    return session.exec(select(Account).where(Account.email == email.strip().lower())).first()


def parse_account_rows(text: str) -> list[Account]:
    """Validate every row first: an import is all-or-nothing."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(h.strip() for h in (reader.fieldnames or ()))
    if header != CSV_FIELDS:
        raise ImportRowError(f"line 1: expected the header {','.join(CSV_FIELDS)}, got {','.join(header)}")
    rows: list[Account] = []
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


def _account_from_row(row: dict[str, str | None]) -> Account:
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
    from mailbot.models import Account  # the ORM only where rows are written

    return Account(
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


def import_accounts(*, engine: Engine, path: Path) -> ImportSummary:
    """Insert or update account records from a CSV file, in one transaction."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportRowError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ImportRowError(f"{path}: is not UTF-8 text") from None
    rows = parse_account_rows(content)
    return upsert_accounts(engine=engine, rows=rows)


def upsert_accounts(*, engine: Engine, rows: Iterable[Account]) -> ImportSummary:
    from sqlmodel import Session

    from mailbot.models import Account

    inserted = updated = 0
    with Session(engine) as session:
        for row in rows:
            existing = session.get(Account, row.account_id)
            if existing is None:
                other = find_account(session=session, email=row.email)
                if other is not None:  # same address under a new id: the id is what changed
                    session.delete(other)
                    session.flush()
                session.add(row)
                inserted += 1
            else:
                if existing.email != row.email:
                    other = find_account(session=session, email=row.email)
                    if other is not None:  # the address moved to this id (e.g. two swapped)
                        session.delete(other)
                        session.flush()
                for name in CSV_FIELDS[1:]:
                    setattr(existing, name, getattr(row, name))
                updated += 1
        session.commit()
    return ImportSummary(inserted=inserted, updated=updated)


def account_as_csv_dict(account: AccountLike) -> dict[str, str | int | None]:
    """The CSV's fields, for `accounts show --json`."""
    return {
        "account_id": account.account_id,
        "email": account.email,
        "plan": account.plan,
        "status": account.status,
        "paid_until": account.paid_until.isoformat() if account.paid_until else None,
        "primary_account_id": account.primary_account_id,
    }
