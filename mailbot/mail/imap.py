"""The IMAP source, on imapclient.

UID commands only; ``BODY.PEEK[]`` so fetching never sets ``\\Seen`` (another
agent's mail client decides what is read, and we never rely on it). Every server
failure becomes ``MailboxUnavailable`` with a one-line reason that names the
server but never the password or token.
"""

from __future__ import annotations

import ast
import contextlib
import imaplib
import logging
import os
import re
import shlex
import ssl
import subprocess
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.config import MailboxSettings
from mailbot.errors import ConfigError, MailboxUnavailable
from mailbot.mail.source import FetchedMessage, FolderState, MailSource

log = logging.getLogger(__name__)
_BYTES_REPR = re.compile(r"""b(['"]).*\1""", re.S)
_RESPONSE_CODE = re.compile(r"\[([A-Z-]+)[^\]]*\]\s*")

T = TypeVar("T")
SEEN = rb"\Seen"
DELETED = rb"\Deleted"

# What a broken connection looks like from imapclient: socket and TLS errors,
# imaplib's abort (server said BYE or the stream ended) and NO/BAD answers.
SERVER_ERRORS: tuple[type[Exception], ...] = (OSError, imaplib.IMAP4.error, IMAPClientError, EOFError)


class FolderChanged(MailboxUnavailable):
    """The folder's UIDVALIDITY changed between STATUS and SELECT; the next cycle resyncs."""


def oauth2_token(settings: MailboxSettings) -> str:
    """A fresh XOAUTH2 access token, asked for at every connect (tokens expire within hours)."""
    if settings.oauth2_token_command:
        try:
            done = subprocess.run(
                shlex.split(settings.oauth2_token_command),
                capture_output=True,
                text=True,
                timeout=settings.timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise MailboxUnavailable(f"mailbox.oauth2_token_command could not run: {exc.__class__.__name__}") from None
        token = done.stdout.strip()
        if done.returncode != 0 or not token:
            raise MailboxUnavailable(f"mailbox.oauth2_token_command gave no token (exit status {done.returncode})")
        return token
    if settings.oauth2_token_env:
        token = os.environ.get(settings.oauth2_token_env, "").strip()
        if not token:
            raise MailboxUnavailable(
                f"environment variable {settings.oauth2_token_env} (mailbox.oauth2_token_env) is unset or empty"
            )
        return token
    raise ConfigError("mailbox.auth: xoauth2 needs mailbox.oauth2_token_command or mailbox.oauth2_token_env")


def uses_oauth2(settings: MailboxSettings) -> bool:
    return settings.auth == "xoauth2" or (
        not settings.password and bool(settings.oauth2_token_command or settings.oauth2_token_env)
    )


def _reason(exc: BaseException) -> str:
    """A short, single-line reason from a socket, TLS or IMAP error."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = exc.args[0] if exc.args else exc.__class__.__name__
    if isinstance(text, str) and _BYTES_REPR.fullmatch(text):  # imapclient wraps str(bytes)
        text = ast.literal_eval(text)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(str(text).split())
    code = _RESPONSE_CODE.match(text)  # "[AUTHENTICATIONFAILED] Authentication failed."
    if code:
        text = f"{text[code.end() :].strip()} ({code.group(1)})"
    return text or exc.__class__.__name__


class ImapSource(MailSource):
    """A folder on an IMAP server: ``security`` ssl, starttls or none; password or XOAUTH2."""

    def __init__(
        self,
        settings: MailboxSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        use_move: bool = True,
    ) -> None:
        self.settings = settings
        self.port = settings.effective_port()
        self.where = f"{settings.host}:{self.port}"
        self.name = f"imap://{settings.username}@{self.where}"
        self._ssl_context = ssl_context
        # False forces COPY + \Deleted + UID EXPUNGE even where MOVE exists (for tests).
        self._use_move = use_move
        self._client: IMAPClient | None = None
        self._selected: str | None = None
        self._secrets: list[str] = [settings.password.get_secret_value()] if settings.password else []

    # -- connection -----------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _unavailable(self, what: str, exc: BaseException) -> MailboxUnavailable:
        return MailboxUnavailable(self._scrub(f"IMAP server {self.where}: {what}: {_reason(exc)}"))

    def open(self) -> None:
        settings = self.settings
        context = self._ssl_context
        if context is None and settings.security != "none":
            context = ssl.create_default_context()  # honours SSL_CERT_FILE
        try:
            client = IMAPClient(
                settings.host,
                port=self.port,
                ssl=settings.security == "ssl",
                ssl_context=context,
                timeout=settings.timeout,
            )
        except SERVER_ERRORS as exc:
            raise self._unavailable("cannot connect", exc) from None
        try:
            if settings.security == "starttls":
                client.starttls(context)
            if uses_oauth2(settings):
                token = oauth2_token(settings)
                self._secrets.append(token)
                client.oauth2_login(settings.username, token)
            else:
                client.login(settings.username, settings.password.get_secret_value())
        except LoginError as exc:
            client.shutdown()
            raise self._unavailable(f"login as {settings.username} failed", exc) from None
        except SERVER_ERRORS as exc:
            client.shutdown()
            raise self._unavailable("cannot start the session", exc) from None
        except BaseException:
            client.shutdown()
            raise
        self._client = client
        self._selected = None

    def close(self) -> None:
        client, self._client = self._client, None
        self._selected = None
        if client is None:
            return
        try:
            client.logout()
        except SERVER_ERRORS:
            with contextlib.suppress(*SERVER_ERRORS):
                client.shutdown()

    def _call(self, what: str, operation: Callable[[IMAPClient], T]) -> T:
        if self._client is None:
            raise MailboxUnavailable(f"IMAP server {self.where}: not connected")
        try:
            return operation(self._client)
        except MailboxUnavailable:
            raise
        except SERVER_ERRORS as exc:
            raise self._unavailable(what, exc) from None

    def _select(self, folder: str, uidvalidity: int | None = None) -> None:
        if self._selected == folder:
            return
        answer = self._call(f"SELECT {folder}", lambda c: c.select_folder(folder))
        self._selected = folder
        current = answer.get(b"UIDVALIDITY")
        if uidvalidity is not None and current is not None and int(current) != uidvalidity:
            raise FolderChanged(f"IMAP server {self.where}: UIDVALIDITY of {folder} changed")

    # -- reading --------------------------------------------------------------

    def folder_state(self, folder: str) -> FolderState:
        # STATUS answers from Dovecot's index without opening the folder: an idle
        # poll of 50,000 mails costs the same as one of 5.
        status = self._call(
            f"STATUS {folder}",
            lambda c: c.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]),
        )
        uidnext = status.get(b"UIDNEXT")
        return FolderState(
            uidvalidity=int(status[b"UIDVALIDITY"]),
            uidnext=int(uidnext) if uidnext is not None else None,
            exists=int(status.get(b"MESSAGES", 0)),
        )

    def uids_after(self, folder: str, last_uid: int, *, state: FolderState) -> list[int]:
        if state.uidnext is not None and state.uidnext <= last_uid + 1:
            return []
        self._select(folder, state.uidvalidity)
        # "N:*" always matches the highest UID, even when it is below N: filter.
        found = self._call("UID SEARCH", lambda c: c.search(["UID", f"{last_uid + 1}:*"]))
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, folder: str, uids: Sequence[int], *, max_bytes: int = 0) -> Iterator[FetchedMessage]:
        if not uids:
            return
        self._select(folder)
        # One round trip for both: a partial fetch returns the whole message when
        # it is smaller than the limit, and RFC822.SIZE tells whether it was cut.
        body = f"BODY.PEEK[]<0.{max_bytes}>" if max_bytes else "BODY.PEEK[]"
        answer = self._call("UID FETCH", lambda c: c.fetch(list(uids), [body, "RFC822.SIZE"]))
        key = b"BODY[]<0>" if max_bytes else b"BODY[]"
        for uid in sorted(answer):
            item = answer.pop(uid)  # drop each message as it is handed on
            raw = item.get(key)
            if raw is None:
                continue  # a FETCH that only reported a flag change
            size = int(item.get(b"RFC822.SIZE", len(raw)))
            yield FetchedMessage(uid=uid, raw=raw, size=size, truncated=len(raw) < size)

    # -- marking --------------------------------------------------------------

    def add_flag(self, folder: str, uids: Sequence[int], flag: str) -> None:
        if not uids:
            return
        self._select(folder)
        self._call("UID STORE", lambda c: c.add_flags(list(uids), [flag], silent=True))

    def move(self, folder: str, uids: Sequence[int], target: str) -> None:
        if not uids:
            return
        self._select(folder)
        self._ensure_folder(target)
        if self._use_move and self._call("CAPABILITY", lambda c: c.has_capability("MOVE")):
            self._call(f"UID MOVE to {target}", lambda c: c.move(list(uids), target))
        else:
            self._copy_then_expunge(uids, target)

    def append(self, folder: str, raw: bytes) -> None:
        """Store a copy of a message we sent (read, so it does not count as new)."""
        self._ensure_folder(folder)
        self._call(f"APPEND to {folder}", lambda c: c.append(folder, raw, flags=(SEEN,)))

    def _ensure_folder(self, target: str) -> None:
        if self._call("LIST", lambda c: c.folder_exists(target)):
            return
        try:
            self._call(f"CREATE {target}", lambda c: c.create_folder(target))
        except MailboxUnavailable:
            # Another poller may have created it a moment ago.
            if not self._call("LIST", lambda c: c.folder_exists(target)):
                raise

    def _copy_then_expunge(self, uids: Sequence[int], target: str) -> None:
        """A move without MOVE: copy, mark the originals deleted, expunge only those UIDs."""
        uid_list = list(uids)
        self._call(f"UID COPY to {target}", lambda c: c.copy(uid_list, target))
        self._call("UID STORE", lambda c: c.add_flags(uid_list, [DELETED], silent=True))
        if self._call("CAPABILITY", lambda c: c.has_capability("UIDPLUS")):
            self._call("UID EXPUNGE", lambda c: c.uid_expunge(uid_list))
        else:
            # A plain EXPUNGE would also remove whatever else someone marked \Deleted.
            log.warning(
                "%s has no UIDPLUS: copied %d message(s) to %s and left the originals "
                "marked \\Deleted instead of expunging",
                self.where,
                len(uid_list),
                target,
            )
