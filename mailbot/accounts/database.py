"""The embedded account book: mailbot's own ``account`` table, rows in, ``AccountRecord``s out.

``DbAccountBook`` answers the triage core's questions from SQL and caches per
instance, since one triage run asks about the same accounts often. The ORM
``Account`` is storage only: outside this package only the code that writes
rows (approval) sees it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from mailbot.accounts.book import CSV_FIELDS, AccountRecord

if TYPE_CHECKING:
    from sqlmodel import Session

    from mailbot.models import Account


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

    def close(self) -> None:
        """The connection belongs to the caller: nothing to release here."""


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


def row_of(record: AccountRecord) -> Account:
    """A new ORM row for a record, to be added to a session."""
    from mailbot.models import Account

    return Account(**{name: getattr(record, name) for name in CSV_FIELDS})


def record_of(row: Account) -> AccountRecord:
    """An ORM row as the plain record everyone else reads (e.g. a change's before and after)."""
    return AccountRecord(*(getattr(row, name) for name in CSV_FIELDS))
