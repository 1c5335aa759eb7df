"""Conversations in the console over HTTP (TestClient), on SQLite and PostgreSQL.

The scenario of test_conversations_view.py: real polls, a real approval and
delivery, gathered into conversations as the triage side stores them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories import conversation
from factories import customer_mail as mail
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from test_conversations_view import (
    REAL_WINDOW,
    STRANGER,
    Scenario,
    build_scenario,
    superseded_by_follow_up,
    written_now,
)
from test_web import (
    PASSWORD,
    TODAY,
    Console,
    FakeClock,
    console_settings,
    logged_in,
    post_form,
    queue_ids,
    seed_accounts,
    stored_draft,
)

from mailbot.accounts.csv_import import upsert_accounts
from mailbot.models import Draft, OutboxMessage
from mailbot.web.agents import add_agent
from mailbot.web.app import create_app
from mailbot.web.throttle import LoginThrottle


@pytest.fixture
def console(db_engine: Engine, tmp_path: Path) -> Console:
    """test_web's console: the seeded records, agent alice, the app on ``db_engine``."""
    settings = console_settings(str(db_engine.url), tmp_path, web={"secret_key": "k" * 48}, conversations=REAL_WINDOW)
    upsert_accounts(engine=db_engine, rows=seed_accounts())
    add_agent(engine=db_engine, name="alice", password=PASSWORD)
    clock = FakeClock()
    app = create_app(settings=settings, engine=db_engine, throttle=LoginThrottle(clock=clock))
    return Console(db_engine, settings, app, TestClient(app, follow_redirects=False), clock)


def scenario_of(console: Console) -> Scenario:
    return build_scenario(console.engine, console.settings, today=TODAY)


def poll_new(console: Console, *raws: bytes) -> list[Draft]:
    """One real poll; only the drafts it made."""
    with Session(console.engine) as session:
        known = set(session.exec(select(Draft.id)))
    return [d for d in console.poll(*raws) if d.id not in known]


def test_the_draft_page_shows_the_whole_conversation(console: Console) -> None:
    s = scenario_of(console)
    page = logged_in(console).get(f"/drafts/{s.drafts['repeat']}")
    assert page.status_code == 200
    html = page.text
    section = html.split('<section class="card conversation"', 1)[1].split("</section>", 1)[0]
    # Earlier mails folded, with their text; the mail under review is not repeated there.
    folded = re.findall(r'<li class="tl-item tl-mail[^"]*" id="mail-(\d+)">\s*<details class="conv-mail">', section)
    assert folded == [str(s.mails["c1"]), str(s.mails["c2"])]
    assert "please link my assistant to my account." in section
    assert f'id="mail-{s.mails["c3"]}"' in section and "the mail this draft answers" in section
    # Our sent reply, with the text that went out.
    reply = section.split('<details class="conv-reply">', 1)[1].split("</details>", 1)[0]
    assert "sent" in reply and "boss@firma.example" in reply
    assert stored_draft(console.engine, s.drafts["asked"]).body.strip().splitlines()[0] in reply
    # The superseded draft, marked, linking to the draft that replaced it.
    superseded = section.split(f'id="draft-{s.drafts["answer"]}"', 1)[1].split("</li>", 1)[0]
    assert "superseded" in superseded
    assert f'<a class="replacement" href="/drafts/{s.drafts["repeat"]}">draft #{s.drafts["repeat"]}</a>' in superseded
    # Each request names the mail it came from: this one's own; the superseded draft's, an earlier one.
    assert f"Asked in this mail (#{s.mails['c3']})." in html
    earlier = console.client.get(f"/drafts/{s.drafts['answer']}").text
    c1, c2 = s.mails["c1"], s.mails["c2"]
    assert f'From <a href="#mail-{c1}">mail #{c1}</a> of boss@firma.example' in earlier
    assert f"Asked by mail #{c2} (boss@firma.example)." in earlier and f'id="mail-{c1}"' in earlier


def test_a_superseded_draft_says_so_and_approving_it_is_refused_naming_its_replacement(console: Console) -> None:
    s = scenario_of(console)
    client = logged_in(console)
    old, new = s.drafts["answer"], s.drafts["repeat"]
    page = client.get(f"/drafts/{old}").text
    assert "superseded-banner" in page and f'href="/drafts/{new}"' in page
    assert f'action="/drafts/{old}/approve"' not in page  # nothing to approve here
    refused = post_form(client, f"/drafts/{old}", f"/drafts/{old}/approve", body="x")
    assert refused.status_code == 409
    assert f"draft {old} was superseded by draft {new}: review draft {new} instead" in refused.text
    assert f'<a class="button" href="/drafts/{new}">Review draft #{new}</a>' in refused.text
    assert stored_draft(console.engine, old).status == "superseded"
    with Session(console.engine) as session:
        assert [r.draft_id for r in session.exec(select(OutboxMessage))] == [s.drafts["asked"]]


def test_a_draft_superseded_while_the_agent_reads_it_is_refused(console: Console) -> None:
    """The agent opened a pending draft; a follow-up replaced it before the click on approve."""
    s = scenario_of(console)
    client = logged_in(console)
    reading = s.drafts["repeat"]
    form = client.get(f"/drafts/{reading}")
    assert f'action="/drafts/{reading}/approve"' in form.text
    follow = written_now(mail("boss@firma.example", "Also: please link va@firma.example.", msgid="c6"))
    (follow_up,) = poll_new(console, follow)
    superseded_by_follow_up(console.engine, reading, follow_up.id)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    refused = client.post(f"/drafts/{reading}/approve", data={"csrf_token": token.group(1), "body": "x"})
    assert refused.status_code == 409
    line = f"draft {reading} was superseded by draft {follow_up.id}: review draft {follow_up.id} instead"
    assert line in refused.text
    assert stored_draft(console.engine, reading).status == "superseded"


def test_a_mail_kept_out_of_a_thread_is_marked_with_the_reason(console: Console) -> None:
    s = scenario_of(console)
    page = logged_in(console).get(f"/drafts/{s.drafts['stranger']}").text
    note = page.split('class="problem problem-warn join-note">', 1)[1].split("</p>", 1)[0]
    assert "not a participant" in note and s.note in note and STRANGER in note


def test_the_queue_has_one_row_per_waiting_conversation(console: Console) -> None:
    s = scenario_of(console)
    client = logged_in(console)
    # Two pending drafts in one conversation (no superseding yet): only the newer is a row.
    (first,) = poll_new(console, mail("va2@firma.example", "Please link me to boss@firma.example.", msgid="t1"))
    (second,) = poll_new(console, mail("va2@firma.example", "Please link me to boss@firma.example!", msgid="t2"))
    assert first.inbound_id and second.inbound_id
    pair = conversation(console.engine, mails=[first.inbound_id, second.inbound_id], drafts=[first.id, second.id])
    assert queue_ids(client) == [second.id, s.drafts["stranger"], s.drafts["repeat"]]
    page = client.get("/queue").text
    assert f'<tr data-href="/conversations/{s.question}" class="needs-human">' in page
    assert page.count("<tr data-href=") == 4
    assert f'title="conversation #{pair}">2 mails</span>' in page
    assert f'title="conversation #{s.thread}">3 mails</span>' in page
    assert queue_ids(client, status="all").count(first.id) == 1  # other views still list every draft
    assert f"/conversations/{s.question}" not in client.get("/queue", params={"intent": "link"}).text


def test_the_conversation_page_shows_its_mails_and_escapes_them(console: Console) -> None:
    s = scenario_of(console)
    anonymous = console.client.get(f"/conversations/{s.question}")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=/conversations/")
    client = logged_in(console)
    page = client.get(f"/conversations/{s.question}")
    assert page.status_code == 200
    assert "What does the agency plan cost per year?" in page.text and "needs a human" in page.text
    thread = client.get(f"/conversations/{s.thread}").text
    assert f'href="/drafts/{s.drafts["repeat"]}">draft #{s.drafts["repeat"]}</a>' in thread  # waits for review
    assert client.get("/conversations/999999").status_code == 404
    assert client.get("/conversations/0").status_code in (400, 422)
    (hostile,) = poll_new(
        console,
        mail("boss@firma.example", "<script>alert('x')</script> please link va2@firma.example", msgid="h1",
             subject="<img src=x onerror=alert(1)>"),
    )  # fmt: skip
    assert hostile.inbound_id
    joined = conversation(console.engine, mails=[hostile.inbound_id, s.mails["c5"]], intent="other")
    html = client.get(f"/conversations/{joined}").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
