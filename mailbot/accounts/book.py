"""The account record and the account book protocol: what triage and review know about accounts.

The triage core asks an ``AccountBook`` rather than a database, so the decisions
stay pure and testable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    pass


CSV_FIELDS = ("account_id", "email", "plan", "status", "paid_until", "primary_account_id")


STATUSES = ("active", "trial", "expired", "cancelled")


class AccountLike(Protocol):
    # Read-only members, so a frozen AccountRecord and an ORM row both fit.
    @property
    def account_id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def plan(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def paid_until(self) -> date | None: ...
    @property
    def primary_account_id(self) -> int | None: ...


class AccountBook(Protocol):
    """What the decisions need to know about account records."""

    def by_email(self, email: str) -> AccountLike | None: ...

    def by_id(self, account_id: int) -> AccountLike | None: ...

    def linked_members(self, primary_id: int) -> Sequence[AccountLike]: ...


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
