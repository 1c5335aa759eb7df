"""The queue: drafts filtered by status, intent, language, outcome and address.

Waiting for review (the default view) is one row per conversation: its pending
draft, or, when it has none, its newest mail that needs a human (SPEC
"Conversations": a draft answers the conversation as it stands, so an older
draft of the same conversation is never a row of its own).

Status, intent and language are columns and are filtered in SQL. Outcomes and
addresses live in the ``requests`` JSON column, whose query syntax differs
between SQLite and PostgreSQL, so those two filters run in Python over the rows
SQL returned; a queue of pending drafts is small, and ``limit`` caps the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from mailbot.models import Draft
from mailbot.review.conversations import ConversationFacts, WaitingMail, conversation_facts, waiting_mails
from mailbot.review.read_model import DRAFT_STATUSES
from mailbot.triage.record import decisions_of
from mailbot.vocabulary import DraftStatus, Intent

STATUS_CHOICES = (*DRAFT_STATUSES, "all")
INTENTS = (Intent.LINK, Intent.REACTIVATE)  # the intents that get a draft
LANGUAGES = ("de", "en")
DECIDED = (DraftStatus.APPROVED, DraftStatus.SENT, DraftStatus.REJECTED, DraftStatus.FAILED)
MAX_ROWS = 2000


@dataclass(frozen=True)
class QueueFilter:
    status: str = DraftStatus.PENDING
    intent: str = ""
    outcome: str = ""
    language: str = ""
    address: str = ""

    @classmethod
    def from_query(cls, params: dict[str, str]) -> QueueFilter:
        """Unknown values fall back to "no filter" rather than an error page."""
        status = params.get("status", DraftStatus.PENDING)
        intent = params.get("intent", "")
        language = params.get("language", "")
        return cls(
            status=status if status in STATUS_CHOICES else DraftStatus.PENDING,
            intent=intent if intent in INTENTS else "",
            outcome=params.get("outcome", "").strip()[:64],
            language=language if language in LANGUAGES else "",
            address=params.get("q", "").strip().lower()[:254],
        )

    def query(self, **changes: str) -> dict[str, str]:
        """The filters as query parameters (empty ones left out), with ``changes`` applied."""
        values = {
            "status": self.status,
            "intent": self.intent,
            "outcome": self.outcome,
            "language": self.language,
            "q": self.address,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v and not (k == "status" and v == DraftStatus.PENDING)}


@dataclass(frozen=True)
class QueueRow:
    """One row: a draft, or (waiting view) a conversation's mail that needs a human and has no draft."""

    at: datetime
    draft: Draft | None = None
    mail: WaitingMail | None = None

    @property
    def conversation_id(self) -> int | None:
        return (
            self.draft.conversation_id if self.draft is not None else self.mail.conversation_id if self.mail else None
        )


@dataclass
class QueueView:
    drafts: list[Draft]  # matching every filter, newest first
    outcome_counts: dict[str, int]  # drafts per outcome, before the outcome filter
    truncated: bool = False
    filters: QueueFilter = field(default_factory=QueueFilter)
    rows: list[QueueRow] = field(default_factory=list)  # the drafts and waiting mails, newest first
    conversations: dict[int, ConversationFacts] = field(default_factory=dict)  # of the rows, by id


def draft_outcomes(draft: Draft) -> list[str]:
    """The outcomes of the draft's requests, each once, in the customer's order."""
    return list(dict.fromkeys(d.outcome for d in decisions_of(draft.requests)))


def draft_addresses(draft: Draft) -> set[str]:
    """Every address the draft is about: sender, recipient, and both sides of each request."""
    found = {draft.sender, draft.to}
    for decision in decisions_of(draft.requests):
        found.update((decision.request.primary, decision.request.team_member))
    return {a.lower() for a in found if a}


def matches_address(draft: Draft, needle: str) -> bool:
    return any(needle in address for address in draft_addresses(draft))


def newest_first(query: SelectOfScalar[Any]) -> SelectOfScalar[Any]:
    return query.order_by(col(Draft.created_at).desc(), col(Draft.id).desc())


def load_queue(*, session: Session, filters: QueueFilter, limit: int = MAX_ROWS) -> QueueView:
    query = newest_first(select(Draft))
    if filters.status != "all":
        query = query.where(Draft.status == filters.status)
    if filters.intent:
        query = query.where(Draft.intent == filters.intent)
    if filters.language:
        query = query.where(Draft.language == filters.language)
    rows = list(session.exec(query.limit(limit + 1)))
    truncated = len(rows) > limit
    rows = rows[:limit]
    waiting = filters.status == DraftStatus.PENDING
    if waiting:
        rows = one_per_conversation(rows)
    if filters.address:
        rows = [d for d in rows if matches_address(d, filters.address)]
    counts = count_outcomes(rows)
    if filters.outcome:
        rows = [d for d in rows if filters.outcome in draft_outcomes(d)]
    mails = waiting_mails(session=session, limit=limit) if waiting and not (filters.intent or filters.outcome) else []
    mails = [m for m in mails if matches_mail(m, filters)]
    entries = [QueueRow(at=d.created_at, draft=d) for d in rows] + [QueueRow(at=m.received_at, mail=m) for m in mails]
    entries.sort(key=lambda row: row.at, reverse=True)
    ids = {row.conversation_id for row in entries if row.conversation_id is not None}
    return QueueView(
        drafts=rows,
        outcome_counts=counts,
        truncated=truncated,
        filters=filters,
        rows=entries,
        conversations=conversation_facts(session=session, ids=ids),
    )


def one_per_conversation(drafts: Iterable[Draft]) -> list[Draft]:
    """The newest draft of each conversation (``drafts`` newest first); a draft without one stands alone."""
    seen: set[int] = set()
    kept = []
    for draft in drafts:
        if draft.conversation_id is not None:
            if draft.conversation_id in seen:
                continue
            seen.add(draft.conversation_id)
        kept.append(draft)
    return kept


def matches_mail(mail: WaitingMail, filters: QueueFilter) -> bool:
    """The language and address filters, for a waiting mail (it has no intent or outcome to filter on)."""
    if filters.language and mail.language != filters.language:
        return False
    return not filters.address or filters.address in (mail.sender or "").lower()


def count_outcomes(drafts: Iterable[Draft]) -> dict[str, int]:
    """How many drafts have a request with each outcome (a draft counts once per outcome)."""
    counts: Counter[str] = Counter()
    for draft in drafts:
        counts.update(draft_outcomes(draft))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def pending_neighbours(*, session: Session, draft: Draft) -> tuple[int | None, int | None]:
    """(newer, older) pending drafts around ``draft`` in queue order, for the j/k keys."""
    ids = list(session.exec(newest_first(select(Draft.id)).where(col(Draft.status) == DraftStatus.PENDING)))
    if draft.id not in ids:  # decided already: "next" is the top of the queue
        return None, (ids[0] if ids else None)
    at = ids.index(draft.id)
    newer = ids[at - 1] if at > 0 else None
    older = ids[at + 1] if at + 1 < len(ids) else None
    return newer, older


def decided_drafts(*, session: Session, limit: int = 200) -> list[Draft]:
    """Drafts an agent has decided on, most recent decision first."""
    query = (
        select(Draft)
        .where(col(Draft.status).in_(DECIDED))
        .order_by(col(Draft.decided_at).desc().nulls_last(), col(Draft.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
