"""How values look on the pages: outcome badges, highlighted addresses, times.

Everything that turns customer text into HTML goes through ``mark_addresses``,
which escapes each piece of text *before* wrapping addresses in ``<mark>``, so
the only tags in the result are the ones written here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from mailbot.triage.addresses import normalize_address
from mailbot.triage.decide import Decision
from mailbot.vocabulary import REQUEST_OUTCOMES, DraftStatus, Outcome, SenderVerification

#: Outcome → badge tone. ok: the action can be applied; info: nothing to change;
#: ask: the customer must tell or do something; no: support must explain a refusal.
_TONE_OF_OUTCOME = {
    Outcome.READY_TO_LINK: "ok",
    Outcome.READY_TO_REACTIVATE: "ok",
    Outcome.ALREADY_LINKED: "info",
    Outcome.ALREADY_ACTIVE: "info",
    Outcome.NEED_INFO: "ask",
    Outcome.CONFIRM_FROM_PRIMARY: "ask",
    Outcome.TEAM_MEMBER_NOT_REGISTERED: "ask",
    Outcome.PRIMARY_NOT_FOUND: "ask",
    Outcome.NOT_LINKED: "ask",
}
#: Every outcome a request can have, in the order of the tables; the ones not
#: named above are refusals support must explain.
OUTCOME_TONES: dict[str, str] = {outcome: _TONE_OF_OUTCOME.get(outcome, "no") for outcome in REQUEST_OUTCOMES}
#: The queue's outcome filters: what can be applied first, refusals last.
OUTCOMES = tuple(sorted(OUTCOME_TONES, key=lambda outcome: ("ok", "info", "ask", "no").index(OUTCOME_TONES[outcome])))

STATUS_TONES: dict[str, str] = {
    DraftStatus.PENDING: "ask",
    DraftStatus.APPROVED: "info",
    DraftStatus.SENT: "ok",
    DraftStatus.REJECTED: "muted",
    DraftStatus.FAILED: "no",
    DraftStatus.SUPERSEDED: "muted",
    DraftStatus.ACTION_FAILED: "no",
}

#: sender_verified → (badge tone, label). ``pass`` gets no badge: only exceptions stand out.
VERIFICATION_BADGES = {
    SenderVerification.FAIL: ("no", "sender unverified"),
    SenderVerification.UNKNOWN: ("ask", "sender not checked"),
}


def outcome_tone(outcome: str | None) -> str:
    return OUTCOME_TONES.get(outcome or "", "muted")


def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "muted")


def outcome_label(outcome: str | None) -> str:
    return (outcome or "unknown").replace("_", " ")


def mark_addresses(
    text: str, spans: Iterable[tuple[str, int, int]], *, primaries: set[str], members: set[str]
) -> Markup:
    """``text`` escaped, each address triage found (``spans``, in order) wrapped in ``<mark>``.

    The mark's class tells the role the decision gave the address, so the agent
    sees at a glance which words the requests came from.
    """
    out: list[str] = []
    last = 0
    for address, start, end in spans:
        normal = normalize_address(address)
        role = "primary" if normal in primaries else "member" if normal in members else "other"
        out.append(str(escape(text[last:start])))
        out.append(f'<mark class="addr addr-{role}">{escape(text[start:end])}</mark>')
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def request_addresses(decisions: Iterable[Decision]) -> tuple[set[str], set[str]]:
    """The primaries and the team members of the requests, lower-cased."""
    requests = [d.request for d in decisions]
    primaries = {r.primary.lower() for r in requests if r.primary}
    members = {r.team_member.lower() for r in requests if r.team_member}
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
