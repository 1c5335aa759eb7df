"""``[accounts] source`` decides which account book everyone reads: one factory, two books.

Triage, review and the console call ``open_account_book`` and get an
``AccountBook``; none of them knows whether it answers from mailbot's own table or
from the vendor's API. Each book caches for its life, so callers open one per poll
cycle, per approval or per page, and close it afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from mailbot.accounts.book import AccountRecord
from mailbot.config import Settings

if TYPE_CHECKING:  # httpx is imported only where the API is used: not by a dry run over the database
    from mailbot.accounts.http import AccountApiClient


class OpenAccountBook(Protocol):
    """An ``AccountBook`` answering ``AccountRecord`` values, closed by whoever opened it."""

    def by_email(self, email: str) -> AccountRecord | None: ...

    def by_id(self, account_id: int) -> AccountRecord | None: ...

    def linked_members(self, primary_id: int) -> list[AccountRecord]: ...

    def close(self) -> None: ...


def uses_account_api(settings: Settings) -> bool:
    return settings.accounts.source == "http"


def open_account_api(settings: Settings) -> AccountApiClient:
    """A client for the API that ``[accounts]`` names (its token sent as a bearer secret)."""
    from mailbot.accounts.http import AccountApiClient

    accounts = settings.accounts
    return AccountApiClient(
        url=accounts.url,
        token=accounts.token.get_secret_value(),  # unwrapped only here, into the header
        timeout=accounts.timeout,
        retries=accounts.retries,
        retry_base_seconds=accounts.retry_base_seconds,
    )


def open_account_book(settings: Settings, *, connection: Any = None) -> OpenAccountBook:
    """The book for ``[accounts] source``; ``connection`` (a Session or Connection) for the database."""
    if uses_account_api(settings):
        from mailbot.accounts.http import HttpAccountBook

        return HttpAccountBook(open_account_api(settings))
    if connection is None:
        raise ValueError("the database account book needs a connection")
    from mailbot.accounts.database import DbAccountBook

    return DbAccountBook(connection)
