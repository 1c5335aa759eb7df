"""Exceptions that say when they fire.

Each subclasses the built-in it resembles, so callers that only know the
standard library still catch them sensibly.
"""

from __future__ import annotations


class MailbotError(Exception):
    """Base of every error mailbot raises on purpose (the CLI prints these as one line)."""


class ConfigError(MailbotError, ValueError):
    """A config value is missing or malformed; the message names the key."""


class ImportRowError(MailbotError, ValueError):
    """A CSV row of account records is malformed; the message names the line."""


class MailboxUnavailable(MailbotError, ConnectionError):
    """The IMAP server refused the connection or the login, or the Maildir is missing."""


class DeliveryError(MailbotError):
    """Sending a reply failed."""


class TemporaryDeliveryError(DeliveryError, ConnectionError):
    """The SMTP server answered 4xx, dropped the connection or timed out: try again later."""


class PermanentDeliveryError(DeliveryError):
    """The SMTP server answered 5xx: retrying would not help."""


class UncertainDeliveryError(DeliveryError):
    """The connection broke or timed out after the message data was handed over: the
    server may have taken it. Only an agent may resend (a retry could send it twice)."""


class ReviewError(MailbotError):
    """An agent's approve/reject could not be carried out."""


class DraftNotFound(ReviewError, LookupError):
    """No draft has the given id."""


class DraftStateError(ReviewError):
    """The draft is not in a state that allows the requested step (already approved, sent, ...)."""


class DraftSuperseded(DraftStateError):
    """The draft was replaced by a newer one of its conversation: the agent reviews that one instead."""

    def __init__(self, draft_id: int, superseded_by: int | None) -> None:
        new = superseded_by
        super().__init__(f"draft {draft_id} was superseded by draft {new}: review draft {new} instead")
        self.draft_id = draft_id
        self.superseded_by = superseded_by


class StaleDecision(ReviewError):
    """On approval the records no longer support the drafted decision."""

    def __init__(self, message: str, *, outcomes: list[str]) -> None:
        super().__init__(message)
        self.outcomes = outcomes


class SchemaError(MailbotError):
    """The database's schema is not the one this code needs (the message says what to run)."""


class OutboxError(MailbotError):
    """A reply in the outbox cannot take the requested step (no such reply, wrong status)."""


class AccountApiError(MailbotError):
    """The vendor's account API could not answer what mailbot asked."""


class AccountApiUnavailable(AccountApiError, ConnectionError):
    """Time-outs, dropped connections, 429 or 5xx outlasted the retries: try again later.

    ``retry_after`` is the API's own ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccountApiUnauthorized(AccountApiError, PermissionError):
    """The API answered 401/403: the token is wrong or lacks the right; retrying would not help."""


class AccountApiRefused(AccountApiError):
    """The vendor refused an action (409, 422 or another 4xx); ``vendor_message`` is their words."""

    def __init__(self, message: str, *, status: int, vendor_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.vendor_message = vendor_message


class ActionRefused(ReviewError):
    """The vendor's account system refused an approved action: the draft is ``action_failed``."""

    def __init__(self, message: str, *, vendor_message: str) -> None:
        super().__init__(message)
        self.vendor_message = vendor_message


class BillingEventRefused(MailbotError, ValueError):
    """A billing webhook request is unsigned, wrongly signed, stale, oversized or malformed (HTTP 400).

    The message is the short reason the sender reads; it never contains the secret.
    """
