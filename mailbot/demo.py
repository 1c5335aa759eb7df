"""``mailbot demo``: the whole intake on embedded defaults, in a folder of its own.

It ignores any config file and ``MAILBOT_*`` variables on purpose: a newcomer's
first command must not touch a real mailbox or database. Everything lives under
``var/demo/`` (a Maildir, a SQLite database, a file outbox) and is recreated on
every run, so running it twice gives the same result.
"""

from __future__ import annotations

import mailbox
import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import col, select

from mailbot.accounts.csv_import import import_accounts
from mailbot.accounts.database import DbAccountBook
from mailbot.config import Settings, settings_from_mapping
from mailbot.db.engine import make_engine, new_session
from mailbot.intake.cycle import PollSummary, poll_once
from mailbot.models import Draft, InboundMessage
from mailbot.outbox.queue import DeliverySummary, deliver_queued
from mailbot.resources import bundled_dir
from mailbot.review.approve import ApprovalResult, approve
from mailbot.review.read_model import list_drafts
from mailbot.vocabulary import DraftStatus, Outcome

DEMO_DIR = Path("var/demo")
PLANS = {
    "basic": {"team_seats": 0},
    "pro": {"team_seats": 2},
    "agency": {"team_seats": 10, "agency": True},
}


def demo_settings(base: Path) -> Settings:
    data = {
        "database": {"url": f"sqlite:///{base / 'mailbot.db'}"},
        "support": {"address": "support@example.com", "name": "Example Support"},
        "mailbox": {"kind": "maildir", "path": str(base / "maildir")},
        "outbox": {"path": str(base / "outbox")},
        "plans": PLANS,
    }
    return settings_from_mapping(data, env={})


@dataclass
class DemoResult:
    settings: Settings
    summary: PollSummary
    mails: int
    approved: ApprovalResult | None = None
    before: dict[str, str | int | None] | None = None  # the team member's record before approval
    after: dict[str, str | int | None] | None = None
    delivery: DeliverySummary | None = None


def run_demo(*, base: Path = DEMO_DIR) -> DemoResult:
    """Start fresh in ``base``: accounts and example mails in, one poll, drafts stored."""
    examples = bundled_dir("examples")
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    settings = demo_settings(base)
    (base / "outbox").mkdir()
    engine = make_engine(settings.database.url)
    import_accounts(engine=engine, path=examples / "accounts.csv")
    maildir = mailbox.Maildir(base / "maildir", create=True)
    mails = sorted((examples / "mails").glob("*.eml"))
    for path in mails:
        maildir.add(path.read_bytes())
    summary = poll_once(settings=settings, engine=engine)
    result = DemoResult(settings=settings, summary=summary, mails=len(mails))
    _approve_one_and_send(result, engine)
    engine.dispose()
    return result


def _approve_one_and_send(result: DemoResult, engine: Engine) -> None:
    """An agent approves the first ready link; the reply goes to the file outbox."""
    with new_session(engine) as session:
        ready = next(
            (d for d in list_drafts(session=session) if any(_ready_link(r) for r in d.requests)),
            None,
        )
        if ready is None or ready.id is None:
            return
        member = next(str(r["team_member"]) for r in ready.requests if _ready_link(r))
        result.before = _csv_fields(DbAccountBook(session), member)
    result.approved = approve(engine=engine, settings=result.settings, draft_id=ready.id, agent="demo-agent")
    with new_session(engine) as session:
        result.after = _csv_fields(DbAccountBook(session), member)
    result.delivery = deliver_queued(engine=engine, settings=result.settings)


def _ready_link(request: dict[str, object]) -> bool:
    return request.get("outcome") == Outcome.READY_TO_LINK


def _csv_fields(book: DbAccountBook, email: str) -> dict[str, str | int | None] | None:
    account = book.by_email(email)
    return account.as_csv_dict() if account else None


def conversation_lines(inbound: list[InboundMessage], drafts: list[Draft]) -> list[str]:
    """Each conversation with more than one mail: its mails in order, and what became of their drafts."""
    by_mail = {d.inbound_id: d for d in drafts}
    mails: dict[int, list[InboundMessage]] = {}
    for row in inbound:
        if row.conversation_id is not None:
            mails.setdefault(row.conversation_id, []).append(row)
    lines = []
    for conversation_id, rows in mails.items():
        if len(rows) < 2:
            continue
        lines.append(f"Conversation #{conversation_id}: {len(rows)} mails from {rows[0].sender}")
        for row in sorted(rows, key=lambda r: (r.dated_at or r.received_at, r.id or 0)):
            draft = by_mail.get(row.id)
            text = f"  mail {row.id} ({row.joined_by}): {row.outcome}"
            if draft is not None:
                text += f" → draft {draft.id} {draft.status}"
                if draft.superseded_by is not None:
                    text += f" by draft {draft.superseded_by}, which answers the whole conversation"
            lines.append(text)
    return lines


def _print_conversations(inbound: list[InboundMessage], drafts: list[Draft], console: Console) -> None:
    lines = conversation_lines(inbound, drafts)
    if lines:
        console.print("\n".join(lines), highlight=False, markup=False)


def print_demo(result: DemoResult, console: Console) -> None:
    """What an agent would see: every mail's outcome, then each pending draft in full."""
    engine = make_engine(result.settings.database.url)
    with new_session(engine) as session:
        inbound = list(session.exec(select(InboundMessage).order_by(col(InboundMessage.id))))
        drafts = list_drafts(session=session, status="all")
    engine.dispose()
    console.print(f"[bold]mailbot demo[/]: {result.mails} example mails delivered to a Maildir")
    console.print(f"poll: {escape(result.summary.line())}", highlight=False)
    table = Table(title="Inbound mail")
    for column in ("#", "from", "subject", "intent", "outcome"):
        table.add_column(column, overflow="fold")  # wrap, never cut an address
    for row in inbound:
        intent = f"{row.intent} ({row.language})" if row.language else row.intent
        table.add_row(str(row.id), row.sender or "", escape(row.subject), intent, row.outcome)
    console.print(table)
    _print_conversations(inbound, drafts, console)
    for draft in drafts:
        requests = "; ".join(
            f"{r.get('primary') or '?'} ← {r.get('team_member') or '?'}: {r.get('outcome')}" for r in draft.requests
        )
        console.rule(f"Draft {draft.id} ({draft.intent}, {draft.language}) — {draft.status}")
        console.print(f"To: {draft.to}\nSubject: {draft.subject}", highlight=False, markup=False)
        console.print(f"Requests: {requests}", highlight=False, markup=False)
        console.print(f"Sender verified: {draft.sender_verified}\n", highlight=False, markup=False)
        console.print(draft.body, highlight=False, markup=False)
    console.rule()
    if result.approved is not None:
        console.print(f"[bold]Agent 'demo-agent' approves draft {result.approved.draft_id}[/]")
        for action in result.approved.actions:
            console.print(f"  applied: {escape(action)}", highlight=False)
        console.print(f"  before: {result.before}", highlight=False, markup=False)
        console.print(f"  after:  {result.after}", highlight=False, markup=False)
        outbox = Path(result.settings.outbox.path)
        files = sorted(outbox.glob("*.eml"))
        sent = result.delivery.sent if result.delivery else 0
        console.print(
            f"  sent {sent} reply to the file outbox: {', '.join(str(f) for f in files)}", highlight=False, markup=False
        )
    db = result.settings.database.url
    console.print(
        f"\n{sum(d.status == DraftStatus.PENDING for d in drafts)} drafts still wait for an agent. Carry on with:\n"
        f"  export MAILBOT_DATABASE_URL={db} MAILBOT_OUTBOX_PATH={result.settings.outbox.path}\n"
        f"  mailbot drafts list\n  mailbot drafts show ID\n  mailbot drafts approve ID --agent you\n"
        f"  mailbot send",
        highlight=False,
        markup=False,
    )
