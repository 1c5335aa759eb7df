"""The agents' web console over HTTP (FastAPI's TestClient), on SQLite and PostgreSQL.

Drafts come from a real poll of a Maildir, as in test_review.py; approving and
rejecting go through the real review code. The helpers at the top are shared
with test_web_browser.py.
"""

from __future__ import annotations

import mailbox
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from factories import account, account_row, poll_maildir
from factories import customer_mail as mail
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from mailbot_cli import REPO, run_mailbot
from servers.smtp import free_port
from sqlalchemy import Engine
from sqlmodel import Session, select

from mailbot.accounts.book import AccountRecord
from mailbot.accounts.csv_import import upsert_accounts
from mailbot.accounts.database import DbAccountBook
from mailbot.config import Settings, settings_from_mapping
from mailbot.db.engine import make_engine
from mailbot.models import Agent, AuditEvent, Draft, InboundMessage, OutboxMessage
from mailbot.review.read_model import draft_detail, find_draft, mail_view, stored_record
from mailbot.triage.pipeline import TriageContext, triage_message
from mailbot.triage.record import RECORD_VERSION
from mailbot.web.agents import add_agent, remove_agent
from mailbot.web.app import create_app
from mailbot.web.security import CONTENT_SECURITY_POLICY, secret_file
from mailbot.web.throttle import LoginThrottle

TODAY = date.today()  # the console approves with today's date, so the test data is relative to it
PAID = TODAY + timedelta(days=200)
PASSWORD = "correct horse battery staple"
LINK_VA = "Please link my VA va@firma.example to my account."

# -- shared helpers (also used by test_web_browser.py) ------------------------------------


def seed_accounts() -> list[AccountRecord]:
    return [
        account(1, "boss@firma.example", plan="pro", status="active", paid_until=PAID),
        account(2, "va@firma.example", plan="basic", status="trial", paid_until=None),
        account(3, "va2@firma.example", plan="basic", status="trial", paid_until=None),
        account(4, "old@firma.example", plan="pro", status="expired", paid_until=date(2021, 5, 31), primary=1),
    ]


def console_settings(db_url: str, tmp_path: Path, **sections: dict[str, Any]) -> Settings:
    maildir = tmp_path / "Maildir"
    mailbox.Maildir(maildir, create=True)
    data: dict[str, Any] = {
        "database": {"url": db_url},
        "support": {"address": "support@vendor.example", "name": "Vendor Support"},
        "mailbox": {"kind": "maildir", "path": str(maildir)},
        "outbox": {"path": str(tmp_path / "outbox")},
        "plans": {"basic": {"team_seats": 0}, "pro": {"team_seats": 2}},
        # These tests send unrelated mails from one sender seconds apart: each is its
        # own conversation (no repeats; tests/test_conversations.py covers joining).
        "conversations": {"window_days": 0},
    }
    data.update(sections)
    return settings_from_mapping(data, env={})


def deliver_and_poll(engine: Engine, settings: Settings, *raws: bytes) -> list[Draft]:
    return poll_maildir(engine, settings, *raws, today=TODAY)


def stored_draft(engine: Engine, draft_id: int) -> Draft:
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft


# -- HTTP-level fixtures and helpers ---------------------------------------------------------


class FakeClock:
    """A monotonic clock the throttle tests move forward by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Console:
    engine: Engine
    settings: Settings
    app: FastAPI
    client: TestClient
    clock: FakeClock

    def poll(self, *raws: bytes) -> list[Draft]:
        return deliver_and_poll(self.engine, self.settings, *raws)

    def new_client(self, **options: Any) -> TestClient:
        return TestClient(self.app, follow_redirects=False, **options)


@pytest.fixture
def console(db_engine: Engine, tmp_path: Path) -> Console:
    settings = console_settings(str(db_engine.url), tmp_path, web={"secret_key": "k" * 48})
    upsert_accounts(engine=db_engine, rows=seed_accounts())
    add_agent(engine=db_engine, name="alice", password=PASSWORD)
    clock = FakeClock()
    app = create_app(settings=settings, engine=db_engine, throttle=LoginThrottle(clock=clock))
    return Console(db_engine, settings, app, TestClient(app, follow_redirects=False), clock)


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_ROW = re.compile(r'<tr data-href="/drafts/(\d+)"')


def token_of(response: httpx.Response) -> str:
    match = _TOKEN.search(response.text)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def login(client: TestClient, name: str = "alice", password: str = PASSWORD, next_path: str = "/queue"):
    form = client.get("/login")
    return client.post(
        "/login", data={"csrf_token": token_of(form), "name": name, "password": password, "next": next_path}
    )


def logged_in(console: Console) -> TestClient:
    assert login(console.client).status_code == 303
    return console.client


def queue_ids(client: TestClient, **params: str) -> list[int]:
    page = client.get("/queue", params=params)
    assert page.status_code == 200
    return [int(i) for i in _ROW.findall(page.text)]


def post_form(client: TestClient, page_path: str, action: str, **fields: str) -> httpx.Response:
    """Submit a form the way a browser does: with the token from the page it is on."""
    token = token_of(client.get(page_path))
    return client.post(action, data={"csrf_token": token, **fields})


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every route of the app, also inside included routers (newer FastAPI keeps those nested)."""
    found: list[APIRoute] = []
    for route in routes:
        if hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
        elif isinstance(route, APIRoute):
            found.append(route)
    return found


# -- login, sessions, throttling ----------------------------------------------------------------


def test_pages_redirect_to_login_when_nobody_is_logged_in(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="r1"))
    for path in ("/", "/queue", "/queue?outcome=ready_to_link", f"/drafts/{draft.id}", "/history"):
        response = console.client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=/"), path
    location = console.client.get("/queue?status=all").headers["location"]
    assert location == "/login?next=/queue%3Fstatus%3Dall"
    assert 'name="next" value="/queue?status=all"' in console.client.get(location).text


def test_a_post_without_login_changes_nothing(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="r2"))
    token = token_of(console.client.get("/login"))  # a valid token of an anonymous session
    response = console.client.post(f"/drafts/{draft.id}/approve", data={"csrf_token": token, "body": "x"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert stored_draft(console.engine, draft.id).status == "pending"


def test_login_lands_on_the_page_asked_for_and_logout_ends_the_session(console: Console) -> None:
    response = login(console.client, next_path="/history")
    assert response.status_code == 303 and response.headers["location"] == "/history"
    page = console.client.get("/history")
    assert page.status_code == 200 and "alice" in page.text
    out = console.client.post("/logout", data={"csrf_token": token_of(page)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert "You are logged out." in console.client.get("/login").text
    assert console.client.get("/queue").status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "queue"])
def test_login_never_redirects_off_site(console: Console, target: str) -> None:
    response = login(console.client, next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/queue"


def test_wrong_password_and_unknown_name_are_refused_alike(console: Console) -> None:
    wrong = login(console.client, password="not the password")
    unknown = login(console.client, name="mallory", password=PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong name or password." in response.text
    assert console.client.get("/queue").status_code == 303


def test_login_is_throttled_after_five_failures_for_one_name(console: Console) -> None:
    for _ in range(5):
        assert login(console.client, password="guess").status_code == 401
    refused = login(console.client)  # even the right password, while the name is locked
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many failed logins" in refused.text
    other = console.new_client()  # another browser, same name: still locked
    assert login(other).status_code == 429
    console.clock.now += 15 * 60 + 1
    assert login(console.client).status_code == 303


def test_login_is_throttled_after_five_failures_from_one_client(console: Console) -> None:
    for n in range(5):
        assert login(console.client, name=f"guess{n}", password="guess").status_code == 401
    assert login(console.client).status_code == 429  # alice is fine, the address is not


def test_a_removed_agent_is_logged_out_on_the_next_request(console: Console) -> None:
    client = logged_in(console)
    assert client.get("/queue").status_code == 200
    remove_agent(engine=console.engine, name="alice")
    assert client.get("/queue").status_code == 303


def _copy_of(console: Console, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    copy = console.new_client()
    copy.cookies.set("mailbot_session", client.cookies["mailbot_session"])
    assert copy.get("/queue").status_code == 200
    return copy


def test_a_copied_cookie_stops_working_after_a_new_password(console: Console) -> None:
    copy = _copy_of(console, logged_in(console))
    add_agent(engine=console.engine, name="alice", password="another long password", replace=True)
    assert copy.get("/queue").status_code == 303
    assert console.client.get("/queue").status_code == 303  # the agent's own session too: log in again
    assert login(console.client, password="another long password").status_code == 303


def test_a_copied_cookie_stops_working_after_remove_and_add_again(console: Console) -> None:
    copy = _copy_of(console, logged_in(console))
    remove_agent(engine=console.engine, name="alice")
    add_agent(engine=console.engine, name="alice", password=PASSWORD)  # even the same password
    assert copy.get("/queue").status_code == 303


def test_logout_ends_the_session_on_the_server(console: Console) -> None:
    client = logged_in(console)
    copy = _copy_of(console, client)
    assert client.post("/logout", data={"csrf_token": token_of(client.get("/queue"))}).status_code == 303
    assert copy.get("/queue").status_code == 303
    assert copy.get("/history").status_code == 303


def test_a_long_login_name_is_counted_by_its_first_64_characters(console: Console) -> None:
    huge = "x" * 200_000
    assert login(console.client, name=huge, password="guess").status_code == 401
    keys = console.app.state.console.throttle.keys()
    assert keys and max(len(k) for k in keys) <= len("client:") + 64
    for _ in range(4):
        login(console.client, name="x" * 64 + "y" * 1000, password="guess")
    assert login(console.new_client(), name=huge, password="guess").status_code == 429


def test_the_throttle_table_keeps_at_most_max_keys() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock=clock, max_keys=50)
    for n in range(1_000):
        throttle.failed(f"name:guess{n}", "client:203.0.113.9")
        clock.now += 0.01
    assert len(throttle.keys()) <= 50
    assert throttle.retry_after("client:203.0.113.9") > 0  # the busy key is the last one forgotten
    kept = throttle.keys()
    assert "name:guess999" in kept and "name:guess0" not in kept


def test_session_cookie_is_httponly_strict_and_secure_over_https(console: Console) -> None:
    plain = login(console.client).headers["set-cookie"].lower()
    assert "httponly" in plain and "samesite=strict" in plain and "secure" not in plain
    https = console.new_client(base_url="https://testserver")
    cookie = login(https).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "; secure" in cookie
    assert https.get("/queue").status_code == 200


def test_an_empty_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'mailbot.db'}")
    settings = console_settings(str(engine.url), tmp_path)
    assert settings.web.secret_key.get_secret_value() == ""
    add_agent(engine=engine, name="alice", password=PASSWORD)
    first = TestClient(create_app(settings=settings, engine=engine), follow_redirects=False)
    assert login(first).status_code == 303
    path = secret_file(settings)
    assert path == tmp_path / "db" / "web-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) >= 32
    # A restart (a new app on the same settings) keeps the session valid.
    restarted = TestClient(create_app(settings=settings, engine=engine), follow_redirects=False)
    restarted.cookies = first.cookies
    assert restarted.get("/queue").status_code == 200
    engine.dispose()


# -- CSRF ------------------------------------------------------------------------------------------


def test_every_post_needs_the_sessions_csrf_token(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="c1"))
    client = logged_in(console)
    stranger = console.new_client()
    assert login(stranger, name="alice").status_code == 303
    foreign = token_of(stranger.get("/queue"))  # valid, but for another session
    posts = sorted(r.path for r in api_routes(console.app.routes) if "POST" in r.methods)
    assert {"/login", "/logout", "/drafts/{draft_id}/approve", "/drafts/{draft_id}/reject"} <= set(posts)
    for path in posts:
        url = path.replace("{draft_id}", str(draft.id))
        fields = {"body": "Hi", "reason": "because", "name": "alice", "password": PASSWORD}
        for bad in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": foreign}):
            response = client.post(url, data={**fields, **bad})
            assert response.status_code == 403, (url, bad)
    assert client.get("/queue").status_code == 200  # logout was refused: still logged in
    assert stored_draft(console.engine, draft.id).status == "pending"
    assert account_row(console.engine, 2).primary_account_id is None
    with Session(console.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


# -- what the pages show -----------------------------------------------------------------------------


def test_hostile_mail_renders_inert(console: Console) -> None:
    hostile = mail(
        "boss@firma.example",
        f"{LINK_VA} <script>alert('body')</script> <img src=x onerror=alert(2)>",
        msgid="x1",
        subject="<script>alert('subject')</script> VA",
        name="<img src=x onerror=alert(1)>",
    )
    html_only = mail(
        "boss@firma.example",
        "<html><body><p>Please link my assistant <a href='mailto:va2@firma.example'>va2@firma.example</a>.</p>"
        "<script>alert('html')</script><img src=x onerror=alert(3)><iframe src='https://evil.example'></iframe>"
        "</body></html>",
        msgid="x2",
        content_type="text/html",
        subject="HTML only",
    )
    drafts = console.poll(hostile, html_only)
    assert len(drafts) == 2
    client = logged_in(console)
    pages = [client.get("/queue"), *(client.get(f"/drafts/{d.id}") for d in drafts)]
    for page in pages:
        assert page.status_code == 200
        assert "<script>" not in page.text and "<img" not in page.text and "<iframe" not in page.text
    queue, hostile_page, html_page = (p.text for p in pages)
    assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in queue
    assert "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in hostile_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile_page  # the From display name, as text
    assert "alert(&#39;html&#39;)" not in html_page  # HTML mail is shown through its text only
    assert '<mark class="addr addr-member">va2@firma.example</mark>' in html_page


def test_draft_page_shows_own_text_quoted_history_decision_and_records(console: Console) -> None:
    body = (
        "Hi, please link my VA va@firma.example to my account.\n\nThanks, Boss\n\n"
        "On Mon, 1 Jun 2026 at 10:00, Support <support@vendor.example> wrote:\n"
        "> Which address does your colleague use? someone@elsewhere.example?\n"
    )
    (draft,) = console.poll(mail("boss@firma.example", body, msgid="d1"))
    request = draft.requests[0]
    page = logged_in(console).get(f"/drafts/{draft.id}").text
    own, quoted = page.split('<details class="quoted">', 1)
    assert '<mark class="addr addr-member">va@firma.example</mark>' in own
    assert "someone@elsewhere.example" not in own
    assert "someone@elsewhere.example" in quoted.split("</details>")[0]
    assert request["outcome"] == "ready_to_link"
    for shown in (request["rule"], request["reason"], request["action"]["text"], "ready to link"):
        assert str(shown).replace("'", "&#39;") in page
    for fact in ("#1", "#2", "boss@firma.example", "va@firma.example", PAID.isoformat(), "trial"):
        assert fact in page  # both matched records, side by side
    assert f'action="/drafts/{draft.id}/approve"' in page and f'action="/drafts/{draft.id}/reject"' in page
    assert 'id="reply-body"' in page and "<textarea" in page


def test_mail_view_splits_the_stored_mail_like_triage_did(console: Console) -> None:
    body = "Please link va@firma.example.\n\nAm 1. Juni 2026 schrieb Support <s@v.example>:\n> alt\n"
    (draft,) = console.poll(mail("boss@firma.example", body, msgid="v1", subject="=?utf-8?q?M=C3=BCller?="))
    with Session(console.engine) as session:
        inbound = session.get(InboundMessage, draft.inbound_id)
        view = mail_view(inbound)
    assert view["own_text"] == "Please link va@firma.example."
    assert view["quoted_text"].startswith("Am 1. Juni 2026 schrieb")
    assert view["uncertain"] is False and view["subject"] == "Müller" and view["sender"] == "boss@firma.example"


def stored_as_by_0_1_0(console: Console, draft: Draft) -> dict[str, Any]:
    """Rewrite a draft's rows the way mailbot 0.1.0 stored them: the CLI's triage JSON in both columns.

    0.1.0 kept ``TriageResult.to_json()`` (unchanged since) as the mail's result and
    its ``requests`` as the draft's: no own text, no addresses, no address sources.
    """
    with Session(console.engine) as session:
        inbound = session.get(InboundMessage, draft.inbound_id)
        row = session.get(Draft, draft.id)
        assert inbound is not None and row is not None and inbound.result["record"] == RECORD_VERSION
        ctx = TriageContext.from_settings(console.settings, accounts=DbAccountBook(session), today=TODAY)
        old = triage_message(inbound.raw, ctx).to_json()
        inbound.result, row.requests = old, old["requests"]
        session.add_all([inbound, row])
        session.commit()
        return old


def drafts_show(console: Console, draft_id: int) -> dict[str, Any]:
    """What `drafts show --json` prints, as the command builds it."""
    with Session(console.engine) as session:
        draft, inbound = find_draft(session=session, draft_id=draft_id)
        assert inbound is not None
        return {**draft_detail(draft, inbound), "mail": mail_view(inbound)}


def test_stored_requests_show_as_triage_json_shows_them(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="j1"))
    stored = draft.requests[0]
    assert (stored["primary_from"], stored["team_member_from"]) == ("sender", "text")
    shown = drafts_show(console, draft.id)["requests"]
    assert shown == stored_as_by_0_1_0(console, draft)["requests"]  # the CLI's shape, key for key
    assert list(shown[0]) == ["primary", "team_member", "outcome", "rule", "reason", "action"]


def test_a_draft_stored_by_0_1_0_still_displays_and_approves(console: Console) -> None:
    body = (
        "Hi, please link my VA va@firma.example to my account.\n\nThanks, Boss\n\n"
        "On Mon, 1 Jun 2026 at 10:00, Support <support@vendor.example> wrote:\n"
        "> Which address does your colleague use? someone@elsewhere.example?\n"
    )
    (draft,) = console.poll(mail("boss@firma.example", body, msgid="old1"))
    client = logged_in(console)
    current_page = client.get(f"/drafts/{draft.id}").text
    current = drafts_show(console, draft.id)
    stored_as_by_0_1_0(console, draft)
    page = client.get(f"/drafts/{draft.id}")
    assert page.status_code == 200
    own = page.text.split('<details class="quoted">', 1)[0]
    assert own == current_page.split('<details class="quoted">', 1)[0]
    assert '<mark class="addr addr-member">va@firma.example</mark>' in own
    assert drafts_show(console, draft.id) == current  # `drafts show --json` cannot tell the two apart
    response = post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/approve", body=draft.body)
    assert response.status_code == 303
    assert stored_draft(console.engine, draft.id).status == "approved"
    assert account_row(console.engine, 2).primary_account_id == 1


def test_the_draft_page_marks_the_addresses_triage_found(console: Console) -> None:
    body = "Please link va@firma.example to my account. Our invoices go to billing@firma.example."
    (draft,) = console.poll(mail("boss@firma.example", body, msgid="m1"))
    with Session(console.engine) as session:
        inbound = session.get(InboundMessage, draft.inbound_id)
        record = stored_record(inbound)
    assert [(a.address, a.role) for a in record.addresses] == [
        ("va@firma.example", "unknown"),
        ("billing@firma.example", "unrelated"),
    ]
    page = logged_in(console).get(f"/drafts/{draft.id}").text
    assert '<mark class="addr addr-member">va@firma.example</mark>' in page
    assert '<mark class="addr addr-other">billing@firma.example</mark>' in page


def test_unverified_and_unchecked_senders_stand_out(console: Console) -> None:
    drafts = console.poll(
        mail("boss@firma.example", LINK_VA, msgid="u1", verified="fail"),
        mail("boss@firma.example", "Please link my assistant va2@firma.example.", msgid="u2", verified="unknown"),
        mail("boss@firma.example", "We renewed. Please reactivate old@firma.example.", msgid="u3"),
    )
    assert [d.sender_verified for d in drafts] == ["fail", "unknown", "pass"]
    client = logged_in(console)
    queue = client.get("/queue").text
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r'<tr data-href="/drafts/(\d+)".*?</tr>', queue, re.S)}
    assert "sender unverified" in rows[drafts[0].id] and 'class="verify-fail"' in rows[drafts[0].id]
    assert "sender not checked" in rows[drafts[1].id]
    assert "sender unverified" not in rows[drafts[2].id] and "sender not checked" not in rows[drafts[2].id]
    assert "could not verify" in client.get(f"/drafts/{drafts[0].id}").text
    assert "Authentication-Results" in client.get(f"/drafts/{drafts[1].id}").text


def test_draft_page_says_plainly_when_the_reply_does_not_go_to_the_sender(console: Console) -> None:
    raw = mail("boss@firma.example", LINK_VA, msgid="rt-web").replace(
        b"To: support@vendor.example", b"Reply-To: office@firma.example\nTo: support@vendor.example"
    )
    plain = mail("boss@firma.example", LINK_VA.replace("va@", "va2@"), msgid="rt-web2")
    elsewhere, to_sender = console.poll(raw, plain)
    assert elsewhere.to == "office@firma.example"
    client = logged_in(console)
    page = client.get(f"/drafts/{elsewhere.id}").text
    assert "The reply goes to <strong>office@firma.example</strong>, not to the sender" in page
    assert "not the sender</span>" in page
    assert "not to the sender" not in client.get(f"/drafts/{to_sender.id}").text


def test_queue_filters_counts_and_address_search(console: Console) -> None:
    link, reactivate, german, unverified = console.poll(
        mail("boss@firma.example", LINK_VA, msgid="q1"),
        mail("boss@firma.example", "We renewed. Please reactivate old@firma.example.", msgid="q2"),
        mail(
            "chef@anders.example",
            "Hallo, bitte verknüpfen Sie mein Teammitglied va2@firma.example mit meinem Konto.",
            msgid="q3",
            subject="Teammitglied",
        ),
        mail("boss@firma.example", "Please link my assistant va2@firma.example.", msgid="q4", verified="fail"),
    )
    assert german.language == "de" and german.requests[0]["outcome"] == "primary_not_found"
    client = logged_in(console)
    everything = [unverified.id, german.id, reactivate.id, link.id]
    assert queue_ids(client) == everything  # pending, newest first
    assert queue_ids(client, outcome="ready_to_link") == [link.id]
    assert queue_ids(client, outcome="sender_unverified") == [unverified.id]
    assert queue_ids(client, intent="reactivate") == [reactivate.id]
    assert queue_ids(client, language="de") == [german.id]
    assert queue_ids(client, q="OLD@firma") == [reactivate.id]  # a requested address
    assert queue_ids(client, q="chef@anders.example") == [german.id]  # the sender
    assert queue_ids(client, q="va2@") == [unverified.id, german.id]
    assert queue_ids(client, intent="link", language="en") == [unverified.id, link.id]
    assert queue_ids(client, status="nonsense") == everything
    counts = client.get("/queue").text
    for outcome in ("ready to link", "ready to reactivate", "primary not found", "sender unverified"):
        assert re.search(rf">{outcome} <b>1</b></a>", counts), outcome
    assert re.search(r">ready to link <b>1</b></a>", client.get("/queue", params={"q": "va@"}).text)

    assert post_form(client, f"/drafts/{link.id}", f"/drafts/{link.id}/reject", reason="dup").status_code == 303
    assert link.id not in queue_ids(client)
    assert queue_ids(client, status="rejected") == [link.id]
    assert queue_ids(client, status="all") == everything


# -- approve and reject --------------------------------------------------------------------------------


def test_approve_applies_the_change_queues_the_edited_reply_and_names_the_agent(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="a1"))
    client = logged_in(console)
    page = client.get(f"/drafts/{draft.id}")
    response = client.post(
        f"/drafts/{draft.id}/approve",
        # A browser sends textarea lines with CRLF; "agent" is not a field the console reads.
        data={"csrf_token": token_of(page), "body": "Hello Boss,\r\n\r\nyour VA is linked.\r\n", "agent": "mallory"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    member = account_row(console.engine, 2)
    assert (member.primary_account_id, member.plan, member.status, member.paid_until) == (1, "pro", "active", PAID)
    stored = stored_draft(console.engine, draft.id)
    assert (stored.status, stored.decided_by) == ("approved", "alice")
    assert stored.body == "Hello Boss,\n\nyour VA is linked.\n" and stored.original_body == draft.body
    with Session(console.engine) as session:
        (queued,) = session.exec(select(OutboxMessage)).all()
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "approved")).all()
    assert queued.status == "queued" and b"your VA is linked." in queued.raw and b"\r\r" not in queued.raw
    assert event.agent == "alice" and event.draft_id == draft.id and event.detail["edited"] is True
    notice = client.get("/queue").text
    assert f"Draft #{draft.id} approved with your edited text" in notice and "The reply is queued." in notice


def test_approve_moves_on_to_the_next_pending_draft(console: Console) -> None:
    first, second = console.poll(
        mail("boss@firma.example", LINK_VA, msgid="n1"),
        mail("boss@firma.example", "We renewed. Please reactivate old@firma.example.", msgid="n2"),
    )
    client = logged_in(console)
    page = client.get(f"/drafts/{second.id}").text  # the newest: j goes to the older one
    assert f'rel="next" href="/drafts/{first.id}"' in page and 'rel="prev"' not in page
    response = post_form(client, f"/drafts/{second.id}", f"/drafts/{second.id}/approve", body=second.body)
    assert response.headers["location"] == f"/drafts/{first.id}"
    assert stored_draft(console.engine, second.id).original_body is None  # unchanged text is not an edit


def test_stale_decision_is_shown_with_the_new_outcome(console: Console) -> None:
    first, second = console.poll(
        mail("boss@firma.example", LINK_VA, msgid="s1"),
        mail("boss@firma.example", "Please link my assistant va2@firma.example.", msgid="s2"),
    )
    client = logged_in(console)
    assert post_form(client, f"/drafts/{first.id}", f"/drafts/{first.id}/approve", body=first.body).status_code == 303
    response = post_form(client, f"/drafts/{second.id}", f"/drafts/{second.id}/approve", body="My edited text")
    assert response.status_code == 409
    assert "Not approved: the records changed" in response.text
    assert re.search(r"ready to link</span> <span class=\"arrow\">is now</span> <span[^>]*>no free seat", response.text)
    assert "My edited text" in response.text  # the agent's edit is not lost
    assert stored_draft(console.engine, second.id).status == "pending"
    assert account_row(console.engine, 3).primary_account_id is None
    with Session(console.engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "approve_refused")).one()
    assert refused.agent == "alice"


def test_deciding_twice_is_shown_not_swallowed(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="t1"))
    client = logged_in(console)
    page = client.get(f"/drafts/{draft.id}")  # open in two tabs: both have the form
    token = token_of(page)
    assert client.post(f"/drafts/{draft.id}/reject", data={"csrf_token": token, "reason": "dup"}).status_code == 303
    again = client.post(f"/drafts/{draft.id}/approve", data={"csrf_token": token, "body": draft.body})
    assert again.status_code == 409
    assert f"draft {draft.id} is already rejected by alice" in again.text
    assert account_row(console.engine, 2).primary_account_id is None


def test_a_maybe_delivered_reply_is_resent_only_by_an_agents_button(console: Console) -> None:
    from sqlalchemy import update

    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="resend1"))
    client = logged_in(console)
    assert post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/approve").status_code == 303
    with Session(console.engine) as session:  # what a drop after DATA leaves (test_delivery.py)
        session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.draft_id == draft.id)
            .values(status="needs_agent", last_error="no answer after DATA")
        )
        session.commit()
    page = client.get(f"/drafts/{draft.id}").text
    assert "may or may not have reached" in page and f'action="/drafts/{draft.id}/resend"' in page
    assert client.post(f"/drafts/{draft.id}/resend", data={}).status_code == 403  # no CSRF token

    done = post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/resend")
    assert done.status_code == 303 and done.headers["location"] == f"/drafts/{draft.id}"
    with Session(console.engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.draft_id == draft.id)).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "resend")).one()
    assert row.status == "queued" and event.agent == "alice"
    again = post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/resend")
    assert again.status_code == 409 and "Nothing was resent" in again.text


def test_reject_needs_a_reason_and_changes_nothing(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="j1"))
    client = logged_in(console)
    empty = post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/reject", reason="   ")
    assert empty.status_code == 400 and "a rejection needs a reason" in empty.text
    assert stored_draft(console.engine, draft.id).status == "pending"
    done = post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/reject", reason="customer called instead")
    assert done.status_code == 303
    stored = stored_draft(console.engine, draft.id)
    assert (stored.status, stored.reject_reason, stored.decided_by) == ("rejected", "customer called instead", "alice")
    assert account_row(console.engine, 2).primary_account_id is None
    with Session(console.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "rejected")).one()
    assert event.agent == "alice" and event.detail == {"reason": "customer called instead"}


def test_history_lists_decided_drafts_and_the_audit_trail(console: Console) -> None:
    approved, rejected, _pending = console.poll(
        mail("boss@firma.example", LINK_VA, msgid="h1"),
        mail("boss@firma.example", "We renewed. Please reactivate old@firma.example.", msgid="h2"),
        mail("boss@firma.example", "Please link my assistant va2@firma.example.", msgid="h3"),
    )
    client = logged_in(console)
    post_form(client, f"/drafts/{approved.id}", f"/drafts/{approved.id}/approve", body=approved.body)
    post_form(client, f"/drafts/{rejected.id}", f"/drafts/{rejected.id}/reject", reason="<b>not</b> needed")
    page = client.get("/history").text
    decided = [int(i) for i in _ROW.findall(page)]
    assert decided == [rejected.id, approved.id]  # newest decision first; the pending one is not history
    assert "&lt;b&gt;not&lt;/b&gt; needed" in page and "<b>not</b>" not in page
    trail = page.split("Audit trail", 1)[1]
    assert trail.index("rejected") < trail.index("approved")
    assert trail.count("<td>alice</td>") == 2


def test_unknown_draft_is_a_404_page(console: Console) -> None:
    client = logged_in(console)
    missing = client.get("/drafts/999")
    assert missing.status_code == 404 and "There is no draft #999." in missing.text
    assert client.get("/drafts/not-a-number").status_code == 400


def test_a_draft_id_beyond_any_row_is_a_400_not_a_500(console: Console) -> None:
    client = logged_in(console)
    huge = "99999999999999999999999"
    assert client.get(f"/drafts/{huge}").status_code == 400
    assert client.get(f"/drafts/{2**63}").status_code == 400
    token = token_of(client.get("/queue"))
    for action in ("approve", "reject"):
        response = client.post(f"/drafts/{huge}/{action}", data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 400, action
        assert "Bad request" in response.text


# -- headers and markup -----------------------------------------------------------------------------------


def test_security_headers_on_every_response(console: Console) -> None:
    (draft,) = console.poll(mail("boss@firma.example", LINK_VA, msgid="sh1"))
    anonymous = console.new_client()
    client = logged_in(console)
    responses = [
        anonymous.get("/login"),
        anonymous.get("/queue"),  # redirect
        anonymous.post("/logout"),  # 403
        anonymous.get("/static/console.css"),
        anonymous.get("/static/console.js"),
        anonymous.get("/no/such/page"),
        client.get("/queue"),
        client.get(f"/drafts/{draft.id}"),
        client.get("/history"),
        login(anonymous, password="wrong"),  # 401
    ]
    assert [r.status_code for r in responses] == [200, 303, 403, 200, 200, 404, 200, 200, 200, 401]
    for response in responses:
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    for page in responses[6:9]:
        assert page.headers["cache-control"] == "no-store"
        # The CSP allows no inline script or style: the pages must not need any.
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", page.text)


# -- the command line: agents add / list ----------------------------------------------------------------------


def test_agents_add_and_list_from_the_command_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    config = tmp_path / "mailbot.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[support]\naddress = "support@vendor.example"\n')
    added = run_mailbot("--config", config, "agents", "add", "bob", cwd=tmp_path, input_text=f"{PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    assert "added agent bob" in added.stdout and PASSWORD not in added.stdout + added.stderr
    again = run_mailbot("--config", config, "agents", "add", "bob", cwd=tmp_path, input_text=f"{PASSWORD}\n")
    assert again.returncode != 0 and "already exists" in again.stderr
    short = run_mailbot("--config", config, "agents", "add", "carol", cwd=tmp_path, input_text="short\n")
    assert short.returncode != 0 and "at least" in short.stderr
    differ = run_mailbot(
        "--config", config, "agents", "add", "dave", cwd=tmp_path, input_text=f"{PASSWORD}\n{PASSWORD}x\n"
    )
    assert differ.returncode != 0 and "differ" in differ.stderr
    listed = run_mailbot("--config", config, "agents", "list", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.split()[0] == "bob"
    assert "carol" not in listed.stdout and "dave" not in listed.stdout

    engine = make_engine(db_url)
    settings = console_settings(db_url, tmp_path, web={"secret_key": "s" * 48})
    client = TestClient(create_app(settings=settings, engine=engine), follow_redirects=False)
    assert login(client, name="bob").status_code == 303
    with Session(engine) as session:
        stored_hash = session.exec(select(Agent.password_hash)).one()
    assert stored_hash.startswith("$argon2id$") and PASSWORD not in stored_hash
    engine.dispose()


@dataclass
class Served:
    url: str
    output: str = ""  # everything the server printed, once it has stopped


@contextmanager
def serving(tmp_path: Path, web: str = "") -> Iterator[Served]:
    """``mailbot serve`` in a subprocess on a free port, until the block ends."""
    port = free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "mailbot.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///var/mailbot.db"\n[support]\naddress = "support@vendor.example"\n'
        f'[web]\nhost = "127.0.0.1"\nport = {port}\n{web}\n'
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


def test_serve_runs_the_console_with_a_kept_secret(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        response = httpx.get(f"{served.url}/queue", timeout=10)
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/queue"
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "server" not in response.headers
    secret = tmp_path / "var" / "web-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().strip() not in served.output
    assert "no agent can log in yet" in served.output


def _failed_logins_with_forwarded_for(url: str, count: int) -> list[int]:
    """``count`` wrong logins, each claiming another client address in X-Forwarded-For."""
    with httpx.Client(base_url=url, timeout=10) as client:
        codes = []
        for n in range(count):
            token = token_of(client.get("/login"))
            response = client.post(
                "/login",
                data={"csrf_token": token, "name": f"guess{n}", "password": "guess", "next": "/queue"},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            )
            codes.append(response.status_code)
        return codes


def test_serve_ignores_x_forwarded_for_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    with serving(tmp_path / "direct") as served:
        # Five failures from 127.0.0.1, whatever the header says: the sixth is throttled.
        assert _failed_logins_with_forwarded_for(served.url, 6) == [401] * 5 + [429]
    with serving(tmp_path / "proxied", 'trusted_proxies = ["127.0.0.1"]') as served:
        # Behind a trusted proxy, the header is the client: six different clients.
        assert _failed_logins_with_forwarded_for(served.url, 6) == [401] * 6
