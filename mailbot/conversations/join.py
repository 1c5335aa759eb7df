"""SPEC's join table, rules 1-4, as one pure function over a ``ConversationBook``.

A thread or a tag counts only for a participant: a stranger who replies into
someone's thread is read as if they had not (rules 3 and 4), and the agent is
told why. Machine mail is recorded in the conversation it threads into, from
whomever it comes (it changes nothing there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailbot.conversations.book import ConversationBook
from mailbot.conversations.state import ConversationState
from mailbot.conversations.subjects import subject_tag
from mailbot.triage.record import TriageRecord
from mailbot.vocabulary import Intent, JoinRule

_REQUEST_INTENTS = (Intent.LINK, Intent.REACTIVATE)


@dataclass(frozen=True)
class Join:
    """Which rule fired, the conversation joined (None: a new one) and the note the agent sees."""

    rule: JoinRule
    conversation: ConversationState | None
    note: str | None = None


def thread_ids(record: TriageRecord) -> list[str]:
    """The Message-IDs a mail replies to: In-Reply-To first, then References from the newest."""
    ids = [record.in_reply_to] if record.in_reply_to else []
    ids.extend(reversed(record.references))
    return list(dict.fromkeys(i for i in ids if i))


def _name(state: ConversationState) -> str:
    return f"#{state.key}" if isinstance(state.key, int) else state.label


def join_conversation(
    record: TriageRecord,
    *,
    book: ConversationBook,
    dated_at: datetime,
    window_days: int,
    own_intent: Callable[[], Intent],
    subject_tags: bool = True,
) -> Join:
    """The first of SPEC's rules 1-4 that applies to the mail.

    ``own_intent`` gives the mail's intent from its own text (a ``Re:`` subject
    adds nothing); it is asked only when a conversation could be joined.
    """
    sender = record.sender
    note = None
    threaded = book.threaded(thread_ids(record))
    tagged = book.tagged(subject_tag(record.subject)) if subject_tags else None
    if record.intent == Intent.AUTO:
        found = threaded or tagged
        if found is not None:
            return Join(JoinRule.THREAD if threaded is not None else JoinRule.TAG, found)
        return Join(JoinRule.NEW, None)
    for rule, found in ((JoinRule.THREAD, threaded), (JoinRule.TAG, tagged)):
        if found is None:
            continue
        if found.is_participant(sender):
            return Join(rule, found)
        if note is None:
            how = "replied into" if rule == JoinRule.THREAD else "carries the tag of"
            note = f"{how} conversation {_name(found)} but {sender or 'the sender'} is not a participant"
    # window_days = 0 turns repeats off: only threads and tags join.
    window = timedelta(days=window_days)
    candidates = book.written_by(sender, active_since=dated_at - window) if sender and window_days > 0 else []
    if candidates:
        intent = own_intent()
        fitting = [
            state
            for state in candidates
            if state.intent in _REQUEST_INTENTS
            # Either side of the mail's Date: a mail dated long before the conversation
            # (a late delivery, a wrong clock, an imported archive) is no repeat of it.
            and abs(dated_at - state.last_activity) <= window
            and (intent == state.intent or (intent == Intent.OTHER and state.carried()))
        ]
        if fitting:
            return Join(JoinRule.REPEAT, max(fitting, key=lambda s: s.last_activity), note)
    return Join(JoinRule.NEW, None, note)
