"""A progress bar for long command-line work: `triage` over many mails, `poll` over a backlog.

The bar is for a person watching a terminal, so it is drawn on stderr, and only
when both stdout and stderr are terminals and the command prints no JSON: piped
output, cron mail, files and ``--json`` lines never carry a progress byte. Short
work gets no bar, it would only flicker. The bar is transient: it is cleared when
the work ends, so the command's own output reads as it always did.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

#: Work with fewer items than this ends before a bar would tell anyone anything.
MIN_ITEMS = 10


def watched(*, as_json: bool = False) -> bool:
    """Whether a person is watching: both streams are terminals and the output is not JSON."""
    return not as_json and sys.stdout.isatty() and sys.stderr.isatty()


class ProgressBar:
    """``update(done, total)`` as the work goes; draws only when ``enabled`` and the total is big.

    The total may grow while the work runs (an mbox is counted when it is opened,
    a poll knows its backlog only once it has asked the server), so the bar is
    started on the first update that is worth one.
    """

    def __init__(self, description: str, *, enabled: bool) -> None:
        self.description = description
        self.enabled = enabled
        self._bar: tuple[Progress, TaskID] | None = None

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if total < MIN_ITEMS:
                return
            # Imported here: the commands that never draw a bar (cron's poll) skip loading it.
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            progress.start()
            self._bar = (progress, progress.add_task(self.description, total=total))
        progress, task = self._bar
        progress.update(task, completed=done, total=total)

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar[0].stop()
