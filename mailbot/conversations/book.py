"""The conversations a batch of mail can join, indexed the three ways the join rules look them up.

The poll fills one per batch from its indexed queries, the dry run one for the
whole run; the join rules and the follow-up steps read it and ``record`` keeps it
current as each mail is handled, so the next mail of the same batch (or run)
sees what the one before did.

Membership is kept by identity (``id``) in sets beside the ordered lists: a
conversation is re-indexed after every mail that changes it, and scanning the
lists for it made a batch's step quadratic in the conversations it loaded.
The lists keep their order (the repeat rule's ties go to the first listed).

A sender's conversations that went quiet before a mail's window are set aside
(``written_by``): mail is handled in Date order, so they cannot come into a later
mail's window unless a thread or tag join makes them active again, which lists
them anew. A mail dated before the one handled last (one without a Date is read
at the moment it arrived) brings them all back first.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from datetime import datetime
from itertools import count

from mailbot.conversations.state import ConversationState
from mailbot.vocabulary import ParticipantRole


class ConversationBook:
    def __init__(self) -> None:
        self.by_message_id: dict[str, ConversationState] = {}
        self.by_id: dict[int, ConversationState] = {}
        self.by_sender: dict[str, list[ConversationState]] = {}
        self.all: list[ConversationState] = []
        self._in_all: set[int] = set()  # id() of the states in ``all`` (they stay alive there)
        self._in_sender: dict[str, set[int]] = {}  # id() of the states listed under each address
        self._order: dict[int, int] = {}  # id() of a state -> when it was first listed (list order)
        self._counter = count()
        self._quiet: dict[str, list[ConversationState]] = {}  # set aside per address ...
        self._quiet_before: dict[str, datetime] = {}  # ... because inactive before this moment

    def add(self, state: ConversationState, *, message_ids: Iterable[str] = ()) -> ConversationState:
        """Index a conversation (again, after it changed: indexes only grow)."""
        if id(state) not in self._in_all:
            self._in_all.add(id(state))
            self.all.append(state)
        if isinstance(state.key, int):
            self.by_id[state.key] = state
        for message_id in message_ids:
            self.by_message_id.setdefault(message_id, state)
        for address in state.participants:
            self._list_under(address, state)
        return state

    def _list_under(self, address: str, state: ConversationState) -> None:
        listed = self._in_sender.setdefault(address, set())
        if id(state) not in listed:
            listed.add(id(state))
            self._order.setdefault(id(state), next(self._counter))
            insort(self.by_sender.setdefault(address, []), state, key=lambda s: self._order[id(s)])

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

    def written_by(self, address: str | None, *, active_since: datetime | None = None) -> list[ConversationState]:
        """The conversations ``address`` wrote in; with ``active_since``, only those active since then.

        Mail is handled in Date order, so a conversation whose last activity is
        before ``active_since`` cannot come into a later mail's window either,
        unless a mail joins it by thread or tag and so makes it active again
        (``add`` lists it anew): it leaves the address's list here. Without
        that, a sender who writes every week made each of their mails scan
        all their conversations so far: a long run was quadratic in them.
        A mail dated before the last one handled brings them back first.
        """
        key = address or ""
        quiet_before = self._quiet_before.get(key)
        if quiet_before is not None and (active_since is None or active_since < quiet_before):
            del self._quiet_before[key]
            for state in self._quiet.pop(key, []):  # an earlier-dated mail: every one may fit again
                self._list_under(key, state)
        listed = self.by_sender.get(key, [])
        if active_since is not None and any(s.last_activity < active_since for s in listed):
            self._quiet.setdefault(key, []).extend(s for s in listed if s.last_activity < active_since)
            self._quiet_before[key] = active_since
            listed = self.by_sender[key] = [s for s in listed if s.last_activity >= active_since]
            self._in_sender[key] = {id(s) for s in listed}
        return [s for s in listed if s.has_written(address)]

    def participate(self, state: ConversationState, address: str | None, role: ParticipantRole) -> bool:
        added = state.add_participant(address, role)
        if added and address:
            self.add(state)
        return added

    def touch(self, state: ConversationState, moment: datetime) -> None:
        if moment > state.last_activity:
            state.last_activity = moment
