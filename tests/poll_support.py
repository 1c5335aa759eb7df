"""Helpers for the mailbox-ingestion tests: settings, what is stored, what the server holds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from mailbot_cli import REPO
from servers.dovecot import DovecotServer
from servers.mails import EXAMPLE_ACCOUNTS, EXAMPLE_CONFIG
from sqlalchemy.engine import Engine
from sqlmodel import select

from mailbot.accounts.csv_import import import_accounts
from mailbot.config import Settings, settings_from_mapping
from mailbot.db.engine import make_engine, new_session
from mailbot.models import Draft, InboundMessage

FLAG = "$MailbotTriaged"


def make_settings(db_url: str, mailbox: dict[str, Any], **sections: dict[str, Any]) -> Settings:
    """Settings for the example data, without reading the environment."""
    data: dict[str, Any] = {**EXAMPLE_CONFIG, "database": {"url": db_url}, "mailbox": mailbox}
    data.update(sections)
    return settings_from_mapping(data, env={})


def imap_settings(server: DovecotServer, user: str, db_url: str, **mailbox: Any) -> Settings:
    return make_settings(db_url, server.mailbox_config(user, **mailbox))


def engine_with_accounts(settings: Settings) -> Engine:
    engine = make_engine(settings.database.url)
    import_accounts(engine=engine, path=EXAMPLE_ACCOUNTS)
    return engine


def stored(engine: Engine) -> list[InboundMessage]:
    with new_session(engine) as session:
        return list(session.exec(select(InboundMessage).order_by(InboundMessage.id)))


def drafts(engine: Engine) -> list[Draft]:
    with new_session(engine) as session:
        return list(session.exec(select(Draft).order_by(Draft.id)))


def duplicates(values: list[Any]) -> dict[Any, int]:
    return {value: n for value, n in Counter(values).items() if n > 1}


def server_flags(server: DovecotServer, user: str, folder: str = "INBOX") -> dict[int, set[str]]:
    """UID -> flags, read with a second client (EXAMINE: read-only, changes nothing)."""
    with server.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        answer = client.fetch(uids, ["FLAGS"]) if uids else {}
        return {
            uid: {f.decode() if isinstance(f, bytes) else f for f in item[b"FLAGS"]} for uid, item in answer.items()
        }


def folder_uids(client: IMAPClient, folder: str) -> list[int]:
    client.select_folder(folder, readonly=True)
    return sorted(client.search(["ALL"]))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path: Path, data: dict[str, dict[str, Any]]) -> Path:
    """A TOML config file from ``{section: {key: value}}`` (``plans`` nests one level more)."""
    lines: list[str] = []
    for section, table in data.items():
        if section == "plans":
            for name, plan in table.items():
                lines.append(f"[plans.{name}]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in plan.items())
            continue
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_config(path: Path, db_url: str, mailbox: dict[str, Any], **sections: dict[str, Any]) -> Path:
    """A config file for the example data, for running ``mailbot`` in a subprocess."""
    return write_config(path, {**EXAMPLE_CONFIG, "database": {"url": db_url}, "mailbox": mailbox, **sections})


def start_run(config: Path, cwd: Path, command: str = "run", **env: str) -> subprocess.Popen[str]:
    """``mailbot run`` (or another ``command``) in a subprocess, as a service manager would start it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "mailbot", "--config", str(config), command],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: Callable[[], object], timeout: float = 30.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
