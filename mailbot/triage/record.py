"""What triage read and decided about one mail, as it is stored beside the mail.

Review re-decides the stored requests and the console shows the stored split
and addresses, so both work from what triage actually decided, never from a
fresh parse that a later version of the parser might do differently. The record
is kept in the existing JSON columns (``InboundMessage.result``; its requests
also in ``Draft.requests``); rows written by mailbot 0.1.0 held the CLI's JSON
there, and read back as a record with ``legacy`` set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailbot.triage.decide import Action, Decision
from mailbot.triage.extract import FoundAddress, Request
from mailbot.vocabulary import AddressSource, InboundStatus, Intent, Role, SenderVerification, rule_by_label

#: Written into every stored record; a row without it was stored by 0.1.0.
RECORD_VERSION = 1


def request_json(decision: Decision) -> dict[str, Any]:
    """One request as ``mailbot triage --json`` and ``drafts list --json`` show it."""
    return {
        "primary": decision.request.primary,
        "team_member": decision.request.team_member,
        "outcome": decision.outcome,
        "rule": decision.rule,
        "reason": decision.reason,
        "action": decision.action.as_dict() if decision.action else None,
    }


def stored_request(decision: Decision) -> dict[str, Any]:
    """One request as stored: what the CLI shows, plus where each address came from."""
    return {
        **request_json(decision),
        "primary_from": decision.request.primary_from,
        "team_member_from": decision.request.team_member_from,
    }


def _source(data: Mapping[str, Any], key: str, address: str | None) -> AddressSource:
    if key in data:
        return AddressSource(data[key])
    return AddressSource.NONE if address is None else AddressSource.UNRECORDED


def _request_of(data: Mapping[str, Any]) -> Request:
    primary, member = data.get("primary"), data.get("team_member")
    return Request(primary, member, _source(data, "primary_from", primary), _source(data, "team_member_from", member))


def _stored_pair(request: Request) -> dict[str, Any]:
    return {
        "primary": request.primary,
        "team_member": request.team_member,
        "primary_from": request.primary_from,
        "team_member_from": request.team_member_from,
    }


def decision_of(data: Mapping[str, Any]) -> Decision:
    """A stored request back as the decision it was; 0.1.0 rows have no address sources."""
    action = data.get("action")
    return Decision(
        _request_of(data),
        rule_by_label(str(data["rule"])),
        str(data.get("reason") or ""),
        Action.from_dict(action) if action else None,
    )


def decisions_of(requests: list[dict[str, Any]] | None) -> list[Decision]:
    """Every stored request of a draft or a mail, in the customer's order."""
    return [decision_of(r) for r in requests or []]


@dataclass(frozen=True, kw_only=True)
class TriageRecord:
    """The mail as triage read it (headers, own text, addresses) and what it decided."""

    message_id: str | None
    sender: str | None
    subject: str
    date: str | None
    intent: Intent
    language: str | None
    status: InboundStatus
    sender_verified: SenderVerification
    reason: str  # why this intent (or why a human must look)
    requests: tuple[Decision, ...] = ()  # each request as decided, in the customer's order
    error: str | None = None
    sender_name: str = ""
    to: str = ""  # the To header, decoded
    text_source: str = ""  # which part the text was read from (plain, html, …)
    unreadable: str | None = None
    own_text: str = ""
    quoted_text: str = ""
    quote_uncertain: bool = False
    addresses: tuple[FoundAddress, ...] = ()  # in own_text, with the role each cue gave
    defects: tuple[str, ...] = ()
    legacy: bool = False  # read from a 0.1.0 row: no text, addresses or address sources stored
    # Threading headers and where a forwarded message starts: a follow-up is joined to its
    # conversation and read again in the parent process from the record alone.
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    forwarded_at: int | None = None
    # A reply's own text classified without its subject ("Re: link my assistant" says nothing
    # new): the intent a follow-up is read with (conversations, step 2). Worked out in triage,
    # which runs on every core, rather than by the one process that joins conversations.
    text_intent: Intent | None = None
    # The requests the own text asks, as extracted, before records filled in any address
    # (None: triage extracted nothing, the mail asked for no action). A follow-up reads
    # them again beside its conversation's; they are not worked out a second time.
    extracted: tuple[Request, ...] | None = None

    def stored(self) -> dict[str, Any]:
        """The record for its JSON column (``legacy`` is never written: a new row is not one)."""
        return {
            "record": RECORD_VERSION,
            "message_id": self.message_id,
            "sender": self.sender,
            "subject": self.subject,
            "date": self.date,
            "intent": self.intent,
            "language": self.language,
            "status": self.status,
            "sender_verified": self.sender_verified,
            "reason": self.reason,
            "requests": [stored_request(d) for d in self.requests],
            "error": self.error,
            "sender_name": self.sender_name,
            "to": self.to,
            "text_source": self.text_source,
            "unreadable": self.unreadable,
            "own_text": self.own_text,
            "quoted_text": self.quoted_text,
            "quote_uncertain": self.quote_uncertain,
            "addresses": [
                {"address": a.address, "start": a.start, "end": a.end, "role": a.role, "cue": a.cue, "mine": a.mine}
                for a in self.addresses
            ],
            "defects": list(self.defects),
            "reply_to": self.reply_to,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "forwarded_at": self.forwarded_at,
            "text_intent": self.text_intent,
            "extracted": None if self.extracted is None else [_stored_pair(r) for r in self.extracted],
        }

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> TriageRecord:
        """A record from its JSON column, whichever version wrote it."""
        legacy = "record" not in data
        return cls(
            message_id=data.get("message_id"),
            sender=data.get("sender"),
            subject=str(data.get("subject") or ""),
            date=data.get("date"),
            intent=Intent(data.get("intent") or Intent.OTHER),
            language=data.get("language"),
            status=InboundStatus(data.get("status") or InboundStatus.NEEDS_HUMAN),
            sender_verified=SenderVerification(data.get("sender_verified") or SenderVerification.UNKNOWN),
            reason=str(data.get("reason") or ""),
            requests=tuple(decisions_of(data.get("requests"))),
            error=data.get("error"),
            sender_name=str(data.get("sender_name") or ""),
            to=str(data.get("to") or ""),
            text_source=str(data.get("text_source") or ""),
            unreadable=data.get("unreadable"),
            own_text=str(data.get("own_text") or ""),
            quoted_text=str(data.get("quoted_text") or ""),
            quote_uncertain=bool(data.get("quote_uncertain")),
            addresses=tuple(
                FoundAddress(
                    str(a["address"]),
                    int(a["start"]),
                    int(a["end"]),
                    Role(a["role"]),
                    a.get("cue"),
                    bool(a.get("mine")),
                )
                for a in data.get("addresses") or []
            ),
            defects=tuple(str(d) for d in data.get("defects") or []),
            legacy=legacy,
            reply_to=data.get("reply_to"),
            in_reply_to=data.get("in_reply_to"),
            references=tuple(str(r) for r in data.get("references") or []),
            forwarded_at=data.get("forwarded_at"),
            text_intent=Intent(data["text_intent"]) if data.get("text_intent") else None,
            extracted=None if data.get("extracted") is None else tuple(_request_of(r) for r in data["extracted"]),
        )
