"""We never answer ourselves, and an unverified Reply-To gets no account facts (issue 13 items 5, 12).

Triage-level cases use the pure pipeline; the loop case runs a real Maildir poll,
approval, delivery to the file outbox, and the sent reply delivered back to us.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from factories import account, book, maildir_settings, poll_maildir, triage_context
from factories import customer_mail as mail
from sqlalchemy import Engine
from sqlmodel import Session, select

from mailbot.accounts.csv_import import upsert_accounts
from mailbot.models import InboundMessage
from mailbot.outbox.queue import deliver_queued
from mailbot.review.approve import approve
from mailbot.triage.pipeline import triage_message

TODAY = date(2026, 6, 15)
LINK = "Please link my VA va@firma.example to my account."
OWN = frozenset({"support@example.com", "billing@example.com"})


def _ctx():
    records = book(account(1, "boss@firma.example"), account(2, "va@firma.example", plan="basic", status="trial"))
    return triage_context(records, own_addresses=OWN)


def _with_header(raw: bytes, header: str) -> bytes:
    return header.encode() + b"\n" + raw


def test_own_addresses_match_case_and_plus_tag_variants() -> None:
    from mailbot.triage.addresses import OwnAddresses, canonical_address

    own = OwnAddresses(OWN)
    for address in (
        "support@example.com",
        "SUPPORT@Example.COM",
        "support+billing@example.com",
        "Billing+x@EXAMPLE.com",
    ):
        assert address in own, address
    for address in ("support-team@example.com", "support@example.org", "boss@firma.example"):
        assert address not in own, address
    assert canonical_address("A+b+c@X.example") == "a@x.example"


@pytest.mark.parametrize("sender", ["support@example.com", "Support+Tickets@EXAMPLE.com", "billing@example.com"])
def test_mail_from_our_own_address_is_recorded_and_never_drafted(sender: str) -> None:
    # A colleague's mail client names its own Message-ID domain: this is not one of our replies.
    raw = re.sub(rb"<own1@[^>]+>", b"<own1@client.mail.example>", mail(sender, LINK, msgid="own1"))
    result = triage_message(raw, _ctx())
    assert result.draft is None
    assert result.status == "needs_human"
    assert "our own address" in result.reason


def test_mail_whose_reply_to_is_ours_with_a_tag_is_never_drafted() -> None:
    raw = _with_header(mail("boss@firma.example", LINK, msgid="own2"), "Reply-To: Support <SUPPORT+tag@example.com>")
    result = triage_message(raw, _ctx())
    assert result.draft is None and result.status == "needs_human"
    assert "Reply-To is our own address support+tag@example.com" in result.reason


def test_a_tagged_own_address_in_the_text_is_never_a_customer_address() -> None:
    body = "Please link my VA Support+Team@example.com to my account."
    result = triage_message(mail("boss@firma.example", body, msgid="own3"), _ctx())
    assert [d.request.team_member for d in result.requests] == [None]


def test_our_own_reply_coming_back_is_recognised_and_ignored(db_engine: Engine, tmp_path: Path) -> None:
    """The loop of issue 13: approve, send, the reply lands in our mailbox again, poll."""
    settings, _maildir = maildir_settings(url=str(db_engine.url), folder=tmp_path)
    upsert_accounts(
        engine=db_engine,
        rows=[
            account(1, "boss@firma.example", paid_until=date(2027, 1, 31)),
            account(2, "va@firma.example", plan="basic", status="trial", paid_until=None),
        ],
    )
    (draft,) = poll_maildir(db_engine, settings, mail("boss@firma.example", LINK, msgid="loop1"), today=TODAY)
    approve(engine=db_engine, settings=settings, draft_id=draft.id, agent="alice", body=None, today=TODAY)
    assert deliver_queued(engine=db_engine, settings=settings).sent == 1
    (sent_file,) = (tmp_path / "outbox").glob("*.eml")

    drafts = poll_maildir(db_engine, settings, sent_file.read_bytes(), today=TODAY)

    assert [d.id for d in drafts] == [draft.id]  # no second draft
    with Session(db_engine) as session:
        back = session.exec(select(InboundMessage).order_by(InboundMessage.id)).all()[-1]
    assert back.sender == "support@vendor.example"
    assert back.status == "ignored"
    assert "our own reply came back" in (back.result or {})["reason"]


# -- item 12: who the draft goes to --------------------------------------------------------


def test_unverified_sender_with_another_reply_to_is_answered_at_from() -> None:
    raw = _with_header(mail("boss@firma.example", LINK, msgid="rt1", verified="unknown"), "Reply-To: x@evil.example")
    result = triage_message(raw, _ctx())
    assert result.sender_verified == "unknown"
    assert result.draft is not None and result.draft.to == "boss@firma.example"


def test_failed_sender_with_another_reply_to_is_answered_at_from() -> None:
    raw = _with_header(mail("boss@firma.example", LINK, msgid="rt2", verified="fail"), "Reply-To: x@evil.example")
    result = triage_message(raw, _ctx())
    assert result.draft is not None and result.draft.to == "boss@firma.example"


def test_verified_sender_keeps_its_reply_to() -> None:
    raw = _with_header(mail("boss@firma.example", LINK, msgid="rt3"), "Reply-To: office@firma.example")
    result = triage_message(raw, _ctx())
    assert result.draft is not None and result.draft.to == "office@firma.example"
