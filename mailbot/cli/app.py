"""The command-line app: thin — parses arguments, calls services, prints results.

Every ``MailbotError`` becomes one line on stderr and a non-zero exit; tracebacks
are for bugs only (and never carry a password: settings hide secrets in repr).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from mailbot.cli.terminal import json_line, shown
from mailbot.config import Settings, load_settings
from mailbot.errors import MailbotError

# Pretty tracebacks show local variables, which may hold secrets: keep them off.
app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help=__doc__)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class State:
    """What the top-level options decided, handed to every command via ctx.obj."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="Config file (or MAILBOT_CONFIG).")] = None,
) -> None:
    ctx.obj = State(config)


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.obj.settings


def print_json_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json_line(obj) + "\n")


def print_error(message: object, *, label: str = "error:", style: str = "bold red") -> None:
    """One line on stderr; the message may quote mail or input, so it is shown safely."""
    err_console.print(Text(label + " ", style=style) + shown(message, one_line=True), highlight=False)


def main() -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        app()
    except MailbotError as exc:
        print_error(exc)
        sys.exit(2)
    except SQLAlchemyError as exc:
        # The driver's first line says what is wrong (server down, no such table); the
        # full text would repeat SQL and parameters (raw mail bytes) at the operator.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print_error(f"database: {reason}")
        sys.exit(2)


def agent_name(explicit: str | None) -> str:
    """--agent, else MAILBOT_AGENT, else the login name: every decision names a person."""
    import getpass
    import os

    name = explicit or os.environ.get("MAILBOT_AGENT") or getpass.getuser()
    return name.strip() or "unknown"
