"""`mailbot triage`: the dry run over files, folders, Maildirs and mbox files; `--summary` for operators."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from mailbot.cli.app import app, console, print_json_line, settings_of


@app.command()
def triage(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help=".eml files, folders of them, Maildirs or mbox files.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one object per message.")] = False,
    summary: Annotated[bool, typer.Option("--summary", help="Only a report: counts, draft share, errors.")] = False,
) -> None:
    """Decide and draft without storing or sending anything."""
    from datetime import date

    from mailbot.accounts.database import DbAccountBook
    from mailbot.db.engine import make_engine
    from mailbot.mail.files import iter_mail_files
    from mailbot.triage.pipeline import TriageContext, triage_message

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url)
    rows: list[dict[str, Any]] = []
    with engine.connect() as connection:  # read-only: a dry run stores nothing
        tctx = TriageContext.from_settings(settings, accounts=DbAccountBook(connection), today=date.today())
        objects = (
            {"file": item.label, "error": item.error}
            if item.error is not None
            else triage_message(item.raw, tctx).to_json(file=item.label)
            for item in iter_mail_files(paths)
        )
        if summary:
            _print_summary(objects, as_json=as_json)
            return
        for obj in objects:
            if as_json:
                print_json_line(obj)
            else:
                rows.append(obj)
    if not as_json:
        _print_triage_table(rows)


def _print_summary(objects: Iterable[dict[str, Any]], *, as_json: bool) -> None:
    """The operator's report; a progress bar on stderr only when it is a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mailbot.triage.summary import Summary

    report = Summary()
    progress_console = Console(stderr=True)
    with Progress(
        TextColumn("triage"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=progress_console,
        disable=not progress_console.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task("triage", total=None)
        for obj in objects:
            report.add(obj)
            progress.advance(task)
    if as_json:
        print_json_line(report.as_json())
    else:
        sys.stdout.write("\n".join(report.as_lines()) + "\n")


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
