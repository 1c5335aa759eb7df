"""Which schema a database has, and what a command may do about it (pure decisions).

A command must not run on a schema it does not know: columns would be missing,
or (after a newer mailbot upgraded the database) written without the values
the newer code relies on. ``mailbot db upgrade`` is the only way forward.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from enum import StrEnum

from mailbot.db.migrations import HEAD
from mailbot.errors import SchemaError

#: What 0.1.0's ``create_all`` made; it kept no revision.
RELEASE_0_1_0_TABLES = frozenset(
    {"account", "mailboxstate", "inboundmessage", "draft", "outboxmessage", "auditevent", "agent"}
)
VERSION_TABLE = "alembic_version"
UPGRADE_HINT = "run `mailbot db upgrade`"


class SchemaState(StrEnum):
    EMPTY = "empty"  # none of mailbot's tables: a new database
    RELEASE_0_1_0 = "release_0_1_0"  # 0.1.0's tables and no revision: stamp at the baseline
    CURRENT = "current"  # at HEAD
    OUTDATED = "outdated"  # at an older revision
    NEWER = "newer"  # at a revision this code does not know: a newer mailbot migrated it
    UNRECOGNISED = "unrecognised"  # some of mailbot's tables but no revision: not ours to touch


def classify(*, versions: Sequence[str] | None, tables: Collection[str], known: Collection[str]) -> SchemaState:
    """``versions``: the rows of ``alembic_version`` (None: no such table); ``known``: every revision here.

    An empty ``alembic_version`` counts as none: Alembic leaves it so after a full downgrade.
    """
    if not versions:
        present = RELEASE_0_1_0_TABLES.intersection(tables)
        if not present:
            return SchemaState.EMPTY
        return SchemaState.RELEASE_0_1_0 if present == RELEASE_0_1_0_TABLES else SchemaState.UNRECOGNISED
    if list(versions) == [HEAD]:
        return SchemaState.CURRENT
    if len(versions) == 1 and versions[0] in known:
        return SchemaState.OUTDATED
    return SchemaState.NEWER


def refusal(state: SchemaState, versions: Sequence[str] | None) -> SchemaError:
    """The one line a command stops with when the schema is not ``HEAD``."""
    at = ", ".join(versions or ()) or "none"
    if state is SchemaState.RELEASE_0_1_0:
        return SchemaError(
            f"database: the schema is mailbot 0.1.0's, this mailbot needs revision {HEAD}: {UPGRADE_HINT}"
        )
    if state is SchemaState.OUTDATED:
        return SchemaError(f"database: the schema is at revision {at}, this mailbot needs {HEAD}: {UPGRADE_HINT}")
    if state is SchemaState.NEWER:
        return SchemaError(
            f"database: the schema is at revision {at}, newer than this mailbot knows ({HEAD}): "
            "run the mailbot that upgraded it"
        )
    return SchemaError(
        "database: has some of mailbot's tables but neither all of 0.1.0's nor a schema revision; "
        "not a database mailbot made, so it is left alone"
    )
