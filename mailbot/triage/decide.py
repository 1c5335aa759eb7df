"""The decision tables of SPEC.md, in the same order, as pure functions.

Each check returns the rule that fired (a row of ``mailbot.vocabulary``: its
outcome and its label) and a sentence the agent reads. Nothing here changes an
account: an ``Action`` only describes the change; it is applied by
``review.approve`` after an agent says yes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from mailbot.accounts.book import AccountBook, AccountRecord
from mailbot.config import Plan
from mailbot.triage.extract import Request
from mailbot.vocabulary import (
    LINK_ADDRESS_MISSING,
    LINK_AGENCY_PLAN,
    LINK_ALREADY_LINKED,
    LINK_LINKED_ELSEWHERE,
    LINK_MEMBER_NOT_REGISTERED,
    LINK_NO_FREE_SEAT,
    LINK_PLAN_WITHOUT_SEATS,
    LINK_PRIMARY_INACTIVE,
    LINK_PRIMARY_NOT_FOUND,
    LINK_READY,
    LINK_SENDER_NOT_PRIMARY,
    LINK_SENDER_UNVERIFIED,
    REACTIVATE_ADDRESS_MISSING,
    REACTIVATE_AGENCY_PLAN,
    REACTIVATE_ALREADY_ACTIVE,
    REACTIVATE_NOT_LINKED,
    REACTIVATE_PRIMARY_NOT_FOUND,
    REACTIVATE_PRIMARY_NOT_RENEWED,
    REACTIVATE_READY,
    REACTIVATE_SENDER_NOT_PARTY,
    REACTIVATE_SENDER_UNVERIFIED,
    Intent,
    Outcome,
    Rule,
    SenderVerification,
)


@dataclass(frozen=True)
class Action:
    """A proposed account change, described before it is applied."""

    kind: Intent  # link | reactivate
    team_member_id: int
    team_member: str
    primary_id: int
    primary: str
    plan: str
    paid_until: date | None

    @classmethod
    def between(cls, kind: Intent, member: AccountRecord, primary: AccountRecord) -> Action:
        """The change for ``member`` under ``primary``: the primary's plan and paid-until."""
        return cls(
            kind,
            member.account_id,
            member.email,
            primary.account_id,
            primary.email,
            primary.plan,
            primary.paid_until,
        )

    @property
    def text(self) -> str:
        until = self.paid_until.isoformat() if self.paid_until else "no end date"
        if self.kind == Intent.LINK:
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

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Action:
        """An action as ``as_dict`` stored it (its ``text`` is derived again, from the same fields)."""
        paid = data.get("paid_until")
        return cls(
            kind=Intent(str(data["kind"])),
            team_member_id=int(str(data["team_member_id"])),
            team_member=str(data["team_member"]),
            primary_id=int(str(data["primary_id"])),
            primary=str(data["primary"]),
            plan=str(data["plan"]),
            paid_until=date.fromisoformat(str(paid)) if paid else None,
        )


@dataclass(frozen=True)
class Decision:
    """One request decided: the rule that fired, why, and the change it proposes."""

    request: Request
    fired: Rule
    reason: str
    action: Action | None = None
    facts: dict[str, object] = field(default_factory=dict)  # for the reply template

    @property
    def outcome(self) -> Outcome:
        return self.fired.outcome

    @property
    def rule(self) -> str:
        """The label agents see, e.g. ``link #7``."""
        return self.fired.label


def _paid(account: AccountRecord, today: date) -> bool:
    return account.paid_until is not None and account.paid_until >= today


def _describe(account: AccountRecord) -> str:
    until = account.paid_until.isoformat() if account.paid_until else "no paid_until"
    return f"{account.email} ({account.plan}, {account.status}, paid until {until})"


def _rules_1_to_3(
    request: Request,
    rules: tuple[Rule, Rule, Rule],
    *,
    sender: str | None,
    sender_verified: SenderVerification,
    accounts: AccountBook,
    unsettled: str = "",
) -> Decision | tuple[AccountRecord, str, str]:
    """Rules 1-3, the same in both tables: both addresses, a verified sender, a known primary.

    Returns the primary's record and both addresses once all three pass.
    """
    missing_address, unverified, not_found = rules
    p_addr, t_addr = request.primary, request.team_member
    if not p_addr or not t_addr or p_addr == t_addr:
        if p_addr and p_addr == t_addr:
            return Decision(
                request,
                missing_address,
                "two different addresses are needed (primary and team member are the same)",
                facts={"missing": "team_member"},
            )
        missing = "primary" if not p_addr else "team_member"
        what = "the primary address" if not p_addr else "the team member's address"
        return Decision(request, missing_address, f"{what} is missing{unsettled}", facts={"missing": missing})
    if sender_verified == SenderVerification.FAIL:
        return Decision(request, unverified, f"the sender {sender} could not be verified (DMARC/DKIM/SPF)")
    primary = accounts.by_email(p_addr)
    if primary is None:
        return Decision(request, not_found, f"no account has the address {p_addr}")
    return primary, p_addr, t_addr


def decide_link(
    request: Request,
    *,
    sender: str | None,
    sender_verified: SenderVerification,
    accounts: AccountBook,
    plans: Mapping[str, Plan],
    today: date,
    seats_taken: int = 0,
) -> Decision:
    """SPEC link table; ``seats_taken`` counts earlier ready_to_link requests in the same mail."""

    def out(rule: Rule, reason: str, **facts: object) -> Decision:
        return Decision(request, rule, reason, facts=facts)

    checked = _rules_1_to_3(
        request,
        (LINK_ADDRESS_MISSING, LINK_SENDER_UNVERIFIED, LINK_PRIMARY_NOT_FOUND),
        sender=sender,
        sender_verified=sender_verified,
        accounts=accounts,
    )
    if isinstance(checked, Decision):
        return checked
    primary, p_addr, t_addr = checked
    if sender != primary.email:
        return out(LINK_SENDER_NOT_PRIMARY, f"the mail comes from {sender}, not from the primary {p_addr}")
    plan = plans.get(primary.plan)
    if plan is not None and plan.agency:
        return out(LINK_AGENCY_PLAN, f"{p_addr} is on the agency plan {plan.name}", plan=primary.plan)
    seats = plan.team_seats if plan is not None else 0
    if seats == 0:
        known = "" if plan is not None else " (plan not in the config: counted as 0 seats)"
        return out(LINK_PLAN_WITHOUT_SEATS, f"plan {primary.plan} has no team seats{known}", plan=primary.plan)
    if primary.status != "active" or not _paid(primary, today):
        return out(LINK_PRIMARY_INACTIVE, f"the primary is not active and paid: {_describe(primary)}")
    member = accounts.by_email(t_addr)
    if member is None:
        return out(LINK_MEMBER_NOT_REGISTERED, f"no account has the address {t_addr}")
    if member.primary_account_id == primary.account_id:
        return out(LINK_ALREADY_LINKED, f"{t_addr} is already linked to {p_addr}")
    if member.primary_account_id is not None:
        return out(
            LINK_LINKED_ELSEWHERE, f"{t_addr} is linked to another primary account (#{member.primary_account_id})"
        )
    used = len(accounts.linked_members(primary.account_id)) + seats_taken
    if used >= seats:
        return out(
            LINK_NO_FREE_SEAT,
            f"{used} of {seats} team seats of plan {primary.plan} are in use",
            seats=seats,
            used=used,
            plan=primary.plan,
        )
    return Decision(
        request,
        LINK_READY,
        f"all checks pass ({used} of {seats} seats in use before this link)",
        Action.between(Intent.LINK, member, primary),
        facts={"seats": seats, "used": used},
    )


def decide_reactivate(
    request: Request,
    *,
    sender: str | None,
    sender_verified: SenderVerification,
    accounts: AccountBook,
    plans: Mapping[str, Plan],
    today: date,
) -> Decision:
    """SPEC reactivate table; the request has already been filled in from records."""

    def out(rule: Rule, reason: str, **facts: object) -> Decision:
        return Decision(request, rule, reason, facts=facts)

    checked = _rules_1_to_3(
        request,
        (REACTIVATE_ADDRESS_MISSING, REACTIVATE_SENDER_UNVERIFIED, REACTIVATE_PRIMARY_NOT_FOUND),
        sender=sender,
        sender_verified=sender_verified,
        accounts=accounts,
        unsettled=" and the records do not settle it",
    )
    if isinstance(checked, Decision):
        return checked
    primary, p_addr, t_addr = checked
    if sender not in (primary.email, t_addr):
        return out(
            REACTIVATE_SENDER_NOT_PARTY, f"the mail comes from {sender}, neither the primary nor the team member"
        )
    plan = plans.get(primary.plan)
    if plan is not None and plan.agency:
        return out(REACTIVATE_AGENCY_PLAN, f"{p_addr} is on the agency plan {plan.name}", plan=primary.plan)
    member = accounts.by_email(t_addr)
    if member is None or member.primary_account_id != primary.account_id:
        why = "has no account" if member is None else "is not linked to this primary"
        return out(REACTIVATE_NOT_LINKED, f"{t_addr} {why}")
    if primary.status != "active" or primary.paid_until is None or not _paid(primary, today):
        return out(REACTIVATE_PRIMARY_NOT_RENEWED, f"the primary is not active and paid: {_describe(primary)}")
    if member.status == "active" and member.paid_until is not None and member.paid_until >= primary.paid_until:
        return out(
            REACTIVATE_ALREADY_ACTIVE,
            f"{t_addr} is active and paid until {member.paid_until.isoformat()}",
            paid_until=member.paid_until,
        )
    return Decision(
        request,
        REACTIVATE_READY,
        f"all checks pass; {t_addr} is {member.status}, paid until "
        f"{member.paid_until.isoformat() if member.paid_until else '-'}",
        Action.between(Intent.REACTIVATE, member, primary),
    )


def decide_requests(
    requests: list[Request],
    *,
    intent: Intent,
    sender: str | None,
    sender_verified: SenderVerification,
    accounts: AccountBook,
    plans: Mapping[str, Plan],
    today: date,
) -> list[Decision]:
    """Decide each request in the order the customer wrote them; a ready link takes a seat."""
    decisions: list[Decision] = []
    seats_taken: dict[str, int] = {}
    for request in requests:
        if intent == Intent.LINK:
            decision = decide_link(
                request,
                sender=sender,
                sender_verified=sender_verified,
                accounts=accounts,
                plans=plans,
                today=today,
                seats_taken=seats_taken.get(request.primary or "", 0),
            )
            if decision.fired == LINK_READY:
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
