"""The audit event every delivery step writes: which reply, to whom, after how many attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailbot.models import AuditEvent, OutboxMessage


def delivery_event(row: OutboxMessage, action: str, now: datetime, **detail: Any) -> AuditEvent:
    return AuditEvent(
        at=now,
        action=action,
        draft_id=row.draft_id,
        detail={
            "outbox_id": row.id,
            "message_id": row.message_id,
            "to": row.to,
            "attempts": row.attempts,
            **detail,
        },
    )
