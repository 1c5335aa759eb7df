"""Read-only views of stored drafts for ``mailbot drafts list/show`` (and the console).

Keyword-only helpers that take a session and return plain dicts, so the CLI only
prints and the JSON shape is defined in one place: the fields of ``mailbot
triage --json`` (``requests`` as triage decided them) plus the draft's own. What
the mail said is read from the stored triage record, not parsed again.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from mailbot.errors import DraftNotFound
from mailbot.mail.parse import DEFAULT_MAX_BYTES, decode_words, parse_mail
from mailbot.mail.quotes import strip_quoted_history
from mailbot.models import AccountAction, Draft, InboundMessage, is_row_id
from mailbot.triage.addresses import find_addresses
from mailbot.triage.record import TriageRecord, decisions_of, request_json
from mailbot.vocabulary import DraftStatus

DRAFT_STATUSES = tuple(DraftStatus)

#: What an agent reads for each state of an account action.
ACTION_STATES = {
    "queued": "waiting to be sent",
    "sending": "sent, waiting for the account system's answer",
    "retry": "waiting for retry",
    "confirmed": "confirmed",
    "refused": "refused",
    "cancelled": "cancelled (never sent)",
}


def list_drafts(*, session: Session, status: str = DraftStatus.PENDING) -> list[Draft]:
    """Drafts with ``status`` (or every draft for ``all``), oldest first."""
    query = select(Draft).order_by(col(Draft.id))
    if status != "all":
        if status not in DRAFT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(DRAFT_STATUSES)} or all")
        query = query.where(Draft.status == status)
    return list(session.exec(query))


def find_draft(*, session: Session, draft_id: int) -> tuple[Draft, InboundMessage | None]:
    """The draft and the mail it answers (none for a proactive draft); ``DraftNotFound`` when there is no such id."""
    draft = session.get(Draft, draft_id) if is_row_id(draft_id) else None
    if draft is None:
        raise DraftNotFound(f"no draft has the id {draft_id}")
    if draft.inbound_id is None:  # mailbot wrote it unasked (a renewal): no mail behind it
        return draft, None
    return draft, session.get(InboundMessage, draft.inbound_id)


def recipient_is_sender(draft: Draft) -> bool:
    """Whether the reply goes back to the mail's From. When not (a Reply-To), the
    agent must see it plainly: the account facts in the reply go to someone else."""
    return bool(draft.sender) and draft.to.strip().lower() == (draft.sender or "").strip().lower()


def draft_summary(draft: Draft) -> dict[str, Any]:
    """One line of ``drafts list --json``."""
    return {
        "id": draft.id,
        "conversation_id": draft.conversation_id,
        "message_id": draft.message_id,
        "intent": draft.intent,
        "language": draft.language,
        "sender": draft.sender,
        "sender_verified": draft.sender_verified,
        "to": draft.to,
        "recipient_is_sender": recipient_is_sender(draft),
        "subject": draft.subject,
        "status": draft.status,
        # mailbot wrote it unasked after a renewal: no customer mail behind it
        "proactive": bool(draft.proactive),
        "superseded_by": draft.superseded_by,
        "requests": [request_json(d) for d in decisions_of(draft.requests)],
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


def draft_actions(*, session: Session, draft_id: int) -> list[dict[str, Any]]:
    """Each account action of the draft and where it stands, oldest approval first.

    ``vendor_message`` is the account system's refusal, verbatim: the agent
    reads the vendor's own words before editing and approving again.
    """
    rows = session.exec(
        select(AccountAction).where(col(AccountAction.draft_id) == draft_id).order_by(col(AccountAction.id))
    )
    return [
        {
            "text": row.action.get("text"),
            "kind": row.kind,
            "email": row.email,
            "status": row.status,
            "state": ACTION_STATES.get(row.status, row.status),
            "attempts": row.attempts,
            "last_error": row.last_error,
            "vendor_message": row.vendor_message,
            "next_attempt_at": row.next_attempt_at if row.status == "retry" else None,
            "confirmed_at": row.confirmed_at,
            "idempotency_key": row.idempotency_key,
        }
        for row in rows
    ]


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


def stored_record(inbound: InboundMessage) -> TriageRecord:
    """What triage read and decided about the mail, as stored with it."""
    return TriageRecord.from_stored(inbound.result or {})


def mail_view(inbound: InboundMessage, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """The customer's mail as an agent reads it: own text first, quoted history apart.

    Exactly the split the decision was made on, from the stored triage record
    (HTML-only mail as its text: never the HTML itself). Rows stored by 0.1.0
    kept no text in their record: those are parsed again from the stored raw
    bytes, with the same code triage used. ``uncertain``: no quote marker left
    any own text, so all of it is shown as the customer's.
    """
    record = stored_record(inbound)
    if record.legacy:
        return _parsed_mail_view(inbound.raw or b"", max_bytes=max_bytes)
    return {
        "subject": record.subject,
        "sender": record.sender,
        "sender_name": record.sender_name,
        "to": record.to,
        "date": record.date,
        "text_source": record.text_source,
        "own_text": record.own_text,
        "quoted_text": record.quoted_text,
        "uncertain": record.quote_uncertain,
        "defects": list(record.defects),
        "unreadable": record.unreadable,
    }


def _parsed_mail_view(raw: bytes, *, max_bytes: int) -> dict[str, Any]:
    mail = parse_mail(raw, max_bytes=max_bytes)
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


Span = tuple[str, int, int]  # an address and where it is in a text


def address_spans(record: TriageRecord, view: dict[str, Any]) -> tuple[list[Span], list[Span]]:
    """Where the addresses are in ``mail_view``'s own text and quoted history, to mark them.

    The own text's are the addresses triage found there; quoted history was not
    read as a request, so nothing in it is marked. A 0.1.0 row stored no
    addresses, and text cleaned for storage (a NUL removed) may have moved them:
    then both texts are searched again with triage's own finder.
    """
    own = view["own_text"]
    spans = [(a.address, a.start, a.end) for a in record.addresses]
    if not record.legacy and all(_still_there(own, span) for span in spans):
        return spans, []
    return find_addresses(own), find_addresses(view["quoted_text"])


def _still_there(text: str, span: Span) -> bool:
    address, start, end = span
    return [found for found, _start, _end in find_addresses(text[start:end])] == [address]
