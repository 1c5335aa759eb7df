"""The reference account API over real HTTP: SPEC's table, the token, idempotency keys, faults."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from servers.account_api import TOKEN, AccountApiServer, api_account

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def api(account_api: AccountApiServer) -> AccountApiServer:
    account_api.seed(
        api_account(77, "boss@firma.example"),
        api_account(1042, "va@firma.example", plan="basic", status="trial", paid_until=None),
        api_account(1043, "old@firma.example", status="expired", paid_until=date(2025, 1, 31), primary=77),
    )
    return account_api


def get(api: AccountApiServer, path: str, **kwargs) -> httpx.Response:
    return httpx.get(api.url + path, headers=kwargs.pop("headers", AUTH), timeout=5, **kwargs)


def post(api: AccountApiServer, path: str, body: dict, *, key: str | None) -> httpx.Response:
    headers = dict(AUTH, **({"Idempotency-Key": key} if key else {}))
    return httpx.post(api.url + path, json=body, headers=headers, timeout=5)


def test_look_ups_by_email_id_and_primary(api: AccountApiServer) -> None:
    by_email = get(api, "/accounts", params={"email": "Boss@Firma.example"})
    assert by_email.status_code == 200
    assert by_email.json()["account"] == {
        "account_id": 77,
        "email": "boss@firma.example",
        "plan": "pro",
        "status": "active",
        "paid_until": "2027-01-31",
        "primary_account_id": None,
    }
    assert get(api, "/accounts/1042").json()["account"]["email"] == "va@firma.example"
    members = get(api, "/accounts", params={"primary_account_id": 77}).json()["accounts"]
    assert [m["account_id"] for m in members] == [1043]
    assert get(api, "/accounts", params={"email": "nobody@firma.example"}).status_code == 404
    assert get(api, "/accounts/9").status_code == 404


def test_every_request_needs_the_bearer_token(api: AccountApiServer) -> None:
    assert get(api, "/accounts/77", headers={}).status_code == 401
    wrong = get(api, "/accounts/77", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "token" in wrong.json()["error"]


def test_link_is_applied_once_per_idempotency_key(api: AccountApiServer) -> None:
    body = {"primary_account_id": 77, "plan": "pro", "paid_until": "2027-01-31"}
    first = post(api, "/accounts/1042/link", body, key="k-1")
    again = post(api, "/accounts/1042/link", body, key="k-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["account"]["primary_account_id"] == 77
    assert first.json()["account"]["status"] == "active"
    assert api.applied() == [{"key": "k-1", "action": "link", "account_id": 1042}]


def test_a_key_reused_for_another_request_is_refused(api: AccountApiServer) -> None:
    post(api, "/accounts/1042/link", {"primary_account_id": 77, "plan": "pro", "paid_until": None}, key="k-2")
    other = post(api, "/accounts/1043/reactivate", {"paid_until": "2027-01-31"}, key="k-2")
    assert other.status_code == 422
    assert len(api.applied()) == 1


def test_refusals_carry_the_vendors_words(api: AccountApiServer) -> None:
    linked_elsewhere = post(
        api, "/accounts/1043/link", {"primary_account_id": 1042, "plan": "pro", "paid_until": None}, key="k-3"
    )
    assert linked_elsewhere.status_code == 409
    assert linked_elsewhere.json() == {"error": "account #1043 is already linked to account #77"}
    not_linked = post(api, "/accounts/1042/reactivate", {"paid_until": "2027-01-31"}, key="k-4")
    assert not_linked.status_code == 409
    bad_date = post(api, "/accounts/1043/reactivate", {"paid_until": "soon"}, key="k-5")
    assert bad_date.status_code == 422
    assert post(api, "/accounts/1043/reactivate", {"paid_until": "2027-01-31"}, key=None).status_code == 400
    assert api.applied() == []


def test_reactivate_sets_status_and_paid_until(api: AccountApiServer) -> None:
    answer = post(api, "/accounts/1043/reactivate", {"paid_until": "2027-01-31"}, key="k-6")
    assert answer.status_code == 200
    assert api.record(1043) == {
        "account_id": 1043,
        "email": "old@firma.example",
        "plan": "pro",
        "status": "active",
        "paid_until": "2027-01-31",
        "primary_account_id": 77,
    }


def test_status_faults_are_used_up_in_order(api: AccountApiServer) -> None:
    api.fault("status", status=503, times=2, path="/accounts/77")
    api.fault("status", status=429, retry_after="3", path="/accounts/77")
    codes = [get(api, "/accounts/77") for _ in range(4)]
    assert [c.status_code for c in codes] == [503, 503, 429, 200]
    assert codes[2].headers["Retry-After"] == "3"
    assert get(api, "/accounts/1042").status_code == 200  # other paths are untouched


def test_a_dropped_connection_gets_no_answer(api: AccountApiServer) -> None:
    api.fault("drop", path="/accounts/77")
    with pytest.raises(httpx.TransportError):
        get(api, "/accounts/77")
    assert get(api, "/accounts/77").status_code == 200


def test_an_answer_dropped_after_the_change_was_applied(api: AccountApiServer) -> None:
    api.fault("drop", method="POST", after_apply=True)
    body = {"paid_until": "2027-01-31"}
    with pytest.raises(httpx.TransportError):
        post(api, "/accounts/1043/reactivate", body, key="k-7")
    assert api.record(1043)["status"] == "active"  # type: ignore[index]
    assert post(api, "/accounts/1043/reactivate", body, key="k-7").status_code == 200
    assert len(api.applied()) == 1


def test_a_slow_answer_outlasts_a_short_client_timeout(api: AccountApiServer) -> None:
    api.fault("slow", seconds=2.0, path="/accounts/77")
    with pytest.raises(httpx.TimeoutException):
        httpx.get(api.url + "/accounts/77", headers=AUTH, timeout=0.3)
    assert get(api, "/accounts/77").status_code == 200
