"""``mailbot run``: poll on a schedule and deliver approved replies, until told to stop.

APScheduler 3 runs one job: a poll cycle followed by the delivery step. The job
never overlaps itself (``max_instances=1``), missed runs collapse into one
(``coalesce``), and while the mail server is down the next try is postponed with
a doubling delay up to ``schedule.max_backoff_seconds`` — a dead server is not
hammered, and intake resumes by itself once it is back. SIGTERM or SIGINT lets the
running cycle finish its current batch, then the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from mailbot.config import Settings
from mailbot.db.engine import make_engine
from mailbot.errors import MailbotError, MailboxUnavailable
from mailbot.intake.cycle import poll_once
from mailbot.mail.source import MailSource, make_source
from mailbot.outbox.backoff import backoff_seconds

log = logging.getLogger("mailbot.run")
JOB_ID = "poll-and-deliver"


def make_trigger(settings: Settings) -> CronTrigger | IntervalTrigger:
    schedule = settings.schedule
    if schedule.cron:  # checked when the settings were read
        return CronTrigger.from_crontab(schedule.cron, timezone=UTC)
    return IntervalTrigger(seconds=schedule.interval_seconds, timezone=UTC)


class PollService:
    """One cycle = poll + deliver, with the failure count that drives the backoff."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine,
        source_factory: Callable[[], MailSource] | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.source_factory = source_factory or (lambda: make_source(settings.mailbox))
        self.stop_event = stop_event or threading.Event()
        self.failures = 0
        self.scheduler: BackgroundScheduler | None = None

    def cycle(self) -> None:
        """The scheduled job: never raises, logs exactly one line."""
        started = time.monotonic()
        parts: list[str] = []
        level = logging.INFO
        try:
            summary = poll_once(
                settings=self.settings,
                engine=self.engine,
                source=self.source_factory(),
                should_stop=self.stop_event.is_set,
            )
            self.failures = 0
            parts.append(f"poll: {summary.line()}")
        except (MailbotError, SQLAlchemyError, OSError) as exc:
            self.failures += 1
            delay = self._postpone()
            reason = _one_line(exc)
            kind = "mailbox unavailable" if isinstance(exc, MailboxUnavailable) else "poll failed"
            parts.append(f"poll: {kind}: {reason}; next try in {delay:.0f}s")
            level = logging.WARNING
        parts.append(f"delivery: {self._deliver()}")
        log.log(level, "%s (%.2fs)", "; ".join(parts), time.monotonic() - started)

    def _postpone(self) -> float:
        schedule = self.settings.schedule
        base = float(schedule.interval_seconds or 60)
        delay = backoff_seconds(self.failures, base=base, cap=schedule.max_backoff_seconds)
        if self.scheduler is not None:
            job = self.scheduler.get_job(JOB_ID)
            wanted = datetime.now(UTC) + timedelta(seconds=delay)
            if job is not None and (job.next_run_time is None or job.next_run_time < wanted):
                self.scheduler.modify_job(JOB_ID, next_run_time=wanted)
        return delay

    def _deliver(self) -> str:
        """Send approved replies; delivery trouble is reported in the cycle's line, never stops intake."""
        from mailbot.outbox.queue import deliver_queued

        try:
            summary = deliver_queued(engine=self.engine, settings=self.settings)
        except Exception as exc:
            log.debug("delivery failed", exc_info=True)
            return f"failed: {_one_line(exc)}"
        return summary.line()


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc) or exc.__class__.__name__
    return text.splitlines()[0]


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    # APScheduler logs two lines per run of the job; ours is the one line per cycle.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_service(
    settings: Settings,
    *,
    engine: Engine | None = None,
    stop_event: threading.Event | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """Poll and deliver on the schedule until SIGTERM/SIGINT (or ``stop_event``)."""
    _configure_logging()
    trigger = make_trigger(settings)
    stop = stop_event or threading.Event()
    service = PollService(settings, engine=engine or make_engine(settings.database.url), stop_event=stop)
    if install_signal_handlers:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda number, _frame: stop.set())
    scheduler = BackgroundScheduler(timezone=UTC)
    service.scheduler = scheduler
    scheduler.add_job(
        service.cycle,
        trigger,
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,  # a late run still runs (once, coalesced)
        next_run_time=datetime.now(UTC),  # the first cycle right away
    )
    scheduler.start()
    log.info(
        "running: %s every %s; stop with SIGTERM or Ctrl-C",
        settings.mailbox.kind,
        settings.schedule.cron or f"{settings.schedule.interval_seconds}s",
    )
    try:
        while not stop.wait(timeout=1.0):
            pass
    finally:
        log.info("stopping: letting the running cycle finish")
        scheduler.shutdown(wait=True)
        log.info("stopped")
