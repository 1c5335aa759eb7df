"""The way back to the vendor: every account change approvals applied, as CSV or JSON Lines.

With the embedded database source the vendor's system never saw the change, so
``mailbot accounts changes`` hands each one back with what it needs to apply it:
when, which action, the account's fields before and after, and the agent. With
the account API the same list shows what the API confirmed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlmodel import Session, col, select

from mailbot.accounts.book import CSV_FIELDS
from mailbot.models import AccountAction, ActionStatus

#: The CSV's columns: the change, then the record's fields before and after it.
CHANGE_COLUMNS = (
    "at",
    "action",
    "account_id",
    "email",
    "agent",
    "draft_id",
    "source",
    *(f"before_{name}" for name in CSV_FIELDS[1:]),
    *(f"after_{name}" for name in CSV_FIELDS[1:]),
)


def applied_changes(*, session: Session, since: date | None = None) -> list[dict[str, Any]]:
    """Confirmed changes in the order they were made; ``since``: on or after that day (UTC)."""
    query = select(AccountAction).where(col(AccountAction.status) == ActionStatus.CONFIRMED)
    if since is not None:
        query = query.where(col(AccountAction.confirmed_at) >= datetime.combine(since, time(), tzinfo=UTC))
    query = query.order_by(col(AccountAction.confirmed_at), col(AccountAction.id))
    return [_change(row) for row in session.exec(query)]


def _change(row: AccountAction) -> dict[str, Any]:
    at = row.confirmed_at  # aware UTC on both databases (UtcDateTime)
    return {
        "at": at.isoformat(timespec="seconds") if at else None,
        "action": row.kind,
        "account_id": row.account_id,
        "email": row.email,
        "agent": row.agent,
        "draft_id": row.draft_id,
        "source": row.source,
        "before": row.before,
        "after": row.after,
    }


def changes_csv(changes: Iterable[dict[str, Any]]) -> str:
    """One row per change; the before/after records flattened to ``before_plan`` … ``after_primary_account_id``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CHANGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for change in changes:
        row = {key: change[key] for key in CHANGE_COLUMNS[:7]}
        for side in ("before", "after"):
            record = change[side] or {}
            for name in CSV_FIELDS[1:]:
                value = record.get(name)
                row[f"{side}_{name}"] = "" if value is None else value
        writer.writerow(row)
    return out.getvalue()
