"""Where mail comes from: the interface both backends (``imap.py``, ``maildir.py``) implement.

The poller speaks only UIDs, the way IMAP does (sequence numbers shift when
another client expunges, and helpdesks lose mail that way), so the Maildir
backend hands out UIDs too.

Nothing here ever deletes mail. Marking a message as triaged means a keyword
flag (stored the Dovecot way in a Maildir, so a Dovecot serving the same Maildir
shows it) or a move to another folder, and only the poller decides when.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from mailbot.config import MailboxSettings


@dataclass(frozen=True)
class FolderState:
    """What the server says about a folder before we fetch from it."""

    uidvalidity: int
    uidnext: int | None  # None when the server does not say
    exists: int


@dataclass(frozen=True)
class FetchedMessage:
    """One message's bytes and where it sits on the server.

    ``truncated`` is set when the message was larger than the fetch limit and only
    its first ``len(raw)`` bytes were read: it stays whole on the server.
    """

    uid: int
    raw: bytes
    size: int
    truncated: bool = False


class MailSource(ABC):
    """A mailbox the poller reads by UID: open, look at a folder, fetch, mark.

    Use as a context manager: ``with make_source(settings.mailbox) as source: ...``.
    Every method raises ``MailboxUnavailable`` when the mailbox cannot be reached.
    """

    #: A stable name for this mailbox, the key of its ``MailboxState`` rows and locks.
    name: str

    @abstractmethod
    def open(self) -> None:
        """Connect and log in (IMAP) or check the folder exists (Maildir)."""

    @abstractmethod
    def close(self) -> None:
        """Let go of the connection; safe to call twice and after a failure."""

    @abstractmethod
    def folder_state(self, folder: str) -> FolderState:
        """UIDVALIDITY and UIDNEXT of ``folder``, as cheaply as the backend allows."""

    @abstractmethod
    def uids_after(self, folder: str, last_uid: int, *, state: FolderState) -> list[int]:
        """UIDs greater than ``last_uid`` in ``folder``, ascending."""

    @abstractmethod
    def fetch(self, folder: str, uids: Sequence[int], *, max_bytes: int = 0) -> Iterator[FetchedMessage]:
        """The messages with these UIDs, ascending, without marking them read.

        A UID that no longer exists (another client removed it) is left out.
        ``max_bytes`` > 0 caps what is read of one message (see ``truncated``).
        """

    @abstractmethod
    def add_flag(self, folder: str, uids: Sequence[int], flag: str) -> None:
        """Set the keyword ``flag`` on these messages; they stay where they are."""

    @abstractmethod
    def move(self, folder: str, uids: Sequence[int], target: str) -> None:
        """Move these messages to ``target``, creating it if it is missing."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def make_source(settings: MailboxSettings) -> MailSource:
    """The source ``mailbox.kind`` names."""
    if settings.kind == "imap":
        from mailbot.mail.imap import ImapSource  # imapclient is only needed for IMAP

        return ImapSource(settings)
    from mailbot.mail.maildir import MaildirSource

    return MaildirSource(Path(settings.path))
