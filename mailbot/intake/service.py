"""``mailbot run``: poll on a schedule and deliver approved replies, until told to stop.

APScheduler 3 runs one job: a poll cycle followed by the delivery step. The job
never overlaps itself (``max_instances=1``), missed runs collapse into one
(``coalesce``), and while the mail server is down the next try is postponed with
a doubling delay up to ``schedule.max_backoff_seconds`` — a dead server is not
hammered, and intake resumes by itself once it is back. SIGTERM or SIGINT lets the
running cycle finish its current batch, then the process exits 0.

Where the IMAP server announces IDLE (and ``[mailbox] idle`` is on), a second
thread waits in IDLE and runs the same cycle as soon as mail arrives
(``mailbot.intake.idle``); the schedule stays as the safety net. A third thread
looks every few seconds, with one cheap query, for replies an agent approved
in the console or the CLI, so they leave within seconds too.
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
from mailbot.intake.cycle import PollSummary, poll_once
from mailbot.intake.state import IntakeReporter, IntakeState
from mailbot.mail.source import MailSource, make_source
from mailbot.outbox.backoff import backoff_seconds

log = logging.getLogger("mailbot.run")
JOB_ID = "poll-and-deliver"
#: How often ``mailbot run`` looks for freshly approved replies between cycles.
DELIVERY_CHECK_SECONDS = 2.0


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
        # The schedule, the IDLE waiter and the delivery check share one cycle at a time.
        self._cycle_lock = threading.Lock()
        #: Writes idling/polling/reconnecting for `mailbot status` (run_service sets it).
        self.reporter: IntakeReporter | None = None
        #: True while the IDLE waiter owns the reported state; else the cycles report it.
        self.idle_owns_state = False

    def cycle(self) -> PollSummary | None:
        """One poll + delivery: never raises, logs exactly one line; None when the poll failed."""
        with self._cycle_lock:
            return self._cycle()

    def _cycle(self) -> PollSummary | None:
        started = time.monotonic()
        parts: list[str] = []
        level = logging.INFO
        summary: PollSummary | None = None
        try:
            summary = poll_once(
                settings=self.settings,
                engine=self.engine,
                source=self.source_factory(),
                should_stop=self.stop_event.is_set,
            )
            self.failures = 0
            parts.append(f"poll: {summary.line()}")
            self.report_state(IntakeState.POLLING)
        except (MailbotError, SQLAlchemyError, OSError) as exc:
            self.failures += 1
            delay = self._postpone()
            reason = _one_line(exc)
            kind = "mailbox unavailable" if isinstance(exc, MailboxUnavailable) else "poll failed"
            parts.append(f"poll: {kind}: {reason}; next try in {delay:.0f}s")
            level = logging.WARNING
            if isinstance(exc, MailboxUnavailable):
                self.report_state(IntakeState.RECONNECTING)
        parts.append(f"delivery: {self._deliver()}")
        log.log(level, "%s (%.2fs)", "; ".join(parts), time.monotonic() - started)
        return summary

    def watch_outbox(self) -> None:
        """Until the stop: every few seconds, send what agents approved in the meantime.

        A thread of its own rather than a scheduler job: a send that takes longer
        than the check interval delays the next check instead of logging a skipped run.
        """
        while not self.stop_event.wait(DELIVERY_CHECK_SECONDS):
            self.deliver_if_due()

    def deliver_if_due(self) -> None:
        """Send approved replies now instead of at the next cycle.

        Costs one indexed query when nothing is due; skipped while a cycle runs
        (the cycle delivers anyway).
        """
        if not self._cycle_lock.acquire(blocking=False):
            return
        try:
            from mailbot.outbox.queue import replies_due

            if not replies_due(engine=self.engine):
                return
            started = time.monotonic()
            log.info("delivery: %s (%.2fs)", self._deliver(), time.monotonic() - started)
        except SQLAlchemyError as exc:
            log.debug("delivery check failed: %s", _one_line(exc))
        finally:
            self._cycle_lock.release()

    def report_state(self, state: IntakeState) -> None:
        """Record what intake does, unless the IDLE waiter is the one who says."""
        if self.reporter is not None and not self.idle_owns_state:
            self.reporter.report(state)

    def state_back_to_schedule(self) -> None:
        """The IDLE waiter gave up (no IDLE on the server): the cycles report the state again."""
        self.idle_owns_state = False
        self.report_state(IntakeState.POLLING)

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
        from mailbot.outbox.actions import retry_due_actions
        from mailbot.outbox.queue import deliver_queued

        try:
            actions = retry_due_actions(engine=self.engine, settings=self.settings)
            summary = deliver_queued(engine=self.engine, settings=self.settings)
        except Exception as exc:
            log.debug("delivery failed", exc_info=True)
            return f"failed: {_one_line(exc)}"
        return summary.line() + (f"; {actions.line()}" if actions else "")


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
    """Poll and deliver on the schedule (and on IDLE) until SIGTERM/SIGINT (or ``stop_event``)."""
    from mailbot.intake.idle import IdleWaiter, idle_wanted

    _configure_logging()
    trigger = make_trigger(settings)
    stop = stop_event or threading.Event()
    service = PollService(settings, engine=engine or make_engine(settings.database.url), stop_event=stop)
    service.reporter = IntakeReporter(
        engine=service.engine, mailbox=service.source_factory().name, folder=settings.mailbox.folder
    )
    waiter: IdleWaiter | None = None
    if idle_wanted(settings):
        service.idle_owns_state = True
        waiter = IdleWaiter(
            settings,
            run_cycle=service.cycle,
            reporter=service.reporter,
            stop=stop,
            on_no_idle=service.state_back_to_schedule,
        )
    else:
        service.report_state(IntakeState.POLLING)

    def request_stop() -> None:
        stop.set()
        if waiter is not None:
            waiter.wake()

    if install_signal_handlers:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda number, _frame: request_stop())
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
    outbox_watcher = threading.Thread(target=service.watch_outbox, name="mailbot-outbox", daemon=True)
    outbox_watcher.start()
    if waiter is not None:
        waiter.start()
    log.info(
        "running: %s every %s%s; stop with SIGTERM or Ctrl-C",
        settings.mailbox.kind,
        settings.schedule.cron or f"{settings.schedule.interval_seconds}s",
        ", and on IMAP IDLE where the server offers it" if waiter is not None else "",
    )
    try:
        while not stop.wait(timeout=1.0):
            pass
    finally:
        log.info("stopping: letting the running cycle finish")
        request_stop()
        scheduler.shutdown(wait=True)
        outbox_watcher.join()  # like the scheduler: a send in progress is finished, not cut off
        if waiter is not None:
            waiter.join(timeout=settings.mailbox.timeout + 5)
        service.idle_owns_state = False
        service.report_state(IntakeState.STOPPED)
        log.info("stopped")
