"""Approve, edit or reject a draft — the only place that changes accounts.

With the database source, approval is one transaction: claim the draft (a
conditional UPDATE, so of two agents approving at once exactly one wins),
re-decide every request against the records as they are now, apply exactly the
actions the agent was shown, record each change (``AccountAction``, for
``mailbot accounts changes``), queue the reply and write the audit event. If the
decision no longer holds (a seat was taken, a link changed, the primary's
paid-until moved), nothing is applied and the draft stays pending with the new
outcome reported.

Against the vendor's account API the same steps cannot share a transaction;
``review.approve_via_api`` keeps them in the order that stays honest.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import NoReturn

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from mailbot.accounts.book import AccountBook
from mailbot.accounts.database import DbAccountBook, record_of
from mailbot.config import Plan, Settings
from mailbot.conversations.follow_up import decide_asked
from mailbot.conversations.state import asked_requests
from mailbot.errors import DraftNotFound, DraftStateError, DraftSuperseded, ReviewError, StaleDecision
from mailbot.models import Account, AccountAction, ActionStatus, AuditEvent, Draft, is_row_id, utcnow
from mailbot.outbox.queue import queue_reply
from mailbot.triage.decide import Action, Decision
from mailbot.triage.record import decisions_of
from mailbot.vocabulary import DraftStatus, Intent

#: Drafts an agent may still decide on: a refused action's draft may be approved again (after an edit) or rejected.
OPEN_FOR_REVIEW = (DraftStatus.PENDING, DraftStatus.ACTION_FAILED)


@dataclass(frozen=True)
class ApprovalResult:
    draft_id: int
    actions: list[str]  # the texts of the applied (or, when held, the pending) actions
    edited: bool
    outbox_message_id: str | None  # None while the reply is held for its actions
    held: str | None = None  # why the reply waits (the account API is unavailable for now)


def recheck(draft: Draft, *, accounts: AccountBook, plans: Mapping[str, Plan], today: date) -> list[Decision]:
    """The draft's requests, as triage stored them, decided again against the records as they are now.

    Each with its own asker (SPEC "Conversations", step 5): a conversation's draft
    answers requests that different mails asked; rows without the stored asker
    were asked by the draft's own mail.
    """
    asked = asked_requests(draft.requests, mail=draft.inbound_id, sender=draft.sender, verified=draft.sender_verified)
    # The addresses as the agent saw them: nothing is filled in from records again.
    decided = decide_asked(asked, intent=Intent(draft.intent), accounts=accounts, plans=plans, today=today, fill=False)
    return [a.decision for a in decided]


def stale_changes(draft: Draft, decisions: list[Decision], *, settled: Collection[int] = ()) -> list[str]:
    """What changed between what the agent saw and what holds now.

    ``settled``: positions of requests whose action an earlier approval already
    made (confirmed by the API); they are done, whatever the records say now.
    """
    changes = []
    for position, (shown, now) in enumerate(zip(decisions_of(draft.requests), decisions, strict=True)):
        if position in settled:
            continue
        shown_action = shown.action.text if shown.action else None
        now_action = now.action.text if now.action else None
        if shown.outcome != now.outcome:
            changes.append(f"{now.request.team_member or '?'}: {shown.outcome} is now {now.outcome} ({now.reason})")
        elif shown_action != now_action:
            changes.append(f"{now.request.team_member or '?'}: the action is now {now_action!r}")
    return changes


def apply_action(
    action: Action, *, session: Session, draft_id: int, position: int, agent: str, now: datetime
) -> AccountAction:
    """Change the team member's record as the action describes; the change's log entry (no commit)."""
    member = session.get(Account, action.team_member_id)
    if member is None:  # recheck just found it: only a concurrent delete gets here
        raise ReviewError(f"account #{action.team_member_id} disappeared during approval")
    before = record_of(member).as_csv_dict()
    if action.kind == Intent.LINK:
        member.primary_account_id = action.primary_id
        member.plan = action.plan
    member.status = "active"
    member.paid_until = action.paid_until
    session.add(member)
    return AccountAction(
        draft_id=draft_id,
        position=position,
        kind=action.kind,
        account_id=member.account_id,
        email=member.email,
        action=action.as_dict(),
        idempotency_key=str(uuid.uuid4()),
        status=ActionStatus.CONFIRMED,
        source="database",
        agent=agent,
        before=before,
        after=record_of(member).as_csv_dict(),
        created_at=now,
        confirmed_at=now,
    )


def apply_edit(draft: Draft, body: str | None) -> bool:
    """The agent's text replaces the draft's (the drafted one is kept); True when it differs."""
    edited = body is not None and body.strip() != draft.body.strip()
    if body is not None and edited:
        draft.original_body = draft.original_body or draft.body
        draft.body = body if body.endswith("\n") else body + "\n"
        draft.html = None  # an HTML version of the old text would contradict the edit
    return edited


def claim_draft(
    session: Session,
    draft_id: int,
    *,
    status: DraftStatus,
    agent: str,
    reason: str | None = None,
    claimable: Collection[str] = (DraftStatus.PENDING,),
) -> Draft:
    """Move a ``claimable`` draft to ``status``; exactly one of two racing agents succeeds."""
    if not is_row_id(draft_id):
        raise DraftNotFound(f"no draft has the id {draft_id}")
    result = session.exec(
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.status).in_(list(claimable)))
        .values(status=status, decided_by=agent, decided_at=utcnow(), reject_reason=reason, version=Draft.version + 1)
    )
    draft = session.get(Draft, draft_id, populate_existing=True)
    if draft is None:
        raise DraftNotFound(f"no draft has the id {draft_id}")
    if result.rowcount != 1:
        if draft.status == DraftStatus.SUPERSEDED:  # a follow-up's draft won the one conditional update
            raise DraftSuperseded(draft_id, draft.superseded_by)
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
    if settings.accounts.source == "http":
        from mailbot.review.approve_via_api import approve_via_api

        return approve_via_api(engine=engine, settings=settings, draft_id=draft_id, agent=agent, body=body, today=today)
    with Session(engine, expire_on_commit=False) as session:
        draft = claim_draft(session, draft_id, status=DraftStatus.APPROVED, agent=agent)
        _lock_accounts(session, draft)
        decisions = recheck(draft, accounts=DbAccountBook(session), plans=settings.plans, today=today)
        changes = stale_changes(draft, decisions)
        if changes:
            session.rollback()
            audit_stale(engine, draft_id=draft_id, agent=agent, changes=changes, decisions=decisions)
        actions = [d.action for d in decisions if d.action is not None]
        now = utcnow()
        for position, decision in enumerate(decisions):
            if decision.action is not None:
                session.add(
                    apply_action(
                        decision.action, session=session, draft_id=draft_id, position=position, agent=agent, now=now
                    )
                )
        edited = apply_edit(draft, body)
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


def audit_stale(
    engine: Engine, *, draft_id: int, agent: str, changes: list[str], decisions: list[Decision]
) -> NoReturn:
    """Record why approval was refused, then raise ``StaleDecision`` for the agent."""
    with Session(engine) as session:
        session.add(AuditEvent(agent=agent, action="approve_refused", draft_id=draft_id, detail={"changes": changes}))
        session.commit()
    raise StaleDecision(
        f"draft {draft_id} was not approved: the records changed since it was drafted: " + "; ".join(changes),
        outcomes=[d.outcome for d in decisions],
    )


def reject(*, engine: Engine, draft_id: int, agent: str, reason: str) -> Draft:
    """Reject a pending draft: nothing is sent, no account changes."""
    if not reason.strip():
        raise ReviewError("a rejection needs a reason")
    with Session(engine, expire_on_commit=False) as session:
        draft = claim_draft(
            session,
            draft_id,
            status=DraftStatus.REJECTED,
            agent=agent,
            reason=reason.strip(),
            claimable=OPEN_FOR_REVIEW,
        )
        session.exec(
            update(AccountAction)
            .where(
                col(AccountAction.draft_id) == draft_id,
                col(AccountAction.status).in_([ActionStatus.QUEUED, ActionStatus.RETRY]),
            )
            .values(status=ActionStatus.CANCELLED)
        )
        session.add(AuditEvent(agent=agent, action="rejected", draft_id=draft_id, detail={"reason": reason.strip()}))
        session.commit()
        return draft
