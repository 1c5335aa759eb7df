"""Which renewals matter and which team members lapsed: pure decisions on account records.

The help article's pain is that a primary's renewal does not renew its team
members. These two questions decide whether mailbot drafts a reactivation: is
this a renewal it has not acted on yet, and who would be left behind by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from mailbot.accounts.book import AccountRecord


def moved_later(before: date | None, after: date | None) -> bool:
    """A record's ``paid_until`` moved later (an empty one counts as before any date)."""
    return after is not None and (before is None or after > before)


def is_newer_renewal(
    paid_until: date, *, known: date | None, latest_seen: date | None, known_includes_it: bool = False
) -> bool:
    """Whether ``paid_until`` is a renewal later than everything known about the primary.

    ``known`` is the primary's record as it stands; ``latest_seen`` the latest
    renewal mailbot recorded for it. An older date arriving after a newer one is
    no renewal: it drafts nothing. ``known_includes_it``: the record may already
    carry the new date (the vendor's account API is updated before it tells us),
    so an equal date still counts there.
    """
    if latest_seen is not None and paid_until <= latest_seen:
        return False
    if known is None:
        return True
    return paid_until >= known if known_includes_it else paid_until > known


def is_lapsed(member: AccountRecord, paid_until: date) -> bool:
    """A team member the renewal leaves behind: paid until before the new date, or not active."""
    return member.status != "active" or member.paid_until is None or member.paid_until < paid_until


def lapsed_members(members: Iterable[AccountRecord], paid_until: date) -> list[AccountRecord]:
    """The linked team members to reactivate after a renewal to ``paid_until``, by account id."""
    return sorted((m for m in members if is_lapsed(m, paid_until)), key=lambda m: m.account_id)
