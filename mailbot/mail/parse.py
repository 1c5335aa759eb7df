"""Raw bytes → ``Mail``: the headers triage needs and the customer's text.

We parse with ``compat32`` and decode only what triage reads: the default policy
builds rich header objects lazily and is several times slower (and quadratic on
pathological address lists). Nothing here raises on bad input; problems are
collected in ``Mail.defects`` and, when the text cannot be read at all, in
``Mail.unreadable``.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator, KeysView
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses
from functools import cached_property

from mailbot.mail.html_text import html_to_text

MAX_HEADER_CHARS = 8_000  # a longer header is cut: real ones are far shorter
MAX_TEXT_CHARS = 200_000  # the customer's request is near the top; the rest is history
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_MSGID = re.compile(r"<[^<>\s]+>")
_SIMPLE_FROM = re.compile(
    r'^\s*(?:(?:"([^"\\]*)"|([^"<>,;:@()\\]*?))\s*<([^<>\s@,;:"()]+@[^<>\s@,;:"()]+)>|([^<>\s@,;:"()]+@[^<>\s@,;:"()]+))\s*$'
)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Mail:
    raw_sha256: str
    message_id: str | None
    subject: str
    sender: str | None  # From's address, lower-case; None unless exactly one mailbox
    sender_name: str
    reply_to: str | None
    date: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]  # (lower-case name, unfolded raw value), in order
    text: str  # the body as text (text/plain, else converted HTML)
    text_source: str  # plain | html | none
    is_delivery_report: bool
    defects: tuple[str, ...] = ()
    unreadable: str | None = None  # why no text could be read: the mail needs a human

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        # Triage asks for some thirty headers per mail; one pass over them beats thirty.
        index: dict[str, list[str]] = {}
        for name, value in self.headers:
            index.setdefault(name, []).append(value)
        return index

    @property
    def header_names(self) -> KeysView[str]:
        """The lower-case names of the headers the mail has."""
        return self._by_name.keys()

    def header(self, name: str) -> str | None:
        values = self._by_name.get(name.lower())
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        return list(self._by_name.get(name.lower(), ()))

    @property
    def dedup_key(self) -> str:
        return self.message_id or f"sha256:{self.raw_sha256}"


def decode_words(value: str) -> str:
    """RFC 2047 decoding that never raises: unknown charsets fall back like bodies do."""
    if "=?" not in value:
        return " ".join(value.split())  # = re.sub(r"\s+", " ", value).strip(), in C
    try:
        parts = decode_header(value)
    except Exception:  # email.errors.HeaderParseError and friends on garbage
        return " ".join(value.split())  # = re.sub(r"\s+", " ", value).strip(), in C
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode_bytes(chunk, charset)[0])
    # decode_header drops the space between an encoded word and plain text
    return " ".join("".join(out).split())


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Declared charset, then UTF-8, then cp1252 with replacement; returns (text, defect)."""
    declared = (charset or "").strip().strip('"').lower()
    defect = None
    if declared and declared not in ("unknown-8bit", "x-unknown", "us-ascii", "ascii"):
        try:
            codecs.lookup(declared)
        except (LookupError, ValueError):  # ValueError: a NUL in the name
            defect = f"unknown charset {declared!r}"
        else:
            try:
                return data.decode(declared), None
            except UnicodeDecodeError:
                defect = f"text is not valid {declared}"
    elif declared in ("unknown-8bit", "x-unknown"):
        defect = f"charset {declared}"
    try:
        return data.decode("utf-8"), defect
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), defect


def _unfold(value: str) -> str:
    return value.replace("\r", "").replace("\n", "")


def _undo_8bit_escapes(value: str) -> str:
    """Raw 8-bit header bytes (clients that skip RFC 2047) arrive surrogate-escaped:
    read them as UTF-8, else cp1252, like bodies without a charset."""
    if value.isascii() or not _ESCAPED_BYTE.search(value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), None)[0]


def _header_pairs(msg: Message) -> tuple[tuple[str, str], ...]:
    pairs = []
    for name, value in msg.raw_items():
        # compat32 may hand back Header objects, whatever the stubs say; str() of a str is itself.
        text = str(value)
        pairs.append((name.lower(), _undo_8bit_escapes(_unfold(text)[:MAX_HEADER_CHARS])))
    return tuple(pairs)


def _single_address(value: str | None) -> tuple[str | None, str, str | None]:
    """(address, display name, defect) — exactly one mailbox or no address."""
    if not value:
        return None, "", "no From address"
    simple = _SIMPLE_FROM.match(value)
    if simple:  # "Name <a@b>", "\"Name\" <a@b>", "a@b": the usual forms, without the full parser
        name = simple.group(1) if simple.group(1) is not None else (simple.group(2) or "")
        return (simple.group(3) or simple.group(4)).lower(), decode_words(name), None
    found = [(n, a) for n, a in getaddresses([value]) if a]
    if len(found) != 1 or "@" not in found[0][1]:
        return None, "", f"From must hold exactly one address, found {len(found)}"
    name, addr = found[0]
    return addr.strip().lower(), decode_words(name), None


def _first_msgid(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSGID.search(value)
    return match.group(0) if match else None


def _is_attachment(part: Message) -> bool:
    # compat32 hands back a Header object, not a str, when the value holds raw 8-bit
    # bytes (filename="März.pdf" as German clients write it): str() reads both.
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment"


_REPORT_TYPES = frozenset(
    {"multipart/report", "message/delivery-status", "message/feedback-report", "message/disposition-notification"}
)


def _outer_parts(msg: Message) -> Iterator[Message]:
    """The message and its parts three levels down, breadth first, not inside attached
    mail: how deep real gateways nest reports (multipart/mixed around the report)."""
    level = [msg]
    for _depth in range(3):
        yield from level
        level = [
            p
            for part in level
            if part.is_multipart() and part.get_content_type() != "message/rfc822"  # a leaf has no parts
            for p in _subparts(part)
        ]


def _is_machine_report(msg: Message) -> bool:
    """A delivery-status, feedback (ARF) or read-receipt report, also one wrapped in a multipart."""
    return any(part.get_content_type() in _REPORT_TYPES for part in _outer_parts(msg))


def _subparts(part: Message) -> list[Message]:
    if not part.is_multipart():  # get_payload() of a leaf decodes it, and may raise on odd charsets
        return []
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _body_parts(msg: Message) -> tuple[Message | None, Message | None]:
    """The first inline text/plain and text/html parts (not attachments, not attached mail)."""
    plain = html = None
    stack = [msg]
    while stack:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if part.is_multipart():
            if ctype == "message/rfc822":
                continue
            stack[0:0] = _subparts(part)
            continue
        if _is_attachment(part):
            continue
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    return plain, html


_MAILTO = re.compile(rb"""mailto:([^"'?>\s]+)""", re.I)


def _links_missing_from(plain: str, html: Message) -> bool:
    """The HTML alternative links an address the plain part dropped ("Theo's account").

    Some clients write only the link text into text/plain; the address then exists
    only as the HTML's mailto: target, and the HTML is the better text to read.
    """
    payload = html.get_payload(decode=True)
    if not isinstance(payload, bytes) or b"mailto:" not in payload.lower():
        return False
    lowered = plain.lower()
    return any(m.decode("ascii", "replace").lower() not in lowered for m in _MAILTO.findall(payload))


def _part_text(part: Message) -> tuple[str, str | None]:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if not isinstance(payload, bytes):
        payload = str(payload).encode("utf-8", "replace")
    return decode_bytes(payload, part.get_content_charset())


_LONE_CR = re.compile(rb"\r(?!\n)")


def _lf_line_endings(raw: bytes) -> bytes:
    """Mail saved with CR-only line endings (old Mac tools) reads as one header line
    without this: the parser splits on LF. Only when the head has no LF at all."""
    head = raw[:4096]
    if b"\r" in head and b"\n" not in head:
        return _LONE_CR.sub(b"\n", raw)
    return raw


def _attached_message(msg: Message) -> Message | None:
    """The first attached message (message/rfc822), breadth first."""
    for part in _outer_parts(msg):
        if part.get_content_type() == "message/rfc822":
            inner = _subparts(part)
            return inner[0] if inner else None
    return None


def _body_text(msg: Message) -> tuple[str, str, str | None]:
    """(text, plain | html | none, charset defect): text/plain, else the HTML as text."""
    plain, html = _body_parts(msg)
    text, source, defect = "", "none", None
    if plain is not None:
        text, defect = _part_text(plain)
        source = "plain"
    if html is not None and (not text.strip() or _links_missing_from(text, html)):
        html_source, html_defect = _part_text(html)
        text, source, defect = html_to_text(html_source), "html", html_defect or defect
    return text, source, defect


def parse_mail(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Mail:
    """Parse raw bytes into a ``Mail``; never raises on malformed input."""
    digest = hashlib.sha256(raw).hexdigest()
    defects: list[str] = []
    raw = _lf_line_endings(raw)
    unreadable = None
    if len(raw) > max_bytes:
        size = len(raw)
        # Keep the headers (for records and machine-mail checks) but not the body.
        head_end = raw.find(b"\r\n\r\n")
        if head_end < 0:
            head_end = raw.find(b"\n\n")
        raw = raw[: head_end if 0 <= head_end < max_bytes else min(len(raw), 65_536)]
        unreadable = f"message is {size:,} bytes, over the {max_bytes:,}-byte limit"
    msg = message_from_bytes(raw, policy=compat32)
    defects.extend(type(d).__name__ for d in msg.defects)
    headers = _header_pairs(msg)
    firsts: dict[str, str] = {}  # each name's first value
    for name, value in headers:
        firsts.setdefault(name, value)
    first = firsts.get

    sender, sender_name, from_defect = _single_address(first("from"))
    if from_defect:
        defects.append(from_defect)
    if sum(1 for n, _v in headers if n == "from") > 1:
        defects.append("more than one From header")
    reply_to = None
    if first("reply-to"):
        found = [a for _n, a in getaddresses([first("reply-to") or ""]) if "@" in a]
        reply_to = found[0].strip().lower() if found else None
    references = tuple(_MSGID.findall(first("references") or ""))

    text, source = "", "none"
    if unreadable is None:
        try:
            text, source, defect = _body_text(msg)
            if source == "none" or not text.strip():
                # Only an attached message ("forward as attachment"): read through it.
                inner = _attached_message(msg)
                attached = _body_text(inner) if inner is not None else ("", "none", None)
                if attached[0].strip():
                    text, source, defect = attached
            if source == "none":
                unreadable = "no text part"
            if defect:
                defects.append(defect)
        except Exception as exc:  # malformed MIME must not stop a poll
            unreadable = f"body cannot be decoded ({exc.__class__.__name__})"
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        defects.append("text cut to the first 200,000 characters")

    return Mail(
        raw_sha256=digest,
        message_id=_first_msgid(first("message-id")),
        subject=decode_words(first("subject") or ""),
        sender=sender,
        sender_name=sender_name,
        reply_to=reply_to,
        date=first("date"),
        in_reply_to=_first_msgid(first("in-reply-to")),
        references=references,
        headers=headers,
        text=text.replace("\r\n", "\n").replace("\r", "\n"),
        text_source=source,
        is_delivery_report=_is_machine_report(msg),
        defects=tuple(defects),
        unreadable=unreadable,
    )
