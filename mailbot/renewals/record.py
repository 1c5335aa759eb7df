"""The bookkeeping of renewals: each (primary, new ``paid_until``) is acted on once, whatever told us.

An import, ``mailbot accounts renewed`` and a billing event may all report the
same renewal, a billing system may send it twice, and events may arrive out of
order. So every renewal is kept in ``renewal`` (unique on primary and date, in the
caller's transaction); one seen before does nothing more, and an older date
after a newer one is recorded as ``not_newer`` and drafts nothing. A renewal
whose team members are all current is recorded without a draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from mailbot.accounts.book import AccountBook, AccountRecord
from mailbot.config import Settings
from mailbot.models import Renewal
from mailbot.renewals.detect import lapsed_members
from mailbot.renewals.draft import open_proactive_draft
from mailbot.triage.decide import decide_requests
from mailbot.triage.extract import Request
from mailbot.vocabulary import AddressSource, Intent, RenewalOutcome, RenewalSource, SenderVerification


@dataclass(frozen=True)
class RenewalResult:
    """What one report of a renewal came to, for the CLI's line and the billing event's audit."""

    outcome: RenewalOutcome
    email: str
    paid_until: date | None
    primary_account_id: int | None = None
    draft_id: int | None = None
    team_members: tuple[str, ...] = field(default=())  # the lapsed ones the draft is about
    reason: str = ""

    def line(self) -> str:
        """One line for the operator."""
        until = self.paid_until.isoformat() if self.paid_until else "?"
        what = f"renewal of {self.email} to {until}"
        if self.outcome == RenewalOutcome.DRAFTED:
            return (
                f"{what}: drafted draft {self.draft_id} to reactivate "
                f"{len(self.team_members)} team member{'s' if len(self.team_members) != 1 else ''} "
                f"({', '.join(self.team_members)})"
            )
        return f"{what}: nothing drafted ({self.outcome.replace('_', ' ')}{': ' + self.reason if self.reason else ''})"

    def detail(self) -> dict[str, Any]:
        """The audit detail stored with a billing event."""
        return {
            "primary_account_id": self.primary_account_id,
            "draft_id": self.draft_id,
            "team_members": list(self.team_members),
            "reason": self.reason,
        }


def seen_dates(session: Session, primary_id: int) -> list[date]:
    """Every renewal date recorded for the primary (a handful: one per billing period)."""
    return seen_dates_of(session, [primary_id]).get(primary_id, [])


def seen_dates_of(session: Session, primary_ids: Iterable[int]) -> dict[int, list[date]]:
    """``seen_dates`` for many primaries at once (an import), in chunks of 500 ids."""
    ids = sorted(set(primary_ids))
    found: dict[int, list[date]] = {}
    for start in range(0, len(ids), 500):
        rows = session.exec(
            select(col(Renewal.primary_account_id), col(Renewal.paid_until)).where(
                col(Renewal.primary_account_id).in_(ids[start : start + 500])
            )
        )
        for primary_id, paid_until in rows:
            found.setdefault(primary_id, []).append(paid_until)
    return found


def record_renewal(
    session: Session,
    *,
    settings: Settings,
    book: AccountBook,
    primary: AccountRecord,
    paid_until: date,
    source: RenewalSource,
    newer: bool,
    today: date,
    now: datetime,
    language: str | None = None,
) -> RenewalResult:
    """Record a renewal not seen before and draft the reactivation it calls for (flushed, not committed).

    ``newer``: ``detect.is_newer_renewal`` said it is later than everything known;
    otherwise it is recorded as ``not_newer`` and drafts nothing. ``book`` reads the
    records as they are after the renewal (the database's, in this transaction,
    or the account API's, freshly). ``language``: the draft's, when the caller
    looked it up already.
    """

    def kept(
        outcome: RenewalOutcome, *, draft_id: int | None = None, members: tuple[str, ...] = (), reason: str = ""
    ) -> RenewalResult:
        session.add(
            Renewal(
                primary_account_id=primary.account_id,
                primary_email=primary.email,
                paid_until=paid_until,
                source=source,
                seen_at=now,
                outcome=outcome,
                draft_id=draft_id,
            )
        )
        return RenewalResult(outcome, primary.email, paid_until, primary.account_id, draft_id, members, reason)

    if not newer:
        known = primary.paid_until.isoformat() if primary.paid_until else "-"
        return kept(RenewalOutcome.NOT_NEWER, reason=f"a later or equal date is known (paid until {known})")
    lapsed = lapsed_members(book.linked_members(primary.account_id), paid_until)
    if not lapsed:
        return kept(RenewalOutcome.NO_LAPSED_TEAM_MEMBERS)
    decisions = decide_requests(
        [Request(primary.email, m.email, AddressSource.RENEWAL, AddressSource.RENEWAL) for m in lapsed],
        intent=Intent.REACTIVATE,
        sender=primary.email,
        sender_verified=SenderVerification.PASS,
        accounts=book,
        plans=settings.plans,
        today=today,
    )
    draft_id = open_proactive_draft(
        session,
        settings=settings,
        primary=primary,
        decisions=decisions,
        paid_until=paid_until,
        now=now,
        language=language,
    )
    return kept(RenewalOutcome.DRAFTED, draft_id=draft_id, members=tuple(m.email for m in lapsed))
