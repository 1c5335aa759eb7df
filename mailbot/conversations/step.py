"""One mail through the conversation step: join (rules 1-4), then the follow-up (steps 1-6).

``mailbot triage`` and the poll both call ``converse`` for every mail, in Date
order, over a ``ConversationBook``; it updates the book so the next mail sees
this one (its Message-ID, its sender, the draft it made pending).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from mailbot.conversations.book import ConversationBook
from mailbot.conversations.follow_up import FollowUp, first_requests, follow_up, own_intent
from mailbot.conversations.join import Join, join_conversation
from mailbot.conversations.state import ConversationState, DraftState, Key
from mailbot.conversations.subjects import base_subject
from mailbot.triage.draft import DraftText
from mailbot.triage.pipeline import TriageContext
from mailbot.triage.record import TriageRecord
from mailbot.vocabulary import Intent, ParticipantRole

_REQUEST_INTENTS = (Intent.LINK, Intent.REACTIVATE)


@dataclass(frozen=True)
class Conversed:
    """The mail's conversation, how it got there, and what the mail now is (its requests, its draft)."""

    state: ConversationState
    join: Join
    result: FollowUp
    new: bool  # the mail opened the conversation


def converse(
    record: TriageRecord,
    draft: DraftText | None,
    *,
    mail: Key,
    label: str,
    book: ConversationBook,
    ctx: TriageContext,
    dated_at: datetime,
    window_days: int,
    subject_tags: bool = True,
) -> Conversed:
    """Join the mail to its conversation and work out what it does there; the book is updated."""
    # The mail's own intent, classified at most once: the join and the follow-up both ask.
    intent_now = cache(lambda: own_intent(record, rules=ctx.rules))
    join = join_conversation(
        record,
        book=book,
        dated_at=dated_at,
        window_days=window_days,
        own_intent=intent_now,
        subject_tags=subject_tags,
    )
    if join.conversation is None:
        state = ConversationState(
            key=None,
            label=record.message_id or label,
            intent=record.intent,
            subject=base_subject(record.subject),
            last_activity=dated_at,
            language=record.language,
        )
        requests = first_requests(record, mail=mail)
        result = FollowUp(record.intent, record.status, record.reason, requests, draft)
        new = True
    else:
        state = join.conversation
        result = follow_up(
            record, mail=mail, state=state, join=join, intent_now=intent_now(), ctx=ctx, dated_at=dated_at
        )
        new = False
    if record.message_id:
        book.known(record.message_id, state)
    if record.intent != Intent.AUTO:  # machine mail changes nothing in its conversation
        book.touch(state, dated_at)
        book.participate(state, record.sender, ParticipantRole.SENDER)
        if record.language and record.own_text:
            state.language = record.language
    if result.changes:
        for asked in result.requests:
            book.participate(state, asked.decision.request.primary, ParticipantRole.PRIMARY)
            book.participate(state, asked.decision.request.team_member, ParticipantRole.TEAM_MEMBER)
        if result.intent in _REQUEST_INTENTS:
            state.intent = result.intent
        if result.draft is not None:
            state.pending = DraftState(mail, result.intent, list(result.requests))
    book.add(state)
    return Conversed(state, join, result, new)
