"""What a mail that joins a conversation does to it: SPEC "Conversations", steps 1-6, pure.

Given the conversation as it stands (its pending draft or its last sent reply),
the new mail as triage read it and the account records, this works out the
conversation's requests — carried, completed, replaced, added, confirmed — with
the asker of each, decides every one again with its asker's sender and
verification, and renders the one draft that answers the whole conversation.
Nothing is stored here: the poll stores what comes out, the dry run prints it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from mailbot.accounts.book import AccountBook
from mailbot.config import Plan
from mailbot.conversations.join import Join
from mailbot.conversations.phrases import confirms, is_acknowledgement
from mailbot.conversations.state import AskedRequest, ConversationState, Key
from mailbot.conversations.subjects import has_reply_prefix
from mailbot.triage.classify import classify_intent
from mailbot.triage.decide import Decision, decide_link, decide_reactivate
from mailbot.triage.draft import DraftText, render_draft
from mailbot.triage.extract import FoundAddress, Request, extract_requests, fill_from_records
from mailbot.triage.pipeline import TriageContext, reply_address
from mailbot.triage.record import TriageRecord
from mailbot.triage.rules import Rules
from mailbot.vocabulary import (
    LINK_ADDRESS_MISSING,
    LINK_READY,
    AddressSource,
    InboundStatus,
    Intent,
    JoinRule,
    Outcome,
    Role,
    SenderVerification,
)

_REQUEST_INTENTS = (Intent.LINK, Intent.REACTIVATE)
#: The reason an acknowledgement that joins a conversation is recorded with (SPEC step 2).
ACKNOWLEDGEMENT = "acknowledgement"


@dataclass(frozen=True)
class FollowUp:
    """What the mail made of its conversation. ``changes`` is False when it changed nothing there."""

    intent: Intent
    status: InboundStatus
    reason: str
    requests: tuple[AskedRequest, ...] = ()
    draft: DraftText | None = None  # its subject is the conversation's (the caller adds the tag)
    supersedes: Key | None = None  # the pending draft this one replaces
    changes: bool = True

    @property
    def decisions(self) -> list[Decision]:
        return [r.decision for r in self.requests]

    @property
    def outcome(self) -> Outcome:
        if self.status == InboundStatus.IGNORED:
            return Outcome.IGNORED
        if not self.requests:
            return Outcome.NEEDS_HUMAN
        return self.requests[0].outcome


def own_intent(record: TriageRecord, *, rules: Rules) -> Intent:
    """The mail's intent from its own new text: a subject that only says ``Re:``/``AW:`` adds nothing (step 2)."""
    if record.intent not in (*_REQUEST_INTENTS, Intent.OTHER) or not has_reply_prefix(record.subject):
        return record.intent
    if record.intent == Intent.OTHER and not record.own_text:
        return Intent.OTHER
    if record.text_intent is not None:  # triage classified it already
        return record.text_intent
    intent, _reason = classify_intent(own_text=record.own_text, subject="", rules=rules, sender=record.sender)
    return intent


def decide_asked(
    requests: Sequence[AskedRequest],
    *,
    intent: Intent,
    accounts: AccountBook,
    plans: Mapping[str, Plan],
    today: date,
    fill: bool = True,
) -> list[AskedRequest]:
    """Every request decided again with its asker's sender and verification (step 5), seats taken in order.

    ``fill``: a reactivate request's missing address is filled in from records
    (triage); approval decides the addresses the agent saw and passes False.
    """
    out: list[AskedRequest] = []
    seats_taken: dict[str, int] = {}
    for asked in requests:
        request = asked.decision.request
        if fill and intent == Intent.REACTIVATE and (request.primary is None or request.team_member is None):
            request = fill_from_records(request, accounts=accounts, sender=asked.asker)
        if intent == Intent.LINK:
            decision = decide_link(
                request,
                sender=asked.asker,
                sender_verified=asked.asker_verified,
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
                sender=asked.asker,
                sender_verified=asked.asker_verified,
                accounts=accounts,
                plans=plans,
                today=today,
            )
        out.append(asked.with_decision(decision))
    return out


def first_requests(record: TriageRecord, *, mail: Key) -> tuple[AskedRequest, ...]:
    """A conversation's first mail asks its own requests."""
    return tuple(AskedRequest(d, mail, mail, record.sender, record.sender_verified) for d in record.requests)


def _placeholder(request: Request) -> Decision:
    """A request not decided yet: ``decide_asked`` decides every one before anything reads its outcome."""
    return Decision(request, LINK_ADDRESS_MISSING, "to be decided")


def _fill(
    carried: list[AskedRequest],
    found: Sequence[FoundAddress],
    *,
    sender: str | None,
    mail: Key,
    verified: SenderVerification,
) -> tuple[list[AskedRequest], set[str]]:
    """Step 3a: a carried request that lacks an address takes the one address of the mail that can fill it."""
    used: set[str] = set()
    out = []
    for asked in carried:
        request = asked.decision.request
        slots = [s for s, value in (("team_member", request.team_member), ("primary", request.primary)) if not value]
        if request.primary and request.primary == request.team_member:
            slots = ["team_member"]
        filled = None
        for slot in slots:
            present = {request.primary, request.team_member}
            candidates = [f for f in found if f.address not in present and f.address not in used]
            want = Role.TEAM_MEMBER if slot == "team_member" else Role.PRIMARY
            other = Role.PRIMARY if want == Role.TEAM_MEMBER else Role.TEAM_MEMBER
            cued = {f.address for f in candidates if f.role == want and not f.mine}
            if not cued:
                cued = {f.address for f in candidates if f.address != sender and f.role not in (other, Role.UNRELATED)}
            if len(cued) == 1:
                address = cued.pop()
                used.add(address)
                if slot == "team_member":
                    filled = replace(request, team_member=address, team_member_from=AddressSource.TEXT)
                else:
                    filled = replace(request, primary=address, primary_from=AddressSource.TEXT)
                break
        if filled is None:
            out.append(asked)
        else:
            out.append(AskedRequest(_placeholder(filled), asked.stated_in, mail, sender, verified))
    return out, used


def follow_up(
    record: TriageRecord,
    *,
    mail: Key,
    state: ConversationState,
    join: Join,
    intent_now: Intent,
    ctx: TriageContext,
    dated_at: datetime,
) -> FollowUp:
    """Steps 1-6 for a mail that joined ``state`` (by ``join``)."""
    sender, verified = record.sender, record.sender_verified
    if (
        record.intent == Intent.AUTO
        or record.error
        or not sender
        or sender in ctx.own_addresses
        or record.status == InboundStatus.IGNORED
    ):
        return FollowUp(record.intent, record.status, record.reason, changes=False)
    carried = state.carried()
    if intent_now == Intent.OTHER and is_acknowledgement(record.own_text, rules=ctx.rules, sender=sender):
        return FollowUp(Intent.OTHER, InboundStatus.IGNORED, ACKNOWLEDGEMENT, changes=False)
    pending_intent = state.pending.intent if state.pending is not None else state.intent
    if intent_now in _REQUEST_INTENTS:
        intent = intent_now
        if pending_intent != intent:
            carried = []  # step 2: carried requests of the other intent are dropped
    elif carried:
        intent = Intent(pending_intent)
    else:  # nothing to carry and nothing asked: a human reads it, in its conversation
        reason = record.reason if record.intent == Intent.OTHER else "no link or reactivation request in its own text"
        return FollowUp(Intent.OTHER, InboundStatus.NEEDS_HUMAN, reason, changes=False)
    if record.extracted is not None:  # triage read the own text already
        new_requests, found = list(record.extracted), list(record.addresses)
    else:
        new_requests, found = extract_requests(
            record.own_text,
            sender=sender,
            rules=ctx.rules,
            own_addresses=ctx.own_addresses,
            forwarded_at=record.forwarded_at,
        )
    requests, used = _fill(carried, found, sender=sender, mail=mail, verified=verified)
    for request in new_requests:
        named = {a for a in (request.primary, request.team_member) if a and a != sender}
        if requests and (not named or named <= used):
            continue  # names no one new while there are carried requests (step 3)
        asked = AskedRequest(_placeholder(request), mail, mail, sender, verified)
        same = next(
            (
                i
                for i, r in enumerate(requests)
                if request.team_member and r.decision.request.team_member == request.team_member
            ),
            None,
        )
        if same is not None:
            requests[same] = asked  # a new request for a carried team member replaces it in its place
        else:
            requests.append(asked)
    if join.rule in (JoinRule.THREAD, JoinRule.TAG) and confirms(record.own_text, rules=ctx.rules, sender=sender):
        requests = [
            replace(r, asked_by=mail, asker=sender, asker_verified=verified)
            if r.outcome == Outcome.CONFIRM_FROM_PRIMARY and r.decision.request.primary == sender
            else r
            for r in requests
        ]
    decided = decide_asked(requests, intent=intent, accounts=ctx.accounts, plans=ctx.plans, today=ctx.today)
    if ctx.answer_since is not None and dated_at.date() < ctx.answer_since:
        reason = f"dated before triage.answer_since ({ctx.answer_since.isoformat()}): recorded, not answered"
        return FollowUp(intent, InboundStatus.NEEDS_HUMAN, reason, tuple(decided), changes=False)
    language = record.language or state.language or "en"
    draft = render_draft(
        decisions=[r.decision for r in decided],
        intent=intent,
        language=language,
        customer_name=record.sender_name,
        to=reply_address(sender=sender, reply_to=record.reply_to, verified=verified),
        subject=state.subject,
        message_id=record.message_id,
        references=record.references,
        support_name=ctx.support_name,
        support_address=ctx.support_address,
        templates_path=ctx.templates_path,
    )
    supersedes = state.pending.key if state.pending is not None else None
    why = f"follow-up in its conversation ({join.rule}): {record.reason}"
    return FollowUp(intent, InboundStatus.TRIAGED, why, tuple(decided), draft, supersedes)
