"""HTML → plain text for HTML-only mail, keeping what triage needs.

Blocks become lines (so ``anna@kunde.de<br>Zweite`` never glues into one
address), ``mailto:`` targets are kept beside their link text, and quoted HTML
(``<blockquote>``) becomes ``> `` lines so the same quote rules apply as for
plain text. A table row of one-line cells stays one line, ``Hauptkonto | boss@x``,
and cells under a heading row carry their heading, ``Team member: anna@x``: a
label and the address it names must stay in one sentence. Built on the stdlib
parser: it is lenient and needs no dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote

_BLOCK = frozenset(
    "address article aside blockquote br center dd div dl dt fieldset figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead "
    "tr ul".split()
)
_SKIP = frozenset({"head", "style", "script", "title", "template", "noscript"})
_SPACES = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")
_CELL = frozenset({"td", "th"})
_HEADING_WORDS = 4  # a heading cell is a short label ("Main account"), not a sentence


@dataclass
class _Table:
    """The open table: where its current row and cell began in the builder's lines."""

    rows: int = 0
    heading: list[str] | None = None
    row_start: int = 0
    in_row: bool = False
    cell_start: int = 0
    cell_th: bool = False
    in_cell: bool = False
    cells: list[tuple[str | None, bool]] = field(default_factory=list)  # (text, is th); None: several lines


def _is_heading(cells: list[tuple[str | None, bool]], first_row: bool) -> bool:
    """A row of <th>, or a first row of short labels without an address ("Team member | Main account")."""
    if all(is_th for _text, is_th in cells):
        return True
    texts = [text or "" for text, _is_th in cells]
    return (
        first_row
        and len(texts) > 1
        and all(texts)
        and all("@" not in t and len(t.split()) <= _HEADING_WORDS for t in texts)
    )


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.line = ""
        self.depth = 0  # blockquote nesting
        self.skip = 0
        self.pre = 0
        self.link_target: str | None = None
        self.link_text = ""
        self.tables: list[_Table] = []

    def flush(self) -> None:
        text = self.line.strip() if not self.pre else self.line.rstrip()
        self.lines.append((self.depth, text))
        self.line = ""

    def cell_text(self, start: int) -> str | None:
        """The one line a cell wrote since ``start``; None when it wrote several."""
        texts = [text for _depth, text in self.lines[start:] if text.strip()]
        if len(texts) > 1:
            return None
        return texts[0] if texts else ""

    def table_tag(self, tag: str, *, end: bool) -> None:
        """Track rows and cells; HTML may leave </td> and </tr> out, so a new one closes the last."""
        if tag == "table" and not end:
            self.tables.append(_Table())
            return
        if not self.tables:
            return
        table = self.tables[-1]
        if tag in _CELL or tag in ("tr", "table"):
            self.close_cell(table)
        if tag in ("tr", "table"):
            self.close_row(table)
        if tag == "table":
            self.tables.pop()
        elif not end and tag == "tr":
            table.row_start, table.in_row = len(self.lines), True
        elif not end and tag in _CELL:
            if not table.in_row:  # a cell without <tr> starts a row
                table.row_start, table.in_row = len(self.lines), True
            table.cell_start, table.cell_th = len(self.lines), tag == "th"
            table.in_cell = True

    def close_cell(self, table: _Table) -> None:
        if table.in_cell:
            table.cells.append((self.cell_text(table.cell_start), table.cell_th))
            table.in_cell = False

    def close_row(self, table: _Table) -> None:
        """Write a row of one-line cells as one line, each cell under a heading with it."""
        cells, table.cells, table.in_row = table.cells, [], False
        if not cells:
            return
        table.rows += 1
        if any(text is None for text, _is_th in cells):
            return
        texts = [text or "" for text, _is_th in cells]
        if _is_heading(cells, table.rows == 1):
            table.heading = texts
        elif table.heading and len(table.heading) == len(texts):
            texts = [f"{h}: {t}" if h and t else t for h, t in zip(table.heading, texts, strict=True)]
        depth = self.lines[table.row_start][0] if len(self.lines) > table.row_start else self.depth
        del self.lines[table.row_start :]
        self.lines.append((depth, " | ".join(t for t in texts if t)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if tag in _BLOCK:
            if self.line.strip() or tag in ("br", "p"):
                self.flush()
            if tag == "blockquote":
                self.depth += 1
            elif tag == "li":
                self.line = "- "
            elif tag == "pre":
                self.pre += 1
            self.table_tag(tag, end=False)
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.lower().startswith("mailto:"):
                self.link_target = unquote(href[7:].split("?")[0]).strip()
                self.link_text = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "a" and self.link_target is not None:
            target, self.link_target = self.link_target, None
            if target and target.lower() not in self.link_text.lower():
                self.line += f" <{target}>"
        if tag in _BLOCK and tag != "br":
            if self.line.strip():
                self.flush()
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            self.table_tag(tag, end=True)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = _SPACES.sub(" ", data)
            if self.line.endswith((" ", "- ")) or not self.line:
                data = data.lstrip(" ") if not self.line else data
        if self.link_target is not None:
            self.link_text += data
        self.line += data

    def text(self) -> str:
        if self.line.strip():
            self.flush()
        out: list[str] = []
        for depth, line in self.lines:
            line = _SPACES.sub(" ", line).strip() if not self.pre else line
            out.append(("> " * depth + line).rstrip() if depth else line)
        joined = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", joined).strip() + "\n"


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; never raises."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # the stdlib parser is lenient, but be certain
        return _SPACES.sub(" ", re.sub(r"<[^>]*>", " ", html))
    return builder.text()
