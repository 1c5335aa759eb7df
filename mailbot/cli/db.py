"""`mailbot db …`: the database schema."""

from __future__ import annotations

import typer

from mailbot.cli.app import app, console, settings_of

db_app = typer.Typer(no_args_is_help=True, help="The database schema.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the current schema, keeping every row (a 0.1.0 database too)."""
    from mailbot.db.migrate import upgrade_database

    console.print(upgrade_database(settings_of(ctx).database.url).line(), highlight=False, markup=False)
