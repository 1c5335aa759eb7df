"""The audit trail: every agent decision and every delivery step, for the CLI and the console."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from mailbot.models import AuditEvent


def list_audit(*, session: Session, draft_id: int | None = None, limit: int = 200) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)  # type: ignore[union-attr]
    if draft_id is not None:
        query = query.where(AuditEvent.draft_id == draft_id)
    return list(session.exec(query))


def audit_as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(timespec="seconds"),
        "agent": event.agent,
        "action": event.action,
        "draft_id": event.draft_id,
        "detail": event.detail,
    }
