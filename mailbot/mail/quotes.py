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

# Something that dates or addresses an attribution line: a digit (date, time) or an address.
_DATED = r"(?=.*(?:\d|@))"

# A reply header ends the customer's text; everything after it is history.
_REPLY_HEADERS = [
    # Gmail/Apple/Thunderbird EN: "On Tue, Jun 10, 2025 at 4:41 PM X <x@y> wrote:"; some
    # clients drop the colon, Zoho and Android frame it: "---- On … wrote ----"
    re.compile(rf"^\s*(?:-{{2,}}\s*)?On\b{_DATED}.{{0,300}}?\bwrote:?\s*(?:-{{2,}})?\s*$", re.I | re.S),
    # DE: "Am Di., 10. Juni 2025 um 16:41 Uhr schrieb X <x@y>:", "Am 02.06.25 um 09:14 schrieb X:"
    re.compile(rf"^\s*(?:-{{2,}}\s*)?Am\b{_DATED}.{{0,300}}?\bschrieb\b.{{0,200}}?:?\s*(?:-{{2,}})?\s*$", re.I | re.S),
    # Without "On"/"Am": "Max Kollege <max@x> schrieb am Mo., 1. Juni 2026 um 10:00 Uhr:",
    # "Name <addr> schrieb:", "Name <addr> wrote:", "x@y wrote:"
    re.compile(r"^\s*[^\n]{0,120}?\S+@\S+?>?\)?\s+(?:schrieb|wrote|a écrit)\b.{0,160}:\s*$", re.I | re.S),
    # old Gmail: "2014-03-20 8:48 GMT+01:00 Name <addr>:"
    re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2}\b.{0,200}@.{0,200}:\s*$", re.S),
    re.compile(r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Original-Nachricht)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule line above the From: block
]

# A device or app line ("Sent from my iPhone", "Von meinem Samsung Galaxy gesendet",
# "Sent from Outlook Mobile", "Gesendet mit der WEB.DE Mail App"): short, the whole
# line, and naming a device or mail app, so "Sent from my desk, it is easier" stays.
_DEVICE_LINE = re.compile(
    r"^\s*(?:(?:sent|gesendet|get|envoyé)\s+(?:from|von|with|mit|via|using|de)\b|"
    r"von\s+mein\w*\b|diese nachricht wurde\b|outlook für\b)[^,;!?]{0,80}$",
    re.I,
)
_DEVICE_WORD = re.compile(
    r"\b(i?phone|ipad|android|samsung|galaxy|mobile\w*|mobil\w*|handy|smartphone|tablet|outlook|"
    r"mail|yahoo|gmx|web\.?de|t-online|freenet|proton\w*|huawei|xiaomi|pixel|blackberry|"
    r"windows|telefon|phone|app|superhuman|spark|bluemail|aol|zoho|icloud|mac|ios)\b",
    re.I,
)


def _is_device_line(line: str) -> bool:
    return bool(_DEVICE_LINE.match(line)) and len(line.split()) <= 12 and bool(_DEVICE_WORD.search(line))


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
# Every marker above starts like one of these or names the verb; other lines skip the
# detailed checks. (Two patterns: the start is matched at the line's start only, and the
# verb is looked for only in a text that has one.)
_CANDIDATE_START = re.compile(
    r"[\s>]*(\*?(on|am|from|von|de|sent|gesendet|get|outlook|begin|anfang|date|datum|diese|envoyé)\b"
    r"|-{2,}|_{10,}|\d{4}-\d\d-\d\d)",
    re.I,
)
_CANDIDATE_VERB = re.compile(r"\b(schrieb|wrote|a écrit)\b", re.I)
# Text each verb holds in any case, found in the lower-cased text: none of these letters has
# a case form that lower() maps elsewhere (unlike i and s), so no text with a verb is missed.
_VERB_TEXT = ("chr", "wrote", " écr")
# What a line that _CANDIDATE_START matches starts with after white space and ">": the first
# letter of one of its words in either case (re.I also takes "ſ" for "s"), "*", "-", "_",
# or a decimal digit. Checked first, it spares the pattern almost every line.
_MARKER_FIRST = frozenset("oafvdsgbeOAFVDSGBEſ*-_")


def _marker_candidate(line: str, verbs: bool) -> bool:
    """Whether the line may be one of the markers above (``verbs``: the text has a verb)."""
    rest = line.lstrip()
    while rest.startswith(">"):
        rest = rest[1:].lstrip()
    first = rest[:1]
    if (first in _MARKER_FIRST or first.isdecimal()) and _CANDIDATE_START.match(line):
        return True
    return verbs and _CANDIDATE_VERB.search(line) is not None


_SIGNATURE = re.compile(r"^(-- ?|--\u00a0)$")
_QUOTED = re.compile(r"^\s*>")


@dataclass(frozen=True)
class OwnText:
    own: str  # what the customer wrote now (plus anything they deliberately forwarded)
    quoted: str  # history and signature, for the agent to unfold
    uncertain: bool = False  # the rules found nothing of the customer's own: all text kept
    # Offset in ``own`` where a deliberately forwarded message begins: its "I" and "my"
    # are its author's, not the sender's (roles depend on who wrote a sentence).
    forwarded_at: int | None = None


# Only attributions that start like these are joined across wrapped lines; a name
# form ("Max <max@x> wrote:") is joined only when the line break is inside the <…>.
_WRAPPED_START = re.compile(r"^\s*(?:-{2,}\s*)?(?:on|am)\s|^\s*\d{4}-\d\d-\d\d\s|^[^<>]*<[^<>]*$", re.I)


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
        if any(rx.match(joined) for rx in _REPLY_HEADERS) and (span == 1 or _WRAPPED_START.match(lines[i])):
            return span
    if _is_device_line(lines[i]):
        return 1
    return 0


def _outlook_block_at(lines: list[str], i: int) -> tuple[bool, bool]:
    """(is a From:/Sent: header block, is it a forward) for a block starting at line i.

    Outlook starts it with "From:/Von:", new Outlook and Samsung sometimes with
    "Date:", web.de/GMX with "Gesendet:" and then "Von:": the block is a From line
    and a Sent/Date line within a few lines of each other, whichever comes first.
    """
    first = lines[i]
    starts_from = bool(_BLOCK_FROM.match(first))
    if not (starts_from or _BLOCK_SENT.match(first)):
        return False, False
    window = lines[i + 1 : i + 7]
    other = _BLOCK_SENT if starts_from else _BLOCK_FROM
    if not any(other.match(line) for line in window):
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
    forward_line: int | None = None  # index in ``own`` of the forwarded message's first line
    lowered = text.lower()
    verbs = any(verb in lowered for verb in _VERB_TEXT)
    while i < len(lines):
        line = lines[i]
        if not _marker_candidate(line, verbs):
            if in_signature or line.lstrip().startswith(">"):  # _QUOTED, without the pattern
                quoted.append(line)
            else:
                own.append(line)
            i += 1
            continue
        is_block, is_forward = _outlook_block_at(lines, i)
        if _FORWARD.match(_unquote(line)) or (is_block and (is_forward or forward_subject)):
            # Everything from here on is what the customer chose to send us.
            forward_line = len(own)
            own.extend(_unquote(rest) for rest in lines[i:])
            break
        header = _reply_header_at(lines, i)
        if header and _quote_follows(lines, i + header):
            # A ">"-quote is history line by line: what follows it unquoted is the
            # customer's answer below the quote ("Hi," / "On … wrote:" / quote / answer).
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
    joined = "\n".join(own)
    own_text = joined.strip()
    if not own_text:
        return OwnText(own=text.strip(), quoted="", uncertain=bool(text.strip()))
    forwarded_at = None
    if forward_line is not None:
        lead = len(joined) - len(joined.lstrip())
        forwarded_at = max(0, sum(len(line) + 1 for line in own[:forward_line]) - lead)
    return OwnText(own=own_text, quoted="\n".join(quoted).strip(), forwarded_at=forwarded_at)
