"""`mailbot triage`: the dry run over files, folders, Maildirs and mbox files; `--summary` for operators."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mailbot.cli.app import app, console, print_error, print_json_line, settings_of
from mailbot.cli.progress import ProgressBar, watched
from mailbot.cli.terminal import clean, shown


@app.command()
def triage(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help=".eml files, folders of them, Maildirs or mbox files.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one object per message.")] = False,
    summary: Annotated[bool, typer.Option("--summary", help="Only a report: counts, draft share, errors.")] = False,
) -> None:
    """Decide and draft without storing or sending anything."""
    from contextlib import closing
    from datetime import date

    from mailbot.accounts.source import open_account_book
    from mailbot.conversations.dry_run import group
    from mailbot.db.engine import make_engine
    from mailbot.mail.files import count_mail_files, iter_mail_files
    from mailbot.triage.pipeline import TriageContext, TriageResult, triage_message
    from mailbot.triage.summary import Summary

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url)
    rows: list[dict[str, Any]] = []
    unreadable = 0
    report = Summary() if summary else None
    # read-only: a dry run stores nothing
    with (
        engine.connect() as connection,
        closing(open_account_book(settings, connection=connection)) as accounts,
        ProgressBar("triage", enabled=watched(as_json=as_json)) as bar,
    ):
        tctx = TriageContext.from_settings(settings, accounts=accounts, today=date.today())
        total = count_mail_files(paths) if bar.enabled else 0
        triaged: list[tuple[str, TriageResult]] = []
        failed: list[dict[str, Any]] = []
        for done, item in enumerate(iter_mail_files(paths), start=1):
            if item.error is None:
                triaged.append((item.label, triage_message(item.raw, tctx)))
            else:
                unreadable += 1
                if report is None:  # the summary counts errors itself
                    print_error(item.error)
                failed.append({"file": item.label, "error": item.error})
            bar.update(done, max(total, done))
        # Conversations: the files in Date order, grouped in memory as the poll groups stored mail;
        # what could not be read comes last.
        grouped = group(triaged, ctx=tctx, window_days=settings.conversations.window_days)
        for obj in [*grouped, *failed]:
            if report is not None:
                report.add(obj)
            elif as_json:
                print_json_line(obj)
            else:
                rows.append(obj)
    if report is not None:  # after the bar is gone, so the report is never drawn over
        if as_json:
            print_json_line(report.as_json())
        else:
            sys.stdout.write(clean("\n".join(report.as_lines())) + "\n")  # names and reasons come from mail
        return
    if not as_json:
        _print_triage_table([row for row in rows if "intent" in row or "error" not in row])
    if unreadable:
        raise typer.Exit(1)  # every readable mail was still triaged and shown


def _print_triage_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("file", "intent", "lang", "sender", "verified", "requests"):
        table.add_column(column)
    for row in rows:
        requests = "\n".join(
            f"{r['primary'] or '?'} ← {r['team_member'] or '?'}: {r['outcome']}" for r in row["requests"]
        ) or (row.get("error") or row.get("reason") or "")
        # Every cell may come from the mail (or its file name): shown, never markup.
        table.add_row(
            *(
                shown(value)
                for value in (
                    row["file"],
                    row["intent"],
                    row["language"] or "",
                    row["sender"] or "",
                    row["sender_verified"],
                    requests,
                )
            )
        )
    console.print(table)
