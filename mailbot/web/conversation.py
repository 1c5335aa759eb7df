"""The conversation beside a draft, and on its own page: what the agent reads of the whole matter.

Built from the read model's timeline (``review.conversations``), with what only
the console shows added to each item: a mail's own text and quoted history (as
triage split it), a reply's text, which item is the draft under review. Every
value is handed to the templates as plain text, so autoescaping covers all of
it; nothing here builds HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailbot.models import Draft, InboundMessage
from mailbot.review.conversations import ConversationRows, conversation_summary, request_origins, timeline
from mailbot.review.read_model import mail_view
from mailbot.vocabulary import DraftStatus


@dataclass
class ConversationView:
    """The conversation as the templates show it; ``items`` in time order."""

    summary: dict[str, Any]
    items: list[dict[str, Any]]
    participants: list[dict[str, str]]
    #: mail id → (sender, date) for "this request came from mail #…"
    mails: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def earlier(self) -> int:
        """How many items besides the draft under review and its own mail."""
        return sum(1 for item in self.items if not item.get("current"))


def conversation_view(rows: ConversationRows, *, max_bytes: int, draft: Draft | None = None) -> ConversationView:
    """Every item of ``rows``' conversation, marked where it is ``draft`` or ``draft``'s own mail."""
    mails: dict[int | None, InboundMessage] = {m.id: m for m in rows.mails}
    drafts: dict[int | None, Draft] = {d.id: d for d in rows.drafts}
    items = []
    for item in timeline(rows.mails, rows.drafts, rows.replies):
        entry = dict(item)
        if item["kind"] == "mail":
            row = mails[item["id"]]
            view = mail_view(row, max_bytes=max_bytes)
            entry.update(
                own_text=view["own_text"],
                quoted_text=view["quoted_text"],
                sender_name=view["sender_name"],
                current=draft is not None and row.id == draft.inbound_id,
            )
        elif item["kind"] == "draft":
            entry.update(current=draft is not None and item["id"] == draft.id, body=drafts[item["id"]].body)
        else:
            answered = drafts[item["draft_id"]]
            entry.update(body=answered.body, current=False)
        items.append(entry)
    by_id = {m.id: {"id": m.id, "sender": m.sender, "date": m.dated_at or m.received_at} for m in rows.mails}
    return ConversationView(
        summary=conversation_summary(rows.conversation, rows.facts),
        items=items,
        participants=[{"address": p.address, "role": p.role} for p in rows.participants],
        mails={k: v for k, v in by_id.items() if k is not None},
    )


def request_sources(draft: Draft, view: ConversationView | None) -> list[dict[str, Any]]:
    """For each request of ``draft``, the mail it came from and who asked it, for the request cards."""
    sources = []
    for origin in request_origins(draft):
        stated, asked = origin.get("stated_in"), origin.get("asked_by")
        known = view.mails if view is not None else {}
        sources.append(
            {
                "stated_in": stated,
                "this_mail": stated is not None and stated == draft.inbound_id,
                "mail": known.get(stated) if stated is not None else None,
                "asked_by": asked if asked != stated else None,
                "asker": origin.get("asker"),
                "asker_verified": origin.get("asker_verified"),
            }
        )
    return sources


def superseded_note(draft: Draft) -> int | None:
    """The draft that replaced ``draft``, when it was superseded."""
    return draft.superseded_by if draft.status == DraftStatus.SUPERSEDED else None
