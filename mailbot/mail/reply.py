"""Build the outgoing reply to a customer as an ``EmailMessage``.

The message is built under ``email.policy.default``, which refuses a header value
containing CR or LF; we also check every caller-supplied header value ourselves
first, because an ``Address`` object would otherwise reach the header factory
without that check. Either way a customer who writes ``Subject: x\\r\\nBcc: ...``
cannot make us send mail to a third party.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid

# A References header may grow with every round trip; RFC 5322 §3.6.4 allows
# trimming. Keep the thread root and the most recent ancestors.
MAX_REFERENCES = 20

_MSG_ID = re.compile(r"<[^<>\s]+>")
_MSG_ID_HEADERS = frozenset({"message-id", "in-reply-to", "references"})


class ReplyPolicy(EmailPolicy):
    """``policy.default``, except that message ids are folded one per line.

    The default policy treats In-Reply-To and References as unstructured text and
    RFC 2047-encodes any id too long for a 78-character line (``=?utf-8?q?=3C...``);
    the customer's client then cannot thread the reply. aiosmtplib would re-fold
    with ``policy.SMTP`` too, which is why we flatten the bytes ourselves.
    """

    def fold(self, name: str, value: str) -> str:
        return self._fold_ids(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = self._fold_ids(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)

    def _fold_ids(self, name: str, value: str) -> str | None:
        if name.lower() not in _MSG_ID_HEADERS:
            return None
        ids = message_ids(str(value))
        if not ids or " ".join(ids) != " ".join(str(value).split()):
            return None  # not a plain list of ids: let the default policy decide
        return f"{name}: " + (self.linesep + " ").join(ids) + self.linesep


# Every reply is built, stored, parsed back and sent with this policy, so the
# stored bytes and the bytes on the wire agree.
REPLY_POLICY = ReplyPolicy()


def _single_line(name: str, value: str) -> str:
    """Reject line breaks: they would let a value start a header of its own."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{name}: header value contains a line break")
    return value


def message_ids(text: str | None) -> list[str]:
    """The ``<id@domain>`` tokens of an In-Reply-To / References value, in order.

    Non-ASCII ids are dropped: the default policy would RFC 2047-encode them and
    the customer's client could no longer match them.
    """
    if not text:
        return []
    return [token for token in _MSG_ID.findall(text) if token.isascii()]


def thread_references(*, references: str | None, in_reply_to: str | None) -> list[str]:
    """The customer's References plus their own Message-ID, without repeats, trimmed."""
    ids: list[str] = []
    for token in [*message_ids(references), *message_ids(in_reply_to)]:
        if token not in ids:
            ids.append(token)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


def new_message_id(*, domain: str) -> str:
    """Our own Message-ID; the random token makes it unguessable, so nobody can
    forge a mail that claims to answer one of ours."""
    return make_msgid(idstring=secrets.token_hex(16), domain=domain)


def build_reply(
    *,
    draft_to: str,
    subject: str,
    body: str,
    html: str | None = None,
    in_reply_to: str | None,
    references: str | None,
    support_address: str,
    support_name: str,
    message_id_domain: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """The reply an agent approved: plain text (plus HTML alternative), threaded.

    ``in_reply_to`` is the customer's Message-ID and ``references`` their
    References header; the reply's References is theirs plus their Message-ID.
    No ``Auto-Submitted`` header: a human approved this mail, and marking it
    automatic would make the customer's auto-responders and filters treat it as
    machine mail.
    """
    for name, value in (
        ("To", draft_to),
        ("Subject", subject),
        ("From", support_address),
        ("From (name)", support_name),
        ("In-Reply-To", in_reply_to or ""),
        ("References", references or ""),
        ("Message-ID domain", message_id_domain or ""),
    ):
        _single_line(name, value)
    local, _, domain = support_address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"support address {support_address!r} is not an email address")

    message = EmailMessage(policy=REPLY_POLICY)
    message["From"] = Address(display_name=support_name, addr_spec=support_address)
    message["To"] = draft_to
    if not envelope_recipients(message):
        raise ValueError(f"To: no recipient address in {draft_to!r}")
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = new_message_id(domain=message_id_domain or domain)
    parent = message_ids(in_reply_to)
    if parent:
        message["In-Reply-To"] = parent[-1]
    thread = thread_references(references=references, in_reply_to=in_reply_to)
    if thread:
        message["References"] = " ".join(thread)
    message["X-Mailer"] = "mailbot"
    # Quoted-printable keeps the body 7-bit: it passes servers without 8BITMIME
    # and survives any relay, while umlauts stay readable in the raw source.
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def envelope_recipients(message: EmailMessage) -> list[str]:
    """The addresses in To and Cc, once each, as the SMTP envelope needs them.

    The case is kept: a local part may be case-sensitive on the customer's server.
    """
    recipients: list[str] = []
    seen: set[str] = set()
    for name in ("To", "Cc"):
        header = message.get(name)
        if header is None:
            continue
        for address in header.addresses:
            if address.addr_spec and address.addr_spec.lower() not in seen:
                seen.add(address.addr_spec.lower())
                recipients.append(address.addr_spec)
    return recipients


def envelope_sender(message: EmailMessage) -> str:
    """The From address, used as MAIL FROM (bounces come back to support)."""
    header = message.get("From")
    if header is None or len(header.addresses) != 1:
        raise ValueError("reply must have exactly one From address")
    return header.addresses[0].addr_spec


def reply_bytes(message: EmailMessage, *, linesep: str = "\n") -> bytes:
    """The message as stored in the outbox (``\n``) or sent over SMTP (``\r\n``)."""
    return message.as_bytes(policy=REPLY_POLICY.clone(linesep=linesep))


def parse_reply(raw: bytes) -> EmailMessage:
    """A stored reply read back; serialising it again gives the same bytes."""
    message = BytesParser(policy=REPLY_POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message
