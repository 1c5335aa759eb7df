"""The audit trail: every agent decision and every delivery step, for the CLI and the console."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from mailbot.models import AuditEvent, BillingEvent


def list_audit(*, session: Session, draft_id: int | None = None, limit: int = 200) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)  # type: ignore[union-attr]
    if draft_id is not None:
        query = query.where(AuditEvent.draft_id == draft_id)
    return list(session.exec(query))


def list_billing_events(*, session: Session, limit: int = 200) -> list[BillingEvent]:
    """Billing webhook events with their outcome, newest first (the console's history page)."""
    query = select(BillingEvent).order_by(BillingEvent.id.desc()).limit(limit)  # type: ignore[union-attr]
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
