"""A backlog's triage workers run below the poller, which is the one that must never wait for a core."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from mailbot.config import settings_from_mapping
from mailbot.triage_pool import WORKER_NICENESS, TriagePool


def _unused(raw: bytes, context: Any) -> None:
    raise AssertionError("no mail is triaged here")


def test_triage_workers_run_at_a_lower_priority_than_the_poller(db_engine: Any) -> None:
    url = db_engine.url.render_as_string(hide_password=False)
    settings = settings_from_mapping({"database": {"url": url}, "support": {"address": "s@v.example"}}, env={})
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    pool = TriagePool(settings, today=date(2026, 6, 1), workers=2, task=_unused, died="a worker died")
    try:
        theirs = {pool._pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result() for _ in range(4)}
    finally:
        pool.close()
    assert theirs == {min(ours + WORKER_NICENESS, 19)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours  # the poller itself keeps its own
