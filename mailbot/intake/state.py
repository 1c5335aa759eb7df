"""What ``mailbot run`` is doing for a folder, written where ``mailbot status`` reads it.

The state lives on the folder's ``MailboxState`` row, in the database every
instance shares, so it is right on PostgreSQL with instances on several machines
too (a file beside the database would be seen by one machine only). It is written
only when it changes: a few rows updated per day, not per poll.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from mailbot.db.engine import new_session
from mailbot.intake.cycle import _folder_state_row
from mailbot.models import utcnow

log = logging.getLogger("mailbot.run")


class IntakeState(StrEnum):
    IDLING = "idling"  # waiting in IMAP IDLE: new mail is taken in within seconds
    POLLING = "polling"  # taking mail in on the schedule only
    RECONNECTING = "reconnecting"  # the mailbox cannot be reached; retrying with backoff
    STOPPED = "stopped"  # `mailbot run` ended cleanly


def record_intake_state(
    *, engine: Engine, mailbox: str, folder: str, state: IntakeState, since: datetime | None = None
) -> None:
    """Store ``state`` (since ``since``, default now) on the folder's row, creating it if new."""
    with new_session(engine) as session:
        box = _folder_state_row(session, mailbox, folder)
        box.intake, box.intake_since = state.value, since or utcnow()
        session.add(box)
        session.commit()


class IntakeReporter:
    """Remembers the last state written and writes only changes; never raises.

    A database that is down must not stop intake over a status line: the failed
    write is logged and tried again at the next change.
    """

    def __init__(self, *, engine: Engine, mailbox: str, folder: str) -> None:
        self.engine = engine
        self.mailbox = mailbox
        self.folder = folder
        self.current: IntakeState | None = None
        self._lock = threading.Lock()

    def report(self, state: IntakeState) -> None:
        with self._lock:
            if state is self.current:
                return
            try:
                record_intake_state(engine=self.engine, mailbox=self.mailbox, folder=self.folder, state=state)
            except SQLAlchemyError as exc:
                log.warning("could not record intake state %s: %s", state, exc.__class__.__name__)
                return
            self.current = state
