"""Is intake alive? The last successful poll per folder and what waits for people.

OAuth tokens expire and mailboxes get locked, and a helpdesk that stops taking
mail in silently is the worst failure (Zammad #3411): ``mailbot status`` gives
monitoring one command whose exit code says whether polling is current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exists, func
from sqlmodel import Session, col, select

from mailbot.models import AccountAction, ActionStatus, Draft, MailboxState, OutboxMessage
from mailbot.vocabulary import DraftStatus, OutboxStatus


@dataclass
class Health:
    folders: list[dict[str, Any]] = field(default_factory=list)
    drafts: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    held_replies: int = 0  # approved, waiting for their account actions to be confirmed
    failing_actions: int = 0  # account actions waiting for a retry
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
            "held_replies": self.held_replies,
            "failing_actions": self.failing_actions,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def check_health(
    *, engine: Engine, max_age: timedelta, now: datetime | None = None, max_failing: timedelta | None = None
) -> Health:
    """``max_failing``: an account action failing for longer than this is a problem (default: 1 hour)."""
    now = now or datetime.now(UTC)
    health = Health()
    with Session(engine) as session:
        _check_actions(session, health, now=now, max_failing=max_failing or timedelta(hours=1))
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


def _check_actions(session: Session, health: Health, *, now: datetime, max_failing: timedelta) -> None:
    """Replies held for their account actions, and actions the API keeps failing."""
    health.held_replies = session.exec(
        select(func.count())
        .select_from(Draft)
        .where(
            col(Draft.status) == DraftStatus.APPROVED,
            exists().where(col(AccountAction.draft_id) == Draft.id),
            ~exists().where(col(OutboxMessage.draft_id) == Draft.id),
        )
    ).one()
    since = list(
        session.exec(select(AccountAction.failing_since).where(col(AccountAction.status) == ActionStatus.RETRY))
    )
    health.failing_actions = len(since)
    oldest = min((moment for moment in since if moment is not None), default=None)
    if oldest is not None and now - oldest > max_failing:
        minutes = int((now - oldest).total_seconds() // 60)
        health.problems.append(
            f"{len(since)} account actions are failing; the oldest for {minutes} minutes "
            f"(their replies are held; see `mailbot drafts list --status approved`)"
        )
