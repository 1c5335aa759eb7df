"""The vendor's account API (SPEC "Account records: where they live"), through httpx.

``AccountApiClient`` speaks the API's table: three look-ups and two actions, the
bearer token on every request, a time-out per request, and retries with backoff
for what is temporary (time-outs, dropped connections, ``429``, ``5xx``, honouring
``Retry-After``). ``401``/``403`` stop at once with one line naming
``[accounts] token``; any other ``4xx`` to an action is the vendor's refusal.

``HttpAccountBook`` is the ``AccountBook`` triage and review read: it remembers
every answer for its own life, so one poll cycle (which makes one book) asks
about each address at most once however many mails name it.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from mailbot.accounts.book import AccountRecord
from mailbot.errors import AccountApiError, AccountApiRefused, AccountApiUnauthorized, AccountApiUnavailable
from mailbot.outbox.backoff import backoff_seconds

log = logging.getLogger(__name__)

#: The longest ``Retry-After`` a request waits for in place; a longer one ends the
#: tries, and the caller (a held action) comes back when the API asked it to.
MAX_RETRY_AFTER_SECONDS = 30.0
#: The longest wait between two tries of one request.
MAX_BACKOFF_SECONDS = 8.0


class _Temporary(Exception):
    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _record(data: Any) -> AccountRecord:
    """One account object of an answer; anything malformed is the API's error, said once."""
    try:
        paid = data["paid_until"]
        primary = data["primary_account_id"]
        return AccountRecord(
            account_id=int(data["account_id"]),
            email=str(data["email"]).strip().lower(),
            plan=str(data["plan"]),
            status=str(data["status"]),
            paid_until=date.fromisoformat(paid) if paid else None,
            primary_account_id=int(primary) if primary is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        why = exc.__class__.__name__
        raise AccountApiError(f"the account API answered a malformed account record ({why})") from None


class AccountApiClient:
    """The API's five requests; one ``httpx.Client`` (keep-alive) for the client's life."""

    def __init__(
        self,
        *,
        url: str,
        token: str,
        timeout: float,
        retries: int = 3,
        retry_base_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retries = retries
        self.retry_base_seconds = retry_base_seconds
        self._sleep = sleep
        # The token lives only in the client's default headers: never in a URL,
        # a message or a repr.
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            # httpcore writes a POST's headers and body separately: without
            # TCP_NODELAY the body waits for the server's delayed ACK (~40 ms).
            transport=httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]),
        )
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"AccountApiClient(url={str(self._http.base_url)!r})"

    def close(self) -> None:
        self._http.close()

    # -- look-ups ---------------------------------------------------------------

    def account_by_email(self, email: str) -> AccountRecord | None:
        return self._one("/accounts", params={"email": email})

    def account_by_id(self, account_id: int) -> AccountRecord | None:
        return self._one(f"/accounts/{account_id}")

    def linked_members(self, primary_id: int) -> list[AccountRecord]:
        response = self._request("GET", "/accounts", params={"primary_account_id": primary_id})
        self._expect_ok(response, "GET /accounts?primary_account_id")
        data = self._json(response)
        if not isinstance(data.get("accounts"), list):
            raise AccountApiError("the account API answered a member list without 'accounts'")
        return [_record(item) for item in data["accounts"]]

    def _one(self, path: str, *, params: dict[str, Any] | None = None) -> AccountRecord | None:
        response = self._request("GET", path, params=params)
        if response.status_code == 404:
            return None
        self._expect_ok(response, f"GET {path}")
        return _record(self._json(response).get("account"))

    # -- actions ----------------------------------------------------------------

    def link(
        self, account_id: int, *, primary_account_id: int, plan: str, paid_until: date | None, key: str
    ) -> AccountRecord:
        body = {
            "primary_account_id": primary_account_id,
            "plan": plan,
            "paid_until": paid_until.isoformat() if paid_until else None,
        }
        return self._act(f"/accounts/{account_id}/link", body, key=key)

    def reactivate(self, account_id: int, *, paid_until: date | None, key: str) -> AccountRecord:
        return self._act(
            f"/accounts/{account_id}/reactivate",
            {"paid_until": paid_until.isoformat() if paid_until else None},
            key=key,
        )

    def _act(self, path: str, body: dict[str, Any], *, key: str) -> AccountRecord:
        """POST with the action's own Idempotency-Key: the same key on every try."""
        response = self._request("POST", path, json=body, headers={"Idempotency-Key": key})
        if 400 <= response.status_code < 500:
            words = _vendor_words(response)
            raise AccountApiRefused(
                f"the account API refused POST {path} ({response.status_code}): {words}",
                status=response.status_code,
                vendor_message=words,
            )
        self._expect_ok(response, f"POST {path}")
        data = self._json(response, temporary=True)
        return _record(data.get("account"))

    # -- the transport: retries, time-outs, the token -----------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send, retrying what is temporary; 401/403 raise at once."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._try(method, path, **kwargs)
            except _Temporary as temporary:
                last = attempt > self.retries
                waits_too_long = temporary.retry_after is not None and temporary.retry_after > MAX_RETRY_AFTER_SECONDS
                if last or waits_too_long:
                    raise AccountApiUnavailable(
                        f"the account API is unavailable ({method} {path}: {temporary.why}; {attempt} tries)",
                        retry_after=temporary.retry_after,
                    ) from None
                wait = backoff_seconds(attempt, base=self.retry_base_seconds, cap=MAX_BACKOFF_SECONDS)
                wait = max(wait, temporary.retry_after or 0.0)
                log.info("account API %s %s: %s; try %d in %.1fs", method, path, temporary.why, attempt + 1, wait)
                self._sleep(wait)

    def _try(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise _Temporary(f"no answer within {self.timeout:g}s") from None
        except httpx.TransportError as exc:  # refused, reset, dropped mid-answer
            raise _Temporary(f"connection failed ({exc.__class__.__name__})") from None
        status = response.status_code
        if status in (401, 403):
            raise AccountApiUnauthorized(
                f"the account API refused our credentials ({status}): check [accounts] token"
            ) from None
        if status == 429 or status >= 500:
            raise _Temporary(f"answered {status}", retry_after_seconds(response.headers.get("Retry-After")))
        return response

    @staticmethod
    def _expect_ok(response: httpx.Response, what: str) -> None:
        if response.status_code != 200:
            words = _vendor_words(response)
            raise AccountApiError(f"the account API answered {what} with {response.status_code}: {words}")

    @staticmethod
    def _json(response: httpx.Response, *, temporary: bool = False) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if temporary:  # the action may have happened; the same key asks again safely
                raise AccountApiUnavailable("the account API answered 200 without a JSON object")
            raise AccountApiError("the account API answered 200 without a JSON object")
        return data


def _vendor_words(response: httpx.Response) -> str:
    """The vendor's ``{"error": …}`` sentence, else the start of the body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str) and data["error"].strip():
        return data["error"].strip()
    text = response.text.strip().splitlines()
    return text[0][:300] if text else response.reason_phrase or f"HTTP {response.status_code}"


class HttpAccountBook:
    """``AccountBook`` over the API; every answer is kept for the book's life.

    Make one per poll cycle or approval: within it each address (and id, and
    member list) is asked for once, and an account seen in a member list is not
    asked for again by address.
    """

    def __init__(self, client: AccountApiClient) -> None:
        self.client = client
        self._by_email: dict[str, AccountRecord | None] = {}
        self._by_id: dict[int, AccountRecord | None] = {}
        self._members: dict[int, list[AccountRecord]] = {}

    def _remember(self, record: AccountRecord) -> None:
        self._by_email[record.email] = record
        self._by_id[record.account_id] = record

    def by_email(self, email: str) -> AccountRecord | None:
        key = email.strip().lower()
        if key not in self._by_email:
            found = self.client.account_by_email(key)
            self._by_email[key] = found
            if found is not None:
                self._remember(found)
        return self._by_email[key]

    def by_id(self, account_id: int) -> AccountRecord | None:
        if account_id not in self._by_id:
            found = self.client.account_by_id(account_id)
            self._by_id[account_id] = found
            if found is not None:
                self._remember(found)
        return self._by_id[account_id]

    def linked_members(self, primary_id: int) -> list[AccountRecord]:
        if primary_id not in self._members:
            members = self.client.linked_members(primary_id)
            for member in members:
                self._remember(member)
            self._members[primary_id] = members
        return self._members[primary_id]

    def close(self) -> None:
        self.client.close()
