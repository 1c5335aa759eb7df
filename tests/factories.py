"""Small builders shared by the tests: accounts, plans, a triage context, the CLI."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from mailbot.accounts.book import AccountRecord, MemoryAccountBook
from mailbot.config import Plan, Settings, settings_from_mapping
from mailbot.models import Account
from mailbot.triage.pipeline import TriageContext
from mailbot.triage.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 6, 15)

PLANS: dict[str, Plan] = {
    "basic": Plan("basic", team_seats=0),
    "solo": Plan("solo", team_seats=1),
    "pro": Plan("pro", team_seats=2),
    "agency": Plan("agency", team_seats=10, agency=True),
}

PLANS_TOML = """
[plans.basic]
team_seats = 0
[plans.pro]
team_seats = 2
[plans.agency]
team_seats = 10
agency = true
"""


def account(
    account_id: int,
    email: str,
    *,
    plan: str = "pro",
    status: str = "active",
    paid_until: date | None = date(2027, 1, 31),
    primary: int | None = None,
) -> AccountRecord:
    return AccountRecord(
        account_id=account_id,
        email=email,
        plan=plan,
        status=status,
        paid_until=paid_until,
        primary_account_id=primary,
    )


def book(*accounts: AccountRecord) -> MemoryAccountBook:
    return MemoryAccountBook(list(accounts))


def triage_context(accounts: MemoryAccountBook | None = None, **overrides) -> TriageContext:
    values = dict(
        accounts=accounts if accounts is not None else book(),
        plans=PLANS,
        today=TODAY,
        rules=load_rules(),
        support_address="support@example.com",
        support_name="Support",
        own_addresses=frozenset({"support@example.com"}),
    )
    values.update(overrides)
    return TriageContext(**values)


def write_config(directory: Path, *, url: str, extra: str = "") -> Path:
    """A config file with a database URL and the SPEC's plans."""
    path = directory / "mailbot.toml"
    path.write_text(
        f'[database]\nurl = "{url}"\n\n[support]\naddress = "support@example.com"\n{PLANS_TOML}\n{extra}',
        encoding="utf-8",
    )
    return path


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``mailbot ARGS`` as an operator runs it: ``main()`` in a fresh interpreter."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), clean.get("PYTHONPATH")]))
    clean["COLUMNS"] = "80"  # a narrow terminal: one-line errors must not be wrapped
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from mailbot.cli import main; main()", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


AUTH_PASS = "Authentication-Results: mx.vendor.example; dkim=pass header.d={d}; dmarc=pass header.from={d}\n"


def customer_mail(
    sender: str,
    body: str,
    *,
    msgid: str,
    verified: str = "pass",
    subject: str = "Team member",
    name: str = "Boss",
    content_type: str = "text/plain",
) -> bytes:
    """A customer mail; ``verified`` pass → a passing Authentication-Results, fail → DMARC fail, unknown → none."""
    domain = sender.split("@")[1]
    auth = {"pass": AUTH_PASS, "fail": AUTH_PASS.replace("dmarc=pass", "dmarc=fail"), "unknown": ""}[verified]
    return (
        f'{auth.format(d=domain)}From: "{name}" <{sender}>\nTo: support@vendor.example\nSubject: {subject}\n'
        f"Message-ID: <{msgid}@{domain}>\nDate: Mon, 15 Jun 2026 09:00:00 +0200\n"
        f"Content-Type: {content_type}; charset=utf-8\n\n{body}\n"
    ).encode()


def maildir_settings(*, url: str, folder: Path, window_days: int = 0) -> tuple[Settings, Path]:
    """Settings for a poll of a fresh local Maildir under ``folder``, replies to the file outbox.

    ``window_days`` 0 turns repeats off: the tests of single mails send unrelated mails
    from one sender seconds apart; conversation tests pass the real window.
    """
    maildir = folder / "Maildir"
    mailbox.Maildir(maildir, create=True)
    settings = settings_from_mapping(
        {
            "database": {"url": url},
            "support": {"address": "support@vendor.example", "name": "Vendor Support"},
            "mailbox": {"kind": "maildir", "path": str(maildir)},
            "outbox": {"path": str(folder / "outbox")},
            "plans": {"basic": {"team_seats": 0}, "pro": {"team_seats": 2}},
            "conversations": {"window_days": window_days},
        },
        env={},
    )
    return settings, maildir


def poll_maildir(engine, settings, *raws: bytes, today: date) -> list:
    """Put mails into the settings' Maildir, run one real poll; all drafts, oldest first."""
    import mailbox

    from sqlmodel import Session, select

    from mailbot.intake.cycle import poll_once
    from mailbot.models import Draft

    box = mailbox.Maildir(settings.mailbox.path)
    for raw in raws:
        box.add(raw)
    poll_once(settings=settings, engine=engine, today=today)
    with Session(engine) as session:
        return list(session.exec(select(Draft).order_by(Draft.id)))


def account_row(engine, account_id: int) -> Account:
    from sqlmodel import Session

    with Session(engine) as session:
        row = session.get(Account, account_id)
        assert row is not None
        return row


def conversation(
    engine,
    *,
    mails: list[int],
    drafts: Sequence[int] = (),
    intent: str = "link",
    subject: str = "Team member",
    language: str | None = "en",
    superseded: dict[int, int] | None = None,
    stated_in: dict[int, list[tuple[int, int]]] | None = None,
    join_notes: dict[int, str] | None = None,
    joined_by: dict[int, str] | None = None,
    participants: Sequence[tuple[str, str]] = (),
) -> int:
    """Gather stored mails and drafts (from real polls) into one conversation; its id.

    Until the triage side stores conversations itself, this writes what it will:
    the Conversation row, its mails' and replies' Message-IDs, its participants
    (every mail's sender and reply's recipient, plus ``participants``), the
    rows' ``conversation_id``. ``superseded`` {old: new} marks drafts replaced;
    ``stated_in`` {draft: [(stating mail, asking mail) per request]} stores where each request came from.
    """
    from sqlmodel import Session, select

    from mailbot.models import (
        Conversation,
        ConversationMessageId,
        ConversationParticipant,
        Draft,
        InboundMessage,
        OutboxMessage,
    )
    from mailbot.vocabulary import DraftStatus, JoinRule, MessageKind, ParticipantRole

    with Session(engine) as session:
        rows = [session.get(InboundMessage, mail_id) for mail_id in mails]
        assert all(rows), "every mail must be stored"
        moments = [m.dated_at or m.received_at for m in rows]
        row = Conversation(
            intent=intent,
            subject=subject,
            language=language,
            started_at=min(moments),
            last_activity_at=max(moments),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        addresses = set(participants)

        def known(message_id: str | None, kind: str) -> None:
            if not message_id:
                return
            found = session.exec(select(ConversationMessageId).where(ConversationMessageId.message_id == message_id))
            entry = found.first() or ConversationMessageId(message_id=message_id, conversation_id=row.id, kind=kind)
            entry.conversation_id = row.id
            session.add(entry)

        for position, mail in enumerate(rows):
            mail.conversation_id = row.id
            mail.joined_by = (joined_by or {}).get(mail.id, JoinRule.NEW if position == 0 else JoinRule.THREAD)
            mail.join_note = (join_notes or {}).get(mail.id)
            session.add(mail)
            known(mail.message_id, MessageKind.INBOUND)
            if mail.sender:
                addresses.add((mail.sender.lower(), ParticipantRole.SENDER))
        for draft_id in drafts:
            draft = session.get(Draft, draft_id)
            assert draft is not None
            draft.conversation_id = row.id
            if draft_id in (superseded or {}):
                draft.status = DraftStatus.SUPERSEDED
                draft.superseded_by = (superseded or {})[draft_id]
            if draft_id in (stated_in or {}):
                origins = (stated_in or {})[draft_id]
                draft.requests = [
                    {**request, "stated_in": stated, "asked_by": asked, "asker": draft.sender}
                    for request, (stated, asked) in zip(draft.requests, origins, strict=True)
                ]
            for request in draft.requests:
                for key, role in (("primary", ParticipantRole.PRIMARY), ("team_member", ParticipantRole.TEAM_MEMBER)):
                    if request.get(key):
                        addresses.add((request[key].lower(), role))
            session.add(draft)
            reply = session.exec(select(OutboxMessage).where(OutboxMessage.draft_id == draft_id)).first()
            if reply is not None:
                known(reply.message_id, MessageKind.REPLY)
                addresses.add((reply.to.lower(), ParticipantRole.RECIPIENT))
        for address, role in sorted(addresses):
            session.add(ConversationParticipant(conversation_id=row.id, address=address, role=role))
        session.commit()
        return row.id


def supersede_draft(engine, old: int, new: int) -> bool:
    """The contract's one conditional update (what a follow-up's triage does): ``new`` joins ``old``'s
    conversation and replaces it, if ``old`` is still pending. True when it did."""
    from sqlalchemy import update
    from sqlmodel import Session, col

    from mailbot.models import Draft, InboundMessage
    from mailbot.vocabulary import DraftStatus

    with Session(engine) as session:
        replaced, replacing = session.get(Draft, old), session.get(Draft, new)
        assert replaced is not None and replacing is not None
        joined = replaced.conversation_id
        session.exec(update(Draft).where(col(Draft.id) == new).values(conversation_id=joined))
        session.exec(
            update(InboundMessage).where(col(InboundMessage.id) == replacing.inbound_id).values(conversation_id=joined)
        )
        done = session.exec(
            update(Draft)
            .where(col(Draft.id) == old, col(Draft.status) == DraftStatus.PENDING)
            .values(status=DraftStatus.SUPERSEDED, superseded_by=new)
        )
        session.commit()
        return done.rowcount == 1
