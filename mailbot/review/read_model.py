"""Read-only views of stored drafts for ``mailbot drafts list/show`` (and the console).

Keyword-only helpers that take a session and return plain dicts, so the CLI only
prints and the JSON shape is defined in one place: the fields of ``mailbot
triage --json`` (``requests`` exactly as triage stored them) plus the draft's own.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from mailbot.errors import DraftNotFound
from mailbot.mail.parse import DEFAULT_MAX_BYTES, decode_words, parse_mail
from mailbot.mail.quotes import strip_quoted_history
from mailbot.models import Draft, InboundMessage, is_row_id

DRAFT_STATUSES = ("pending", "approved", "sent", "rejected", "failed")


def list_drafts(*, session: Session, status: str = "pending") -> list[Draft]:
    """Drafts with ``status`` (or every draft for ``all``), oldest first."""
    query = select(Draft).order_by(col(Draft.id))
    if status != "all":
        if status not in DRAFT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(DRAFT_STATUSES)} or all")
        query = query.where(Draft.status == status)
    return list(session.exec(query))


def find_draft(*, session: Session, draft_id: int) -> tuple[Draft, InboundMessage | None]:
    """The draft and the mail it answers; ``DraftNotFound`` when there is no such id."""
    draft = session.get(Draft, draft_id) if is_row_id(draft_id) else None
    if draft is None:
        raise DraftNotFound(f"no draft has the id {draft_id}")
    return draft, session.get(InboundMessage, draft.inbound_id)


def recipient_is_sender(draft: Draft) -> bool:
    """Whether the reply goes back to the mail's From. When not (a Reply-To), the
    agent must see it plainly: the account facts in the reply go to someone else."""
    return bool(draft.sender) and draft.to.strip().lower() == (draft.sender or "").strip().lower()


def draft_summary(draft: Draft) -> dict[str, Any]:
    """One line of ``drafts list --json``."""
    return {
        "id": draft.id,
        "message_id": draft.message_id,
        "intent": draft.intent,
        "language": draft.language,
        "sender": draft.sender,
        "sender_verified": draft.sender_verified,
        "to": draft.to,
        "recipient_is_sender": recipient_is_sender(draft),
        "subject": draft.subject,
        "status": draft.status,
        "requests": draft.requests,
        "created_at": draft.created_at,
    }


def draft_detail(draft: Draft, inbound: InboundMessage | None) -> dict[str, Any]:
    """``drafts show --json``: the summary, the text, and the stored inbound mail."""
    detail = draft_summary(draft)
    detail.update(
        body=draft.body,
        html=draft.html,
        in_reply_to=draft.in_reply_to,
        references=draft.references,
        original_body=draft.original_body,
        decided_by=draft.decided_by,
        decided_at=draft.decided_at,
        reject_reason=draft.reject_reason,
        inbound=None if inbound is None else inbound_summary(inbound),
    )
    return detail


def inbound_summary(inbound: InboundMessage) -> dict[str, Any]:
    return {
        "id": inbound.id,
        "message_id": inbound.message_id,
        "sender": inbound.sender,
        "subject": inbound.subject,
        "date": inbound.date,
        "mailbox": inbound.mailbox,
        "folder": inbound.folder,
        "uid": inbound.uid,
        "received_at": inbound.received_at,
        "intent": inbound.intent,
        "outcome": inbound.outcome,
        "status": inbound.status,
        "error": inbound.error,
        "reason": (inbound.result or {}).get("reason"),
        "size": len(inbound.raw or b""),
    }


def mail_view(inbound: InboundMessage, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """The customer's mail as an agent reads it: own text first, quoted history apart.

    Re-parsed from the stored raw bytes with the same code triage used, so the
    agent sees exactly the split the decision was made on (HTML-only mail as its
    text: never the HTML itself). ``uncertain``: no quote marker left any own
    text, so all of it is shown as the customer's.
    """
    mail = parse_mail(inbound.raw or b"", max_bytes=max_bytes)
    split = strip_quoted_history(mail.text, subject=mail.subject)
    return {
        "subject": mail.subject,
        "sender": mail.sender,
        "sender_name": mail.sender_name,
        "to": decode_words(mail.header("to") or ""),
        "date": mail.date,
        "text_source": mail.text_source,
        "own_text": split.own,
        "quoted_text": split.quoted,
        "uncertain": split.uncertain,
        "defects": list(mail.defects),
        "unreadable": mail.unreadable,
    }
