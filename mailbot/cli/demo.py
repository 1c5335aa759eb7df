"""`mailbot demo`: the whole flow on embedded defaults."""

from __future__ import annotations

from mailbot.cli.app import app, console


@app.command()
def demo() -> None:
    """A self-contained run on embedded defaults (Maildir, SQLite, file outbox in var/demo/)."""
    from mailbot.demo import print_demo, run_demo

    print_demo(run_demo(), console)
