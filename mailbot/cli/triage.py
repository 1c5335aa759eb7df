"""`mailbot triage`: the dry run over files, folders, Maildirs and mbox files; `--summary` for operators."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from mailbot.cli.app import app, console, print_error, print_json_line, settings_of
from mailbot.cli.terminal import clean, shown


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
    unreadable = 0
    with engine.connect() as connection:  # read-only: a dry run stores nothing
        tctx = TriageContext.from_settings(settings, accounts=DbAccountBook(connection), today=date.today())

        def objects() -> Iterator[dict[str, Any]]:
            nonlocal unreadable
            for item in iter_mail_files(paths):
                if item.error is None:
                    yield triage_message(item.raw, tctx).to_json(file=item.label)
                    continue
                unreadable += 1
                if not summary:  # the summary counts errors itself
                    print_error(item.error)
                yield {"file": item.label, "error": item.error}

        if summary:
            _print_summary(objects(), as_json=as_json)
            return
        for obj in objects():
            if as_json:
                print_json_line(obj)
            else:
                rows.append(obj)
    if not as_json:
        _print_triage_table([row for row in rows if "intent" in row or "error" not in row])
    if unreadable:
        raise typer.Exit(1)  # every readable mail was still triaged and shown


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
        sys.stdout.write(clean("\n".join(report.as_lines())) + "\n")  # names and reasons come from mail


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
