"""HttpAccountBook against the reference account API over real HTTP.

The client's sleep between tries is recorded instead of slept, so the tests see
exactly which waits the backoff and ``Retry-After`` asked for.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from servers.account_api import TOKEN, AccountApiServer, api_account

from mailbot.accounts.book import AccountRecord
from mailbot.accounts.http import AccountApiClient, HttpAccountBook, retry_after_seconds
from mailbot.accounts.source import open_account_book
from mailbot.config import settings_from_mapping
from mailbot.errors import AccountApiRefused, AccountApiUnauthorized, AccountApiUnavailable, ConfigError

PAID = date(2027, 1, 31)


@pytest.fixture
def api(account_api: AccountApiServer) -> AccountApiServer:
    account_api.seed(
        api_account(77, "boss@firma.example"),
        api_account(1042, "va@firma.example", plan="basic", status="trial", paid_until=None),
        api_account(1043, "old@firma.example", status="expired", paid_until=date(2025, 1, 31), primary=77),
        api_account(1044, "old2@firma.example", status="expired", paid_until=date(2025, 1, 31), primary=77),
    )
    return account_api


class Waits(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(api: AccountApiServer, waits: Waits, *, token: str = TOKEN, timeout: float = 5.0) -> AccountApiClient:
    return AccountApiClient(
        url=api.url + "/", token=token, timeout=timeout, retries=3, retry_base_seconds=0.5, sleep=waits
    )


def test_look_ups_by_email_id_and_a_primarys_members(api: AccountApiServer) -> None:
    book = HttpAccountBook(client(api, Waits()))
    assert book.by_email("BOSS@firma.example") == AccountRecord(77, "boss@firma.example", "pro", "active", PAID, None)
    assert book.by_id(1042) == AccountRecord(1042, "va@firma.example", "basic", "trial", None, None)
    assert [m.account_id for m in book.linked_members(77)] == [1043, 1044]
    assert book.by_email("nobody@firma.example") is None
    assert book.by_id(5) is None
    book.close()


def test_each_address_is_asked_for_once_per_book(api: AccountApiServer) -> None:
    book = HttpAccountBook(client(api, Waits()))
    before = api.requests()
    for _ in range(3):
        book.by_email("boss@firma.example")
        book.by_email("nobody@firma.example")  # a miss is remembered too
        book.linked_members(77)
    book.by_email("old@firma.example")  # seen in the member list: no request
    book.by_id(77)  # seen by address: no request
    assert api.requests() - before == 3
    fresh = HttpAccountBook(client(api, Waits()))  # the next cycle asks again
    fresh.by_email("boss@firma.example")
    assert api.requests() - before == 4


def test_503s_are_retried_with_backoff(api: AccountApiServer) -> None:
    api.fault("status", status=503, times=2, path="/accounts/77")
    waits = Waits()
    assert HttpAccountBook(client(api, waits)).by_id(77) is not None
    assert waits == [0.5, 1.0]


def test_429_waits_as_long_as_retry_after_says(api: AccountApiServer) -> None:
    api.fault("status", status=429, retry_after="4", path="/accounts/77")
    waits = Waits()
    assert HttpAccountBook(client(api, waits)).by_id(77) is not None
    assert waits == [4.0]


def test_a_retry_after_beyond_what_a_request_waits_ends_the_tries(api: AccountApiServer) -> None:
    api.fault("status", status=503, retry_after="3600", path="/accounts/77")
    waits = Waits()
    with pytest.raises(AccountApiUnavailable) as caught:
        HttpAccountBook(client(api, waits)).by_id(77)
    assert caught.value.retry_after == 3600.0
    assert waits == []


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 6, 15, 9, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Mon, 15 Jun 2026 09:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("7", now=now) == 7.0
    assert retry_after_seconds("soon", now=now) is None


def test_temporary_failures_past_the_retries_say_so(api: AccountApiServer) -> None:
    api.fault("status", status=502, times=10)
    waits = Waits()
    with pytest.raises(AccountApiUnavailable, match=r"answered 502; 4 tries"):
        HttpAccountBook(client(api, waits)).by_email("boss@firma.example")
    assert waits == [0.5, 1.0, 2.0]


def test_a_slow_answer_times_out_and_is_tried_again(api: AccountApiServer) -> None:
    api.fault("slow", seconds=3.0, path="/accounts/77")
    waits = Waits()
    assert HttpAccountBook(client(api, waits, timeout=0.5)).by_id(77) is not None
    assert waits == [0.5]


def test_a_dropped_connection_is_tried_again(api: AccountApiServer) -> None:
    api.fault("drop", path="/accounts/77")
    waits = Waits()
    assert HttpAccountBook(client(api, waits)).by_id(77) is not None
    assert waits == [0.5]


def test_a_wrong_token_stops_with_one_line_naming_the_key(api: AccountApiServer) -> None:
    waits = Waits()
    with pytest.raises(AccountApiUnauthorized) as caught:
        HttpAccountBook(client(api, waits, token="not-the-token")).by_id(77)
    message = str(caught.value)
    assert "[accounts] token" in message and "\n" not in message
    assert "not-the-token" not in message
    assert waits == []  # never retried


def test_a_403_stops_like_a_401(api: AccountApiServer) -> None:
    api.fault("status", status=403, error="forbidden")
    with pytest.raises(AccountApiUnauthorized, match=r"\(403\).*\[accounts\] token"):
        HttpAccountBook(client(api, Waits())).by_id(77)


def test_a_refusal_carries_the_vendors_words(api: AccountApiServer) -> None:
    api_client = client(api, Waits())
    with pytest.raises(AccountApiRefused) as caught:
        api_client.reactivate(1042, paid_until=PAID, key="key-1")
    assert caught.value.status == 409
    assert caught.value.vendor_message == "account #1042 is not linked to a primary account"


def test_an_action_whose_answer_was_lost_is_applied_once(api: AccountApiServer) -> None:
    api.fault("drop", method="POST", after_apply=True)
    waits = Waits()
    record = client(api, waits).link(1042, primary_account_id=77, plan="pro", paid_until=PAID, key="key-2")
    assert record.primary_account_id == 77 and record.plan == "pro" and record.paid_until == PAID
    assert waits == [0.5]
    assert api.applied() == [{"key": "key-2", "action": "link", "account_id": 1042}]


def test_the_token_never_reaches_the_logs(api: AccountApiServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.fault("status", status=503)
    book = HttpAccountBook(client(api, Waits()))
    book.by_email("boss@firma.example")
    with pytest.raises(AccountApiUnauthorized):
        HttpAccountBook(client(api, Waits(), token=TOKEN + "-old")).by_id(1)
    assert caplog.records  # httpx and the retry did log
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert TOKEN not in repr(book.client)


def test_the_source_setting_chooses_the_book(api: AccountApiServer) -> None:
    settings = settings_from_mapping(
        {"accounts": {"source": "http", "url": api.url, "token": TOKEN, "timeout": 2}}, env={}
    )
    book = open_account_book(settings)
    assert isinstance(book, HttpAccountBook)
    assert book.by_email("va@firma.example") is not None
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ({"source": "http", "token": "t"}, "accounts.url: required when accounts.source = 'http'"),
        ({"source": "http", "url": "https://api.example"}, "accounts.token: required when accounts.source = 'http'"),
    ],
)
def test_the_http_source_needs_a_url_and_a_token(accounts: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"accounts": accounts}, env={})
    assert str(caught.value) == message
