"""Account actions against the vendor's API as durable jobs; a reply waits for its actions.

An approval (``review.approve_via_api``) stores one ``AccountAction`` per change,
each with its own ``Idempotency-Key``, and then this module performs them in the
draft's order:

1. claim the job: ``sending``, attempts + 1, a lease in ``next_attempt_at`` — committed
   *before* the request, so a crash leaves a trace;
2. send it with its key (the client retries time-outs, drops, ``429`` and ``5xx``);
3. record the answer: ``confirmed`` with the record after the change, ``refused``
   with the vendor's words (the draft becomes ``action_failed``), or ``retry``
   with a backoff when the API stayed unavailable;
4. once every action of the draft is confirmed, queue its reply.

Killed between 2 and 3, the job stays ``sending``; when its lease runs out,
``mailbot send``/``run`` send it again with the *same* key, and the API answers
what it did the first time instead of doing it twice. Unlike a reply, an action
can therefore always be retried safely, and no reply is queued before step 4.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from mailbot.accounts.book import AccountRecord
from mailbot.accounts.http import MAX_BACKOFF_SECONDS, MAX_RETRY_AFTER_SECONDS, AccountApiClient
from mailbot.config import Settings
from mailbot.db.engine import new_session
from mailbot.db.types import as_utc
from mailbot.errors import AccountApiError, AccountApiRefused, AccountApiUnauthorized, AccountApiUnavailable
from mailbot.models import AccountAction, ActionStatus, AuditEvent, Draft, OutboxMessage
from mailbot.outbox.backoff import backoff_seconds
from mailbot.outbox.queue import queue_reply
from mailbot.vocabulary import DraftStatus

log = logging.getLogger(__name__)

#: The longest wait between two runs of a job that keeps failing temporarily.
MAX_JOB_BACKOFF_SECONDS = 3600.0

_OPEN = (ActionStatus.QUEUED, ActionStatus.SENDING, ActionStatus.RETRY)


@dataclass
class ActionSummary:
    """What a run did; ``line()`` is what ``mailbot send`` adds when there was anything."""

    confirmed: int = 0
    retrying: int = 0
    refused: int = 0
    released: int = 0  # replies queued because their last action was confirmed
    held_reason: str | None = None  # why the last draft's reply is still held
    refused_words: str | None = None  # the vendor's words for the last refusal
    stopped: str | None = None  # why the run stopped early (the API refused our token)

    def line(self) -> str:
        line = (
            f"account actions: confirmed {self.confirmed}, retrying {self.retrying}, "
            f"refused {self.refused}; replies released {self.released}"
        )
        return line + (f" (stopped: {self.stopped})" if self.stopped else "")

    def __bool__(self) -> bool:
        return bool(self.confirmed or self.retrying or self.refused or self.released or self.stopped)


def new_action_job(
    *,
    draft_id: int,
    position: int,
    action: Mapping[str, Any],
    agent: str,
    before: Mapping[str, object] | None,
    now: datetime,
) -> AccountAction:
    """A job with its own key, stored before anything is sent; its lease keeps retries off it for now.

    ``action`` is the decision's ``Action.as_dict()``: plain values, as the job stores them.
    """
    return AccountAction(
        draft_id=draft_id,
        position=position,
        kind=str(action["kind"]),
        account_id=int(action["team_member_id"]),
        email=str(action["team_member"]),
        action=dict(action),
        idempotency_key=str(uuid.uuid4()),
        status=ActionStatus.QUEUED,
        source="http",
        agent=agent,
        before=dict(before) if before is not None else None,
        next_attempt_at=now + timedelta(minutes=10),
        created_at=now,
    )


def lease(client: AccountApiClient) -> timedelta:
    """How long a ``sending`` job may take before it counts as interrupted: every try and wait."""
    tries = client.retries + 1
    waits = client.retries * max(MAX_BACKOFF_SECONDS, MAX_RETRY_AFTER_SECONDS)
    return timedelta(seconds=client.timeout * tries + waits + 60)


def perform_actions(
    *,
    engine: Engine,
    settings: Settings,
    client: AccountApiClient,
    draft_id: int,
    due_by: datetime | None = None,
    summary: ActionSummary | None = None,
    now: datetime | None = None,
) -> ActionSummary:
    """Perform the draft's open jobs in order, then release its reply if all are confirmed.

    ``due_by`` (the retry run): only jobs whose ``next_attempt_at`` has come,
    including interrupted ones whose lease ran out; None (the approval): its own
    freshly queued jobs. Raises ``AccountApiUnauthorized`` after recording it.
    """
    summary = summary if summary is not None else ActionSummary()

    def clock() -> datetime:
        return _clock(now)

    for job_id in _open_jobs(engine, draft_id):
        job = _claim(engine, job_id, due_by=due_by, now=clock(), lease_for=lease(client))
        if job is None:  # not due yet, or another instance is on it: the reply waits
            summary.held_reason = summary.held_reason or "an account action is waiting for its next try"
            return summary
        try:
            record = _send(client, job)
        except AccountApiRefused as refusal:
            _record_refused(engine, job, refusal, now=clock())
            summary.refused += 1
            summary.refused_words = refusal.vendor_message
            return summary
        except AccountApiUnauthorized as exc:
            _record_retry(engine, job, str(exc), settings=settings, retry_after=None, now=clock())
            raise
        except AccountApiError as exc:  # unavailable after the retries, or a garbled answer
            retry_after = exc.retry_after if isinstance(exc, AccountApiUnavailable) else None
            _record_retry(engine, job, str(exc), settings=settings, retry_after=retry_after, now=clock())
            summary.retrying += 1
            summary.held_reason = str(exc)
            return summary
        _record_confirmed(engine, job, record.as_csv_dict(), now=clock())
        summary.confirmed += 1
    if _release_reply(engine, settings, draft_id, now=clock()):
        summary.released += 1
    return summary


def retry_due_actions(*, engine: Engine, settings: Settings, now: datetime | None = None) -> ActionSummary:
    """``mailbot send``/``run``: every approved draft whose reply waits for actions gets its turn.

    With the database source there is nothing to do: its actions are made in the
    approval's transaction. A refused token stops the run (``stopped``) but not the
    delivery of other replies.
    """
    from mailbot.accounts.source import open_account_api, uses_account_api

    summary = ActionSummary()
    drafts = _waiting_drafts(engine) if uses_account_api(settings) else []
    if not drafts:
        return summary
    client = open_account_api(settings)
    try:
        for draft_id in drafts:
            perform_actions(
                engine=engine,
                settings=settings,
                client=client,
                draft_id=draft_id,
                due_by=_clock(now),
                summary=summary,
                now=now,
            )
    except AccountApiUnauthorized as exc:
        summary.stopped = str(exc)
    finally:
        client.close()
    return summary


def _clock(now: datetime | None) -> datetime:
    """The fixed clock a caller passed (naive means UTC), else the real one."""
    return datetime.now(UTC) if now is None else as_utc(now)


def _waiting_drafts(engine: Engine) -> list[int]:
    """Approved drafts with account actions and no reply queued yet."""
    with new_session(engine) as session:
        query = (
            select(Draft.id)
            .where(
                col(Draft.status) == DraftStatus.APPROVED,
                exists().where(col(AccountAction.draft_id) == Draft.id),
                ~exists().where(col(OutboxMessage.draft_id) == Draft.id),
            )
            .order_by(col(Draft.id))
        )
        return [draft_id for draft_id in session.exec(query) if draft_id is not None]


def _open_jobs(engine: Engine, draft_id: int) -> Sequence[int]:
    with new_session(engine) as session:
        query = (
            select(AccountAction.id)
            .where(col(AccountAction.draft_id) == draft_id, col(AccountAction.status).in_(_OPEN))
            .order_by(col(AccountAction.position), col(AccountAction.id))
        )
        return [job_id for job_id in session.exec(query) if job_id is not None]


def _claim(
    engine: Engine, job_id: int, *, due_by: datetime | None, now: datetime, lease_for: timedelta
) -> AccountAction | None:
    """``sending`` with attempts + 1 and a lease, committed before the request; None if not ours."""
    if due_by is None:
        condition = col(AccountAction.status) == ActionStatus.QUEUED
    else:
        condition = col(AccountAction.status).in_(_OPEN) & (col(AccountAction.next_attempt_at) <= due_by)
    with new_session(engine) as session:
        claimed = session.exec(
            update(AccountAction)
            .where(col(AccountAction.id) == job_id, condition)
            .where(
                # its draft must still want it (a refusal or a reject since stops it)
                exists().where(col(Draft.id) == AccountAction.draft_id, col(Draft.status) == DraftStatus.APPROVED)
            )
            .values(
                status=ActionStatus.SENDING,
                attempts=AccountAction.attempts + 1,
                next_attempt_at=now + lease_for,
            )
        )
        if claimed.rowcount != 1:
            session.rollback()
            return None
        session.commit()
        return session.get(AccountAction, job_id, populate_existing=True)


def _send(client: AccountApiClient, job: AccountAction) -> AccountRecord:
    from datetime import date

    paid = job.action.get("paid_until")
    paid_until = date.fromisoformat(paid) if paid else None
    if job.kind == "link":
        return client.link(
            job.account_id,
            primary_account_id=int(job.action["primary_id"]),
            plan=str(job.action["plan"]),
            paid_until=paid_until,
            key=job.idempotency_key,
        )
    return client.reactivate(job.account_id, paid_until=paid_until, key=job.idempotency_key)


def _record_confirmed(engine: Engine, job: AccountAction, after: Mapping[str, object], *, now: datetime) -> None:
    with new_session(engine) as session:
        session.exec(
            update(AccountAction)
            .where(col(AccountAction.id) == job.id)
            .values(
                status=ActionStatus.CONFIRMED, after=dict(after), confirmed_at=now, last_error=None, failing_since=None
            )
        )
        session.add(_event(job, "action_confirmed", now, after=after))
        session.commit()


def _record_refused(engine: Engine, job: AccountAction, refusal: AccountApiRefused, *, now: datetime) -> None:
    """The vendor said no: the job is refused and its draft ``action_failed``, in one transaction."""
    with new_session(engine) as session:
        session.exec(
            update(AccountAction)
            .where(col(AccountAction.id) == job.id)
            .values(status=ActionStatus.REFUSED, vendor_message=refusal.vendor_message, last_error=str(refusal))
        )
        session.exec(
            update(Draft)
            .where(col(Draft.id) == job.draft_id, col(Draft.status) == DraftStatus.APPROVED)
            .values(status=DraftStatus.ACTION_FAILED)
        )
        session.add(_event(job, "action_refused", now, status=refusal.status, vendor_message=refusal.vendor_message))
        session.commit()


def _record_retry(
    engine: Engine, job: AccountAction, error: str, *, settings: Settings, retry_after: float | None, now: datetime
) -> None:
    """Held: tried again after a growing wait (or the API's Retry-After), never given up on."""
    delay = backoff_seconds(job.attempts, base=settings.outbox.retry_base_seconds, cap=MAX_JOB_BACKOFF_SECONDS)
    delay = max(delay, retry_after or 0.0)
    with new_session(engine) as session:
        fresh = session.get(AccountAction, job.id, populate_existing=True)
        assert fresh is not None
        fresh.status = ActionStatus.RETRY
        fresh.last_error = error
        fresh.next_attempt_at = now + timedelta(seconds=delay)
        fresh.failing_since = fresh.failing_since or now
        session.add(fresh)
        session.add(_event(job, "action_retry", now, error=error, retry_at=fresh.next_attempt_at.isoformat()))
        session.commit()


def _release_reply(engine: Engine, settings: Settings, draft_id: int, *, now: datetime) -> bool:
    """Queue the reply once every action of the draft is confirmed; True if this call queued it."""
    with new_session(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None or draft.status != DraftStatus.APPROVED:
            return False
        jobs = session.exec(
            select(AccountAction.position, AccountAction.status).where(
                col(AccountAction.draft_id) == draft_id, col(AccountAction.status) != ActionStatus.CANCELLED
            )
        ).all()
        # A refusal that a later approval of the draft made good counts as done.
        confirmed = {position for position, status in jobs if status == ActionStatus.CONFIRMED}
        if any(status in _OPEN for _, status in jobs) or any(position not in confirmed for position, _ in jobs):
            return False
        if session.exec(select(OutboxMessage.id).where(col(OutboxMessage.draft_id) == draft_id)).first() is not None:
            return False
        outbox = queue_reply(session=session, draft=draft, settings=settings, now=now)
        session.add(
            AuditEvent(
                agent=draft.decided_by,
                action="reply_released",
                draft_id=draft_id,
                detail={"reply_message_id": outbox.message_id},
            )
        )
        try:
            session.commit()
        except IntegrityError:  # another instance released it a moment before us
            session.rollback()
            return False
        return True


def _event(job: AccountAction, action: str, now: datetime, **detail: object) -> AuditEvent:
    return AuditEvent(
        at=now,
        agent=job.agent,
        action=action,
        draft_id=job.draft_id,
        detail={"job": job.id, "idempotency_key": job.idempotency_key, "text": job.action.get("text"), **detail},
    )
