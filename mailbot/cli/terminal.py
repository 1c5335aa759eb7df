"""Mail-derived text made safe for the agent's terminal: the one place that does it.

A customer controls the subject, the display name, the body, header values and
the addresses. Written raw, their control characters are commands to the
terminal — ESC sequences that clear the screen or set the window title, OSC 8
hyperlinks, C1 controls (U+0080–U+009F, which some terminals read as ESC [),
carriage returns that overwrite a line, bidi overrides that reorder it — and
their ``[red]…[/]`` is Rich markup. ``shown`` turns every such character into a
visible escape (``\\x1b``) and returns a Rich ``Text``, which is never parsed as
markup; ``json_line`` escapes the characters JSON leaves raw. Every CLI output
of mail-derived values goes through one of the two.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.text import Text

# C0 except tab and newline, DEL, C1; line/paragraph separators; bidi marks, embeddings,
# overrides and isolates (they reorder what the agent reads).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object, *, one_line: bool = False) -> str:
    """``value`` as text with every terminal control character shown as an escape."""
    text = "" if value is None else str(value)
    return (_UNSAFE_IN_LINE if one_line else _UNSAFE).sub(_visible, text)


def shown(value: object, style: str = "", *, one_line: bool = False) -> Text:
    """Mail-derived ``value`` for Rich output: controls visible, markup inert."""
    return Text(clean(value, one_line=one_line), style=style)


def labelled(label: str, value: object, style: str = "") -> Text:
    """One ``label: value`` line of ``drafts show`` or ``conversations show``; the value is mail-derived."""
    return Text(f"{label:>14}: ", style="bold") + shown(value, style, one_line=True)


def json_line(obj: dict[str, Any]) -> str:
    """One JSON Lines record. ``json.dumps`` escapes C0 controls but, with
    ``ensure_ascii=False``, leaves DEL, C1 and bidi controls raw: escape those too."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
