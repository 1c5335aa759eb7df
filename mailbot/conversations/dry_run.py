"""``mailbot triage``'s conversations: the files of one run grouped in memory, as the poll groups stored mail.

SPEC: the files are read in ``Date`` order (file order where equal or missing),
every earlier draft of the run counts as pending, and each JSON line gains
``conversation`` (the first mail's Message-ID, or else its file name) and
``supersedes`` (the file whose draft this one replaces). The run calls the very
``converse`` the poll calls; only the book is filled differently.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mailbot.conversations.book import ConversationBook
from mailbot.conversations.dates import mail_time
from mailbot.conversations.step import Conversed, converse
from mailbot.conversations.subjects import reply_subject
from mailbot.triage.pipeline import TriageContext, TriageResult
from mailbot.triage.record import request_json


def in_date_order(
    items: Sequence[tuple[str, TriageResult]], *, now: datetime
) -> list[tuple[str, TriageResult, datetime]]:
    """The results by their Date; a mail without one keeps its place after the file before it."""
    keyed = []
    previous = datetime.min.replace(tzinfo=UTC)
    for index, (label, result) in enumerate(items):
        dated = mail_time(result.date, fallback=now) if result.date else None
        order = dated or previous
        previous = order
        keyed.append((order, index, label, result, dated or now))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [(label, result, dated) for _order, _index, label, result, dated in keyed]


def as_json(label: str, result: TriageResult, conversed: Conversed) -> dict[str, Any]:
    """The triage JSON object of the mail as its conversation made it, plus ``conversation`` and ``supersedes``."""
    outcome = conversed.result
    draft = outcome.draft
    if draft is not None:
        draft = replace(draft, subject=reply_subject(conversed.state.subject))  # no ids in a dry run: no tag
    shown = replace(
        result,
        intent=outcome.intent,
        status=outcome.status,
        reason=outcome.reason,
        requests=tuple(outcome.decisions),
        draft=draft,
    )
    obj = shown.to_json(file=label)
    obj["requests"] = [
        {
            **request_json(r.decision),
            "stated_in": r.stated_in,
            "asked_by": r.asked_by,
            "asker": r.asker,
            "asker_verified": r.asker_verified,
        }
        for r in outcome.requests
    ]
    obj["conversation"] = conversed.state.label
    obj["supersedes"] = outcome.supersedes
    if conversed.join.note:
        obj["join_note"] = conversed.join.note
    return obj


def group(
    items: Sequence[tuple[str, TriageResult]],
    *,
    ctx: TriageContext,
    window_days: int,
    now: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Each file's JSON object, in Date order, as its conversation made it."""
    book = ConversationBook()
    for label, result, dated in in_date_order(items, now=now or datetime.now(UTC)):
        conversed = converse(
            result,
            result.draft,
            mail=label,
            label=label,
            book=book,
            ctx=ctx,
            dated_at=dated,
            window_days=window_days,
            subject_tags=False,
        )
        yield as_json(label, result, conversed)
