"""Separate the customer's own new text from quoted history and their signature.

A small table of German and English client markers, tested on real formats
(Gmail, Outlook classic and new, Apple Mail, Thunderbird, iOS, ``>`` quoting).
Deliberately forwarded mail is part of the customer's message and is kept.
When the rules would leave nothing, we fail open: the whole text is kept and
``uncertain`` tells the agent so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DAY = r"(?:\w{2,10}\.?,?\s+)?"

# A reply header ends the customer's text; everything after it is history.
_REPLY_HEADERS = [
    # Gmail/Apple/Thunderbird EN: "On Tue, Jun 10, 2025 at 4:41 PM X <x@y> wrote:"
    re.compile(r"^\s*On\b.{0,300}?\bwrote:\s*$", re.I | re.S),
    # DE: "Am Di., 10. Juni 2025 um 16:41 Uhr schrieb X <x@y>:", "Am 02.06.25 um 09:14 schrieb X:"
    re.compile(r"^\s*Am\b.{0,300}?\bschrieb\b.{0,200}?:\s*$", re.I | re.S),
    # Apple Mail EN variant "On 2 Jun 2025, at 09:14, X <x@y> wrote:" is covered above.
    re.compile(r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Original-Nachricht)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule line above the From: block
    re.compile(
        r"^\s*(Sent from my \w+|Von meinem \w+ gesendet|Gesendet von meinem \w+|"
        r"Get Outlook for \w+|Outlook für \w+ beziehen|Gesendet von Outlook für \w+)\b.*$",
        re.I,
    ),
]

# Outlook's header block: "Von:/From:" followed within a few lines by "Gesendet:/Sent:/Date:".
_BLOCK_FROM = re.compile(r"^\s*\*?(From|Von|De)\s*:\*?\s*\S", re.I)
_BLOCK_SENT = re.compile(r"^\s*\*?(Sent|Gesendet|Date|Datum|Envoyé)\s*:\*?\s*\S", re.I)
_BLOCK_SUBJECT = re.compile(r"^\s*\*?(Subject|Betreff)\s*:\*?\s*(.*)$", re.I)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|wg|fw)\s*:", re.I)

# Deliberate forwards: what follows is part of the customer's message.
_FORWARD = re.compile(
    r"^\s*(-{3,}\s*(Forwarded message|Weitergeleitete Nachricht|Forwarded Message)\s*-{3,}"
    r"|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:"
    r"|-{3,}\s*Original-Nachricht\s*-{3,}\s*weitergeleitet)\s*$",
    re.I,
)
# Every marker above starts with one of these; other lines skip the detailed checks.
_CANDIDATE = re.compile(r"^[\s>]*(\*?(on|am|from|von|de|sent|gesendet|get|outlook|begin|anfang)\b|-{2,}|_{10,})", re.I)
_SIGNATURE = re.compile(r"^(-- ?|--\u00a0)$")
_QUOTED = re.compile(r"^\s*>")


@dataclass(frozen=True)
class OwnText:
    own: str  # what the customer wrote now (plus anything they deliberately forwarded)
    quoted: str  # history and signature, for the agent to unfold
    uncertain: bool = False  # the rules found nothing of the customer's own: all text kept


def _reply_header_at(lines: list[str], i: int) -> int:
    """Number of lines of a reply header starting at line i (0 if none).

    Clients wrap long "On … wrote:" lines, so up to three lines are joined.
    """
    for span in (1, 2, 3):
        if i + span > len(lines):
            break
        if span > 1 and not lines[i + span - 1].strip():
            break
        joined = " ".join(line.strip() for line in lines[i : i + span])
        if any(rx.match(joined) for rx in _REPLY_HEADERS) and (
            span == 1 or lines[i].lstrip().lower().startswith(("on ", "am "))
        ):
            return span
    return 0


def _outlook_block_at(lines: list[str], i: int) -> tuple[bool, bool]:
    """(is a From:/Sent: header block, is it a forward) for a block starting at line i."""
    if not _BLOCK_FROM.match(lines[i]):
        return False, False
    window = lines[i + 1 : i + 7]
    if not any(_BLOCK_SENT.match(line) for line in window):
        return False, False
    for line in window:
        subject = _BLOCK_SUBJECT.match(line)
        if subject and _FORWARD_SUBJECT.match(subject.group(2)):
            return True, True
    return True, False


def _quote_follows(lines: list[str], i: int) -> bool:
    """The next non-blank line is ``>``-quoted."""
    return next((bool(_QUOTED.match(line)) for line in lines[i:] if line.strip()), False)


def _unquote(line: str) -> str:
    return re.sub(r"^(\s*>)+ ?", "", line)


def strip_quoted_history(text: str, *, subject: str = "") -> OwnText:
    """Split ``text`` into the customer's own part and the quoted rest."""
    lines = text.split("\n")
    own: list[str] = []
    quoted: list[str] = []
    in_signature = False
    i = 0
    forward_subject = bool(_FORWARD_SUBJECT.match(subject))
    while i < len(lines):
        line = lines[i]
        if not _CANDIDATE.match(line):
            if in_signature or _QUOTED.match(line):
                quoted.append(line)
            else:
                own.append(line)
            i += 1
            continue
        if _FORWARD.match(_unquote(line)):
            # Everything from here on is what the customer chose to send us.
            own.extend(_unquote(rest) for rest in lines[i:])
            break
        is_block, is_forward = _outlook_block_at(lines, i)
        if is_block and (is_forward or forward_subject):
            own.extend(_unquote(rest) for rest in lines[i:])
            break
        header = _reply_header_at(lines, i)
        if header and not any(line.strip() for line in own) and _quote_follows(lines, i + header):
            # Bottom-posting: "On … wrote:" and the quote come first, the answer below.
            quoted.extend(lines[i : i + header])
            i += header
            continue
        if is_block or header:
            quoted.extend(lines[i:])
            break
        if _SIGNATURE.match(line.rstrip("\r")):
            in_signature = True
        if in_signature or _QUOTED.match(line):
            quoted.append(line)
        else:
            own.append(line)
        i += 1
    own_text = "\n".join(own).strip()
    if not own_text:
        return OwnText(own=text.strip(), quoted="", uncertain=bool(text.strip()))
    return OwnText(own=own_text, quoted="\n".join(quoted).strip())
