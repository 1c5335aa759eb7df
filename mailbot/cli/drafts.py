"""`mailbot drafts …`: the agent's side on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from mailbot.cli.app import agent_name, app, console, err_console, print_error, print_json_line, settings_of
from mailbot.cli.terminal import labelled, shown
from mailbot.vocabulary import DraftStatus, SenderVerification

drafts_app = typer.Typer(no_args_is_help=True, help="Drafts for agents to review.")


app.add_typer(drafts_app, name="drafts")


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
    from mailbot.db.engine import make_engine
    from mailbot.errors import ActionRefused, DraftSuperseded, StaleDecision
    from mailbot.review.approve import approve

    settings = settings_of(ctx)
    body = None
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print_error(f"cannot read {body_file}: {exc}")
            raise typer.Exit(2) from None
    try:
        result = approve(
            engine=make_engine(settings.database.url),
            settings=settings,
            draft_id=draft_id,
            agent=agent_name(agent),
            body=body,
        )
    except (StaleDecision, ActionRefused) as exc:
        print_error(exc, label="not approved:", style="bold yellow")
        raise typer.Exit(3) from None
    except DraftSuperseded as exc:  # the contract's one line, exit 1
        err_console.print(shown(exc, one_line=True), highlight=False)
        raise typer.Exit(1) from None
    done = "; ".join(result.actions) if result.actions else "no account change"
    edited = " (edited text)" if result.edited else ""
    if result.outbox_message_id is None:
        console.print(
            shown(
                f"approved draft {draft_id}{edited}: {done}; the reply is held until the account system confirms "
                f"(`mailbot send` retries): {result.held}"
            ),
            highlight=False,
        )
        return
    console.print(
        shown(f"approved draft {draft_id}{edited}: {done}; reply queued as {result.outbox_message_id}"), highlight=False
    )


@drafts_app.command("reject")
def drafts_reject(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
    agent: Annotated[str | None, typer.Option("--agent", help="Your name (or MAILBOT_AGENT).")] = None,
) -> None:
    """Reject a draft: nothing is sent and no account changes."""
    from mailbot.db.engine import make_engine
    from mailbot.review.approve import reject

    settings = settings_of(ctx)
    reject(engine=make_engine(settings.database.url), draft_id=draft_id, agent=agent_name(agent), reason=reason)
    console.print(f"rejected draft {draft_id}", highlight=False)


@drafts_app.command("list")
def drafts_list(
    ctx: typer.Context,
    status: Annotated[str, typer.Option("--status", help=f"{', '.join(DraftStatus)} or all.")] = DraftStatus.PENDING,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one draft per line.")] = False,
) -> None:
    """Drafts with a status (default: pending, the ones waiting for an agent)."""
    from mailbot.db.engine import make_engine, new_session
    from mailbot.review.read_model import DRAFT_STATUSES, draft_summary, list_drafts

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
    for column in ("id", "conv", "intent", "lang", "to", "subject", "requests", "status"):
        table.add_column(column, overflow="fold")  # wrap, never cut an address
    for row in rows:
        requests = "\n".join(
            f"{r.get('primary') or '?'} ← {r.get('team_member') or '?'}: {r.get('outcome')}" for r in row["requests"]
        )
        status_text = row["status"] + (f" by #{row['superseded_by']}" if row["superseded_by"] else "")
        table.add_row(
            str(row["id"]),
            "" if row["conversation_id"] is None else str(row["conversation_id"]),
            shown(row["intent"] + (" (proactive)" if row["proactive"] else "")),
            shown(row["language"]),
            shown(row["to"], one_line=True),
            shown(row["subject"], one_line=True),
            shown(requests),
            shown(status_text),
        )
    console.print(table)


@drafts_app.command("show")
def drafts_show(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(metavar="ID", help="The draft's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """What an agent needs to decide: the mail, each request and why, the action, the reply."""
    from mailbot.db.engine import make_engine, new_session
    from mailbot.review.read_model import draft_actions, draft_detail, find_draft, mail_view

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        draft, inbound = find_draft(session=session, draft_id=draft_id)
        detail = draft_detail(draft, inbound)
        detail["actions"] = draft_actions(session=session, draft_id=draft_id)
        mail = mail_view(inbound, max_bytes=settings.triage.max_message_bytes) if inbound else None
    detail["mail"] = mail
    if as_json:
        print_json_line(detail)
        return
    _print_review(detail)


def _print_review(detail: dict[str, Any]) -> None:
    """Everything shown here may come from the customer's mail: all of it goes through ``shown``."""
    from rich.panel import Panel

    def line(label: str, value: object, style: str = "") -> None:
        console.print(labelled(label, value, style))

    line("draft", f"#{detail['id']} ({detail['status']})")
    if detail["superseded_by"]:
        line(
            "superseded",
            f"by draft #{detail['superseded_by']}: review draft #{detail['superseded_by']} instead",
            "bold yellow",
        )
    if detail["conversation_id"] is not None:
        line("conversation", f"#{detail['conversation_id']} (mailbot conversations show {detail['conversation_id']})")
    line("intent", f"{detail['intent']}, language {detail['language']}")
    line("from", detail["sender"])
    if not detail["recipient_is_sender"]:
        line("to", f"{detail['to']} — NOT the sender (Reply-To): check it may read this reply", "bold yellow")
    verified = detail["sender_verified"]
    if detail.get("proactive"):
        line("proactive", "mailbot wrote this after the primary renewed; no customer mail asked for it", "bold")
    elif verified == SenderVerification.FAIL:
        line("sender", "NOT VERIFIED (DMARC/DKIM/SPF failed, or two From) — no account action is proposed", "bold red")
    elif verified == SenderVerification.UNKNOWN:
        line("sender", "unknown: nothing vouched for the From domain — check before approving", "bold yellow")
    else:
        line("sender", "verified (Authentication-Results)", "green")
    mail = detail.get("mail")
    if mail:
        if mail["uncertain"]:
            console.print(Text("The quote markers left no own text: the whole mail is shown.", style="yellow"))
        console.print(
            Panel(
                shown(mail["own_text"] or "(no text)"),
                title=shown(f"customer's text — {mail['subject']}", one_line=True),
                title_align="left",
            )
        )
        if mail["quoted_text"]:
            quoted = "\n".join("> " + q for q in mail["quoted_text"].splitlines())
            console.print(
                Panel(
                    shown(quoted, "dim"),
                    title="quoted history and signature (not read)",
                    title_align="left",
                    style="dim",
                )
            )
    for number, request in enumerate(detail["requests"], start=1):
        console.print(
            Text(f"request {number}: ", style="bold")
            + shown(
                f"primary {request.get('primary') or '(missing)'}, "
                f"team member {request.get('team_member') or '(missing)'}",
                one_line=True,
            )
        )
        line("outcome", f"{request.get('outcome')} ({request.get('rule', '')}): {request.get('reason', '')}")
        action = (request.get("action") or {}).get("text")
        line("action", action or "none — nothing changes on approval", "bold" if action else "dim")
    for job in detail.get("actions", []):
        style = {"confirmed": "green", "refused": "bold red", "retry": "bold yellow"}.get(job["status"], "")
        line("account change", f"{job['text']}: {job['state']}", style)
        if job["vendor_message"]:
            line("vendor says", job["vendor_message"], "bold red")
        elif job["status"] == "retry":
            line("last error", f"{job['last_error']} (next try {job['next_attempt_at']})", "yellow")
    if detail["status"] == "action_failed":
        console.print(
            Text(
                "The account system refused the change; nothing was sent. Edit and approve again, or reject.",
                style="bold red",
            )
        )
    console.print(
        Panel(
            shown(detail["body"]),
            title=shown(f"reply to {detail['to']} — {detail['subject']}", one_line=True),
            title_align="left",
        )
    )
    if detail.get("original_body"):
        console.print(Text("(edited by the agent; the drafted text is kept)", style="dim"))
