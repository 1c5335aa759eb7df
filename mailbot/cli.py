"""The command-line app: thin — parses arguments, calls services, prints results.

Every ``MailbotError`` becomes one line on stderr and a non-zero exit; tracebacks
are for bugs only (and never carry a password: settings hide secrets in repr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mailbot.config import Settings, load_settings
from mailbot.errors import MailbotError

# Pretty tracebacks show local variables, which may hold secrets: keep them off.
app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help=__doc__)
accounts_app = typer.Typer(no_args_is_help=True, help="Account records.")
drafts_app = typer.Typer(no_args_is_help=True, help="Drafts for agents to review.")
app.add_typer(accounts_app, name="accounts")
app.add_typer(drafts_app, name="drafts")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class State:
    """What the top-level options decided, handed to every command via ctx.obj."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="Config file (or MAILBOT_CONFIG).")] = None,
) -> None:
    ctx.obj = State(config)


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.obj.settings


def print_json_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


@app.command("send")
def send_command(ctx: typer.Context) -> None:
    """Deliver approved replies that are queued; prints how many."""
    from mailbot.db import make_engine
    from mailbot.delivery import deliver_queued

    settings = settings_of(ctx)
    summary = deliver_queued(engine=make_engine(settings.database.url), settings=settings)
    # Delivery problems are per reply and already recorded: not an exit status.
    console.print(summary.line(), highlight=False, markup=False)


def main() -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        app()
    except MailbotError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        sys.exit(2)
    except SQLAlchemyError as exc:
        # The driver's first line says what is wrong (server down, no such table); the
        # full text would repeat SQL and parameters (raw mail bytes) at the operator.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err_console.print(f"[bold red]error:[/] database: {escape(reason)}", highlight=False, markup=True)
        sys.exit(2)


# --- accounts -----------------------------------------------------------------


@accounts_app.command("import")
def accounts_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="CSV with account records.")]
) -> None:
    """Insert or update account records (all-or-nothing: a bad row changes nothing)."""
    from mailbot.accounts import import_accounts
    from mailbot.db import make_engine

    settings = settings_of(ctx)
    summary = import_accounts(engine=make_engine(settings.database.url), path=file)
    console.print(
        f"imported {summary.inserted + summary.updated} accounts ({summary.inserted} new, {summary.updated} updated)"
    )


@accounts_app.command("show")
def accounts_show(
    ctx: typer.Context,
    email: str,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """One account record, with the CSV's fields."""
    from mailbot.accounts import account_as_csv_dict, find_account
    from mailbot.db import make_engine, new_session

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        account = find_account(session=session, email=email)
    if account is None:
        err_console.print(f"no account has the address {email.strip().lower()}")
        raise typer.Exit(1)
    record = account_as_csv_dict(account)
    if as_json:
        print_json_line(record)
        return
    for key, value in record.items():
        console.print(f"{key:>20}: {'' if value is None else value}", highlight=False)


# --- triage (dry run) ---------------------------------------------------------


@app.command()
def triage(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help=".eml files, folders of them, or mbox files.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one object per message.")] = False,
) -> None:
    """Decide and draft without storing or sending anything."""
    from datetime import date

    from mailbot.accounts import DbAccountBook
    from mailbot.db import make_engine
    from mailbot.mail.files import iter_mail_files
    from mailbot.triage.pipeline import TriageContext, triage_message

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url, create=False)
    rows: list[dict[str, Any]] = []
    with engine.connect() as connection:  # read-only: a dry run stores nothing
        tctx = TriageContext.from_settings(settings, accounts=DbAccountBook(connection), today=date.today())
        for item in iter_mail_files(paths):
            if item.error is not None:
                obj: dict[str, Any] = {"file": item.label, "error": item.error}
            else:
                obj = triage_message(item.raw, tctx).to_json(file=item.label)
            if as_json:
                print_json_line(obj)
            else:
                rows.append(obj)
    if not as_json:
        _print_triage_table(rows)


def _print_triage_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("file", "intent", "lang", "sender", "verified", "requests"):
        table.add_column(column)
    for row in rows:
        if "error" in row and "intent" not in row:
            table.add_row(row["file"], "[red]error[/]", "", "", "", row["error"])
            continue
        requests = "\n".join(
            f"{r['primary'] or '?'} ← {r['team_member'] or '?'}: {r['outcome']}" for r in row["requests"]
        ) or (row.get("error") or row.get("reason") or "")
        table.add_row(
            row["file"], row["intent"], row["language"] or "", row["sender"] or "", row["sender_verified"], requests
        )
    console.print(table)


# --- review: the agent's side ---------------------------------------------------

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of agent decisions and deliveries.")
app.add_typer(audit_app, name="audit")


def agent_name(explicit: str | None) -> str:
    """--agent, else MAILBOT_AGENT, else the login name: every decision names a person."""
    import getpass
    import os

    name = explicit or os.environ.get("MAILBOT_AGENT") or getpass.getuser()
    return name.strip() or "unknown"


@drafts_app.command("approve")
def drafts_approve(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID")],
    agent: Annotated[str | None, typer.Option("--agent", help="Your name (or MAILBOT_AGENT).")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="Send this text instead of the draft's (kept beside it).")
    ] = None,
) -> None:
    """Apply the proposed account change and queue the reply, in one transaction."""
    from mailbot.db import make_engine
    from mailbot.errors import StaleDecision
    from mailbot.review import approve

    settings = settings_of(ctx)
    body = None
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            err_console.print(f"error: cannot read {body_file}: {exc}")
            raise typer.Exit(2) from None
    try:
        result = approve(
            engine=make_engine(settings.database.url),
            settings=settings,
            draft_id=draft_id,
            agent=agent_name(agent),
            body=body,
        )
    except StaleDecision as exc:
        err_console.print(f"[bold yellow]not approved:[/] {exc}", highlight=False)
        raise typer.Exit(3) from None
    done = "; ".join(result.actions) if result.actions else "no account change"
    edited = " (edited text)" if result.edited else ""
    console.print(
        f"approved draft {draft_id}{edited}: {done}; reply queued as {result.outbox_message_id}", highlight=False
    )


@drafts_app.command("reject")
def drafts_reject(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
    agent: Annotated[str | None, typer.Option("--agent", help="Your name (or MAILBOT_AGENT).")] = None,
) -> None:
    """Reject a draft: nothing is sent and no account changes."""
    from mailbot.db import make_engine
    from mailbot.review import reject

    settings = settings_of(ctx)
    reject(engine=make_engine(settings.database.url), draft_id=draft_id, agent=agent_name(agent), reason=reason)
    console.print(f"rejected draft {draft_id}", highlight=False)


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    draft_id: Annotated[int | None, typer.Option("--draft", help="Only this draft's events.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines.")] = False,
) -> None:
    """Agent decisions and deliveries, newest first."""
    from rich.table import Table

    from mailbot.db import make_engine, new_session
    from mailbot.review import audit_as_dict, list_audit

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        events = [audit_as_dict(e) for e in list_audit(session=session, draft_id=draft_id, limit=limit)]
    if as_json:
        for event in events:
            print_json_line(event)
        return
    table = Table()
    for column in ("at", "agent", "action", "draft", "detail"):
        table.add_column(column)
    for e in events:
        table.add_row(
            e["at"],
            e["agent"] or "",
            e["action"],
            str(e["draft_id"] or ""),
            json.dumps(e["detail"], ensure_ascii=False)[:120],
        )
    console.print(table)


# --- mailbox ingestion: poll, run, demo, drafts list/show ---------------------------


def _database_error_exit(exc: Exception) -> None:
    # The driver's first line says what is wrong; the rest repeats SQL and raw mail.
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    err_console.print(f"[bold red]error:[/] database: {escape(reason)}", highlight=False)
    raise typer.Exit(2)


@app.command()
def poll(ctx: typer.Context) -> None:
    """One cycle for cron: fetch new mail, triage, store drafts; prints a one-line summary."""
    from sqlalchemy.exc import SQLAlchemyError

    from mailbot.db import make_engine
    from mailbot.poller import poll_once

    settings = settings_of(ctx)
    try:
        summary = poll_once(settings=settings, engine=make_engine(settings.database.url))
    except SQLAlchemyError as exc:
        _database_error_exit(exc)
        return
    sys.stdout.write(summary.line() + "\n")  # one line for cron, never wrapped


@app.command()
def run(ctx: typer.Context) -> None:
    """Long-lived: poll on the [schedule] and send approved replies until SIGTERM/Ctrl-C."""
    from mailbot.scheduler import run_service

    run_service(settings_of(ctx))


@app.command()
def demo() -> None:
    """A self-contained run on embedded defaults (Maildir, SQLite, file outbox in var/demo/)."""
    from mailbot.demo import print_demo, run_demo

    print_demo(run_demo(), console)


@drafts_app.command("list")
def drafts_list(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="pending, approved, sent, rejected, failed or all.")
    ] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one draft per line.")] = False,
) -> None:
    """Drafts with a status (default: pending, the ones waiting for an agent)."""
    from mailbot.db import make_engine, new_session
    from mailbot.draft_views import DRAFT_STATUSES, draft_summary, list_drafts

    if status not in (*DRAFT_STATUSES, "all"):
        raise typer.BadParameter(f"expected one of {', '.join(DRAFT_STATUSES)}, all", param_hint="--status")
    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        rows = [draft_summary(d) for d in list_drafts(session=session, status=status)]
    if as_json:
        for row in rows:
            print_json_line(row)
        return
    from rich.table import Table

    table = Table(title=f"Drafts ({status})")
    for column in ("id", "intent", "lang", "to", "subject", "requests", "status"):
        table.add_column(column, overflow="fold")  # wrap, never cut an address
    for row in rows:
        requests = "\n".join(
            f"{r.get('primary') or '?'} ← {r.get('team_member') or '?'}: {r.get('outcome')}" for r in row["requests"]
        )
        table.add_row(
            str(row["id"]),
            row["intent"],
            row["language"],
            escape(row["to"]),
            escape(row["subject"]),
            escape(requests),
            row["status"],
        )
    console.print(table)


@drafts_app.command("show")
def drafts_show(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID", help="The draft's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """What an agent needs to decide: the mail, each request and why, the action, the reply."""
    from mailbot.db import make_engine, new_session
    from mailbot.draft_views import draft_detail, find_draft, mail_view

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        draft, inbound = find_draft(session=session, draft_id=draft_id)
        detail = draft_detail(draft, inbound)
        mail = mail_view(inbound, max_bytes=settings.triage.max_message_bytes) if inbound else None
    detail["mail"] = mail
    if as_json:
        print_json_line(detail)
        return
    _print_review(detail)


def _print_review(detail: dict[str, Any]) -> None:
    from rich.panel import Panel
    from rich.text import Text

    def line(label: str, value: object, style: str = "") -> None:
        console.print(Text(f"{label:>14}: ", style="bold") + Text(str(value if value is not None else ""), style))

    line("draft", f"#{detail['id']} ({detail['status']})")
    line("intent", f"{detail['intent']}, language {detail['language']}")
    line("from", detail["sender"])
    verified = detail["sender_verified"]
    if verified == "fail":
        line("sender", "NOT VERIFIED (DMARC/DKIM/SPF failed) — no account action is proposed", "bold red")
    elif verified == "unknown":
        line("sender", "unknown: no Authentication-Results — check the address before approving", "bold yellow")
    else:
        line("sender", "verified (Authentication-Results)", "green")
    mail = detail.get("mail")
    if mail:
        if mail["uncertain"]:
            console.print(Text("The quote markers left no own text: the whole mail is shown.", style="yellow"))
        console.print(
            Panel(
                Text(mail["own_text"] or "(no text)"), title=f"customer's text — {mail['subject']}", title_align="left"
            )
        )
        if mail["quoted_text"]:
            quoted = "\n".join("> " + q for q in mail["quoted_text"].splitlines())
            console.print(
                Panel(
                    Text(quoted, style="dim"),
                    title="quoted history and signature (not read)",
                    title_align="left",
                    style="dim",
                )
            )
    for number, request in enumerate(detail["requests"], start=1):
        console.print(
            Text(f"request {number}: ", style="bold")
            + Text(
                f"primary {request.get('primary') or '(missing)'}, "
                f"team member {request.get('team_member') or '(missing)'}"
            )
        )
        line("outcome", f"{request.get('outcome')} ({request.get('rule', '')}): {request.get('reason', '')}")
        action = (request.get("action") or {}).get("text")
        line("action", action or "none — nothing changes on approval", "bold" if action else "dim")
    console.print(
        Panel(Text(detail["body"]), title=f"reply to {detail['to']} — {detail['subject']}", title_align="left")
    )
    if detail.get("original_body"):
        console.print(Text("(edited by the agent; the drafted text is kept)", style="dim"))


# --- the agents' web console: serve, agents add/list/remove ---------------------------

agents_app = typer.Typer(no_args_is_help=True, help="Agents who may log in to the web console.")
app.add_typer(agents_app, name="agents")


def _new_password() -> str:
    """Asked twice on a terminal; from a script, the first line of stdin (a second, if any, must match)."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    lines = sys.stdin.read().splitlines()
    if not lines:
        raise typer.BadParameter("no password on stdin")
    if len(lines) > 1 and lines[1] and lines[1] != lines[0]:
        raise typer.BadParameter("the two passwords on stdin differ")
    return lines[0]


@agents_app.command("add")
def agents_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The name the agent logs in with (and the audit trail shows).")],
    replace: Annotated[bool, typer.Option("--replace", help="Set a new password for an existing agent.")] = False,
) -> None:
    """Add an agent; the password is asked twice (or read from stdin), stored as an argon2 hash."""
    from mailbot.db import make_engine
    from mailbot.web.agents import add_agent, check_name

    settings = settings_of(ctx)
    check_name(name)  # before asking for a password
    add_agent(engine=make_engine(settings.database.url), name=name, password=_new_password(), replace=replace)
    console.print(f"{'updated' if replace else 'added'} agent {name.strip()}", highlight=False, markup=False)


@agents_app.command("list")
def agents_list(ctx: typer.Context) -> None:
    """The agents who may log in, with when each was added."""
    from mailbot.db import make_engine, new_session
    from mailbot.web.agents import list_agents

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        agents = list_agents(session=session)
    for agent in agents:
        console.print(f"{agent.name}\t{agent.created_at:%Y-%m-%d %H:%M}", highlight=False, markup=False)
    if not agents:
        err_console.print("no agents yet: add one with `mailbot agents add NAME`", highlight=False, markup=False)


@agents_app.command("remove")
def agents_remove(ctx: typer.Context, name: str) -> None:
    """Remove an agent; their open console sessions stop working at once."""
    from mailbot.db import make_engine
    from mailbot.web.agents import remove_agent

    settings = settings_of(ctx)
    remove_agent(engine=make_engine(settings.database.url), name=name)
    console.print(f"removed agent {name.strip()}", highlight=False, markup=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default: [web] host).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: [web] port).")] = None,
) -> None:
    """Serve the agents' web console until Ctrl-C (put it behind an HTTPS proxy beyond localhost)."""
    import uvicorn

    from mailbot.db import make_engine, new_session
    from mailbot.web.agents import list_agents
    from mailbot.web.app import create_app

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url)
    with new_session(engine) as session:
        if not list_agents(session=session):
            err_console.print(
                "warning: no agent can log in yet: add one with `mailbot agents add NAME`",
                highlight=False,
                markup=False,
            )
    application = create_app(settings=settings, engine=engine)
    uvicorn.run(
        application,
        host=host or settings.web.host,
        port=port or settings.web.port,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )


# --- health: is intake alive? ---------------------------------------------------------


@app.command("status")
def status_command(
    ctx: typer.Context,
    max_age: Annotated[
        int | None, typer.Option("--max-age", help="Minutes since the last successful poll that are still fine.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Last successful poll per folder, drafts and replies waiting; exit 1 when intake is stale."""
    from datetime import timedelta

    from mailbot.db import make_engine
    from mailbot.health import check_health

    settings = settings_of(ctx)
    # Default: three missed cycles of `mailbot run` (and never less than 15 minutes).
    minutes = max_age if max_age is not None else max(15, 3 * settings.schedule.interval_seconds // 60)
    health = check_health(engine=make_engine(settings.database.url), max_age=timedelta(minutes=minutes))
    if as_json:
        print_json_line(health.as_dict())
    else:
        for folder in health.folders:
            console.print(
                f"{folder['mailbox']} {folder['folder']}: last successful poll "
                f"{folder['last_success_at'] or 'never'}, last UID {folder['last_uid']}",
                highlight=False,
                markup=False,
            )
        console.print(
            f"drafts: {health.drafts or 'none'}; outbox: {health.outbox or 'empty'}", highlight=False, markup=False
        )
        for problem in health.problems:
            err_console.print(f"problem: {problem}", highlight=False, markup=False)
    if not health.ok:
        raise typer.Exit(1)
