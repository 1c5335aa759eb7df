"""Hand a reply to the SMTP server (aiosmtplib).

Failures are sorted by what the caller should do next:

* ``SmtpUnavailable`` — we could not connect, start TLS, greet or log in, or
  the server refused our own sender address (``530 Must issue a STARTTLS command
  first``, ``530 Authentication required``, a From the relay does not allow).
  The message was never offered, so the caller should not count it as an attempt
  and should stop the run: every other message would fail the same way, and an
  operator's fix, not a new approval, is what brings them through.
* ``SmtpDeferred`` — 4xx to MAIL/RCPT/DATA, or the connection dropped or timed
  out during the transaction: try this message again later.
* ``SmtpRejected`` — 5xx to RCPT or DATA (or a message size the server refuses
  at MAIL): retrying would not help.

Error texts carry the server's own words (agents read them), never the password:
a server that echoes credentials back is redacted.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage

import aiosmtplib

from mailbot.config import SmtpSettings
from mailbot.errors import PermanentDeliveryError, TemporaryDeliveryError
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


class SmtpRejected(PermanentDeliveryError):
    """The server answered 5xx to RCPT TO or DATA, or cannot take this message at all."""

    def __init__(self, message: str, *, code: int | None) -> None:
        super().__init__(message)
        self.code = code


MESSAGE_TOO_BIG = 552  # at MAIL FROM SIZE=: about this message, not about us


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
        return (temporary or codes or [None])[0]
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
    ``policy.SMTP`` would RFC 2047-encode long message ids.
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
        refused, reply = await client.sendmail(sender, recipients, data)
    except aiosmtplib.SMTPSenderRefused as exc:
        text = _redact(_describe(exc), settings)
        if exc.code == MESSAGE_TOO_BIG:
            raise SmtpRejected(text, code=exc.code) from None
        text = f"server refused our sender {sender}: {text}"
        raise SmtpUnavailable(text, code=exc.code) from None
    except aiosmtplib.SMTPNotSupported as exc:
        # Only SMTPUTF8 gets here: this recipient needs it and the server lacks it.
        raise SmtpRejected(_redact(_describe(exc), settings), code=None) from None
    except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException) as exc:
        code = _code(exc)
        text = _redact(_describe(exc), settings)
        if code is not None and code >= 500:
            raise SmtpRejected(text, code=code) from None
        raise SmtpDeferred(text, code=code) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        # Disconnects and timeouts mid-transaction. If the server had already
        # taken the message when the line broke, a retry sends it twice: RFC 5321
        # §6.1 prefers a duplicate to a lost message.
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
