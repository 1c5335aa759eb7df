"""Alembic's entry point, run by ``mailbot.db.migrate`` on a connection it opened.

There is no ``alembic.ini``: the caller builds the config in code and hands over
its connection (already inside the transaction that holds the migration lock),
so every revision runs in that one transaction.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from mailbot import models  # noqa: F401  (registers the tables, for autogenerate)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `mailbot db upgrade` (or scripts/new-migration), not the alembic CLI")


def _render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """A generated revision names the column type the database has (``UtcDateTime`` and
    SQLModel's ``AutoString`` are a ``DateTime`` and a ``String`` there), so revisions
    never import application code that may change after them."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


# render_as_batch: SQLite alters a table by copying it, and batch mode does that.
context.configure(
    connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True, render_item=_render_item
)
with context.begin_transaction():
    context.run_migrations()
