"""The conversation book's repeat candidates: quiet conversations set aside, never lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.conversations.book import ConversationBook
from mailbot.conversations.state import ConversationState
from mailbot.vocabulary import Intent, ParticipantRole

SENDER = "kunde@firma.example"
DAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _conversation(book: ConversationBook, label: str, last: datetime) -> ConversationState:
    state = ConversationState(key=None, label=label, intent=Intent.LINK, subject="x", last_activity=last)
    book.participate(state, SENDER, ParticipantRole.SENDER)
    return book.add(state)


def _labels(states: list[ConversationState]) -> list[str]:
    return [s.label for s in states]


def test_conversations_quiet_before_the_window_are_set_aside_and_come_back_for_an_earlier_mail() -> None:
    book = ConversationBook()
    for n in range(6):
        _conversation(book, f"c{n}", DAY + timedelta(days=30 * n))
    assert _labels(book.written_by(SENDER)) == ["c0", "c1", "c2", "c3", "c4", "c5"]
    assert _labels(book.written_by(SENDER, active_since=DAY + timedelta(days=100))) == ["c4", "c5"]
    assert _labels(book.written_by(SENDER, active_since=DAY + timedelta(days=130))) == ["c5"]
    # A mail dated before the last one (an undated mail is read at its arrival): all of them again, in order.
    assert _labels(book.written_by(SENDER, active_since=DAY + timedelta(days=20))) == ["c1", "c2", "c3", "c4", "c5"]
    assert _labels(book.written_by(SENDER)) == ["c0", "c1", "c2", "c3", "c4", "c5"]


def test_a_quiet_conversation_made_active_again_is_a_candidate_in_its_first_place() -> None:
    book = ConversationBook()
    first = _conversation(book, "first", DAY)
    _conversation(book, "second", DAY + timedelta(days=60))
    assert _labels(book.written_by(SENDER, active_since=DAY + timedelta(days=50))) == ["second"]
    book.touch(first, DAY + timedelta(days=61))  # a reply threaded into it
    book.add(first)
    assert _labels(book.written_by(SENDER, active_since=DAY + timedelta(days=55))) == ["first", "second"]


def test_only_conversations_the_address_wrote_in_are_candidates() -> None:
    book = ConversationBook()
    state = ConversationState(key=None, label="named", intent=Intent.LINK, subject="x", last_activity=DAY)
    book.participate(state, SENDER, ParticipantRole.TEAM_MEMBER)  # named in it, never wrote
    book.add(state)
    assert book.written_by(SENDER, active_since=DAY - timedelta(days=1)) == []
