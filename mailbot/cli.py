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
app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help=__doc__
)
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
    config: Annotated[
        Path | None, typer.Option("--config", help="Config file (or MAILBOT_CONFIG).")
    ] = None,
) -> None:
    ctx.obj = State(config)


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.obj.settings


def print_json_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


@app.command("send")
def send_command(ctx: typer.Context) -> None:
    """Deliver approved replies that are queued; prints how many."""
    from sqlalchemy.exc import SQLAlchemyError

    from mailbot.db import make_engine
    from mailbot.delivery import deliver_queued

    try:
        settings = settings_of(ctx)
        engine = make_engine(settings.database.url)
        summary = deliver_queued(engine=engine, settings=settings)
    except MailbotError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        # The driver's first line says what is wrong; the full text would repeat
        # SQL and parameters (raw mail bytes) at the operator.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err_console.print(f"[bold red]error:[/] database: {escape(reason)}", highlight=False, markup=True)
        raise typer.Exit(2) from None
    # Delivery problems are per reply and already recorded: not an exit status.
    console.print(summary.line(), highlight=False, markup=False)


def main() -> None:
    try:
        app()
    except MailbotError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
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
    console.print(f"imported {summary.inserted + summary.updated} accounts "
                  f"({summary.inserted} new, {summary.updated} updated)")


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
    from mailbot.db import make_engine, new_session
    from mailbot.mail.files import iter_mail_files
    from mailbot.triage.pipeline import TriageContext, triage_message

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url)
    rows: list[dict[str, Any]] = []
    with new_session(engine) as session:
        tctx = TriageContext.from_settings(settings, accounts=DbAccountBook(session), today=date.today())
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
        table.add_row(row["file"], row["intent"], row["language"] or "", row["sender"] or "",
                      row["sender_verified"], requests)
    console.print(table)
