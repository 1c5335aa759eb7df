"""The operator's dry-run report: what mailbot would do with a month of real mail.

``mailbot triage --summary`` feeds every triage JSON row (the very objects
``triage --json`` prints) into a ``Summary`` and prints the totals. Pure: rows in,
counts out, so the report is tested without files and costs no more than the
JSON it replaces.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mailbot.vocabulary import InboundStatus, Outcome

EXAMPLES_PER_OUTCOME = 3
_NUMBER = re.compile(r"\d[\d,.]*")
_PATH_AFTER = re.compile(r"^(cannot read|no such file or folder:?)\s+\S+?(:|$)")


def error_reason(error: str) -> str:
    """An error grouped by its kind: without the file's path and without sizes."""
    reason = _PATH_AFTER.sub(lambda m: m.group(1).rstrip(":") + (":" if m.group(2) else ""), error.strip())
    return _NUMBER.sub("N", reason)[:120]


def row_outcome(row: dict[str, Any]) -> str:
    """One outcome per mail, as the record shows it: ignored, needs_human, the first
    request's outcome, or error for a file that could not be read at all."""
    if "intent" not in row:
        return "error"
    if row.get("status") == InboundStatus.IGNORED:
        return Outcome.IGNORED
    requests = row.get("requests") or []
    return str(requests[0]["outcome"]) if requests else Outcome.NEEDS_HUMAN


@dataclass
class Summary:
    mails: int = 0
    drafts: int = 0
    intents: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, row: dict[str, Any]) -> None:
        """Count one triage row (a ``triage --json`` object, or a file error)."""
        self.mails += 1
        outcome = row_outcome(row)
        self.outcomes[outcome] += 1
        if outcome != "error":
            self.intents[str(row["intent"])] += 1
            self.languages[str(row.get("language") or "none")] += 1
        if row.get("draft") is not None:
            self.drafts += 1
        if row.get("error"):
            self.errors[error_reason(str(row["error"]))] += 1
        shown = self.examples.setdefault(outcome, [])
        if len(shown) < EXAMPLES_PER_OUTCOME:
            shown.append(str(row.get("file", "")))

    @property
    def draft_share(self) -> float:
        return self.drafts / self.mails if self.mails else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "mails": self.mails,
            "drafts": self.drafts,
            "draft_share": round(self.draft_share, 4),
            "intents": dict(self.intents.most_common()),
            "outcomes": dict(self.outcomes.most_common()),
            "languages": dict(self.languages.most_common()),
            "errors": dict(self.errors.most_common()),
            "examples": {k: self.examples[k] for k, _n in self.outcomes.most_common()},
        }

    def as_lines(self) -> list[str]:
        """The report as plain text lines, largest groups first."""
        lines = [f"{self.mails} mails, {self.drafts} would get a draft ({self.draft_share:.1%})"]
        for title, counter in (("intent", self.intents), ("outcome", self.outcomes), ("language", self.languages)):
            lines.append(f"by {title}:")
            lines.extend(f"  {name:<28} {count:>7}  {count / self.mails:6.1%}" for name, count in counter.most_common())
        lines.append("errors by reason:" if self.errors else "errors by reason: none")
        lines.extend(f"  {count:>7}  {reason}" for reason, count in self.errors.most_common())
        lines.append("files to look at, per outcome:")
        for outcome, _count in self.outcomes.most_common():
            lines.append(f"  {outcome}: {', '.join(self.examples[outcome])}")
        return lines
