"""Databases made by the released mailbot 0.1.0 itself, for the upgrade tests.

The released code comes out of git (tag ``v0.1.0``, else its commit) and runs as
``python -m mailbot`` with its own tree on PYTHONPATH, so the schema and the rows
are exactly what an operator's 0.1.0 left behind: nothing here writes a row.
"""

from __future__ import annotations

import io
import json
import mailbox
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from mailbot_cli import REPO, run_mailbot
from sqlalchemy import MetaData, create_engine, select

from mailbot.db.schema import RELEASE_0_1_0_TABLES

RELEASE_REFS = ("v0.1.0", "d427686")  # the tag, else the commit it names
AGENT_PASSWORD = "a long enough agent password"


def extract_release(dest: Path) -> Path:
    """The 0.1.0 source tree, from ``git archive`` of the tag (or commit)."""
    errors = []
    for ref in RELEASE_REFS:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref], capture_output=True)
        if archive.returncode == 0:
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(dest, filter="data")
            return dest
        errors.append(archive.stderr.decode(errors="replace").strip())
    raise RuntimeError(f"no 0.1.0 in {REPO}: {'; '.join(errors)}")


def run_release(tree: Path, *args: str | Path, cwd: Path, stdin: str | None = None) -> str:
    """Run the released CLI; its stdout, or an error with what it printed."""
    done = run_mailbot(*args, cwd=cwd, input_text=stdin, timeout=300, code=tree)
    if done.returncode != 0:
        raise RuntimeError(f"0.1.0 `mailbot {' '.join(map(str, args))}` failed: {done.stderr}")
    return done.stdout


def release_sqlite(tree: Path, work: Path) -> Path:
    """0.1.0's demo database, plus an agent and a rejected draft (the demo has neither)."""
    run_release(tree, "demo", cwd=work)
    database = work / "var" / "demo" / "mailbot.db"
    config = work / "sqlite.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n[support]\naddress = "support@example.com"\n')
    _agent_and_rejection(tree, config, work)
    return database


def release_postgresql(tree: Path, work: Path, url: str) -> None:
    """The operator's path on PostgreSQL: import accounts, poll, approve, send, reject."""
    maildir = mailbox.Maildir(work / "maildir", create=True)
    for mail in sorted((tree / "examples" / "mails").glob("*.eml")):
        maildir.add(mail.read_bytes())
    (work / "outbox").mkdir()
    config = work / "pg.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n'
        '[support]\naddress = "support@example.com"\nname = "Example Support"\n'
        f'[mailbox]\nkind = "maildir"\npath = "{work / "maildir"}"\n'
        f'[outbox]\npath = "{work / "outbox"}"\n'
        "[plans.basic]\nteam_seats = 0\n[plans.pro]\nteam_seats = 2\n"
        "[plans.agency]\nteam_seats = 10\nagency = true\n"
    )
    run_release(tree, "--config", config, "accounts", "import", tree / "examples" / "accounts.csv", cwd=work)
    run_release(tree, "--config", config, "poll", cwd=work)
    ready = next(d for d in _pending(tree, config, work) if _ready_link(d) is not None)
    run_release(tree, "--config", config, "drafts", "approve", str(ready["id"]), "--agent", "release-agent", cwd=work)
    run_release(tree, "--config", config, "send", cwd=work)
    _agent_and_rejection(tree, config, work)


def _agent_and_rejection(tree: Path, config: Path, work: Path) -> None:
    run_release(tree, "--config", config, "agents", "add", "alice", cwd=work, stdin=f"{AGENT_PASSWORD}\n")
    last = _pending(tree, config, work)[-1]
    run_release(tree, "--config", config, "drafts", "reject", str(last["id"]), "--reason", "asked by phone", cwd=work)


def _pending(tree: Path, config: Path, work: Path) -> list[dict[str, Any]]:
    out = run_release(tree, "--config", config, "drafts", "list", "--json", cwd=work)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _ready_link(draft: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in draft["requests"] if r.get("outcome") == "ready_to_link"), None)


Rows = dict[str, list[dict[str, Any]]]


def snapshot(url: str) -> Rows:
    """Every row of every 0.1.0 table, in primary-key order (plain engine: no schema check)."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(bind=engine, only=sorted(RELEASE_0_1_0_TABLES))
        with engine.connect() as connection:
            return {
                name: [
                    {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()}
                    for row in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
                ]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def as_before(after: Rows, before: Rows) -> Rows:
    """``after`` with only the tables and columns ``before`` had: a revision may add them, never lose a value."""
    return {
        table: [{column: row.get(column) for column in before[table][0]} for row in rows] if before[table] else rows
        for table, rows in after.items()
        if table in before
    }
