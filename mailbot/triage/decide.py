"""The decision tables of SPEC.md, in the same order, as pure functions.

Each check returns the outcome, the rule number and a sentence the agent reads.
Nothing here changes an account: an ``Action`` only describes the change; it is
applied by ``review.approve`` after an agent says yes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from mailbot.accounts.book import AccountBook, AccountLike
from mailbot.config import Plan
from mailbot.triage.extract import Request


@dataclass(frozen=True)
class Action:
    """A proposed account change, described before it is applied."""

    kind: str  # link | reactivate
    team_member_id: int
    team_member: str
    primary_id: int
    primary: str
    plan: str
    paid_until: date | None

    @property
    def text(self) -> str:
        until = self.paid_until.isoformat() if self.paid_until else "no end date"
        if self.kind == "link":
            return (
                f"link {self.team_member} (#{self.team_member_id}) to {self.primary} "
                f"(#{self.primary_id}), plan {self.plan}, paid until {until}"
            )
        return (
            f"reactivate {self.team_member} (#{self.team_member_id}) under {self.primary} "
            f"(#{self.primary_id}): status active, paid until {until}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "team_member_id": self.team_member_id,
            "team_member": self.team_member,
            "primary_id": self.primary_id,
            "primary": self.primary,
            "plan": self.plan,
            "paid_until": self.paid_until.isoformat() if self.paid_until else None,
            "text": self.text,
        }


@dataclass(frozen=True)
class Decision:
    request: Request
    outcome: str
    rule: str  # e.g. "link #7"
    reason: str
    action: Action | None = None
    facts: dict[str, object] = field(default_factory=dict)  # for the reply template


def _paid(account: AccountLike, today: date) -> bool:
    return account.paid_until is not None and account.paid_until >= today


def _describe(account: AccountLike) -> str:
    until = account.paid_until.isoformat() if account.paid_until else "no paid_until"
    return f"{account.email} ({account.plan}, {account.status}, paid until {until})"


def _rules_1_to_3(
    request: Request,
    *,
    sender: str | None,
    sender_verified: str,
    accounts: AccountBook,
    out: Callable[..., Decision],
    unsettled: str = "",
) -> Decision | AccountLike:
    """Rules 1-3, the same in both tables: both addresses, a verified sender, a known primary."""
    p_addr, t_addr = request.primary, request.team_member
    if not p_addr or not t_addr or p_addr == t_addr:
        if p_addr and p_addr == t_addr:
            return out(
                "need_info",
                1,
                "two different addresses are needed (primary and team member are the same)",
                missing="team_member",
            )
        missing = "primary" if not p_addr else "team_member"
        what = "the primary address" if not p_addr else "the team member's address"
        return out("need_info", 1, f"{what} is missing{unsettled}", missing=missing)
    if sender_verified == "fail":
        return out("sender_unverified", 2, f"the sender {sender} could not be verified (DMARC/DKIM/SPF)")
    primary = accounts.by_email(p_addr)
    if primary is None:
        return out("primary_not_found", 3, f"no account has the address {p_addr}")
    return primary


def decide_link(
    request: Request,
    *,
    sender: str | None,
    sender_verified: str,
    accounts: AccountBook,
    plans: Mapping[str, Plan],
    today: date,
    seats_taken: int = 0,
) -> Decision:
    """SPEC link table; ``seats_taken`` counts earlier ready_to_link requests in the same mail."""
    p_addr, t_addr = request.primary, request.team_member

    def out(outcome: str, number: int, reason: str, **facts: object) -> Decision:
        return Decision(request, outcome, f"link #{number}", reason, facts=facts)

    checked = _rules_1_to_3(request, sender=sender, sender_verified=sender_verified, accounts=accounts, out=out)
    if isinstance(checked, Decision):
        return checked
    primary = checked
    assert t_addr is not None  # rule 1 returned when an address is missing
    if sender != primary.email:
        return out("confirm_from_primary", 4, f"the mail comes from {sender}, not from the primary {p_addr}")
    plan = plans.get(primary.plan)
    if plan is not None and plan.agency:
        return out("agency_plan", 5, f"{p_addr} is on the agency plan {plan.name}", plan=primary.plan)
    seats = plan.team_seats if plan is not None else 0
    if seats == 0:
        known = "" if plan is not None else " (plan not in the config: counted as 0 seats)"
        return out("plan_excludes_team_members", 6, f"plan {primary.plan} has no team seats{known}", plan=primary.plan)
    if primary.status != "active" or not _paid(primary, today):
        return out("primary_inactive", 7, f"the primary is not active and paid: {_describe(primary)}")
    member = accounts.by_email(t_addr)
    if member is None:
        return out("team_member_not_registered", 8, f"no account has the address {t_addr}")
    if member.primary_account_id == primary.account_id:
        return out("already_linked", 9, f"{t_addr} is already linked to {p_addr}")
    if member.primary_account_id is not None:
        return out(
            "linked_elsewhere", 10, f"{t_addr} is linked to another primary account (#{member.primary_account_id})"
        )
    used = len(accounts.linked_members(primary.account_id)) + seats_taken
    if used >= seats:
        return out(
            "no_free_seat",
            11,
            f"{used} of {seats} team seats of plan {primary.plan} are in use",
            seats=seats,
            used=used,
            plan=primary.plan,
        )
    action = Action(
        "link", member.account_id, member.email, primary.account_id, primary.email, primary.plan, primary.paid_until
    )
    return Decision(
        request,
        "ready_to_link",
        "link #12",
        f"all checks pass ({used} of {seats} seats in use before this link)",
        action,
        facts={"seats": seats, "used": used},
    )


def decide_reactivate(
    request: Request,
    *,
    sender: str | None,
    sender_verified: str,
    accounts: AccountBook,
    plans: Mapping[str, Plan],
    today: date,
) -> Decision:
    """SPEC reactivate table; the request has already been filled in from records."""
    p_addr, t_addr = request.primary, request.team_member

    def out(outcome: str, number: int, reason: str, **facts: object) -> Decision:
        return Decision(request, outcome, f"reactivate #{number}", reason, facts=facts)

    checked = _rules_1_to_3(
        request,
        sender=sender,
        sender_verified=sender_verified,
        accounts=accounts,
        out=out,
        unsettled=" and the records do not settle it",
    )
    if isinstance(checked, Decision):
        return checked
    primary = checked
    assert t_addr is not None  # rule 1 returned when an address is missing
    if sender not in (primary.email, t_addr):
        return out("confirm_from_primary", 4, f"the mail comes from {sender}, neither the primary nor the team member")
    plan = plans.get(primary.plan)
    if plan is not None and plan.agency:
        return out("agency_plan", 5, f"{p_addr} is on the agency plan {plan.name}", plan=primary.plan)
    member = accounts.by_email(t_addr)
    if member is None or member.primary_account_id != primary.account_id:
        why = "has no account" if member is None else "is not linked to this primary"
        return out("not_linked", 6, f"{t_addr} {why}")
    if primary.status != "active" or not _paid(primary, today):
        return out("primary_not_renewed", 7, f"the primary is not active and paid: {_describe(primary)}")
    if member.status == "active" and member.paid_until is not None and member.paid_until >= primary.paid_until:  # type: ignore[operator]
        return out(
            "already_active",
            8,
            f"{t_addr} is active and paid until {member.paid_until.isoformat()}",
            paid_until=member.paid_until,
        )
    action = Action(
        "reactivate",
        member.account_id,
        member.email,
        primary.account_id,
        primary.email,
        primary.plan,
        primary.paid_until,
    )
    return Decision(
        request,
        "ready_to_reactivate",
        "reactivate #9",
        f"all checks pass; {t_addr} is {member.status}, paid until "
        f"{member.paid_until.isoformat() if member.paid_until else '-'}",
        action,
    )


def decide_requests(
    requests: list[Request],
    *,
    intent: str,
    sender: str | None,
    sender_verified: str,
    accounts: AccountBook,
    plans: Mapping[str, Plan],
    today: date,
) -> list[Decision]:
    """Decide each request in the order the customer wrote them; a ready link takes a seat."""
    decisions: list[Decision] = []
    seats_taken: dict[str, int] = {}
    for request in requests:
        if intent == "link":
            decision = decide_link(
                request,
                sender=sender,
                sender_verified=sender_verified,
                accounts=accounts,
                plans=plans,
                today=today,
                seats_taken=seats_taken.get(request.primary or "", 0),
            )
            if decision.outcome == "ready_to_link":
                seats_taken[request.primary or ""] = seats_taken.get(request.primary or "", 0) + 1
        else:
            decision = decide_reactivate(
                request,
                sender=sender,
                sender_verified=sender_verified,
                accounts=accounts,
                plans=plans,
                today=today,
            )
        decisions.append(decision)
    return decisions
