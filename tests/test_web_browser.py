"""End to end in a real headless Chromium: log in, review, approve, reject, deliver.

uvicorn serves ``create_app`` on a free port in a background thread; the mail
comes from a real poll of a Maildir; the approved reply goes out through the
real delivery code to the aiosmtpd server of the ``smtp_server`` fixture.

Screenshots land in tests/artifacts/ (ignored by git). The README's copies in
docs/ are written when they are missing, or refreshed with
``MAILBOT_UPDATE_SCREENSHOTS=1``, so an ordinary run leaves the checkout clean.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page, expect, sync_playwright
from servers.smtp import SmtpServer, free_port
from sqlmodel import Session
from test_web import (
    PAID,
    PASSWORD,
    account_row,
    console_settings,
    deliver_and_poll,
    mail,
    seed_accounts,
    stored_draft,
)

from mailbot.accounts.csv_import import upsert_accounts
from mailbot.db.engine import make_engine
from mailbot.models import AuditEvent
from mailbot.outbox.queue import deliver_queued
from mailbot.web.agents import add_agent
from mailbot.web.app import create_app

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
DOCS = REPO / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EDITED = "Hello Boss,\n\nyour assistant va@firma.example is now linked to your account.\n\nBest, Alice"


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """uvicorn on a free port in a thread, until the block ends; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def save_screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000  # a real rendering, not a blank page
    doc = DOCS / name
    if not doc.exists() or os.environ.get("MAILBOT_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(path, doc)


@contextmanager
def browser_page() -> Iterator[Page]:
    """A page in headless Chromium. The sync API runs an event loop in this thread while
    open, so code that calls asyncio.run (SMTP delivery) must run after the block."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def test_review_in_a_real_browser(smtp_server: SmtpServer, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'mailbot.db'}")
    settings = console_settings(
        str(engine.url), tmp_path, smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"}
    )
    upsert_accounts(engine=engine, rows=seed_accounts())
    add_agent(engine=engine, name="alice", password=PASSWORD)
    german, unverified, reactivate, link = deliver_and_poll(
        engine,
        settings,
        mail(
            "chef@anders.example",
            "Hallo,\n\nbitte verknüpfen Sie mein Teammitglied va2@firma.example mit meinem Konto.\n\nDanke!",
            msgid="b1",
            subject="Teammitglied verknüpfen",
            name="Chef",
        ),
        mail(
            "boss@firma.example",
            "Please link my assistant va2@firma.example.",
            msgid="b2",
            verified="fail",
            subject="Assistant account",
        ),
        mail(
            "boss@firma.example",
            "Hi, we renewed our plan. Please reactivate our team member old@firma.example.\n\nThanks",
            msgid="b3",
            subject="Reactivate team member",
        ),
        mail(
            "boss@firma.example",
            "Hi support,\n\nplease link my VA va@firma.example to my account (boss@firma.example).\n\n"
            "Thanks,\nBoss\n\n-- \nBoss GmbH · Musterstraße 1 · Berlin\n\n"
            "On Mon, 1 Jun 2026 at 10:00, Vendor Support <support@vendor.example> wrote:\n"
            "> Please tell us the address your assistant registered with.\n",
            msgid="b4",
            subject="Team member for my account",
        ),
    )
    assert link.requests[0]["outcome"] == "ready_to_link"
    problems: list[str] = []  # script errors and CSP refusals: the page must need neither
    with browser_page() as page, serving(create_app(settings=settings, engine=engine)) as base:
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.goto(f"{base}/queue")
        expect(page).to_have_url(re.compile(r"/login\?next=/queue$"))
        page.get_by_label("Name").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{base}/queue")
        rows = page.locator("tr[data-href]")
        expect(rows).to_have_count(4)
        expect(rows.first).to_contain_text("Team member for my account")  # newest first
        expect(page.locator(f'tr[data-href="/drafts/{unverified.id}"]')).to_contain_text("sender unverified")
        save_screenshot(page, "console-queue.png")

        # Keyboard: j selects the first row, Enter opens it.
        page.keyboard.press("j")
        expect(rows.first).to_have_class(re.compile(r"\bselected\b"))
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{base}/drafts/{link.id}")
        expect(page.locator("pre.own-text mark.addr-member")).to_have_text("va@firma.example")
        expect(page.locator("details.quoted")).not_to_have_attribute("open", "")
        expect(page.locator(".action")).to_contain_text(link.requests[0]["action"]["text"])
        save_screenshot(page, "console-draft.png", full_page=True)

        # Edit the reply and approve; the console moves on to the next (older) pending draft.
        page.locator("#reply-body").fill(EDITED)
        page.get_by_role("button", name="Approve and send").click()
        expect(page).to_have_url(f"{base}/drafts/{reactivate.id}")
        expect(page.get_by_role("status")).to_contain_text(f"Draft #{link.id} approved with your edited text")

        # j / k walk the pending drafts; r focuses the reject reason, Enter rejects.
        page.keyboard.press("j")
        expect(page).to_have_url(f"{base}/drafts/{unverified.id}")
        page.keyboard.press("k")
        expect(page).to_have_url(f"{base}/drafts/{reactivate.id}")
        page.keyboard.press("r")
        expect(page.locator("#reject-reason")).to_be_focused()
        page.keyboard.type("answered by phone")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text(f"Draft #{reactivate.id} rejected")
        expect(page).to_have_url(f"{base}/drafts/{unverified.id}")

        page.get_by_role("link", name="History").click()
        expect(page.locator("tr[data-href]")).to_have_count(2)
        save_screenshot(page, "console-history.png")

    assert problems == []
    member = account_row(engine, 2)
    assert (member.primary_account_id, member.plan, member.status, member.paid_until) == (1, "pro", "active", PAID)
    rejected = stored_draft(engine, reactivate.id)
    assert (rejected.status, rejected.reject_reason, rejected.decided_by) == ("rejected", "answered by phone", "alice")
    assert account_row(engine, 4).status == "expired"  # the rejected reactivation changed nothing
    assert stored_draft(engine, german.id).status == "pending"

    summary = deliver_queued(engine=engine, settings=settings)
    assert summary.sent == 1
    (received,) = smtp_server.received
    message = received.message()
    assert received.rcpt_tos == ["boss@firma.example"]
    # replies carry the conversation tag (issue 9)
    assert message["Subject"] == f"Re: Team member for my account [#{stored_draft(engine, link.id).conversation_id}]"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == EDITED
    assert stored_draft(engine, link.id).status == "sent"
    with Session(engine) as session:
        approved = session.get(AuditEvent, 1)
        assert approved is not None and (approved.action, approved.agent) == ("approved", "alice")
    engine.dispose()


def test_conversations_in_a_real_browser(tmp_path: Path) -> None:
    """The whole conversation beside a draft: folded history, our reply, the superseded draft and its
    replacement, a stranger's mail kept out, one queue row per conversation, the refusal on approve."""
    from test_conversations_view import REAL_WINDOW, build_scenario, superseded_by_follow_up, written_now
    from test_web import TODAY

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'mailbot.db'}")
    settings = console_settings(str(engine.url), tmp_path, conversations=REAL_WINDOW)
    upsert_accounts(engine=engine, rows=seed_accounts())
    add_agent(engine=engine, name="alice", password=PASSWORD)
    s = build_scenario(engine, settings, today=TODAY)
    repeat, answer = s.drafts["repeat"], s.drafts["answer"]
    problems: list[str] = []
    with browser_page() as page, serving(create_app(settings=settings, engine=engine)) as base:
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.goto(f"{base}/login?next=/queue")
        page.get_by_label("Name").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{base}/queue")
        # One row per conversation: the thread's pending draft (not its superseded one), the stranger's,
        # and the question that has no draft.
        rows = page.locator("tr[data-href]")
        expect(rows).to_have_count(3)
        expect(page.locator(f'tr[data-href="/drafts/{answer}"]')).to_have_count(0)
        expect(page.locator(f'tr[data-href="/conversations/{s.question}"]')).to_contain_text("needs a human")
        expect(page.locator(f'tr[data-href="/drafts/{repeat}"]')).to_contain_text("3 mails")

        page.locator(f'tr[data-href="/drafts/{repeat}"] a').click()
        expect(page).to_have_url(f"{base}/drafts/{repeat}")
        folded = page.locator("details.conv-mail")
        expect(folded).to_have_count(2)
        first_text = folded.first.locator("pre.own-text")
        expect(first_text).to_be_hidden()  # earlier mails are folded
        folded.first.locator("summary").click()
        expect(first_text).to_be_visible()
        expect(first_text).to_contain_text("please link my assistant to my account.")
        expect(page.locator("li.tl-reply summary")).to_contain_text("sent")
        superseded = page.locator(f"#draft-{answer}")
        expect(superseded).to_have_class(re.compile(r"\btl-status-superseded\b"))
        expect(superseded.locator(".badge-status")).to_have_text("superseded")
        expect(page.locator(".request .source").first).to_contain_text(f"Asked in this mail (#{s.mails['c3']})")
        save_screenshot(page, "console-conversation.png", full_page=True)

        # The superseded draft links to the draft that replaced it.
        page.goto(f"{base}/drafts/{answer}")
        expect(page.locator(".superseded-banner")).to_be_visible()
        source = page.locator(".request .source").first
        expect(source).to_contain_text(f"From mail #{s.mails['c1']}")
        expect(source).to_contain_text(f"Asked by mail #{s.mails['c2']}")
        expect(page.locator("#approve-form")).to_have_count(0)
        page.locator(".superseded-banner a.replacement").click()
        expect(page).to_have_url(f"{base}/drafts/{repeat}")

        # A follow-up replaces the draft while the agent reads it: approving is refused, naming the new one.
        follow = written_now(mail("boss@firma.example", "Also: please link va@firma.example.", msgid="c6"))
        (follow_up,) = [d for d in deliver_and_poll(engine, settings, follow) if d.id not in s.drafts.values()]
        superseded_by_follow_up(engine, repeat, follow_up.id)
        page.get_by_role("button", name="Approve and send").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text(
            f"draft {repeat} was superseded by draft {follow_up.id}: review draft {follow_up.id} instead"
        )
        alert.get_by_role("link", name=f"Review draft #{follow_up.id}").click()
        expect(page).to_have_url(f"{base}/drafts/{follow_up.id}")

        # A stranger's reply into the thread was kept out: the agent sees why.
        page.goto(f"{base}/drafts/{s.drafts['stranger']}")
        note = page.locator(".mail .join-note")
        expect(note).to_be_visible()
        expect(note).to_contain_text("not a participant")
        expect(note).to_contain_text(s.note)

        # The question without a draft opens as its conversation.
        page.goto(f"{base}/queue")
        page.locator(f'tr[data-href="/conversations/{s.question}"] a').click()
        expect(page).to_have_url(f"{base}/conversations/{s.question}")
        expect(page.locator("details.conv-mail[open] pre.own-text")).to_contain_text("agency plan")
    # The refusal is a 409 page, which Chromium reports as a failed load; nothing else may be logged.
    assert [p for p in problems if "status of 409" not in p] == []
    assert stored_draft(engine, repeat).status == "superseded"
    engine.dispose()
