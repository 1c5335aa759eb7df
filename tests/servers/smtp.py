"""Real SMTP servers for tests: aiosmtpd in-process, on a free port, in its own thread.

Imports nothing from pytest or mailbot, so benchmarks can use it too: put ``tests/``
on ``sys.path`` and ``from servers.smtp import SmtpServer, RecordingHandler``.

Handlers decide how the server behaves:

* ``RecordingHandler`` accepts every message and keeps it (``.received``).
* ``FlakyHandler`` answers a reply of your choice (4xx by default) to the first
  N ``RCPT`` or ``DATA`` commands, then accepts; ``RejectingHandler`` is the
  5xx variant that never accepts.
* ``DroppingHandler`` closes the connection after the message data, before the
  reply — the moment when the client cannot know whether the mail was taken.
* ``StallingHandler`` stores the message and answers late or never (or stalls
  at RCPT, before any data).

``smtputf8=False`` makes a server that lacks SMTPUTF8 (aiosmtpd's controller offers it).

``SmtpServer(handler, starttls=True, users={...})`` adds STARTTLS with a
self-signed certificate made at start (``.cafile`` verifies it) and AUTH
LOGIN/PLAIN, which the server requires and only offers after STARTTLS.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
# The login the STARTTLS+AUTH fixture accepts (tests/conftest.py: smtp_tls_server).
SMTP_USER, SMTP_PASSWORD = "mailbot", "smtp-Pa55word-7c1e"


def free_port() -> int:
    """A port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the DATA content, CRLF line endings, dot-unstuffed
    login: str | None  # the AUTH user, when the client logged in
    tls: bool  # whether the session ran over TLS
    mail_options: tuple[str, ...] = ()  # MAIL FROM parameters (SIZE=, SMTPUTF8, ...)

    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


class RecordingHandler:
    """Accepts every message and records it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()

    def record(self, session: Any, envelope: Any) -> None:
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        with self._lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=envelope.original_content or envelope.content,
                    login=login,
                    tls=session.ssl is not None,
                    mail_options=tuple(envelope.mail_options),
                )
            )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.record(session, envelope)
        return f"250 2.0.0 Ok: queued as test-{len(self.received)}"


class FlakyHandler(RecordingHandler):
    """Answers ``reply`` to the first ``failures`` RCPT (or DATA) commands, then accepts."""

    def __init__(
        self,
        *,
        failures: int = 1,
        stage: str = "DATA",
        reply: str = "451 4.3.0 Temporary local problem, try again later",
    ) -> None:
        super().__init__()
        if stage not in ("RCPT", "DATA"):
            raise ValueError("stage must be RCPT or DATA")
        self.failures = failures
        self.stage = stage
        self.reply = reply
        self.refused = 0

    def _refuse(self, stage: str) -> bool:
        with self._lock:
            if stage == self.stage and self.refused < self.failures:
                self.refused += 1
                return True
        return False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self._refuse("RCPT"):
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._refuse("DATA"):
            return self.reply
        return await super().handle_DATA(server, session, envelope)


class RejectingHandler(FlakyHandler):
    """Answers a 5xx to every RCPT (or DATA): nothing is ever accepted."""

    def __init__(
        self,
        *,
        stage: str = "RCPT",
        reply: str = "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown",
    ) -> None:
        super().__init__(failures=10**9, stage=stage, reply=reply)


class DroppingHandler(RecordingHandler):
    """Closes the connection after the data of the first ``drops`` messages, unanswered."""

    def __init__(self, *, drops: int = 1) -> None:
        super().__init__()
        self.drops = drops
        self.dropped = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            drop = self.dropped < self.drops
            self.dropped += drop
        if drop:
            server.transport.abort()  # a reset, as when the server process dies
            return "421 4.3.0 not sent: connection already closed"
        return await super().handle_DATA(server, session, envelope)


class StallingHandler(RecordingHandler):
    """For the first ``stalls`` messages, stops answering at ``stage``.

    At ``DATA`` it first **stores** the message, then answers only after
    ``answer_after`` seconds (``None``: never) — a server that queued the mail but
    whose ``250`` arrives after the client gave up, or not at all. At ``RCPT`` it
    stalls before any data was sent. Later messages are answered at once.
    """

    def __init__(self, *, stage: str = "DATA", answer_after: float | None = None, stalls: int = 1) -> None:
        super().__init__()
        if stage not in ("RCPT", "DATA"):
            raise ValueError("stage must be RCPT or DATA")
        self.stage, self.answer_after, self.stalls = stage, answer_after, stalls
        self.stalled = 0

    async def _stall(self) -> None:
        if self.answer_after is None:
            await asyncio.Event().wait()  # cancelled when the server stops
        else:
            await asyncio.sleep(self.answer_after)

    def _should_stall(self, stage: str) -> bool:
        with self._lock:
            stall = stage == self.stage and self.stalled < self.stalls
            self.stalled += stall
            return stall

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self._should_stall("RCPT"):
            await self._stall()
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stall = self._should_stall("DATA")
        reply = await super().handle_DATA(server, session, envelope)  # stored first
        if stall:
            await self._stall()
        return reply


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 (``cryptography``, else the openssl CLI)."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("need the cryptography package or the openssl CLI") from None
        subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


class SmtpServer:
    """An aiosmtpd server on ``HOST:port``; use as a context manager or start()/stop().

    ``starttls=True`` requires STARTTLS before MAIL; ``users`` ({login: password})
    requires AUTH, offered only over TLS. ``echo_credentials`` makes a failed
    login answer with the password in the reply text, as a careless server might:
    the client must not pass that on.
    """

    def __init__(
        self,
        handler: RecordingHandler | None = None,
        *,
        starttls: bool = False,
        users: Mapping[str, str] | None = None,
        echo_credentials: bool = False,
        smtputf8: bool = True,
        directory: Path | None = None,
    ) -> None:
        self.handler = handler or RecordingHandler()
        self.starttls = starttls
        self.users = dict(users or {})
        self.echo_credentials = echo_credentials
        self.smtputf8 = smtputf8
        self.failed_logins: list[str] = []
        self.host = HOST
        self.port = free_port()
        self.cafile: Path | None = None
        self._directory = directory
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if login in self.users and self.users[login] == password:
                return AuthResult(success=True, auth_data=auth_data)
            self.failed_logins.append(login)
            if self.echo_credentials:
                message = f"535 5.7.8 Authentication failed for {login} with password {password}"
                return AuthResult(success=False, handled=False, message=message)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.starttls:
            directory = self._directory or Path(tempfile.mkdtemp(prefix="smtp-tls-"))
            cert, key = make_self_signed_cert(directory)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            self.cafile = cert
            kwargs.update(tls_context=context, require_starttls=True)
        kwargs.update(enable_SMTPUTF8=self.smtputf8)
        if self.users:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=True)
        self._controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.test",  # skips a slow getfqdn() per connection
            ready_timeout=10,
            **kwargs,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
