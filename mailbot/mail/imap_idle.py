"""IMAP IDLE (RFC 2177) on a connection of its own: wait until the server reports new mail.

The waiting connection only watches (EXAMINE, read-only); the poll cycle fetches
and marks on its own connection, exactly as ``mailbot poll`` does. So IDLE adds
a doorbell and changes nothing about how mail is taken in.

While waiting, the process sleeps in ``poll(2)`` on the socket and on a wake-up
descriptor (for a clean stop): no timer ticks, so an idle ``mailbot run`` costs
next to no CPU. Any server output ends the wait; IDLE is then left with DONE and
the responses are read in the ordinary blocking way, which keeps imaplib's line
reading intact (reading a half-arrived line without blocking is where IDLE
clients usually break).
"""

from __future__ import annotations

import select
import ssl
from enum import StrEnum
from typing import Any

from mailbot.mail.imap import ImapSource


class Wake(StrEnum):
    """Why one IDLE ended."""

    NEW_MAIL = "new_mail"  # the server sent EXISTS: a poll cycle is due
    QUIET = "quiet"  # the refresh time came, or the server said something else (flags, "still here")
    WOKEN = "woken"  # someone wrote to the wake-up descriptor (the service is stopping)


def has_new_mail(responses: list[Any]) -> bool:
    """True when one of the untagged responses is ``* n EXISTS``."""
    return any(isinstance(r, tuple) and len(r) >= 2 and r[1] == b"EXISTS" for r in responses)


class IdleConnection(ImapSource):
    """An ``ImapSource`` that can also wait in IDLE on one folder."""

    def supports_idle(self) -> bool:
        return bool(self._call("CAPABILITY", lambda c: c.has_capability("IDLE")))

    def watch(self, folder: str) -> None:
        """EXAMINE ``folder``: IDLE reports on the selected folder, read-only is enough."""
        self._call(f"EXAMINE {folder}", lambda c: c.select_folder(folder, readonly=True))

    def wait(self, *, timeout: float, wake_fd: int) -> Wake:
        """One IDLE of at most ``timeout`` seconds; raises ``MailboxUnavailable`` on a drop."""
        self._call("IDLE", lambda c: c.idle())
        try:
            woken = self._sleep(timeout, wake_fd)
        finally:
            # Always leave IDLE, also when woken: DONE then LOGOUT is the clean stop.
            _text, responses = self._call("DONE", lambda c: c.idle_done())
        if has_new_mail(responses):
            return Wake.NEW_MAIL
        return Wake.WOKEN if woken else Wake.QUIET

    def _sleep(self, timeout: float, wake_fd: int) -> bool:
        """Block until the server speaks, ``wake_fd`` is readable or ``timeout`` passes.

        Returns True when woken through ``wake_fd``.
        """
        client = self._client
        assert client is not None
        if _buffered(client):  # "+ idling" and "* 3 EXISTS" often come in one packet
            return False
        poller = select.poll()
        poller.register(client.socket().fileno(), select.POLLIN | select.POLLPRI)
        poller.register(wake_fd, select.POLLIN)
        events = poller.poll(max(timeout, 0.0) * 1000)
        return any(fd == wake_fd for fd, _mask in events)


def _buffered(client: Any) -> bool:
    """Whether server output already sits in a buffer, where ``poll(2)`` cannot see it.

    imaplib reads through a buffered file (``IMAP4.file``) and, with TLS, the SSL
    layer keeps decrypted bytes of its own. A peek with the socket non-blocking
    looks at both without consuming anything and without waiting.
    """
    sock = client.socket()
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    reader = client._imap.file
    previous = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(reader.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    except OSError:
        return True  # the connection broke: let DONE find out and report it
    finally:
        sock.settimeout(previous)
