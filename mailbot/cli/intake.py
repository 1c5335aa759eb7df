"""`mailbot poll`, `run` and `status`: intake, once or as a service, and whether it is alive."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mailbot.cli.app import app, console, print_error, print_json_line, settings_of
from mailbot.cli.progress import ProgressBar, watched
from mailbot.cli.terminal import clean, shown


def _database_error_exit(exc: Exception) -> None:
    # The driver's first line says what is wrong; the rest repeats SQL and raw mail.
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    print_error(f"database: {reason}")
    raise typer.Exit(2)


@app.command()
def poll(ctx: typer.Context) -> None:
    """One cycle for cron: fetch new mail, triage, store drafts; prints a one-line summary."""
    from sqlalchemy.exc import SQLAlchemyError

    from mailbot.db.engine import make_engine
    from mailbot.intake.cycle import poll_once

    settings = settings_of(ctx)
    try:
        with ProgressBar("poll", enabled=watched()) as bar:
            summary = poll_once(settings=settings, engine=make_engine(settings.database.url), progress=bar.update)
    except SQLAlchemyError as exc:
        _database_error_exit(exc)
        return
    sys.stdout.write(clean(summary.line(), one_line=True) + "\n")  # one line for cron, never wrapped


@app.command()
def run(ctx: typer.Context) -> None:
    """Long-lived: poll on the [schedule] (and on IMAP IDLE) and send approved replies until SIGTERM/Ctrl-C."""
    from mailbot.intake.service import run_service

    run_service(settings_of(ctx))


@app.command("status")
def status_command(
    ctx: typer.Context,
    max_age: Annotated[
        int | None, typer.Option("--max-age", help="Minutes since the last successful poll that are still fine.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Last successful poll and intake state (idling, polling, reconnecting) per folder, drafts and
    replies waiting; exit 1 when intake is stale."""
    from datetime import timedelta

    from mailbot.db.engine import make_engine
    from mailbot.status import check_health

    settings = settings_of(ctx)
    # Default: three missed cycles of `mailbot run` (and never less than 15 minutes).
    minutes = max_age if max_age is not None else max(15, 3 * settings.schedule.interval_seconds // 60)
    health = check_health(
        engine=make_engine(settings.database.url),
        max_age=timedelta(minutes=minutes),
        max_failing=timedelta(minutes=settings.accounts.failing_minutes),
    )
    if as_json:
        print_json_line(health.as_dict())
    else:
        for folder in health.folders:
            intake = f"; intake {folder['intake']} since {folder['intake_since']}" if folder["intake"] else ""
            console.print(  # folder names come from the IMAP server
                shown(
                    f"{folder['mailbox']} {folder['folder']}: last successful poll "
                    f"{folder['last_success_at'] or 'never'}, last UID {folder['last_uid']}{intake}",
                    one_line=True,
                ),
                highlight=False,
            )
        console.print(
            f"drafts: {health.drafts or 'none'}; outbox: {health.outbox or 'empty'}", highlight=False, markup=False
        )
        if health.held_replies or health.failing_actions:
            console.print(
                f"replies held for account actions: {health.held_replies}; "
                f"account actions waiting for a retry: {health.failing_actions}",
                highlight=False,
                markup=False,
            )
        for problem in health.problems:
            print_error(problem, label="problem:", style="")
    if not health.ok:
        raise typer.Exit(1)
