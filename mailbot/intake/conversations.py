"""The poll's conversation step: one batch's mails joined to their conversations, in Date/UID order.

It runs in the parent process after the workers' triage, inside the batch's
transaction (so a crash or a rerun leaves one record per mail and at most one
draft, as ``intake.cycle`` promises):

1. ``plan``: a handful of indexed ``IN`` queries per batch — the Message-IDs the
   mails reply to (and their own), the subject tags, the senders' conversations
   still inside the window — load the conversations they can join into a
   ``ConversationBook``; then ``converse`` (the dry run's very function) runs for
   each mail in order, so a batch's second mail sees its first. A batch whose
   mails join nothing pays only for these queries.
2. ``write_conversations``: the batch's new conversations are inserted (their ids
   tag the drafts' subjects), each record and draft gets its conversation.
3. ``write_after`` (the records and drafts are stored, their ids known): the
   Message-IDs and participants, the conversations' activity, the follow-ups'
   stored requests, and the superseding — one conditional update per pending
   draft. When that update finds the draft no longer pending, an agent approved
   it first: the follow-up is worked out again against what was sent.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlmodel import Session, col

from mailbot.config import Settings
from mailbot.conversations.book import ConversationBook
from mailbot.conversations.dates import mail_time
from mailbot.conversations.join import thread_ids
from mailbot.conversations.state import ConversationState, DraftState, asked_requests
from mailbot.conversations.step import Conversed, converse
from mailbot.conversations.subjects import reply_subject, subject_tag
from mailbot.intake.store import clean_json, clean_text, draft_row
from mailbot.models import (
    Conversation,
    ConversationMessageId,
    ConversationParticipant,
    Draft,
    InboundMessage,
    is_row_id,
)
from mailbot.triage.record import TriageRecord
from mailbot.vocabulary import DraftStatus, Intent, MessageKind, ParticipantRole

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_REQUEST_INTENTS = (Intent.LINK, Intent.REACTIVATE)
_DRAFT_COLUMNS = (
    col(Draft.id),
    col(Draft.conversation_id),
    col(Draft.status),
    col(Draft.intent),
    col(Draft.requests),
    col(Draft.inbound_id),
    col(Draft.sender),
    col(Draft.sender_verified),
)
_ANSWERED = (DraftStatus.APPROVED, DraftStatus.SENT)
_CONVERSATION_COLUMNS = (  # columns, not the model: a batch loads hundreds, and ORM objects cost more than the step
    col(Conversation.id),
    col(Conversation.intent),
    col(Conversation.subject),
    col(Conversation.last_activity_at),
    col(Conversation.proactive),
    col(Conversation.language),
)


@dataclass
class Mail:
    """One new mail of the batch on its way to storage: its rows and what its conversation made of it."""

    key: str  # dedup key
    record: dict[str, Any]
    draft: dict[str, Any] | None
    triaged: TriageRecord | None  # None: triage crashed, the record is a failure row
    draft_text: Any = None  # the pipeline's DraftText
    conversed: Conversed | None = None

    @property
    def ref(self) -> str:
        return f"new:{self.key}"


@dataclass
class Plan:
    """The batch's conversations as planned, waiting for the rows to be written."""

    book: ConversationBook
    mails: list[Mail]
    loaded: dict[int, dict[str, set[ParticipantRole]]] = field(default_factory=dict)  # participants as read
    known_ids: set[str] = field(default_factory=set)  # Message-IDs already stored


def _dated(record: dict[str, Any]) -> datetime:
    return mail_time(record.get("date"), fallback=record["received_at"])


class BatchConversations:
    """Plans and writes one batch's conversation step (see the module doc)."""

    def __init__(self, *, session: Session, settings: Settings, context: Callable[[], Any]) -> None:
        self.session = session
        self.settings = settings.conversations
        self.context = context

    # -- 1. look-ups and the pure step -------------------------------------------------

    def plan(self, mails: Sequence[Mail]) -> Plan:
        for mail in mails:
            mail.record["dated_at"] = _dated(mail.record)
        ordered = sorted(mails, key=lambda m: (m.record["dated_at"], m.record.get("uid") or 0))
        book = ConversationBook()
        plan = Plan(book=book, mails=list(ordered))
        readable = [m for m in ordered if m.triaged is not None]
        self._load(plan, [(m.triaged, m.record["dated_at"]) for m in readable if m.triaged is not None])
        ctx = self.context() if readable else None
        for mail in ordered:
            dated = mail.record["dated_at"]
            if mail.triaged is None or ctx is None:
                continue
            mail.conversed = converse(
                mail.triaged,
                mail.draft_text,
                mail=mail.ref,
                label=mail.key,
                book=book,
                ctx=ctx,
                dated_at=dated,
                window_days=self.settings.window_days,
                subject_tags=self.settings.subject_tag,
            )
        return plan

    def _load(self, plan: Plan, dated: Sequence[tuple[TriageRecord, datetime]]) -> None:
        """The conversations the batch can join, with one query per way of joining."""
        if not dated:
            return
        records = [record for record, _when in dated]
        own_ids = {r.message_id for r in records if r.message_id}
        threads = {i for r in records for i in thread_ids(r)}
        tags = {t for r in records if (t := subject_tag(r.subject)) is not None and is_row_id(t)}
        senders = {r.sender for r in records if r.sender}
        by_message: dict[str, int] = {}
        ids: set[int] = set()
        wanted = sorted(own_ids | threads)
        for chunk in _chunks(wanted):
            rows = self.session.execute(
                select(col(ConversationMessageId.message_id), col(ConversationMessageId.conversation_id)).where(
                    col(ConversationMessageId.message_id).in_(chunk)
                )
            ).all()
            for message_id, conversation_id in rows:
                plan.known_ids.add(message_id)
                if message_id in threads:
                    by_message[message_id] = conversation_id
                    ids.add(conversation_id)
        if tags and self.settings.subject_tag:
            ids.update(
                self.session.execute(
                    select(col(Conversation.id)).where(col(Conversation.id).in_(sorted(tags)))
                ).scalars()
            )
        if senders and self.settings.window_days > 0:
            ids.update(self._senders_conversations(dated))
        if not ids:
            return
        self._load_states(plan, sorted(ids), by_message)

    def _senders_conversations(self, dated: Sequence[tuple[TriageRecord, datetime]]) -> set[int]:
        """The request conversations a sender of the batch may repeat: active within the window of one of their mails.

        One query per chunk of senders, bounded by the whole batch's dates (the
        index on the activity serves it); each row is then kept only when it is
        inside the window of one of its own sender's mails. A batch spans months
        of Dates when a backlog is imported, and loading every conversation of
        that span in full (its participants, its drafts and their requests) cost
        more than the step. A conversation out of a sender's own windows can
        only come into one by another mail of the batch joining it first, and
        that mail's look-up loads it.
        """
        window = timedelta(days=self.settings.window_days)
        dates: dict[str, list[datetime]] = {}
        for record, when in dated:
            if record.sender:
                dates.setdefault(record.sender, []).append(when)
        for when_list in dates.values():
            when_list.sort()
        earliest = min(when_list[0] for when_list in dates.values()) - window
        latest = max(when_list[-1] for when_list in dates.values()) + window
        ids: set[int] = set()
        for chunk in _chunks(sorted(dates)):
            rows = self.session.execute(
                select(
                    col(ConversationParticipant.address),
                    col(ConversationParticipant.conversation_id),
                    col(Conversation.last_activity_at),
                )
                .join(Conversation, col(Conversation.id) == col(ConversationParticipant.conversation_id))
                .where(
                    col(ConversationParticipant.address).in_(chunk),
                    col(Conversation.last_activity_at) >= earliest,
                    col(Conversation.last_activity_at) <= latest,
                    col(Conversation.intent).in_(list(_REQUEST_INTENTS)),
                )
            ).all()
            for address, conversation_id, last_activity in rows:
                own = dates.get(address)
                if own is None:  # the database compared the address otherwise (case): as the SQL matched it
                    ids.add(conversation_id)
                    continue
                nearest = bisect_left(own, last_activity - window)  # the first of their mails not too early
                if nearest < len(own) and own[nearest] <= last_activity + window:
                    ids.add(conversation_id)
        return ids

    def _load_states(self, plan: Plan, ids: list[int], by_message: dict[str, int]) -> None:
        states: dict[int, ConversationState] = {}
        for row in self.session.execute(select(*_CONVERSATION_COLUMNS).where(col(Conversation.id).in_(ids))):
            states[row.id] = ConversationState(
                key=row.id,
                label=str(row.id),
                intent=Intent(row.intent or Intent.OTHER),
                subject=row.subject,
                last_activity=row.last_activity_at,
                proactive=row.proactive,
                language=row.language,
            )
        participants = self.session.execute(
            select(
                col(ConversationParticipant.conversation_id),
                col(ConversationParticipant.address),
                col(ConversationParticipant.role),
            ).where(col(ConversationParticipant.conversation_id).in_(ids))
        ).all()
        for conversation_id, address, role in participants:
            states[conversation_id].participants.setdefault(address, set()).add(ParticipantRole(role))
        drafts = self.session.execute(
            select(*_DRAFT_COLUMNS)
            .where(col(Draft.conversation_id).in_(ids), col(Draft.status).in_([DraftStatus.PENDING, *_ANSWERED]))
            .order_by(col(Draft.id))
        ).all()
        for draft in drafts:
            state = states.get(draft.conversation_id or 0)
            if state is None:
                continue
            kept = _draft_state(draft)
            if draft.status == DraftStatus.PENDING:
                state.pending = kept
            else:
                state.last_sent = kept  # the latest answered one (ordered by id)
        threads: dict[int, list[str]] = {}  # the batch's thread Message-IDs per conversation, in look-up order
        for message_id, conversation_id in by_message.items():
            threads.setdefault(conversation_id, []).append(message_id)
        for conversation_id, state in states.items():
            plan.loaded[conversation_id] = {a: set(r) for a, r in state.participants.items()}
            plan.book.add(state, message_ids=threads.get(conversation_id, ()))

    # -- 2. conversations first: their ids tag the drafts --------------------------------

    def write_conversations(self, plan: Plan) -> None:
        fresh: list[ConversationState] = []
        started: dict[int, datetime] = {}  # id() of each fresh state: the Date of its first mail
        for mail in plan.mails:
            state = mail.conversed.state if mail.conversed else None
            if state is not None and state.key is None and id(state) not in started:
                started[id(state)] = mail.record["dated_at"]
                fresh.append(state)
        crashed = [m for m in plan.mails if m.conversed is None]
        rows = [
            {
                "intent": s.intent,
                "subject": clean_text(s.subject) or "",
                "language": s.language,
                "started_at": started[id(s)],
                "last_activity_at": s.last_activity,
                "proactive": False,
            }
            for s in fresh
        ] + [
            {
                "intent": Intent.OTHER,
                "subject": clean_text(m.record.get("subject")) or "",
                "language": None,
                "started_at": m.record["dated_at"],
                "last_activity_at": m.record["dated_at"],
                "proactive": False,
            }
            for m in crashed
        ]
        if rows:
            ids = _insert_in_order(self.session, Conversation.__table__, rows)  # type: ignore[attr-defined]
            for state, new_id in zip(fresh, ids[: len(fresh)], strict=True):
                state.key = new_id
                plan.book.add(state)
            for mail, new_id in zip(crashed, ids[len(fresh) :], strict=True):
                mail.record["conversation_id"] = new_id
                mail.record["joined_by"] = "new"
        for mail in plan.mails:
            if mail.conversed is not None:
                self._rows_of(mail)

    def _rows_of(self, mail: Mail) -> None:
        """The mail's record and draft rows as its conversation made them."""
        assert mail.conversed is not None
        conversed, record = mail.conversed, mail.record
        state, result = conversed.state, conversed.result
        record["conversation_id"] = state.key
        record["joined_by"] = conversed.join.rule
        record["join_note"] = clean_text(conversed.join.note)
        if conversed.new:
            if mail.draft is not None:
                mail.draft["conversation_id"] = state.key
                mail.draft["subject"] = clean_text(self._subject(state)) or ""
            return
        record["intent"] = result.intent
        record["status"] = result.status
        record["outcome"] = result.outcome
        # The stored result is clean already (``TriagedMail.of``): only what changes here is cleaned.
        stored = dict(record["result"])
        stored.update(intent=result.intent, status=result.status, reason=clean_text(result.reason))
        requests = [r.stored() for r in result.requests] if result.changes or result.draft is not None else []
        if result.changes:
            stored["requests"] = clean_json(requests)
        record["result"] = stored
        if result.draft is None:
            mail.draft = None
            return
        draft = replace(result.draft, subject=self._subject(state))
        mail.draft = draft_row(
            record,
            intent=result.intent,
            language=record.get("language"),
            sender_verified=mail.triaged.sender_verified if mail.triaged else "unknown",
            draft=draft,
            requests=requests,
        )
        mail.draft["conversation_id"] = state.key

    def _subject(self, state: ConversationState) -> str:
        key = state.key if isinstance(state.key, int) else None
        return reply_subject(state.subject, conversation_id=key, tag=self.settings.subject_tag)

    # -- 3. after the rows: Message-IDs, participants, activity, superseding ------------

    def before_drafts(self, plan: Plan, inbound_ids: dict[str, int]) -> None:
        """The follow-ups' stored requests name mails by id now; their records' requests are rewritten."""
        refs = {f"new:{key}": i for key, i in inbound_ids.items()}
        updates = []
        for mail in plan.mails:
            if mail.conversed is None or mail.conversed.new or not mail.conversed.result.changes:
                continue
            requests = clean_json([_named(r.stored(), refs) for r in mail.conversed.result.requests])
            if mail.draft is not None:
                mail.draft["requests"] = requests
            inbound_id = inbound_ids.get(mail.key)
            if inbound_id is not None:
                result = dict(mail.record["result"])
                result["requests"] = requests
                updates.append({"rid": inbound_id, "result": result})
        if updates:
            table = InboundMessage.__table__  # type: ignore[attr-defined]
            self.session.execute(
                update(table).where(table.c.id == bindparam("rid")).values(result=bindparam("result")), updates
            )

    def needs_draft_ids(self, plan: Plan) -> bool:
        return any(m.conversed is not None and m.conversed.result.supersedes is not None for m in plan.mails)

    def after_drafts(self, plan: Plan, inbound_ids: dict[str, int], draft_ids: dict[str, int]) -> None:
        """Message-IDs, participants, the conversations' activity, and the superseding."""
        refs = {f"new:{key}": i for key, i in inbound_ids.items()}
        drafts = {f"new:{key}": i for key, i in draft_ids.items()}
        message_rows = []
        for mail in plan.mails:
            message_id = mail.record.get("message_id")
            conversation_id = mail.record.get("conversation_id")
            if message_id and conversation_id is not None and message_id not in plan.known_ids:
                plan.known_ids.add(message_id)
                message_rows.append(
                    {"message_id": message_id, "conversation_id": conversation_id, "kind": MessageKind.INBOUND}
                )
        if message_rows:
            self.session.execute(insert(ConversationMessageId.__table__), message_rows)  # type: ignore[attr-defined]
        touched: dict[int, ConversationState] = {}
        for mail in plan.mails:
            if mail.conversed is not None and isinstance(mail.conversed.state.key, int):
                touched[mail.conversed.state.key] = mail.conversed.state
        participant_rows = []
        for conversation_id, state in touched.items():
            before = plan.loaded.get(conversation_id, {})
            for address, roles in state.participants.items():
                for role in roles - before.get(address, set()):
                    participant_rows.append({"conversation_id": conversation_id, "address": address, "role": role})
        if participant_rows:
            self.session.execute(insert(ConversationParticipant.__table__), participant_rows)  # type: ignore[attr-defined]
        in_batch = []  # drafts of this very transaction: no agent can have seen, let alone approved, them
        stored: dict[int, tuple[Mail, int]] = {}  # an earlier poll's pending draft -> (the follow-up, its new draft)
        for mail in plan.mails:
            if mail.conversed is None or mail.conversed.new:
                continue
            supersedes = mail.conversed.result.supersedes
            new_id = draft_ids.get(mail.key)
            if supersedes is None or new_id is None or mail.draft is None:
                continue
            old_id = drafts.get(supersedes) if isinstance(supersedes, str) else supersedes
            if old_id is None:
                continue
            if isinstance(supersedes, str):
                in_batch.append({"did": old_id, "by": new_id})
            else:
                stored.setdefault(old_id, (mail, new_id))
        if stored:
            for old_id in stored.keys() - self._supersede_stored({o: n for o, (_m, n) in stored.items()}):
                mail, new_id = stored[old_id]
                self._answered_first(mail, old_id, new_id, refs)
        if in_batch:  # one statement for the batch's chains of repeats
            table = Draft.__table__  # type: ignore[attr-defined]
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("did"), table.c.status == DraftStatus.PENDING)
                .values(status=DraftStatus.SUPERSEDED, superseded_by=bindparam("by"), version=table.c.version + 1),
                in_batch,
            )
        existing = [s for i, s in touched.items() if i in plan.loaded]
        if existing:
            table = Conversation.__table__  # type: ignore[attr-defined]
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("cid"))
                .values(intent=bindparam("intent"), language=bindparam("language"), last_activity_at=bindparam("last")),
                [{"cid": s.key, "intent": s.intent, "language": s.language, "last": s.last_activity} for s in existing],
            )

    def _supersede_stored(self, by: dict[int, int]) -> set[int]:
        """Earlier polls' pending drafts -> superseded by the new ones; the ids it changed.

        ONE conditional update: for each draft, of this and an agent's approval
        (``review.approve`` flips pending -> approved with the same kind of
        update) exactly one wins. A draft it did not change was approved first.
        """
        table = Draft.__table__  # type: ignore[attr-defined]
        won: set[int] = set()
        for chunk in _chunks(sorted(by)):
            won.update(
                self.session.execute(
                    update(table)
                    .where(table.c.id.in_(chunk), table.c.status == DraftStatus.PENDING)
                    .values(
                        status=DraftStatus.SUPERSEDED,
                        superseded_by=case({old: by[old] for old in chunk}, value=table.c.id),
                        version=table.c.version + 1,
                    )
                    .returning(table.c.id)
                ).scalars()
            )
        return won

    def _answered_first(self, mail: Mail, old_id: int, new_id: int, refs: dict[str, int]) -> None:
        """The pending draft was approved before this follow-up could supersede it: answer against what was sent."""
        assert mail.conversed is not None and mail.triaged is not None
        old = self.session.execute(select(*_DRAFT_COLUMNS).where(col(Draft.id) == old_id)).first()
        if old is None or old.status not in _ANSWERED:
            log.info("draft %s was %s before follow-up draft %s; left as is", old_id, old and old.status, new_id)
            return
        state = mail.conversed.state
        state.pending, state.last_sent = None, _draft_state(old)
        from mailbot.conversations.follow_up import follow_up, own_intent

        ctx = self.context()
        result = follow_up(
            mail.triaged,
            mail=mail.ref,
            state=state,
            join=mail.conversed.join,
            intent_now=own_intent(mail.triaged, rules=ctx.rules),
            ctx=ctx,
            dated_at=mail.record["dated_at"],
        )
        values: dict[str, Any] = {"requests": clean_json([_named(r.stored(), refs) for r in result.requests])}
        if result.draft is not None:
            values.update(body=clean_text(result.draft.body) or "", intent=result.intent)
        else:  # nothing is left to answer: the draft would only repeat what was sent
            values.update(
                status=DraftStatus.REJECTED,
                decided_by="mailbot",
                reject_reason=f"draft {old_id} was approved first; nothing is left to answer",
            )
        self.session.execute(
            update(Draft).where(col(Draft.id) == new_id).values(**values).execution_options(synchronize_session=False)
        )


def _named(stored: dict[str, Any], refs: dict[str, int]) -> dict[str, Any]:
    out = dict(stored)
    for key in ("stated_in", "asked_by"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = refs.get(value)
    return out


def _draft_state(draft: Any) -> DraftState:
    """A stored draft (a row of ``_DRAFT_COLUMNS`` or the model) as the follow-up steps read it."""
    assert draft.id is not None
    return DraftState(
        key=draft.id,
        intent=Intent(draft.intent),
        requests=asked_requests(
            draft.requests, mail=draft.inbound_id, sender=draft.sender, verified=draft.sender_verified
        ),
    )


def _insert_in_order(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with one statement; their new ids, in the rows' order.

    PostgreSQL returns them ordered from one INSERT … RETURNING. SQLite cannot
    tie RETURNING rows to their parameters, so SQLAlchemy would run one INSERT
    per row (thousands for a backlog); instead the rows go in with one
    executemany and the ids are read after it: this transaction holds SQLite's
    only write lock, and a table without AUTOINCREMENT gives each new row the
    largest id so far plus one, so the batch's rows hold the last ``len(rows)``
    ids, in order.
    """
    if session.get_bind().dialect.name != "sqlite":
        return list(session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    session.execute(insert(table), rows)
    last = session.execute(select(func.max(table.c.id))).scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


def _chunks(items: list[_T], size: int = 500) -> list[list[_T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
