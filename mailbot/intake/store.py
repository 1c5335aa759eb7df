"""A fetched mail and its triage result → plain row dicts for ``InboundMessage`` and ``Draft``.

The poller inserts a whole batch with one executemany instead of building ORM
objects one by one (SQLModel's constructor costs more than the INSERT). Rows get
every column: what we know, else the model's own default, so a column added to
the model later still gets its default here.

Text is cleaned on the way in: PostgreSQL refuses NUL in text, and raw 8-bit
header bytes (RFC 6532 mail) arrive from ``compat32`` as surrogate escapes,
which no driver can encode. The raw bytes are stored untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic_core import PydanticUndefined
from sqlmodel import SQLModel

from mailbot.mail.source import FetchedMessage
from mailbot.models import Draft, InboundMessage, utcnow
from mailbot.vocabulary import DraftStatus, InboundStatus, Intent, Outcome, SenderVerification

if TYPE_CHECKING:  # importing them would load Jinja2 into every idle poll
    from mailbot.triage.draft import DraftText
    from mailbot.triage.pipeline import TriageResult

_MSGID = re.compile(rb"<[^<>\s]+>")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID_HEADER = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)


def clean_text(value: str | None) -> str | None:
    """Text every backend accepts, with surrogate-escaped UTF-8 turned back into characters."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "") if "\x00" in value else value


def clean_json(value: Any) -> Any:
    """``value`` with every string cleaned as ``clean_text`` cleans it; ``value`` itself when nothing needs it.

    Nearly every mail is clean, and one serialisation in C tells so faster than
    walking the structure: a NUL shows as its escape, a lone surrogate refuses
    UTF-8. Anything that is not plain JSON takes the walk.
    """
    try:
        encoded = json.dumps(value, ensure_ascii=False)
        if "\\u0000" not in encoded:
            encoded.encode("utf-8")
            return value
    except (TypeError, ValueError, UnicodeEncodeError):
        pass
    return _cleaned(value)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    return value


def quick_dedup_key(raw: bytes) -> str:
    """The dedup key read from the header block alone, to skip re-triaging stored mail.

    The same rule as triage's ``dedup_key`` (first Message-ID, else the sha256 of
    the raw bytes), found with two regular expressions instead of a parse. The key
    stored is always triage's own; this one only decides "already have it".
    """
    end = _HEADER_END.search(raw)
    header = _MESSAGE_ID_HEADER.search(raw, 0, end.start() if end else len(raw))
    if header:
        found = _MSGID.search(header.group(1))
        if found:
            return clean_text(found.group(0).decode("utf-8", "surrogateescape")) or ""
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


@cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    columns = set(model.__table__.c.keys())  # type: ignore[attr-defined]
    static: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if name == "id" or name not in columns:
            continue
        if field.default_factory is not None:
            factories[name] = field.default_factory  # type: ignore[assignment]
        elif field.default is not PydanticUndefined:
            static[name] = field.default
    return static, factories


def full_row(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus the model's default for every column not given."""
    static, factories = _defaults(model)
    row = dict(static)
    for name, factory in factories.items():
        if name not in values:
            row[name] = factory()
    row.update(values)
    return row


@dataclass(frozen=True)
class TriagedMail:
    """What storage needs from a triage result: plain values, so it can cross processes."""

    dedup_key: str
    message_id: str | None
    sender: str | None
    subject: str
    date: str | None
    intent: Intent
    language: str | None
    status: InboundStatus
    outcome: Outcome
    error: str | None
    sender_verified: SenderVerification
    json: dict[str, Any]  # the stored triage record (``TriageRecord.stored``)
    draft: DraftText | None  # a plain frozen dataclass: crosses processes as is

    @classmethod
    def of(cls, result: TriageResult) -> TriagedMail:
        return cls(
            dedup_key=result.dedup_key,
            message_id=result.message_id,
            sender=result.sender,
            subject=result.subject,
            date=result.date,
            intent=result.intent,
            language=result.language,
            status=result.status,
            outcome=result.outcome,
            error=result.error,
            sender_verified=result.sender_verified,
            json=clean_json(result.stored()),
            draft=result.draft,
        )


def record_rows(
    message: FetchedMessage, result: TriagedMail, *, key: str, mailbox: str, folder: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ``InboundMessage`` row and, when triage drafted a reply, the ``Draft`` row."""
    status, outcome, error, draft = result.status, result.outcome, result.error, result.draft
    if message.truncated:
        status, outcome, draft = InboundStatus.NEEDS_HUMAN, Outcome.NEEDS_HUMAN, None
        error = (
            f"message is {message.size:,} bytes, over triage.max_message_bytes; only the "
            f"first {len(message.raw):,} bytes are stored, the whole mail stays on the server"
        )
    as_json = result.json
    record = full_row(
        InboundMessage,
        {
            "dedup_key": key,
            "message_id": clean_text(result.message_id),
            "mailbox": mailbox,
            "folder": folder,
            "uid": message.uid,
            "sender": clean_text(result.sender),
            "subject": clean_text(result.subject) or "",
            "date": clean_text(result.date),
            "received_at": utcnow(),
            "intent": result.intent,
            "language": result.language,
            "outcome": outcome,
            "status": status,
            "error": clean_text(error),
            "result": as_json,
            "raw": message.raw,
            "marked": False,
        },
    )
    if draft is None:
        return record, None
    return record, draft_row(
        record,
        intent=result.intent,
        language=result.language,
        sender_verified=result.sender_verified,
        draft=draft,
        requests=as_json.get("requests", []),
    )


def draft_row(
    record: dict[str, Any],
    *,
    intent: str,
    language: str | None,
    sender_verified: str,
    draft: DraftText,
    requests: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ``Draft`` row answering the mail of ``record`` (a follow-up's answers its whole conversation)."""
    return full_row(
        Draft,
        {
            "message_id": record["message_id"],
            "intent": intent,
            "language": language or "en",
            "sender": record["sender"],
            "sender_verified": sender_verified,
            "to": clean_text(draft.to) or "",
            "subject": clean_text(draft.subject) or "",
            "body": clean_text(draft.body) or "",
            "html": clean_text(draft.html),
            "in_reply_to": clean_text(draft.in_reply_to),
            "references": clean_text(draft.references),
            "requests": clean_json(requests),
            "status": DraftStatus.PENDING,
            "created_at": utcnow(),
        },
    )


def failure_row(*, raw: bytes, uid: int, key: str, mailbox: str, folder: str, error: str) -> dict[str, Any]:
    """A ``needs_human`` record that keeps the raw mail when triage or the full row failed."""
    return full_row(
        InboundMessage,
        {
            "dedup_key": key,
            "mailbox": mailbox,
            "folder": folder,
            "uid": uid,
            "subject": "",
            "received_at": utcnow(),
            "intent": Intent.OTHER,
            "outcome": Outcome.NEEDS_HUMAN,
            "status": InboundStatus.NEEDS_HUMAN,
            "error": clean_text(error),
            "result": {},
            "raw": raw,
            "marked": False,
        },
    )
