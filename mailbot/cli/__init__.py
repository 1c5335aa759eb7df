"""The command-line app, one module per command group; thin: parses, calls, renders.

Importing the command modules registers their commands on ``app``.
"""

from mailbot.cli import accounts, audit, conversations, db, demo, drafts, intake, outbox, triage, web  # noqa: F401
from mailbot.cli.app import app, main

__all__ = ["app", "main"]
