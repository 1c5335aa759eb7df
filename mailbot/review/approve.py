"""Approve, edit or reject a draft — the only place that changes accounts.

Approval is one transaction: claim the draft (a conditional UPDATE, so of two
agents approving at once exactly one wins), re-decide every request against
the records as they are now, apply exactly the actions the agent was shown,
queue the reply and write the audit event. If the decision no longer holds
(a seat was taken, a link changed, the primary's paid-until moved), nothing is
applied and the draft stays pending with the new outcome reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from mailbot.accounts.database import DbAccountBook
from mailbot.config import Plan, Settings
from mailbot.errors import DraftNotFound, DraftStateError, ReviewError, StaleDecision
from mailbot.models import Account, AuditEvent, Draft, is_row_id, utcnow
from mailbot.outbox.queue import queue_reply
from mailbot.triage.decide import Action, Decision, decide_requests
from mailbot.triage.record import decisions_of
from mailbot.vocabulary import DraftStatus, Intent, SenderVerification


@dataclass(frozen=True)
class ApprovalResult:
    draft_id: int
    actions: list[str]  # the texts of the applied actions
    edited: bool
    outbox_message_id: str


def recheck(draft: Draft, *, session: Session, plans: Mapping[str, Plan], today: date) -> list[Decision]:
    """The draft's requests, as triage stored them, decided again against the records as they are now."""
    return decide_requests(
        [shown.request for shown in decisions_of(draft.requests)],
        intent=Intent(draft.intent),
        sender=draft.sender,
        sender_verified=SenderVerification(draft.sender_verified),
        accounts=DbAccountBook(session),
        plans=plans,
        today=today,
    )


def _stale(draft: Draft, decisions: list[Decision]) -> list[str]:
    """What changed between what the agent saw and what holds now."""
    changes = []
    for shown, now in zip(decisions_of(draft.requests), decisions, strict=True):
        shown_action = shown.action.text if shown.action else None
        now_action = now.action.text if now.action else None
        if shown.outcome != now.outcome:
            changes.append(f"{now.request.team_member or '?'}: {shown.outcome} is now {now.outcome} ({now.reason})")
        elif shown_action != now_action:
            changes.append(f"{now.request.team_member or '?'}: the action is now {now_action!r}")
    return changes


def apply_action(action: Action, *, session: Session) -> None:
    """Change the team member's record as the action describes (no commit)."""
    member = session.get(Account, action.team_member_id)
    if member is None:  # recheck just found it: only a concurrent delete gets here
        raise ReviewError(f"account #{action.team_member_id} disappeared during approval")
    if action.kind == Intent.LINK:
        member.primary_account_id = action.primary_id
        member.plan = action.plan
    member.status = "active"
    member.paid_until = action.paid_until
    session.add(member)


def _claim(session: Session, draft_id: int, *, status: DraftStatus, agent: str, reason: str | None = None) -> Draft:
    """Move a pending draft to ``status``; exactly one of two racing agents succeeds."""
    if not is_row_id(draft_id):
        raise DraftNotFound(f"no draft has the id {draft_id}")
    result = session.exec(
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.status) == DraftStatus.PENDING)
        .values(status=status, decided_by=agent, decided_at=utcnow(), reject_reason=reason, version=Draft.version + 1)
    )
    draft = session.get(Draft, draft_id, populate_existing=True)
    if draft is None:
        raise DraftNotFound(f"no draft has the id {draft_id}")
    if result.rowcount != 1:
        by = f" by {draft.decided_by}" if draft.decided_by else ""
        raise DraftStateError(f"draft {draft_id} is already {draft.status}{by}; nothing was changed")
    return draft


def _lock_accounts(session: Session, draft: Draft) -> None:
    """Hold the primaries' rows until commit (PostgreSQL), so two drafts can't take one seat."""
    primaries = sorted({d.request.primary for d in decisions_of(draft.requests) if d.request.primary})
    if primaries and session.get_bind().dialect.name == "postgresql":
        list(session.exec(select(Account).where(col(Account.email).in_(primaries)).with_for_update()))


def approve(
    *,
    engine: Engine,
    settings: Settings,
    draft_id: int,
    agent: str,
    body: str | None = None,
    today: date | None = None,
) -> ApprovalResult:
    """Apply the draft's actions and queue its reply, atomically; see the module doc."""
    today = today or date.today()
    with Session(engine, expire_on_commit=False) as session:
        draft = _claim(session, draft_id, status=DraftStatus.APPROVED, agent=agent)
        _lock_accounts(session, draft)
        decisions = recheck(draft, session=session, plans=settings.plans, today=today)
        changes = _stale(draft, decisions)
        if changes:
            session.rollback()
            _audit_refusal(engine, draft_id=draft_id, agent=agent, changes=changes)
            raise StaleDecision(
                f"draft {draft_id} was not approved: the records changed since it was drafted: " + "; ".join(changes),
                outcomes=[d.outcome for d in decisions],
            )
        actions = [d.action for d in decisions if d.action is not None]
        for action in actions:
            apply_action(action, session=session)
        edited = body is not None and body.strip() != draft.body.strip()
        if body is not None and edited:
            draft.original_body = draft.body
            draft.body = body if body.endswith("\n") else body + "\n"
            draft.html = None  # an HTML version of the old text would contradict the edit
        session.add(draft)
        session.flush()
        outbox = queue_reply(session=session, draft=draft, settings=settings)
        session.add(
            AuditEvent(
                agent=agent,
                action="approved",
                draft_id=draft_id,
                detail={
                    "actions": [a.as_dict() for a in actions],
                    "edited": edited,
                    "reply_message_id": outbox.message_id,
                },
            )
        )
        session.commit()
        return ApprovalResult(draft_id, [a.text for a in actions], edited, outbox.message_id)


def _audit_refusal(engine: Engine, *, draft_id: int, agent: str, changes: list[str]) -> None:
    with Session(engine) as session:
        session.add(AuditEvent(agent=agent, action="approve_refused", draft_id=draft_id, detail={"changes": changes}))
        session.commit()


def reject(*, engine: Engine, draft_id: int, agent: str, reason: str) -> Draft:
    """Reject a pending draft: nothing is sent, no account changes."""
    if not reason.strip():
        raise ReviewError("a rejection needs a reason")
    with Session(engine, expire_on_commit=False) as session:
        draft = _claim(session, draft_id, status=DraftStatus.REJECTED, agent=agent, reason=reason.strip())
        session.add(AuditEvent(agent=agent, action="rejected", draft_id=draft_id, detail={"reason": reason.strip()}))
        session.commit()
        return draft
