"""The schema's history as Alembic revisions; see README.md here for adding one.

``HEAD`` is written down (not read from the revision files) so that every command
can check a database with one query and without importing Alembic; a test fails
when it is not the newest revision.
"""

from pathlib import Path

#: The revision a 0.1.0 database (made by ``create_all``, no ``alembic_version``) is at.
BASELINE = "0001"
#: The newest revision: the schema this code needs.
HEAD = "0005"

SCRIPT_LOCATION = Path(__file__).resolve().parent
