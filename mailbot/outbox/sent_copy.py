"""The copy of each sent reply in the mailbox's Sent folder, so colleagues in a mail client see it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine

from mailbot.config import Settings
from mailbot.db.engine import new_session
from mailbot.errors import MailboxUnavailable
from mailbot.models import OutboxMessage
from mailbot.outbox.events import delivery_event

log = logging.getLogger(__name__)


def copy_to_sent_folder(*, engine: Engine, settings: Settings, rows: list[OutboxMessage], now: datetime) -> None:
    """Put the sent replies in the mailbox's Sent folder, so colleagues in a mail client see
    them. The replies are already out: a failure here is recorded, never retried as a send."""
    from mailbot.mail.imap import ImapSource

    try:
        with ImapSource(settings.mailbox) as source:
            for row in rows:
                source.append(settings.mailbox.sent_folder, row.raw)
    except MailboxUnavailable as exc:
        log.warning("could not copy %d sent replies to %s: %s", len(rows), settings.mailbox.sent_folder, exc)
        with new_session(engine) as session:
            for row in rows:
                session.add(delivery_event(row, "sent_copy_failed", now, error=str(exc)))
            session.commit()
