"""`mailbot conversations …`: a customer matter as a whole — its mails, our replies, its drafts."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from mailbot.cli.app import app, console, print_error, print_json_line, settings_of
from mailbot.cli.terminal import labelled, shown

conversations_app = typer.Typer(no_args_is_help=True, help="Conversations: a customer's mails and our replies.")


app.add_typer(conversations_app, name="conversations")


def _when(value: Any) -> str:
    """The console's one readable format (UTC, to the minute); imported late, like every command's code."""
    from mailbot.web.present import when

    return when(value) if value is not None else ""


@conversations_app.command("list")
def conversations_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one conversation per line.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many, newest first.")] = 500,
) -> None:
    """Conversations, the most recently active first, and whether one waits for an agent."""
    from rich.table import Table

    from mailbot.db.engine import make_engine, new_session
    from mailbot.review.conversations import list_conversations

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        rows = list_conversations(session=session, limit=limit)
    if as_json:
        for row in rows:
            print_json_line(row)
        return
    table = Table(title="Conversations")
    for column in ("id", "status", "intent", "lang", "subject", "mails", "draft", "last activity"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            shown(row["status"], "bold yellow" if row["status"] == "waiting" else ""),
            shown(row["intent"] + (" (renewal)" if row["proactive"] else "")),
            shown(row["language"] or ""),
            shown(row["subject"], one_line=True),
            str(row["mails"]),
            f"#{row['pending_draft_id']}" if row["pending_draft_id"] else "",
            _when(row["last_activity_at"]),
        )
    console.print(table)


@conversations_app.command("show")
def conversations_show(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(metavar="ID", help="The conversation's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Every mail, draft (superseded ones too) and reply in order; each request with the mail it came from."""
    from mailbot.db.engine import make_engine, new_session
    from mailbot.review.conversations import find_conversation

    # Parsed here, not by typer: a wrong id is one line and exit 1, like an unknown one.
    number = int(conversation_id) if conversation_id.strip().isdecimal() else None
    settings = settings_of(ctx)
    detail = None
    if number is not None:
        with new_session(make_engine(settings.database.url)) as session:
            detail = find_conversation(session=session, conversation_id=number)
    if detail is None:
        print_error(f"no conversation with id {conversation_id}")
        raise typer.Exit(1)
    if as_json:
        print_json_line(detail)
        return
    _print_conversation(detail)


def _print_conversation(detail: dict[str, Any]) -> None:
    """Everything here may come from a customer's mail: all of it goes through ``shown``."""

    def line(label: str, value: object, style: str = "") -> None:
        console.print(labelled(label, value, style))

    line("conversation", f"#{detail['id']} ({detail['status']})")
    line("subject", detail["subject"])
    line("intent", f"{detail['intent']}, language {detail['language'] or '?'}")
    line("started", _when(detail["started_at"]))
    line("last activity", _when(detail["last_activity_at"]))
    if detail["pending_draft_id"]:
        line("waiting", f"draft #{detail['pending_draft_id']} for review", "bold yellow")
    for participant in detail["participants"]:
        line(participant["role"].replace("_", " "), participant["address"])
    mails = {item["id"]: item for item in detail["items"] if item["kind"] == "mail"}
    for item in detail["items"]:
        console.print()
        if item["kind"] == "mail":
            _print_mail(item, line)
        elif item["kind"] == "draft":
            _print_draft(item, mails, line)
        else:
            console.print(Text(f"{_when(item['sent_at']) or 'not sent yet':>14}  ", style="bold") + Text("our reply"))
            line("to", item["to"])
            line("subject", item["subject"])
            line("reply", f"{item['status']} (draft #{item['draft_id']}), Message-ID {item['message_id']}")


def _print_mail(item: dict[str, Any], line: Any) -> None:
    console.print(Text(f"{_when(item['date']):>14}  ", style="bold") + shown(f"mail #{item['id']}", "bold"))
    line("from", item["sender"] or "?")
    line("subject", item["subject"])
    line("decided", f"{item['intent']}: {item['outcome'] or item['status']}")
    if item["joined_by"]:
        line("joined by", item["joined_by"])
    if item["join_note"]:
        line("kept out", item["join_note"], "bold yellow")


def _print_draft(item: dict[str, Any], mails: dict[int, dict[str, Any]], line: Any) -> None:
    console.print(Text(f"{_when(item['created_at']):>14}  ", style="bold") + shown(f"draft #{item['id']}", "bold"))
    status = item["status"]
    if item["superseded_by"]:
        status += f", replaced by draft #{item['superseded_by']}"
    line("status", status, "dim" if item["superseded_by"] else "")
    line("to", item["to"])
    for number, request in enumerate(item["requests"], start=1):
        line(
            f"request {number}",
            f"{request.get('primary') or '(missing)'} ← {request.get('team_member') or '(missing)'}: "
            f"{request.get('outcome')} ({request.get('rule') or ''})",
        )
        line("from mail", _origin(request, mails))


def _origin(request: dict[str, Any], mails: dict[int, dict[str, Any]]) -> str:
    """Which mail stated the request and who asked it, in words."""
    stated = request.get("stated_in")
    if stated is None:
        return "none (mailbot drafted it for a renewal)"
    mail = mails.get(stated)
    text = f"#{stated}" + (f" from {mail['sender']}" if mail and mail["sender"] else "")
    asked = request.get("asked_by")
    if asked is not None and asked != stated:
        text += f"; asked by #{asked}" + (f" ({request['asker']})" if request.get("asker") else "")
    verified = request.get("asker_verified")
    if verified == "fail":
        text += "; the asker is NOT verified"
    elif verified == "unknown":
        text += "; the asker is not checked"
    return text
