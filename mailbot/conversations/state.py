"""A conversation as the join rules and the follow-up steps see it: plain values, no database.

The poll fills these from its indexed look-ups (``mailbot.intake.conversations``),
the dry run from the files it has read; both hand them to the same pure functions.
A ``Key`` names a mail or a draft: a row id once stored, a file name in the dry
run, or (inside one poll batch, before the insert) ``new:<dedup key>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mailbot.triage.decide import Decision
from mailbot.triage.record import decision_of, stored_request
from mailbot.vocabulary import Intent, Outcome, ParticipantRole, SenderVerification

Key = int | str

#: Outcomes of a sent reply that asked the customer to act: carried into the next mail (step 1).
ASKS_CUSTOMER: frozenset[Outcome] = frozenset(
    {
        Outcome.NEED_INFO,
        Outcome.CONFIRM_FROM_PRIMARY,
        Outcome.TEAM_MEMBER_NOT_REGISTERED,
        Outcome.PRIMARY_INACTIVE,
        Outcome.PRIMARY_NOT_RENEWED,
    }
)


@dataclass(frozen=True)
class AskedRequest:
    """A request of a conversation's draft: as decided, the mail it came from and who asks it (step 5)."""

    decision: Decision
    stated_in: Key | None
    asked_by: Key | None
    asker: str | None
    asker_verified: SenderVerification

    @property
    def outcome(self) -> Outcome:
        return self.decision.outcome

    def with_decision(self, decision: Decision) -> AskedRequest:
        return replace(self, decision=decision)

    def stored(self) -> dict[str, Any]:
        """The stored request shape of the contract: the triage keys plus where it came from."""
        return {
            **stored_request(self.decision),
            "stated_in": self.stated_in,
            "asked_by": self.asked_by,
            "asker": self.asker,
            "asker_verified": self.asker_verified,
        }

    @classmethod
    def from_stored(
        cls,
        data: Mapping[str, Any],
        *,
        mail: Key | None,
        sender: str | None,
        verified: str | None,
    ) -> AskedRequest:
        """A stored request; rows without the conversation keys were asked by the draft's own mail."""
        return cls(
            decision=decision_of(data),
            stated_in=data.get("stated_in", mail),
            asked_by=data.get("asked_by", mail),
            asker=data.get("asker", sender),
            asker_verified=SenderVerification(data.get("asker_verified") or verified or SenderVerification.UNKNOWN),
        )


def asked_requests(
    requests: list[dict[str, Any]] | None, *, mail: Key | None, sender: str | None, verified: str | None
) -> list[AskedRequest]:
    return [AskedRequest.from_stored(r, mail=mail, sender=sender, verified=verified) for r in requests or []]


@dataclass
class DraftState:
    """A conversation's draft: the pending one (carried whole) or the last one sent."""

    key: Key
    intent: Intent
    requests: list[AskedRequest]


@dataclass
class ConversationState:
    """What the join rules and the follow-up steps need to know about one conversation."""

    key: Key | None  # its id once stored; None for one opened in this batch (see ``label``)
    label: str  # the dry run's "conversation": the first mail's Message-ID, or else its file name
    intent: Intent
    subject: str  # without prefixes and tag
    last_activity: datetime
    proactive: bool = False
    language: str | None = None
    participants: dict[str, set[ParticipantRole]] = field(default_factory=dict)
    pending: DraftState | None = None
    last_sent: DraftState | None = None

    def is_participant(self, address: str | None) -> bool:
        return bool(address) and address in self.participants

    def has_written(self, address: str | None) -> bool:
        """Rule 3: the address wrote a mail in it (or, in a proactive one with a pending draft, is a party)."""
        roles = self.participants.get(address or "", set())
        if ParticipantRole.SENDER in roles:
            return True
        parties = {ParticipantRole.PRIMARY, ParticipantRole.TEAM_MEMBER}
        return self.proactive and self.pending is not None and bool(roles & parties)

    def carried(self) -> list[AskedRequest]:
        """Step 1: the pending draft's requests, else those of the last sent reply that asked the customer to act."""
        if self.pending is not None:
            return list(self.pending.requests)
        if self.last_sent is not None:
            return [r for r in self.last_sent.requests if r.outcome in ASKS_CUSTOMER]
        return []

    def add_participant(self, address: str | None, role: ParticipantRole) -> bool:
        """True when the (address, role) is new."""
        if not address:
            return False
        roles = self.participants.setdefault(address.lower(), set())
        if role in roles:
            return False
        roles.add(role)
        return True
