"""Triage on every core when a poll meets a backlog (the pool itself: ``mailbot/triage_pool.py``).

For a large batch list the poller hands each batch to the worker pool, and
meanwhile stores and marks the batch before it. Small polls — the usual cron
run — triage in-process. Either way each mail comes back as ``TriagedMail``
(plain values, cheap to send between processes), or as the error text when
triage raised, so the poller records it as ``needs_human`` exactly as it does
in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from mailbot.config import Settings
from mailbot.errors import AccountApiError
from mailbot.intake.store import TriagedMail
from mailbot.triage_pool import InProcess, TriagePool, workers_for

Outcome = TriagedMail | str  # str: why triage raised

#: What a poll says when a worker dies: the batch is simply taken again.
WORKER_DIED = (
    "a triage worker process died (out of memory?); nothing of this batch "
    "was stored or marked, the next poll takes it again"
)


def triage_one(triage: Callable[[bytes, Any], Any], raw: bytes, context: Any) -> Outcome:
    try:
        return TriagedMail.of(triage(raw, context))
    except AccountApiError:
        raise  # the records cannot be read: the poll stops, the mail waits
    except Exception as exc:  # triage promises not to raise; a bug must not stop the poll
        return f"triage failed: {exc.__class__.__name__}: {exc}"


def triage_stored(raw: bytes, context: Any) -> Outcome:
    """The workers' task: ``triage_message``, as storage takes it."""
    from mailbot.triage.pipeline import triage_message

    return triage_one(triage_message, raw, context)


def choose_triager(
    *,
    settings: Settings,
    new_mails: int,
    triage: Callable[[bytes, Any], Any] | None,
    context_factory: Callable[[], Any],
    today: date,
) -> InProcess[Outcome] | TriagePool[Outcome]:
    """Worker processes for a large backlog on a machine with cores to spare, else in-process."""
    workers = workers_for(settings, new_mails)
    if triage is None and workers > 1:
        return TriagePool(settings, today=today, workers=workers, task=triage_stored, died=WORKER_DIED)
    if triage is None:
        return InProcess(triage_stored, context_factory())
    return InProcess(partial(triage_one, triage), context_factory())
