"""How values look on the pages: outcome badges, highlighted addresses, times.

Everything that turns customer text into HTML goes through ``mark_addresses``,
which escapes each piece of text *before* wrapping addresses in ``<mark>``, so
the only tags in the result are the ones written here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from mailbot.triage.addresses import find_addresses, normalize_address

#: Outcome → badge tone. ok: the action can be applied; info: nothing to change;
#: ask: the customer must tell or do something; no: support must explain a refusal.
OUTCOME_TONES = {
    "ready_to_link": "ok",
    "ready_to_reactivate": "ok",
    "already_linked": "info",
    "already_active": "info",
    "need_info": "ask",
    "confirm_from_primary": "ask",
    "team_member_not_registered": "ask",
    "primary_not_found": "ask",
    "not_linked": "ask",
    "sender_unverified": "no",
    "linked_elsewhere": "no",
    "no_free_seat": "no",
    "primary_inactive": "no",
    "primary_not_renewed": "no",
    "plan_excludes_team_members": "no",
    "agency_plan": "no",
}
OUTCOMES = tuple(OUTCOME_TONES)

STATUS_TONES = {"pending": "ask", "approved": "info", "sent": "ok", "rejected": "muted", "failed": "no"}

#: sender_verified → (badge tone, label). ``pass`` gets no badge: only exceptions stand out.
VERIFICATION_BADGES = {
    "fail": ("no", "sender unverified"),
    "unknown": ("ask", "sender not checked"),
}


def outcome_tone(outcome: str | None) -> str:
    return OUTCOME_TONES.get(outcome or "", "muted")


def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "muted")


def outcome_label(outcome: str | None) -> str:
    return (outcome or "unknown").replace("_", " ")


def mark_addresses(text: str, *, primaries: set[str], members: set[str]) -> Markup:
    """``text`` escaped, each address found by triage's own finder wrapped in ``<mark>``.

    The mark's class tells the role the decision gave the address, so the agent
    sees at a glance which words the requests came from.
    """
    out: list[str] = []
    last = 0
    for address, start, end in find_addresses(text):
        normal = normalize_address(address)
        role = "primary" if normal in primaries else "member" if normal in members else "other"
        out.append(str(escape(text[last:start])))
        out.append(f'<mark class="addr addr-{role}">{escape(text[start:end])}</mark>')
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def request_addresses(requests: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    primaries = {str(r["primary"]).lower() for r in requests if r.get("primary")}
    members = {str(r["team_member"]).lower() for r in requests if r.get("team_member")}
    return primaries, members


def when(moment: datetime | None) -> str:
    """UTC, to the minute (the columns hand back aware UTC: ``UtcDateTime``)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def audit_summary(detail: dict[str, Any] | None) -> str:
    """An audit event's detail in words: what was applied, why it was refused or rejected."""
    detail = dict(detail or {})
    parts: list[str] = []
    if "actions" in detail:
        texts = [str(a.get("text", a)) if isinstance(a, dict) else str(a) for a in detail.pop("actions") or []]
        parts.append("; ".join(texts) if texts else "no account change")
    if detail.pop("edited", False):
        parts.append("text edited")
    if "reason" in detail:
        parts.append(f"reason: {detail.pop('reason')}")
    if "changes" in detail:
        parts.append("; ".join(str(c) for c in detail.pop("changes") or []))
    rest = sorted((key, value) for key, value in detail.items() if value not in (None, ""))
    parts.extend(f"{key.replace('_', ' ')}: {value}" for key, value in rest)
    return " · ".join(parts)


def line_count(text: str) -> int:
    return len(text.splitlines()) if text else 0
