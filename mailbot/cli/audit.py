"""`mailbot audit list`: who decided what, and every delivery."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mailbot.cli.app import app, console, print_json_line, settings_of
from mailbot.cli.terminal import shown

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of agent decisions and deliveries.")


app.add_typer(audit_app, name="audit")


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    draft_id: Annotated[int | None, typer.Option("--draft", help="Only this draft's events.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines.")] = False,
) -> None:
    """Agent decisions and deliveries, newest first."""
    from rich.table import Table

    from mailbot.db.engine import make_engine, new_session
    from mailbot.review.audit import audit_as_dict, list_audit

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
        # The detail quotes addresses and server replies: shown, never markup.
        table.add_row(
            shown(e["at"]),
            shown(e["agent"] or ""),
            shown(e["action"]),
            str(e["draft_id"] or ""),
            shown(json.dumps(e["detail"], ensure_ascii=False)[:120], one_line=True),
        )
    console.print(table)
