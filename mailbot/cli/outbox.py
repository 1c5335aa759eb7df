"""`mailbot send`: deliver the replies approval queued; `mailbot outbox resend`: an agent's second try."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mailbot.cli.app import agent_name, app, console, settings_of
from mailbot.cli.terminal import clean

outbox_app = typer.Typer(no_args_is_help=True, help="Replies waiting to be sent, or waiting for an agent.")
app.add_typer(outbox_app, name="outbox")


@app.command("send")
def send_command(ctx: typer.Context) -> None:
    """Deliver approved replies that are queued; prints how many."""
    from mailbot.db.engine import make_engine
    from mailbot.outbox.actions import retry_due_actions
    from mailbot.outbox.queue import deliver_queued

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url)
    # Held actions first: a reply they release goes out in this same run.
    actions = retry_due_actions(engine=engine, settings=settings)
    summary = deliver_queued(engine=engine, settings=settings)
    # Delivery problems are per reply and already recorded: not an exit status.
    console.print(summary.line(), highlight=False, markup=False)
    if actions:
        console.print(actions.line(), highlight=False, markup=False)
    for row_id in summary.flagged_ids:
        sys.stdout.write(
            f"reply {row_id} needs an agent: check whether it arrived, then `mailbot outbox resend {row_id}`\n"
        )


@outbox_app.command("resend")
def outbox_resend(
    ctx: typer.Context,
    outbox_id: Annotated[int, typer.Argument(metavar="ID", help="The reply's outbox id (`mailbot send` names it).")],
    agent: Annotated[str | None, typer.Option("--agent", help="Your name (or MAILBOT_AGENT).")] = None,
) -> None:
    """Queue a reply marked "needs agent" again (same Message-ID); the next `mailbot send` delivers it."""
    from mailbot.db.engine import make_engine
    from mailbot.outbox.resend import resend

    settings = settings_of(ctx)
    row = resend(engine=make_engine(settings.database.url), outbox_id=outbox_id, agent=agent_name(agent))
    line = clean(f"reply {row.id} to {row.to} queued again as {row.message_id}", one_line=True)
    sys.stdout.write(line + "\n")  # one line, never wrapped
