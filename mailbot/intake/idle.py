"""Push intake for ``mailbot run``: wait in IMAP IDLE, poll the moment new mail arrives.

One thread keeps a dedicated connection in IDLE on the folder. On ``EXISTS`` it
leaves IDLE and runs the service's poll cycle — the very cycle ``mailbot poll``
runs, with the same mailbox lock and the same exactly-once bookkeeping — then
goes back to IDLE. Nothing is lost between the two: the waiting connection
reports every change since it last left IDLE, so mail that arrives during a
cycle rings the bell again as soon as IDLE is re-issued.

After a drop it reconnects with the one backoff rule (``outbox/backoff.py``,
starting at one second) and runs a cycle first
(mail may have come while it was away). The scheduled poll keeps running beside
it as the safety net. A server that does not announce IDLE is left to the
schedule: the thread hands the state over to polling and ends.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable

from mailbot.config import Settings
from mailbot.errors import MailboxUnavailable
from mailbot.intake.cycle import PollSummary
from mailbot.intake.state import IntakeReporter, IntakeState
from mailbot.mail.imap_idle import IdleConnection, Wake
from mailbot.outbox.backoff import backoff_seconds

log = logging.getLogger("mailbot.run")

#: The first reconnect comes this soon after a drop (then 2×, 4× … up to
#: ``schedule.max_backoff_seconds``): a restarted server is usually back in a second.
RECONNECT_BASE_SECONDS = 1.0

#: A cycle that another instance's poll kept from running is tried again this often.
RETRY_SKIPPED_SECONDS = 1.0


def idle_wanted(settings: Settings) -> bool:
    return settings.mailbox.kind == "imap" and settings.mailbox.idle


class IdleWaiter(threading.Thread):
    """The IDLE loop; ``run_cycle`` is the service's poll cycle (None when it failed)."""

    def __init__(
        self,
        settings: Settings,
        *,
        run_cycle: Callable[[], PollSummary | None],
        reporter: IntakeReporter,
        stop: threading.Event,
        on_no_idle: Callable[[], None],
        connection_factory: Callable[[], IdleConnection] | None = None,
    ) -> None:
        super().__init__(name="mailbot-idle", daemon=True)
        self.settings = settings
        self.run_cycle = run_cycle
        self.reporter = reporter
        self.stop = stop
        self.on_no_idle = on_no_idle
        self.connection_factory = connection_factory or (lambda: IdleConnection(settings.mailbox))
        self.failures = 0
        # A socket pair, not an Event: poll(2) can wait on it together with the server.
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)

    def wake(self) -> None:
        """End the current wait at once (safe from a signal handler)."""
        with contextlib.suppress(OSError):  # full or closed: it is awake anyway
            self._wake_write.send(b"x")

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    if not self._session():
                        return  # no IDLE on this server: the schedule does the work
                except MailboxUnavailable as exc:
                    if self.stop.is_set():
                        break
                    self._back_off(exc)
        except Exception:  # a bug here must not end intake: the schedule carries on
            log.exception("idle: waiting stopped by an unexpected error; polling on the schedule")
            self.on_no_idle()
        finally:
            self._wake_read.close()
            self._wake_write.close()

    def _session(self) -> bool:
        """One connection's life: returns False when the server has no IDLE."""
        mailbox = self.settings.mailbox
        connection = self.connection_factory()
        connection.open()
        try:
            if not connection.supports_idle():
                log.info("idle: %s does not announce IDLE; polling on the schedule", connection.where)
                self.on_no_idle()
                return False
            connection.watch(mailbox.folder)
            if self.failures:
                log.info("idle: reconnected to %s", connection.where)
            self.failures = 0
            self.reporter.report(IntakeState.IDLING)
            log.info(
                "idle: waiting for new mail in %s (IDLE re-issued every %ss)",
                mailbox.folder,
                mailbox.idle_refresh_seconds,
            )
            self._poll_now()  # whatever came before this connection was watching
            while not self.stop.is_set():
                wake = connection.wait(timeout=mailbox.idle_refresh_seconds, wake_fd=self._wake_read.fileno())
                self._drain_wake()
                if wake is Wake.NEW_MAIL and not self.stop.is_set():
                    self._poll_now()
        finally:
            connection.close()
        return True

    def _poll_now(self) -> None:
        """Run the cycle; again while another poller held the mailbox lock, so no bell is lost."""
        while not self.stop.is_set():
            summary = self.run_cycle()
            if summary is None or not summary.skipped:
                return
            self.stop.wait(RETRY_SKIPPED_SECONDS)

    def _back_off(self, exc: MailboxUnavailable) -> None:
        self.failures += 1
        delay = backoff_seconds(
            self.failures, base=RECONNECT_BASE_SECONDS, cap=self.settings.schedule.max_backoff_seconds
        )
        self.reporter.report(IntakeState.RECONNECTING)
        log.warning("idle: %s; reconnecting in %.0fs", exc, delay)
        self._pause(delay)

    def _pause(self, seconds: float) -> None:
        """Sleep ``seconds`` unless woken (a stop)."""
        select.select([self._wake_read], [], [], seconds)
        self._drain_wake()

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_read.recv(64):
                pass
