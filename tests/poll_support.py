"""Helpers for the mailbox-ingestion tests: settings, what is stored, what the server holds."""

from __future__ import annotations

from collections import Counter
from typing import Any

from imapclient import IMAPClient
from servers.dovecot import DovecotServer
from servers.mails import EXAMPLE_ACCOUNTS, EXAMPLE_CONFIG
from sqlalchemy.engine import Engine
from sqlmodel import select

from mailbot.accounts import import_accounts
from mailbot.config import Settings, settings_from_mapping
from mailbot.db import make_engine, new_session
from mailbot.models import Draft, InboundMessage

FLAG = "$MailbotTriaged"


def make_settings(db_url: str, mailbox: dict[str, Any], **sections: dict[str, Any]) -> Settings:
    """Settings for the example data, without reading the environment."""
    data: dict[str, Any] = {**EXAMPLE_CONFIG, "database": {"url": db_url}, "mailbox": mailbox}
    data.update(sections)
    return settings_from_mapping(data, env={})


def imap_settings(
    server: DovecotServer, user: str, db_url: str, **mailbox: Any
) -> Settings:
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
            uid: {f.decode() if isinstance(f, bytes) else f for f in item[b"FLAGS"]}
            for uid, item in answer.items()
        }


def folder_uids(client: IMAPClient, folder: str) -> list[int]:
    client.select_folder(folder, readonly=True)
    return sorted(client.search(["ALL"]))
