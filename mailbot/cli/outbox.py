"""`mailbot send`: deliver the replies approval queued."""

from __future__ import annotations

import typer

from mailbot.cli.app import app, console, settings_of


@app.command("send")
def send_command(ctx: typer.Context) -> None:
    """Deliver approved replies that are queued; prints how many."""
    from mailbot.db.engine import make_engine
    from mailbot.outbox.queue import deliver_queued

    settings = settings_of(ctx)
    summary = deliver_queued(engine=make_engine(settings.database.url), settings=settings)
    # Delivery problems are per reply and already recorded: not an exit status.
    console.print(summary.line(), highlight=False, markup=False)
