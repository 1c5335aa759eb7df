"""An agent's deliberate resend of a reply that may or may not have reached the customer.

A reply is ``needs_agent`` when delivery broke off after the server may have
taken it (a crash mid-send, a time-out or drop after ``DATA``). mailbot never
guesses; the agent checks (the customer's answer, the server's log) and, if
the reply did not arrive, puts it back in the queue: the very same bytes and
Message-ID, so a customer's client that got both shows one mail.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlmodel import col, select

from mailbot.db.engine import new_session
from mailbot.db.types import as_utc
from mailbot.errors import OutboxError
from mailbot.models import OutboxMessage, is_row_id
from mailbot.outbox.events import delivery_event
from mailbot.vocabulary import OutboxStatus


def resend(*, engine: Engine, outbox_id: int, agent: str, now: datetime | None = None) -> OutboxMessage:
    """Queue a ``needs_agent`` reply again, due now; the next ``mailbot send`` delivers it.

    Only a reply waiting for an agent can be resent, and only once per decision:
    the conditional UPDATE lets exactly one of two racing agents win.
    """
    moment = datetime.now(UTC) if now is None else as_utc(now)
    with new_session(engine) as session:
        row = session.get(OutboxMessage, outbox_id) if is_row_id(outbox_id) else None
        if row is None:
            raise OutboxError(f"no reply in the outbox has the id {outbox_id}")
        claimed = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == outbox_id, col(OutboxMessage.status) == OutboxStatus.NEEDS_AGENT)
            .values(status=OutboxStatus.QUEUED, next_attempt_at=moment, last_error=None)
        )
        if claimed.rowcount != 1:
            session.rollback()
            current = session.get(OutboxMessage, outbox_id, populate_existing=True)
            status = current.status if current else "gone"
            raise OutboxError(f"reply {outbox_id} is {status}, not waiting for an agent: nothing was resent")
        fresh = session.get(OutboxMessage, outbox_id, populate_existing=True)
        assert fresh is not None
        event = delivery_event(fresh, "resend", moment)
        event.agent = agent
        session.add(event)
        session.commit()
        return fresh


def reply_of_draft(*, engine: Engine, draft_id: int) -> OutboxMessage | None:
    """The outbox row of an approved draft (None before approval)."""
    if not is_row_id(draft_id):
        return None
    with new_session(engine) as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.draft_id == draft_id)).first()
