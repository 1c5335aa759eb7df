"""Hand a reply to the SMTP server (aiosmtplib).

Failures are sorted by what the caller should do next:

* ``SmtpUnavailable`` — we could not connect, start TLS, greet or log in, or
  the server refused our own sender address (``530 Must issue a STARTTLS command
  first``, ``530 Authentication required``, a From the relay does not allow).
  The message was never offered, so the caller should not count it as an attempt
  and should stop the run: every other message would fail the same way, and an
  operator's fix, not a new approval, is what brings them through.
* ``SmtpDeferred`` — 4xx to MAIL/RCPT/DATA, or the connection dropped or timed
  out before the ``DATA`` command: try this message again later.
* ``SmtpMaybeDelivered`` — the connection dropped or timed out once ``DATA`` was
  sent: the server may have queued the mail and only its answer got lost. A
  retry could deliver a second copy, and SPEC promises at most once, so an
  agent decides (``mailbot outbox resend``), as after a crash mid-send.
* ``SmtpRejected`` — 5xx to RCPT or DATA (or a message size the server refuses
  at MAIL), or a recipient address that needs SMTPUTF8 from a server without
  it: retrying would not help.

Error texts carry the server's own words (agents read them), never the password:
a server that echoes credentials back is redacted.
"""

from __future__ import annotations

import base64
import contextlib
from email.message import EmailMessage

import aiosmtplib

from mailbot.config import SmtpSettings
from mailbot.errors import PermanentDeliveryError, TemporaryDeliveryError, UncertainDeliveryError
from mailbot.mail.reply import envelope_recipients, envelope_sender, reply_bytes


class SmtpDeferred(TemporaryDeliveryError):
    """The server answered 4xx, or the connection broke during the mail transaction."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmtpUnavailable(TemporaryDeliveryError):
    """Connecting, TLS, the greeting or the login failed: no message was offered."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmtpMaybeDelivered(UncertainDeliveryError):
    """Time-out or drop after DATA: the server may have the mail."""


class SmtpRejected(PermanentDeliveryError):
    """The server answered 5xx to RCPT TO or DATA, or cannot take this message at all."""

    def __init__(self, message: str, *, code: int | None) -> None:
        super().__init__(message)
        self.code = code


MESSAGE_TOO_BIG = 552  # at MAIL FROM SIZE=: about this message, not about us


def _needs_smtputf8(*addresses: str) -> list[str]:
    return [a for a in addresses if not a.isascii()]


async def _transaction(
    client: aiosmtplib.SMTP, sender: str, recipients: list[str], data: bytes
) -> tuple[dict[str, str], str]:
    """MAIL, RCPT…, DATA; returns (refused recipients, the final reply).

    A recipient with a non-ASCII local part or domain needs SMTPUTF8 (RFC 6531):
    used when the server offers it, else this one reply is refused with the reason
    before anything is sent. Once DATA has been sent, a drop or time-out becomes
    ``SmtpMaybeDelivered``.
    """
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    utf8 = _needs_smtputf8(sender, *recipients)
    if utf8 and not client.supports_extension("smtputf8"):
        raise SmtpRejected(
            f"{', '.join(utf8)} needs SMTPUTF8 (a non-ASCII address), which the SMTP server does not offer",
            code=None,
        )
    options = ["SMTPUTF8"] if utf8 else []
    if client.supports_extension("size"):
        options.insert(0, f"SIZE={len(data)}")
    encoding = "utf-8" if utf8 else "ascii"
    await client.mail(sender, options=options, encoding=encoding)
    refused: dict[str, str] = {}
    errors: list[aiosmtplib.SMTPRecipientRefused] = []
    for recipient in recipients:
        try:
            await client.rcpt(recipient, encoding=encoding)
        except aiosmtplib.SMTPRecipientRefused as exc:
            errors.append(exc)
            refused[recipient] = f"{exc.code} {exc.message}"
    if len(errors) == len(recipients):
        await _reset(client)
        raise aiosmtplib.SMTPRecipientsRefused(errors)
    try:
        response = await client.data(data)
    except aiosmtplib.SMTPResponseException:
        await _reset(client)
        raise  # the server answered: it did not take the mail
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SmtpMaybeDelivered(
            f"no answer after DATA ({_describe(exc)}): the server may have taken the reply; "
            "check whether the customer got it before resending"
        ) from None
    return refused, response.message


async def _reset(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
        await client.rset()


def _redact(text: str, settings: SmtpSettings) -> str:
    """Remove the password, also in the base64 forms AUTH LOGIN and PLAIN send."""
    if settings.password:
        secret_text = settings.password.get_secret_value()
        user, password = settings.username.encode(), secret_text.encode()
        for secret in (
            secret_text,
            base64.b64encode(password).decode(),
            base64.b64encode(b"\0" + user + b"\0" + password).decode(),
        ):
            text = text.replace(secret, "***")
    return " ".join(text.split())  # server replies may span lines


def _describe(exc: Exception) -> str:
    """The server's words, prefixed by the reply code when there is one."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def _code(exc: Exception) -> int | None:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        # One refusal that may pass later makes the whole message worth retrying.
        temporary = [c for c in codes if c < 500]
        chosen = temporary or codes
        return chosen[0] if chosen else None
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code
    return None


async def _connect(client: aiosmtplib.SMTP, settings: SmtpSettings) -> None:
    """Connect, STARTTLS and log in (aiosmtplib does all three in ``connect``)."""
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        if client.is_connected:
            client.close()
        where = f"{settings.host}:{settings.effective_port()}"
        raise SmtpUnavailable(
            _redact(f"cannot use SMTP server {where}: {_describe(exc)}", settings),
            code=_code(exc),
        ) from None


async def send_smtp(message: EmailMessage, *, settings: SmtpSettings) -> str:
    """Send ``message`` and return the server's final reply (e.g. ``250 OK queued``).

    The bytes are flattened here with the reply policy, not by aiosmtplib, whose
    ``policy.SMTP`` would RFC 2047-encode long message ids. The transaction is run
    command by command, so a failure is known to lie before or after ``DATA``.
    """
    security = settings.security
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.effective_port(),
        use_tls=security == "ssl",
        start_tls=security == "starttls",
        timeout=settings.timeout,
        username=settings.username or None,
        password=settings.password.get_secret_value() if settings.username else None,
    )
    data = reply_bytes(message, linesep="\r\n")
    sender = envelope_sender(message)
    recipients = envelope_recipients(message)
    await _connect(client, settings)
    try:
        refused, reply = await _transaction(client, sender, recipients, data)
    except aiosmtplib.SMTPSenderRefused as exc:
        text = _redact(_describe(exc), settings)
        if exc.code == MESSAGE_TOO_BIG:
            raise SmtpRejected(text, code=exc.code) from None
        text = f"server refused our sender {sender}: {text}"
        raise SmtpUnavailable(text, code=exc.code) from None
    except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
        code = _code(exc)
        text = _redact(_describe(exc), settings)
        if code is not None and code >= 500:
            raise SmtpRejected(text, code=code) from None
        raise SmtpDeferred(text, code=code) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        # Disconnects and timeouts before DATA: nothing was handed over, try again.
        raise SmtpDeferred(_redact(_describe(exc), settings)) from None
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    if refused:
        # Some recipients took it: the reply is sent, note who did not.
        reply += " (refused: " + "; ".join(f"{a}: {r}" for a, r in refused.items()) + ")"
    return _redact(reply, settings)
