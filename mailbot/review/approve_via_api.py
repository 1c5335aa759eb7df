"""Approval against the vendor's account API: claim, decide again, act, and only then reply.

Two systems cannot share a transaction, so the order is what keeps approval honest:

1. claim the draft (``pending`` or ``action_failed`` → ``approved``): of two agents
   approving at once, exactly one wins and one set of actions is made;
2. decide every request again against fresh look-ups (a new book: no cache from
   the poll); if the decision no longer holds, or the API cannot be read, the
   draft goes back to where it was and nothing is changed anywhere;
3. store one job per action, each with its own ``Idempotency-Key``, together
   with the agent's edit and the audit event;
4. perform the jobs (``outbox.actions``); the reply is queued only once every
   action was confirmed. A refusal makes the draft ``action_failed`` with the
   vendor's words; an API that stays unavailable leaves the reply held for
   ``mailbot send``/``run``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, update
from sqlmodel import col, select

from mailbot.accounts.http import HttpAccountBook
from mailbot.accounts.source import open_account_api
from mailbot.config import Settings
from mailbot.db.engine import new_session
from mailbot.errors import ActionRefused
from mailbot.models import AccountAction, ActionStatus, AuditEvent, Draft, OutboxMessage, utcnow
from mailbot.outbox.actions import new_action_job, perform_actions
from mailbot.review.approve import (
    OPEN_FOR_REVIEW,
    ApprovalResult,
    apply_edit,
    audit_stale,
    claim_draft,
    recheck,
    stale_changes,
)
from mailbot.vocabulary import DraftStatus


def approve_via_api(
    *, engine: Engine, settings: Settings, draft_id: int, agent: str, body: str | None, today: date
) -> ApprovalResult:
    """See the module doc; raises ``StaleDecision``, ``ActionRefused`` or an ``AccountApiError``."""
    with new_session(engine) as session:
        previous = session.exec(select(Draft.status).where(col(Draft.id) == draft_id)).first()
        draft = claim_draft(session, draft_id, status=DraftStatus.APPROVED, agent=agent, claimable=OPEN_FOR_REVIEW)
        session.commit()
    client = open_account_api(settings)
    try:
        try:
            settled = _settled_positions(engine, draft_id)
            book = HttpAccountBook(client)
            decisions = recheck(draft, accounts=book, plans=settings.plans, today=today)
            changes = stale_changes(draft, decisions, settled=settled)
            befores = {
                position: member.as_csv_dict()
                for position, d in enumerate(decisions)
                if d.action is not None and (member := book.by_id(d.action.team_member_id)) is not None
            }
        except BaseException:
            _unclaim(engine, draft_id, previous=previous or DraftStatus.PENDING)
            raise
        if changes:
            _unclaim(engine, draft_id, previous=previous or DraftStatus.PENDING)
            audit_stale(engine, draft_id=draft_id, agent=agent, changes=changes, decisions=decisions)
        now = utcnow()
        with new_session(engine) as session:
            fresh = session.get(Draft, draft_id, populate_existing=True)
            assert fresh is not None
            edited = apply_edit(fresh, body)
            session.add(fresh)
            # Jobs of an earlier approval that never ran are replaced by this one's.
            session.exec(
                update(AccountAction)
                .where(col(AccountAction.draft_id) == draft_id, col(AccountAction.status).in_([ActionStatus.QUEUED]))
                .values(status=ActionStatus.CANCELLED)
            )
            actions = []
            for position, decision in enumerate(decisions):
                if decision.action is None or position in settled:
                    continue
                actions.append(decision.action)
                session.add(
                    new_action_job(
                        draft_id=draft_id,
                        position=position,
                        action=decision.action.as_dict(),
                        agent=agent,
                        before=befores.get(position),
                        now=now,
                    )
                )
            session.add(
                AuditEvent(
                    agent=agent,
                    action="approved",
                    draft_id=draft_id,
                    detail={"actions": [a.as_dict() for a in actions], "edited": edited, "via": "account API"},
                )
            )
            session.commit()
        summary = perform_actions(engine=engine, settings=settings, client=client, draft_id=draft_id)
    finally:
        client.close()
    texts = [a.text for a in actions]
    if summary.refused:
        raise ActionRefused(
            f"draft {draft_id}: the account system refused the change, nothing was sent: {summary.refused_words}",
            vendor_message=summary.refused_words or "",
        )
    with new_session(engine) as session:
        outbox = session.exec(select(OutboxMessage).where(col(OutboxMessage.draft_id) == draft_id)).first()
    if outbox is None:
        return ApprovalResult(draft_id, texts, edited, None, held=summary.held_reason or "waiting for the account API")
    return ApprovalResult(draft_id, texts, edited, outbox.message_id)


def _settled_positions(engine: Engine, draft_id: int) -> set[int]:
    """Requests whose action an earlier approval of this draft already made."""
    with new_session(engine) as session:
        rows = session.exec(
            select(AccountAction.position).where(
                col(AccountAction.draft_id) == draft_id, col(AccountAction.status) == ActionStatus.CONFIRMED
            )
        )
        return set(rows)


def _unclaim(engine: Engine, draft_id: int, *, previous: str) -> None:
    """Nothing was done: the draft goes back to the agents as it was."""
    with new_session(engine) as session:
        session.exec(
            update(Draft)
            .where(col(Draft.id) == draft_id, col(Draft.status) == DraftStatus.APPROVED)
            .values(status=previous, decided_by=None, decided_at=None, version=Draft.version + 1)
        )
        session.commit()
