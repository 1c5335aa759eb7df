"""Is intake alive? The last successful poll per folder and what waits for people.

OAuth tokens expire and mailboxes get locked, and a helpdesk that stops taking
mail in silently is the worst failure (Zammad #3411): ``mailbot status`` gives
monitoring one command whose exit code says whether polling is current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from mailbot.models import Draft, MailboxState, OutboxMessage
from mailbot.vocabulary import OutboxStatus


@dataclass
class Health:
    folders: list[dict[str, Any]] = field(default_factory=list)
    drafts: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "folders": self.folders,
            "drafts": self.drafts,
            "outbox": self.outbox,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def check_health(*, engine: Engine, max_age: timedelta, now: datetime | None = None) -> Health:
    now = now or datetime.now(UTC)
    health = Health()
    with Session(engine) as session:
        states = list(session.exec(select(MailboxState).order_by(MailboxState.mailbox, MailboxState.folder)))
        health.drafts = dict(session.exec(select(Draft.status, func.count()).group_by(Draft.status)).all())
        health.outbox = dict(
            session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
        )
    if not states:
        health.problems.append("no poll has run yet")
    for state in states:
        last = state.last_success_at
        age = (now - last) if last else None
        health.folders.append(
            {
                "mailbox": state.mailbox,
                "folder": state.folder,
                "last_uid": state.last_uid,
                "last_success_at": _iso(last),
                "age_seconds": int(age.total_seconds()) if age is not None else None,
                # What `mailbot run` does for it: idling, polling, reconnecting, stopped (None: never ran).
                "intake": state.intake,
                "intake_since": _iso(state.intake_since),
            }
        )
        if age is None or age > max_age:
            when = f"{int(age.total_seconds() // 60)} minutes ago" if age is not None else "never"
            health.problems.append(f"{state.mailbox} {state.folder}: last successful poll {when}")
    stuck = health.outbox.get(OutboxStatus.NEEDS_AGENT, 0)
    if stuck:
        health.problems.append(f"{stuck} replies were interrupted mid-send and need an agent")
    return health
