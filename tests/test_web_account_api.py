"""The agents' console with `[accounts] source = "http"`: records from the API, refusals in the vendor's words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from factories import customer_mail, poll_maildir
from fastapi.testclient import TestClient
from servers.account_api import TOKEN, AccountApiServer, api_account
from sqlalchemy import Engine
from sqlmodel import Session, select
from test_web import PASSWORD, console_settings, login, post_form

from mailbot.models import Draft, OutboxMessage
from mailbot.web.agents import add_agent
from mailbot.web.app import create_app

TODAY = date(2026, 6, 15)
REFUSAL = "The billing contract of account #77 allows no further seats"


@pytest.fixture
def console(db_engine: Engine, account_api: AccountApiServer, tmp_path: Path):
    account_api.seed(
        api_account(77, "boss@firma.example"),
        api_account(1042, "va@firma.example", plan="basic", status="trial", paid_until=None),
    )
    settings = console_settings(
        str(db_engine.url.render_as_string(hide_password=False)),
        tmp_path,
        web={"secret_key": "k" * 48},
        accounts={"source": "http", "url": account_api.url, "token": TOKEN, "retries": 0},
    )
    add_agent(engine=db_engine, name="alice", password=PASSWORD)
    client = TestClient(create_app(settings=settings, engine=db_engine), follow_redirects=False)
    assert login(client).status_code == 303
    (draft,) = poll_maildir(
        db_engine,
        settings,
        customer_mail("boss@firma.example", "Please link my VA va@firma.example.", msgid="w1"),
        today=TODAY,
    )
    return client, draft, db_engine


def test_the_draft_page_shows_the_apis_records(console) -> None:
    client, draft, _engine = console
    page = client.get(f"/drafts/{draft.id}")
    assert page.status_code == 200
    assert "#1042" in page.text and "#77" in page.text and "trial" in page.text


def test_a_refusal_shows_the_vendors_words_and_the_agent_may_approve_again(
    console, account_api: AccountApiServer
) -> None:
    client, draft, engine = console
    account_api.fault("status", method="POST", status=409, error=REFUSAL)
    refused = post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/approve", body=draft.body)
    assert refused.status_code == 409
    assert "The account system refused the change" in refused.text and REFUSAL in refused.text
    page = client.get(f"/drafts/{draft.id}")
    assert f"The account system says: “{REFUSAL}”" in page.text
    assert 'id="approve-form"' in page.text  # edit and approve again, or reject
    with Session(engine) as session:
        assert session.get(Draft, draft.id).status == "action_failed"  # type: ignore[union-attr]
        assert session.exec(select(OutboxMessage)).all() == []

    again = post_form(client, f"/drafts/{draft.id}", f"/drafts/{draft.id}/approve", body="We linked it.\n")
    assert again.status_code == 303
    with Session(engine) as session:
        assert session.get(Draft, draft.id).status == "approved"  # type: ignore[union-attr]
        assert len(session.exec(select(OutboxMessage)).all()) == 1
    assert len(account_api.applied()) == 1
