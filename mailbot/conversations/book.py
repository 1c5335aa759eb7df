"""The conversations a batch of mail can join, indexed the three ways the join rules look them up.

The poll fills one per batch from its indexed queries, the dry run one for the
whole run; the join rules and the follow-up steps read it and ``record`` keeps it
current as each mail is handled, so the next mail of the same batch (or run)
sees what the one before did.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mailbot.conversations.state import ConversationState
from mailbot.vocabulary import ParticipantRole


class ConversationBook:
    def __init__(self) -> None:
        self.by_message_id: dict[str, ConversationState] = {}
        self.by_id: dict[int, ConversationState] = {}
        self.by_sender: dict[str, list[ConversationState]] = {}
        self.all: list[ConversationState] = []

    def add(self, state: ConversationState, *, message_ids: Iterable[str] = ()) -> ConversationState:
        """Index a conversation (again, after it changed: indexes only grow)."""
        if not any(s is state for s in self.all):
            self.all.append(state)
        if isinstance(state.key, int):
            self.by_id[state.key] = state
        for message_id in message_ids:
            self.by_message_id.setdefault(message_id, state)
        for address in state.participants:
            listed = self.by_sender.setdefault(address, [])
            if not any(s is state for s in listed):
                listed.append(state)
        return state

    def known(self, message_id: str, state: ConversationState) -> None:
        self.by_message_id.setdefault(message_id, state)

    def threaded(self, message_ids: Iterable[str]) -> ConversationState | None:
        for message_id in message_ids:
            found = self.by_message_id.get(message_id)
            if found is not None:
                return found
        return None

    def tagged(self, conversation_id: int | None) -> ConversationState | None:
        return self.by_id.get(conversation_id) if conversation_id is not None else None

    def written_by(self, address: str | None) -> list[ConversationState]:
        return [s for s in self.by_sender.get(address or "", []) if s.has_written(address)]

    def participate(self, state: ConversationState, address: str | None, role: ParticipantRole) -> bool:
        added = state.add_participant(address, role)
        if added and address:
            self.add(state)
        return added

    def touch(self, state: ConversationState, moment: datetime) -> None:
        if moment > state.last_activity:
            state.last_activity = moment
