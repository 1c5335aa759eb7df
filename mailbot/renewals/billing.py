"""Billing webhooks: Stripe's signature scheme and the two event shapes mailbot understands. Pure.

The signature is the endpoint's only authentication, so it is checked exactly as
Stripe specifies: the ``Stripe-Signature`` header is ``t=<unix time>,v1=<hex>``
(several ``v1`` while a secret is being rolled; any one may match), each ``v1``
is HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with ``[billing] webhook_secret``,
compared in constant time, and a timestamp older than the tolerance is refused
so a captured request cannot be replayed later. The raw body is what is signed:
it is verified before it is parsed.

Understood events: Stripe's ``invoice.paid`` (the account is the invoice's
``customer_email``; the new ``paid_until`` is the latest ``lines.data[].period.end``)
and mailbot's own ``{"id", "type": "account.renewed", "email", "paid_until"}``.
Any other type is a valid event that mailbot ignores.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from mailbot.errors import BillingEventRefused

#: Stripe's default tolerance: a signed request older than this is refused.
TOLERANCE_SECONDS = 300
#: The largest body accepted. Stripe's invoice events are a few kilobytes to a
#: few dozen (one entry per invoice line); anything far beyond is no billing event.
MAX_BODY_BYTES = 256 * 1024
#: Event ids are short (``evt_…``); a longer one is not a real id.
MAX_EVENT_ID = 255

INVOICE_PAID = "invoice.paid"
ACCOUNT_RENEWED = "account.renewed"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value for ``body`` signed at ``timestamp`` (hex HMAC-SHA256 of ``"<t>.<body>"``)."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """A ``Stripe-Signature`` value as Stripe sends it (for tests and for a vendor's own sender)."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def _parse_header(header: str) -> tuple[int | None, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and value.isdigit() and timestamp is None:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    return timestamp, candidates


def verify_signature(header: str | None, body: bytes, *, secret: str, now: float) -> None:
    """Raise ``BillingEventRefused`` unless ``header`` signs ``body`` with ``secret`` recently enough."""
    if not secret:
        raise BillingEventRefused("billing webhooks are not configured")
    if not header or not header.strip():
        raise BillingEventRefused("missing Stripe-Signature header")
    timestamp, candidates = _parse_header(header)
    if timestamp is None or not candidates:
        raise BillingEventRefused("malformed Stripe-Signature header")
    expected = signature(secret, timestamp, body).encode("ascii")
    # Every candidate is compared (no early exit), each in constant time.
    matched = [hmac.compare_digest(expected, candidate.encode("utf-8")) for candidate in candidates]
    if not any(matched):
        raise BillingEventRefused("no signature matches the body")
    if timestamp < now - TOLERANCE_SECONDS:
        raise BillingEventRefused("the signature's timestamp is too old")


@dataclass(frozen=True)
class BillingNotice:
    """A verified event as mailbot reads it: a renewal of ``email`` to ``paid_until``, or nothing to act on."""

    event_id: str
    type: str
    email: str | None = None
    paid_until: date | None = None
    ignored: str | None = None  # why no renewal is read from it (another type, no customer address)


def _malformed(why: str) -> BillingEventRefused:
    return BillingEventRefused(f"malformed event: {why}")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not an object")
    return value


def _email(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.count("@") != 1 or any(c.isspace() for c in value) or len(value) > 254:
        raise _malformed(f"{what} is not an address")
    return value.strip().lower()


def parse_event(body: bytes) -> BillingNotice:
    """The event in a verified body; ``BillingEventRefused`` when it is not one."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise _malformed("the body is not JSON") from None
    event = _object(data, "the body")
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > MAX_EVENT_ID:
        raise _malformed("no event id")
    if not isinstance(kind, str) or not kind.strip():
        raise _malformed("no event type")
    if kind == INVOICE_PAID:
        return _invoice_paid(event_id, event)
    if kind == ACCOUNT_RENEWED:
        return _account_renewed(event_id, event)
    return BillingNotice(event_id, kind[:100], ignored=f"event type {kind[:100]} is not a renewal")


def _invoice_paid(event_id: str, event: dict[str, Any]) -> BillingNotice:
    invoice = _object(_object(event.get("data"), "data").get("object"), "data.object")
    email = _email(invoice.get("customer_email"), "customer_email")
    lines = _object(invoice.get("lines"), "lines").get("data")
    if not isinstance(lines, list):
        raise _malformed("lines.data is not a list")
    ends: list[int] = []
    for line in lines:
        end = _object(_object(line, "a line").get("period"), "a line's period").get("end")
        if not isinstance(end, int) or isinstance(end, bool) or not 0 < end < 253402300800:
            raise _malformed("a line's period.end is not a unix time")
        ends.append(end)
    if email is None:
        return BillingNotice(event_id, INVOICE_PAID, ignored="the invoice has no customer_email")
    if not ends:
        return BillingNotice(event_id, INVOICE_PAID, email=email, ignored="the invoice has no lines")
    paid_until = datetime.fromtimestamp(max(ends), tz=UTC).date()
    return BillingNotice(event_id, INVOICE_PAID, email=email, paid_until=paid_until)


def _account_renewed(event_id: str, event: dict[str, Any]) -> BillingNotice:
    email = _email(event.get("email"), "email")
    if email is None:
        raise _malformed("no email")
    paid = event.get("paid_until")
    try:
        paid_until = date.fromisoformat(paid) if isinstance(paid, str) and len(paid) == 10 else None
    except ValueError:
        paid_until = None
    if paid_until is None:
        raise _malformed("paid_until is not an ISO date")
    return BillingNotice(event_id, ACCOUNT_RENEWED, email=email, paid_until=paid_until)
