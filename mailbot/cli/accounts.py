"""`mailbot accounts …`: import and show account records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailbot.cli.app import app, console, err_console, print_json_line, settings_of
from mailbot.cli.terminal import shown

accounts_app = typer.Typer(no_args_is_help=True, help="Account records.")


app.add_typer(accounts_app, name="accounts")


@accounts_app.command("import")
def accounts_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="CSV with account records.")]
) -> None:
    """Insert or update account records (all-or-nothing: a bad row changes nothing); draft the renewals it reveals."""
    from mailbot.db.engine import make_engine
    from mailbot.renewals.notice import import_with_renewals

    settings = settings_of(ctx)
    result = import_with_renewals(engine=make_engine(settings.database.url), settings=settings, path=file)
    summary = result.summary
    console.print(
        f"imported {summary.inserted + summary.updated} accounts ({summary.inserted} new, {summary.updated} updated)"
    )
    for renewal in result.renewals:
        console.print(shown(renewal.line(), one_line=True), highlight=False)


@accounts_app.command("renewed")
def accounts_renewed(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The primary account's address.")],
    paid_until: Annotated[str, typer.Option("--paid-until", help="The new paid-until day (ISO date).")],
) -> None:
    """Tell mailbot that a primary renewed (for billing systems without webhooks); drafts the reactivation once."""
    from datetime import date

    from mailbot.db.engine import make_engine
    from mailbot.renewals.notice import renewed
    from mailbot.vocabulary import RenewalOutcome

    try:
        day = date.fromisoformat(paid_until.strip())
    except ValueError:
        err_console.print(
            shown(f"--paid-until: expected an ISO date like 2027-01-31, got {paid_until!r}", one_line=True)
        )
        raise typer.Exit(2) from None
    settings = settings_of(ctx)
    result = renewed(engine=make_engine(settings.database.url), settings=settings, email=email, paid_until=day)
    if result.outcome in (RenewalOutcome.UNKNOWN_ACCOUNT, RenewalOutcome.NOT_A_PRIMARY):
        err_console.print(shown(result.reason, one_line=True), highlight=False)
        raise typer.Exit(1)
    console.print(shown(result.line(), one_line=True), highlight=False)


@accounts_app.command("show")
def accounts_show(
    ctx: typer.Context,
    email: str,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """One account record, with the CSV's fields (from the table or the API, as [accounts] source says)."""
    from mailbot.accounts.source import open_account_book
    from mailbot.db.engine import make_engine, new_session

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        book = open_account_book(settings, connection=session)
        try:
            account = book.by_email(email.strip())
        finally:
            book.close()
    if account is None:
        err_console.print(shown(f"no account has the address {email.strip().lower()}", one_line=True))
        raise typer.Exit(1)
    record = account.as_csv_dict()
    if as_json:
        print_json_line(record)
        return
    for key, value in record.items():
        console.print(shown(f"{key:>20}: {'' if value is None else value}", one_line=True), highlight=False)


@accounts_app.command("changes")
def accounts_changes(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--since", help="Only changes on or after this day (ISO date).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of CSV.")] = False,
) -> None:
    """The account changes approvals applied, for the vendor's own system (CSV, or JSON Lines)."""
    import sys
    from datetime import date

    from mailbot.accounts.changes import applied_changes, changes_csv
    from mailbot.db.engine import make_engine, new_session

    day = None
    if since is not None:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise typer.BadParameter(
                f"expected an ISO date like 2026-06-01, got {since!r}", param_hint="--since"
            ) from None
    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        changes = applied_changes(session=session, since=day)
    if as_json:
        for change in changes:
            print_json_line(change)
        return
    sys.stdout.write(changes_csv(changes))
