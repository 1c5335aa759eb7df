"""The account record and the account book protocol: what triage and review know about accounts.

The triage core asks an ``AccountBook`` rather than a database, so the decisions
stay pure and testable. ``AccountRecord`` is the one shape an account has outside
storage: the database book converts its rows at the edge, tests and the CSV
import build records directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

CSV_FIELDS = ("account_id", "email", "plan", "status", "paid_until", "primary_account_id")


STATUSES = ("active", "trial", "expired", "cancelled")


@dataclass(frozen=True)
class AccountRecord:
    """An account as the decisions read it: plain values, no ORM session behind it."""

    account_id: int
    email: str  # lower-case
    plan: str
    status: str  # one of STATUSES
    paid_until: date | None
    primary_account_id: int | None

    def as_csv_dict(self) -> dict[str, str | int | None]:
        """The CSV's fields, in its order (dates as ISO text), e.g. for `accounts show --json`."""
        return {
            "account_id": self.account_id,
            "email": self.email,
            "plan": self.plan,
            "status": self.status,
            "paid_until": self.paid_until.isoformat() if self.paid_until else None,
            "primary_account_id": self.primary_account_id,
        }


class AccountBook(Protocol):
    """What the decisions need to know about account records."""

    def by_email(self, email: str) -> AccountRecord | None: ...

    def by_id(self, account_id: int) -> AccountRecord | None: ...

    def linked_members(self, primary_id: int) -> list[AccountRecord]: ...


@dataclass
class MemoryAccountBook:
    """Accounts held in memory: for tests and for re-checking a batch of decisions."""

    accounts: list[AccountRecord]

    def by_email(self, email: str) -> AccountRecord | None:
        return next((a for a in self.accounts if a.email == email.lower()), None)

    def by_id(self, account_id: int) -> AccountRecord | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def linked_members(self, primary_id: int) -> list[AccountRecord]:
        return [a for a in self.accounts if a.primary_account_id == primary_id]
