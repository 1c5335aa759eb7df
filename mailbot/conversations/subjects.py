"""Subjects as conversations compare and write them: without reply prefixes, with our tag once.

Customers' clients prefix ``Re:``/``Fwd:``, German ones ``AW:``/``WG:``, some
``Antw:``, ``SV:`` or ``Re[2]:``; our replies end in ``[#<conversation id>]``.
Comparing or re-using a subject with any of these in it would stack them
(``Re: AW: Re: …``), so every place that compares or writes a subject goes through here.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|antwort|wg|fwd?|fw|sv|vs|tr|wtr|rif|r)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+", re.I
)
_TAG = re.compile(r"\s*\[#(\d{1,18})\]")
_SPACE = re.compile(r"\s+")
#: The subject of a reply to a mail that had none.
NO_SUBJECT = "Ihre Anfrage / your request"


def has_reply_prefix(subject: str) -> bool:
    """Whether the subject is a reply's or forward's (``Re:``, ``AW:``, ``Fwd:``, ``WG:`` …)."""
    return bool(_PREFIX.match(subject or ""))


def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and without our ``[#id]`` tag."""
    text = _TAG.sub("", subject or "")
    previous = None
    while previous != text:  # "Re: [#12] AW: x": prefixes may stand on both sides of a tag
        previous = text
        text = _PREFIX.sub("", text)
    return _SPACE.sub(" ", text).strip()


def subject_tag(subject: str) -> int | None:
    """The conversation id of the last ``[#id]`` tag in the subject (join rule 2), or None."""
    found = _TAG.findall(subject or "")
    return int(found[-1]) if found else None


def tagged_subject(subject: str, *, conversation_id: int | None, tag: bool = True) -> str:
    """The subject with our ``[#<id>]`` at its end, once (none without an id, or with ``tag`` off)."""
    text = _SPACE.sub(" ", _TAG.sub("", subject or "")).strip()
    if tag and conversation_id is not None:
        text += f" [#{conversation_id}]"
    return text


def reply_subject(subject: str, *, conversation_id: int | None = None, tag: bool = True) -> str:
    """``Re: <subject> [#<id>]``: one ``Re:``, one tag (none without an id, or with ``tag`` off)."""
    return tagged_subject(f"Re: {base_subject(subject) or NO_SUBJECT}", conversation_id=conversation_id, tag=tag)
