"""``POST /hooks/billing`` over real HTTP against ``mailbot serve`` (a subprocess), on SQLite and PostgreSQL.

Signatures are made as Stripe makes them (HMAC-SHA256 of ``"<t>.<raw body>"``);
the ``invoice.paid`` body is a full Stripe event (``tests/data/billing/``) with
its periods moved next to today, since the drafts are decided with today's date.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from factories import account
from fastapi.testclient import TestClient
from mailbot_cli import REPO
from servers.smtp import free_port
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mailbot.accounts.csv_import import upsert_accounts
from mailbot.errors import BillingEventRefused
from mailbot.models import Account, BillingEvent, Draft, Renewal
from mailbot.renewals.billing import (
    MAX_BODY_BYTES,
    TOLERANCE_SECONDS,
    BillingNotice,
    parse_event,
    signature,
    signature_header,
    verify_signature,
)
from mailbot.renewals.notice import process_billing_event
from mailbot.vocabulary import RenewalOutcome

SECRET = "whsec_5f0c3e9a1d7b4c2e8a6f"
TODAY = date.today()
OLD = TODAY + timedelta(days=20)
RENEWED = TODAY + timedelta(days=385)
LAPSED = TODAY - timedelta(days=30)
INVOICE = Path(__file__).parent / "data" / "billing" / "invoice_paid.json"


def seed(engine: Engine) -> None:
    upsert_accounts(
        engine=engine,
        rows=[
            account(1, "boss@firma.example", paid_until=OLD),
            account(2, "va@firma.example", status="expired", paid_until=LAPSED, primary=1),
            account(10, "chef@firma.example", paid_until=OLD),
            account(11, "assist@firma.example", paid_until=OLD, primary=10),
            account(12, "assist2@firma.example", status="cancelled", paid_until=None, primary=10),
        ],
    )


def renewed_event(event_id: str, email: str, paid_until: date) -> bytes:
    return json.dumps(
        {"id": event_id, "type": "account.renewed", "email": email, "paid_until": paid_until.isoformat()}
    ).encode()


def invoice_event(*, email: str = "Chef@Firma.example", end: date = RENEWED) -> tuple[bytes, date]:
    """Stripe's invoice.paid with its subscription line ending on ``end`` and a proration line before it."""
    event = json.loads(INVOICE.read_text(encoding="utf-8"))
    invoice = event["data"]["object"]
    invoice["customer_email"] = email
    start = int(datetime.now(UTC).timestamp())
    ending = int(datetime(end.year, end.month, end.day, 10, tzinfo=UTC).timestamp())
    proration, subscription = invoice["lines"]["data"]
    subscription["period"] = {"start": start, "end": ending}
    proration["period"] = {"start": start, "end": ending - 90 * 86400}
    invoice["lines"]["data"] = [subscription, proration]  # the latest end is not the last line
    return json.dumps(event, indent=2).encode(), end


# -- pure: the signature and the events ------------------------------------------------------


def test_a_stripe_signature_verifies_and_any_v1_may_match() -> None:
    body = b'{"id": "evt_1", "type": "x"}'
    now = 1_750_000_000
    good = signature(SECRET, now, body)
    verify_signature(f"t={now},v1={good}", body, secret=SECRET, now=now)
    verify_signature(f"t={now},v1={'0' * 64},v1={good},v0=abc", body, secret=SECRET, now=now + 299)
    assert signature_header(SECRET, now, body) == f"t={now},v1={good}"


@pytest.mark.parametrize(
    ("header", "body", "secret", "age", "reason"),
    [
        (None, b"{}", SECRET, 0, "missing Stripe-Signature header"),
        ("", b"{}", SECRET, 0, "missing Stripe-Signature header"),
        ("v1=abc", b"{}", SECRET, 0, "malformed Stripe-Signature header"),
        ("t=now", b"{}", SECRET, 0, "malformed Stripe-Signature header"),
        ("t=now,v1=sig:wrong", b"{}", SECRET, 0, "no signature matches the body"),
        ("t=now,v1=sig", b"{ }", SECRET, 0, "no signature matches the body"),
        ("t=now,v1=sig", b"{}", SECRET, TOLERANCE_SECONDS + 1, "the signature's timestamp is too old"),
        ("t=now,v1=sig", b"{}", "", 0, "billing webhooks are not configured"),
        ("t=now,v1=sigü", b"{}", SECRET, 0, "no signature matches the body"),
    ],
)
def test_a_request_that_is_not_signed_right_is_refused(
    header: str | None, body: bytes, secret: str, age: int, reason: str
) -> None:
    now = 1_750_000_000
    if header is not None:
        key = "whsec_other" if header.endswith(":wrong") else SECRET
        header = header.replace("now", str(now)).replace("sig:wrong", signature(key, now, b"{}"))
        header = header.replace("sig", signature(SECRET, now, b"{}"))
    with pytest.raises(BillingEventRefused) as refused:
        verify_signature(header, body, secret=secret, now=now + age)
    assert str(refused.value) == reason
    assert SECRET not in str(refused.value)


def test_the_realistic_invoice_paid_reads_the_customer_and_the_latest_period_end() -> None:
    notice = parse_event(INVOICE.read_bytes())
    # The second line (the subscription) ends 2026-06-15 10:00 UTC, after the proration line.
    assert notice == BillingNotice(
        "evt_1PxR7aLkdIwHu7ix0Zt4QmVb", "invoice.paid", "boss@firma.example", date(2026, 6, 15)
    )
    body, end = invoice_event()
    assert parse_event(body).paid_until == end


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "malformed event: the body is not JSON"),
        (b"\xff\xfe", "malformed event: the body is not JSON"),
        (b"[1, 2]", "malformed event: the body is not an object"),
        (b'{"type": "invoice.paid"}', "malformed event: no event id"),
        (b'{"id": "evt_1"}', "malformed event: no event type"),
        (b'{"id": "evt_1", "type": "invoice.paid", "data": []}', "malformed event: data is not an object"),
        (
            b'{"id": "e", "type": "invoice.paid", '
            b'"data": {"object": {"customer_email": "a@b.c", "lines": {"data": 1}}}}',
            "malformed event: lines.data is not a list",
        ),
        (
            b'{"id": "e", "type": "account.renewed", "email": "a@b.c", "paid_until": "2027-13-01"}',
            "malformed event: paid_until is not an ISO date",
        ),
        (
            b'{"id": "e", "type": "account.renewed", "email": "nobody", "paid_until": "2027-01-01"}',
            "malformed event: email is not an address",
        ),
    ],
)
def test_a_signed_body_that_is_no_event_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(BillingEventRefused) as refused:
        parse_event(body)
    assert str(refused.value) == reason


def test_other_event_types_and_invoices_without_a_customer_address_are_ignored() -> None:
    assert parse_event(b'{"id": "evt_2", "type": "customer.updated", "data": {}}').ignored
    event = json.loads(INVOICE.read_text(encoding="utf-8"))
    event["data"]["object"]["customer_email"] = None
    notice = parse_event(json.dumps(event).encode())
    assert notice.ignored == "the invoice has no customer_email" and notice.paid_until is None


# -- processing, in process (both databases) ------------------------------------------------------


def test_each_event_id_is_processed_once_and_out_of_order_events_draft_nothing(db_engine: Engine, tmp_path) -> None:
    from test_renewals import settings_for

    seed(db_engine)
    settings = settings_for(str(db_engine.url), tmp_path)
    later = RENEWED + timedelta(days=365)

    def process(event_id: str, paid_until: date):
        notice = BillingNotice(event_id, "account.renewed", "boss@firma.example", paid_until)
        return process_billing_event(engine=db_engine, settings=settings, notice=notice).outcome

    assert process("evt_a", later) == RenewalOutcome.DRAFTED
    assert process("evt_a", later) == RenewalOutcome.DUPLICATE
    assert process("evt_b", RENEWED) == RenewalOutcome.NOT_NEWER  # arrived late: older than the one seen
    assert process("evt_c", later) == RenewalOutcome.ALREADY_SEEN  # another event for the same renewal
    with Session(db_engine) as session:
        assert len(session.exec(select(Draft)).all()) == 1
        assert session.get(Account, 1).paid_until == later  # type: ignore[union-attr]
        events = session.exec(select(BillingEvent.event_id, BillingEvent.outcome).order_by(col(BillingEvent.id))).all()
    assert events == [
        ("evt_a", RenewalOutcome.DRAFTED),
        ("evt_b", RenewalOutcome.NOT_NEWER),
        ("evt_c", RenewalOutcome.ALREADY_SEEN),
    ]


# -- over HTTP against `mailbot serve` -----------------------------------------------------------


@dataclass
class Served:
    url: str
    output: str = ""


@contextmanager
def serving(tmp_path: Path, db_url: str, *, secret: str = SECRET) -> Iterator[Served]:
    """``mailbot serve`` with a billing secret, in a subprocess on a free port, until the block ends."""
    port = free_port()
    config = tmp_path / "mailbot.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[support]\naddress = "support@vendor.example"\nname = "Vendor Support"\n'
        f'[web]\nhost = "127.0.0.1"\nport = {port}\nsecret_key = "{"w" * 48}"\n'
        f'[billing]\nwebhook_secret = "{secret}"\n'
        "[plans.pro]\nteam_seats = 2\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "--config", str(config), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(served.url + "/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "mailbot serve did not start"
                time.sleep(0.1)
        yield served
    finally:
        server.terminate()
        served.output, _ = server.communicate(timeout=30)


def post(url: str, body: bytes, header: str | None, **headers: str) -> httpx.Response:
    sent = {"Content-Type": "application/json", **headers}
    if header is not None:
        sent["Stripe-Signature"] = header
    return httpx.post(url + "/hooks/billing", content=body, headers=sent, timeout=30)


def state(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        return {
            "events": session.exec(
                select(BillingEvent.event_id, BillingEvent.outcome).order_by(col(BillingEvent.id))
            ).all(),
            "drafts": session.exec(select(Draft.id, Draft.to).order_by(col(Draft.id))).all(),
            "renewals": session.exec(select(Renewal.primary_email, Renewal.paid_until).order_by(col(Renewal.id))).all(),
            "paid": {a.account_id: a.paid_until for a in session.exec(select(Account))},
        }


def test_signed_events_over_http_draft_once_and_replays_do_nothing(db_engine: Engine, tmp_path: Path) -> None:
    seed(db_engine)
    invoice, invoice_end = invoice_event()
    renewal = renewed_event("evt_mailbot_1", "boss@firma.example", RENEWED)
    with serving(tmp_path, str(db_engine.url)) as served:
        now = int(time.time())
        # mailbot's own event, validly signed, and no CSRF token or login anywhere
        first = post(served.url, renewal, signature_header(SECRET, now, renewal))
        assert first.status_code == 200, first.text
        assert first.json()["outcome"] == "drafted" and first.json()["draft_id"] == 1
        # the replay: same id, same signature; 2xx and nothing more
        replay = post(served.url, renewal, signature_header(SECRET, now, renewal))
        assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
        # Stripe's invoice.paid with several v1 values (a secret being rolled), one right
        header = f"t={now},v1={signature('whsec_old', now, invoice)},v1={signature(SECRET, now, invoice)}"
        paid = post(served.url, invoice, header)
        assert paid.status_code == 200, paid.text
        assert paid.json() == {"id": "evt_1PxR7aLkdIwHu7ix0Zt4QmVb", "outcome": "drafted", "draft_id": 2}
        # an older renewal of boss after the newer one: processed, drafts nothing
        older = renewed_event("evt_mailbot_0", "boss@firma.example", OLD + timedelta(days=1))
        late = post(served.url, older, signature_header(SECRET, now, older))
        assert late.status_code == 200 and late.json()["outcome"] == "not_newer"
        # a type mailbot does not act on: 2xx, ignored
        other = b'{"id": "evt_other", "object": "event", "type": "customer.subscription.updated", "data": {}}'
        ignored = post(served.url, other, signature_header(SECRET, now, other))
        assert ignored.status_code == 200 and ignored.json()["outcome"] == "ignored"
    after = state(db_engine)
    assert after["events"] == [
        ("evt_mailbot_1", RenewalOutcome.DRAFTED),
        ("evt_1PxR7aLkdIwHu7ix0Zt4QmVb", RenewalOutcome.DRAFTED),
        ("evt_mailbot_0", RenewalOutcome.NOT_NEWER),
        ("evt_other", RenewalOutcome.IGNORED),
    ]
    assert after["drafts"] == [(1, "boss@firma.example"), (2, "chef@firma.example")]
    assert after["paid"][1] == RENEWED and after["paid"][10] == invoice_end  # the database source moves it
    with Session(db_engine) as session:
        chef = session.get(Draft, 2)
        assert chef is not None and [r["team_member"] for r in chef.requests] == [
            "assist@firma.example",
            "assist2@firma.example",
        ]
    assert SECRET not in served.output


def test_unsigned_wrong_stale_altered_oversized_or_malformed_requests_get_400_and_change_nothing(
    db_engine: Engine, tmp_path: Path
) -> None:
    seed(db_engine)
    before = state(db_engine)
    body = renewed_event("evt_x", "boss@firma.example", RENEWED)
    with serving(tmp_path, str(db_engine.url)) as served:
        now = int(time.time())
        cases = {
            "missing header": post(served.url, body, None),
            "wrong secret": post(served.url, body, signature_header("whsec_wrong", now, body)),
            "stale timestamp": post(served.url, body, signature_header(SECRET, now - TOLERANCE_SECONDS - 60, body)),
            "altered body": post(served.url, body.replace(b"boss@", b"evil@"), signature_header(SECRET, now, body)),
            "malformed header": post(served.url, body, "v1=" + signature(SECRET, now, body)),
            "malformed body": post(served.url, b"{not json", signature_header(SECRET, now, b"{not json")),
        }
        huge = b'{"id": "evt_big", "type": "account.renewed", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
        cases["oversized body"] = post(served.url, huge, signature_header(SECRET, now, huge))

        def chunks() -> Iterator[bytes]:  # no Content-Length: the cap holds while reading
            for start in range(0, len(huge), 65536):
                yield huge[start : start + 65536]

        cases["oversized, chunked"] = httpx.post(
            served.url + "/hooks/billing",
            content=chunks(),
            headers={"Stripe-Signature": signature_header(SECRET, now, huge)},
            timeout=30,
        )
        reasons = {name: (r.status_code, r.json()["error"]) for name, r in cases.items()}
        # and a valid request still works afterwards
        assert post(served.url, body, signature_header(SECRET, now, body)).status_code == 200
    assert reasons == {
        "missing header": (400, "missing Stripe-Signature header"),
        "wrong secret": (400, "no signature matches the body"),
        "stale timestamp": (400, "the signature's timestamp is too old"),
        "altered body": (400, "no signature matches the body"),
        "malformed header": (400, "malformed Stripe-Signature header"),
        "malformed body": (400, "malformed event: the body is not JSON"),
        "oversized body": (400, f"the body is larger than {MAX_BODY_BYTES} bytes"),
        "oversized, chunked": (400, f"the body is larger than {MAX_BODY_BYTES} bytes"),
    }
    after = state(db_engine)
    assert after["events"] == [("evt_x", RenewalOutcome.DRAFTED)]  # only the valid one
    assert (after["drafts"], after["renewals"]) == ([(1, "boss@firma.example")], [("boss@firma.example", RENEWED)])
    assert before["events"] == [] and before["drafts"] == []
    assert SECRET not in served.output


# -- the console shows them ---------------------------------------------------------------------


def test_the_console_marks_proactive_drafts_and_lists_billing_events(db_engine: Engine, tmp_path: Path) -> None:
    from test_web import console_settings, login

    from mailbot.web.agents import add_agent
    from mailbot.web.app import create_app

    seed(db_engine)
    settings = console_settings(
        str(db_engine.url), tmp_path, web={"secret_key": "k" * 48}, billing={"webhook_secret": SECRET}
    )
    add_agent(engine=db_engine, name="alice", password="correct horse battery staple")
    client = TestClient(create_app(settings=settings, engine=db_engine), follow_redirects=False)
    body = renewed_event("evt_console", "boss@firma.example", RENEWED)
    hook = client.post(
        "/hooks/billing", content=body, headers={"Stripe-Signature": signature_header(SECRET, int(time.time()), body)}
    )
    assert hook.status_code == 200 and hook.json()["draft_id"] == 1
    assert login(client).status_code == 303
    queue = client.get("/queue").text
    assert "badge-proactive" in queue and "sender not checked" not in queue
    page = client.get("/drafts/1").text
    assert "No customer asked for this" in page and "Why mailbot wrote this" in page
    assert "va@firma.example" in page and "The inbound mail of this draft is not stored" not in page
    history = client.get("/history").text
    assert "Billing events" in history and "evt_console" in history and 'href="/drafts/1"' in history
    assert history.count("billing-events") == 1  # once, in the page body (not in <title> or the nav block)
    assert SECRET not in queue + page + history


def test_with_the_account_api_an_event_prompts_a_fresh_look_up_and_waits_while_it_is_down(
    db_engine: Engine, tmp_path: Path, account_api
) -> None:
    from servers.account_api import TOKEN, api_account
    from test_web import console_settings

    from mailbot.web.app import create_app

    account_api.seed(
        api_account(77, "boss@firma.example", paid_until=RENEWED),
        api_account(1043, "va@firma.example", status="expired", paid_until=LAPSED, primary=77),
    )
    settings = console_settings(
        str(db_engine.url),
        tmp_path,
        web={"secret_key": "k" * 48},
        billing={"webhook_secret": SECRET},
        accounts={"source": "http", "url": account_api.url, "token": TOKEN, "retries": 0},
    )
    client = TestClient(create_app(settings=settings, engine=db_engine), follow_redirects=False)
    body = renewed_event("evt_api", "boss@firma.example", RENEWED)

    def send() -> Any:
        return client.post(
            "/hooks/billing",
            content=body,
            headers={"Stripe-Signature": signature_header(SECRET, int(time.time()), body)},
        )

    account_api.fault("status", status=503, times=1)
    down = send()
    assert down.status_code == 503 and "send the event again" in down.json()["error"]
    assert state(db_engine)["events"] == []  # not marked processed: the retry will be
    before = account_api.requests()
    up = send()
    assert up.status_code == 200 and up.json()["outcome"] == "drafted"
    assert account_api.requests() > before  # looked up afresh: primary and its members
    assert "GET /accounts?primary_account_id=77" in account_api.targets()
    assert account_api.record(1043)["status"] == "expired"  # nothing changes before approval
    with Session(db_engine) as session:
        (draft,) = session.exec(select(Draft)).all()
        assert [r["team_member"] for r in draft.requests] == ["va@firma.example"]
        assert session.exec(select(Account)).all() == []  # the http source keeps no records here
