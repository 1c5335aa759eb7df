"""Bring a database to the current schema: ``mailbot db upgrade``, and a new database's first use.

Everything happens in one transaction that first takes a lock (PostgreSQL: an
advisory lock; SQLite: ``BEGIN IMMEDIATE``), then reads the schema and migrates:
two instances starting on a new database, or an upgrade racing a first run,
never migrate twice, and a failed upgrade leaves the database as it was.
Alembic runs from a config built here, so no ``alembic.ini`` ships.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from mailbot.db.engine import open_engine
from mailbot.db.migrations import BASELINE, HEAD, SCRIPT_LOCATION
from mailbot.db.schema import VERSION_TABLE, SchemaState, classify, refusal
from mailbot.errors import SchemaError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

#: pg_advisory_xact_lock key shared by every mailbot process ("mailbot" in ASCII).
_PG_LOCK_KEY = 0x6D61696C626F74


@dataclass(frozen=True)
class UpgradeResult:
    before: SchemaState
    revisions: tuple[str, ...]  # what ``alembic_version`` held before

    def line(self) -> str:
        if self.before is SchemaState.CURRENT:
            return f"the database is already at the current revision {HEAD}: nothing to do"
        if self.before is SchemaState.EMPTY:
            return f"created the schema at revision {HEAD}"
        if self.before is SchemaState.RELEASE_0_1_0:
            return f"upgraded a mailbot 0.1.0 database (stamped at revision {BASELINE}) to revision {HEAD}"
        return f"upgraded the database from revision {', '.join(self.revisions)} to {HEAD}"


def upgrade_database(url: str) -> UpgradeResult:
    """Migrate to ``HEAD``, keeping every row; a 0.1.0 database is stamped at the baseline first."""
    return _migrate(
        url, allowed={SchemaState.EMPTY, SchemaState.RELEASE_0_1_0, SchemaState.OUTDATED, SchemaState.CURRENT}
    )


def create_or_refuse(url: str) -> None:
    """Create a new database's schema at ``HEAD``; refuse any other schema that is not current."""
    _migrate(url, allowed={SchemaState.EMPTY, SchemaState.CURRENT})


def known_revisions() -> list[str]:
    """Every revision in ``migrations/versions``, newest first."""
    from alembic.script import ScriptDirectory

    return [script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()]


def _migrate(url: str, *, allowed: Collection[SchemaState]) -> UpgradeResult:
    from alembic import command

    engine = open_engine(url, for_migrations=True)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            tables = set(inspect(connection).get_table_names())
            versions = (
                list(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
                if VERSION_TABLE in tables
                else None
            )
            state = classify(versions=versions, tables=tables, known=known_revisions())
            if state not in allowed:
                raise refusal(state, versions)
            if state is not SchemaState.CURRENT:
                config = alembic_config(connection)
                if state is SchemaState.RELEASE_0_1_0:
                    command.stamp(config, BASELINE)
                command.upgrade(config, "head")
                _check_foreign_keys(connection)
        return UpgradeResult(before=state, revisions=tuple(versions or ()))
    finally:
        engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config, in code; migrations run on ``connection`` (env.py needs one)."""
    from alembic.config import Config

    config = Config()
    # Config values go through ConfigParser interpolation: a literal % must be doubled.
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _check_foreign_keys(connection: Connection) -> None:
    """SQLite migrates with foreign keys off (table copies): check them before committing."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise SchemaError(
            f"database: the upgrade would leave {len(broken)} rows in {tables} pointing at missing rows; "
            "nothing was changed"
        )
