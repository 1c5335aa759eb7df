"""HTML → plain text for HTML-only mail, keeping what triage needs.

Blocks become lines (so ``anna@kunde.de<br>Zweite`` never glues into one
address), ``mailto:`` targets are kept beside their link text, and quoted HTML
(``<blockquote>``) becomes ``> `` lines so the same quote rules apply as for
plain text. Built on the stdlib parser: it is lenient and needs no dependency.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

_BLOCK = frozenset(
    "address article aside blockquote br center dd div dl dt fieldset figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead "
    "tr ul".split()
)
_SKIP = frozenset({"head", "style", "script", "title", "template", "noscript"})
_SPACES = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")


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

    def flush(self) -> None:
        text = self.line.strip() if not self.pre else self.line.rstrip()
        self.lines.append((self.depth, text))
        self.line = ""

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
