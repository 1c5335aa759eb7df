"""`mailbot triage`: the dry run over files, folders, Maildirs and mbox files; `--summary` for operators."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailbot.cli.app import app, console, print_error, print_json_line, settings_of
from mailbot.cli.progress import ProgressBar, watched
from mailbot.cli.terminal import clean, shown

if TYPE_CHECKING:
    from mailbot.config import Settings
    from mailbot.mail.files import MailFile
    from mailbot.triage.pipeline import TriageContext, TriageResult
    from mailbot.triage_pool import InProcess, TriagePool

#: What the dry run says when a worker process dies: it stops before printing any result.
WORKER_DIED = "a triage worker process died (out of memory?); the dry run stopped before its results"


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
    from mailbot.triage.pipeline import TriageContext
    from mailbot.triage.summary import Summary
    from mailbot.triage_pool import PARALLEL_MIN_MAILS, workers_for

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url)
    rows: list[dict[str, Any]] = []
    report = Summary() if summary else None
    today = date.today()
    items = iter_mail_files(paths)
    # Enough of the files (read, not triaged) to know whether worker processes pay.
    head = _until_readable(items, PARALLEL_MIN_MAILS)
    workers = workers_for(settings, sum(1 for item in head if item.error is None))
    # read-only: a dry run stores nothing (its worker processes only look accounts up too)
    with (
        engine.connect() as connection,
        closing(open_account_book(settings, connection=connection)) as accounts,
    ):
        tctx = TriageContext.from_settings(settings, accounts=accounts, today=today)
        # The workers are forked before the progress bar starts its thread.
        with (
            closing(_triager(settings, workers=workers, context=tctx)) as triager,
            ProgressBar("triage", enabled=watched(as_json=as_json)) as bar,
        ):
            total = count_mail_files(paths) if bar.enabled else 0
            triaged, failed = _triage_files(
                chain(head, items), triager=triager, show_errors=report is None, progress=bar, total=total
            )
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
    if failed:
        raise typer.Exit(1)  # every readable mail was still triaged and shown


def _until_readable(items: Iterator[MailFile], wanted: int) -> list[MailFile]:
    """The first items, up to and with the ``wanted``-th readable one (all of them, if there are fewer)."""
    head: list[MailFile] = []
    readable = 0
    for item in items:
        head.append(item)
        readable += item.error is None
        if readable == wanted:
            break
    return head


def _triager(
    settings: Settings, *, workers: int, context: TriageContext
) -> InProcess[TriageResult] | TriagePool[TriageResult]:
    """Worker processes (the poll's pool, sending back whole results) when they pay, else this process."""
    from mailbot.triage.pipeline import triage_message
    from mailbot.triage_pool import InProcess, TriagePool

    if workers > 1:
        return TriagePool(settings, today=context.today, workers=workers, task=triage_message, died=WORKER_DIED)
    return InProcess(triage_message, context)


def _triage_files(
    items: Iterable[MailFile],
    *,
    triager: InProcess[TriageResult] | TriagePool[TriageResult],
    show_errors: bool,
    progress: ProgressBar,
    total: int,
) -> tuple[list[tuple[str, TriageResult]], list[dict[str, Any]]]:
    """(label, result) of every readable mail in file order, and an error object for each of the others."""
    triaged: list[tuple[str, TriageResult]] = []
    failed: list[dict[str, Any]] = []

    def advance() -> None:
        done = len(triaged) + len(failed)
        progress.update(done, max(total, done))

    def readable() -> Iterator[tuple[str, bytes]]:
        for item in items:
            if item.error is None:
                yield item.label, item.raw
                continue
            if show_errors:  # the summary counts errors itself
                print_error(item.error)
            failed.append({"file": item.label, "error": item.error})
            advance()

    for triaged_mail in triager.imap(readable()):
        triaged.append(triaged_mail)
        advance()
    return triaged, failed


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
