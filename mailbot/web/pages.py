"""The console's pages: queue, one draft, history; and the approve / reject actions.

Approve and reject call ``mailbot.review.approve`` and nothing else: the console never
changes an account or queues a reply on its own. A refusal from review (the
records changed, another agent was faster) is shown on the draft page, with the
agent's edited text kept in the form.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import select

from mailbot.accounts.source import OpenAccountBook, open_account_book
from mailbot.db.engine import new_session
from mailbot.errors import (
    AccountApiError,
    ActionRefused,
    DraftNotFound,
    DraftStateError,
    OutboxError,
    ReviewError,
    StaleDecision,
)
from mailbot.models import MAX_ROW_ID, Draft, OutboxMessage
from mailbot.outbox.resend import reply_of_draft, resend
from mailbot.review.approve import approve, reject
from mailbot.review.audit import list_audit, list_billing_events
from mailbot.review.conversations import load_conversation, superseded_refusal
from mailbot.review.read_model import (
    address_spans,
    draft_actions,
    find_draft,
    mail_view,
    recipient_is_sender,
    stored_record,
)
from mailbot.triage.record import decisions_of
from mailbot.vocabulary import DraftStatus
from mailbot.web.auth import HOME, LoggedIn
from mailbot.web.conversation import conversation_view, request_sources
from mailbot.web.present import OUTCOMES, mark_addresses, request_addresses
from mailbot.web.queue import (
    INTENTS,
    LANGUAGES,
    STATUS_CHOICES,
    QueueFilter,
    decided_drafts,
    draft_outcomes,
    load_queue,
    pending_neighbours,
)
from mailbot.web.render import flash, render
from mailbot.web.state import ConsoleState, console_state

router = APIRouter()

#: A draft id in a URL: a number beyond any row id is a 400, never a database overflow (a 500).
DraftId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@router.get("/")
def home(agent: LoggedIn) -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get("/queue")
def queue_page(request: Request, agent: LoggedIn) -> Response:
    filters = QueueFilter.from_query(dict(request.query_params))
    with new_session(console_state(request).engine) as session:
        view = load_queue(session=session, filters=filters)

    def queue_url(**changes: str) -> str:
        query = urlencode(filters.query(**changes))
        return "/queue" + (f"?{query}" if query else "")

    outcomes = list(dict.fromkeys([*view.outcome_counts, *OUTCOMES]))
    return render(
        request,
        "queue.html",
        view=view,
        filters=filters,
        queue_url=queue_url,
        draft_outcomes=draft_outcomes,
        statuses=STATUS_CHOICES,
        intents=INTENTS,
        languages=LANGUAGES,
        outcomes=outcomes,
    )


def _account_card(book: OpenAccountBook, state: ConsoleState, email: str | None) -> dict[str, Any] | None:
    """One side of the "matched records" comparison, with the primary's seats in use.

    Read from whichever book ``[accounts] source`` names; when the account API
    cannot answer, the card says so and the rest of the page still shows.
    """
    if not email:
        return None
    try:
        account = book.by_email(email)
        if account is None:
            return {"email": email, "account": None}
        linked = len(book.linked_members(account.account_id))
        primary = book.by_id(account.primary_account_id) if account.primary_account_id else None
    except AccountApiError as exc:
        return {"email": email, "account": None, "unavailable": str(exc)}
    plan = state.settings.plans.get(account.plan)
    return {"email": email, "account": account, "plan": plan, "linked": linked, "primary": primary}


def draft_page_context(request: Request, draft_id: int) -> dict[str, Any]:
    """Everything the draft page shows; DraftNotFound when there is no such draft."""
    state = console_state(request)
    with new_session(state.engine) as session:
        draft, inbound = find_draft(session=session, draft_id=draft_id)
        record = stored_record(inbound) if inbound else None
        mail = mail_view(inbound, max_bytes=state.settings.triage.max_message_bytes) if inbound else None
        decisions = decisions_of(draft.requests)
        primaries, members = request_addresses(decisions)
        rows = (
            load_conversation(session=session, conversation_id=draft.conversation_id)
            if draft.conversation_id is not None
            else None
        )
        conversation = (
            conversation_view(rows, draft=draft, max_bytes=state.settings.triage.max_message_bytes) if rows else None
        )
        book = open_account_book(state.settings, connection=session)
        try:
            requests = [
                {
                    "request": d,
                    "source": source,
                    "primary": _account_card(book, state, d.request.primary),
                    "team_member": _account_card(book, state, d.request.team_member),
                }
                for d, source in zip(decisions, request_sources(draft, conversation), strict=True)
            ]
        finally:
            book.close()
        actions = draft_actions(session=session, draft_id=draft_id)
        newer, older = pending_neighbours(session=session, draft=draft)
        audit = list_audit(session=session, draft_id=draft.id, limit=50)
        reply = session.exec(select(OutboxMessage).where(OutboxMessage.draft_id == draft.id)).first()
    own_html = quoted_html = Markup("")
    if record is not None and mail is not None:
        own_spans, quoted_spans = address_spans(record, mail)
        own_html = mark_addresses(mail["own_text"], own_spans, primaries=primaries, members=members)
        quoted_html = mark_addresses(mail["quoted_text"], quoted_spans, primaries=primaries, members=members)
    return {
        "draft": draft,
        "recipient_is_sender": recipient_is_sender(draft),
        "inbound": inbound,
        "triage_reason": record.reason if record else None,
        "mail": mail,
        "own_html": own_html,
        "quoted_html": quoted_html,
        "requests": requests,
        "conversation": conversation,
        "actions": actions,
        "newer": newer,
        "older": older,
        "audit": audit,
        "reply": reply,
        "body": draft.body,
        "reject_reason": "",
        "problem": None,
    }


def _draft_page(request: Request, draft_id: int, *, status_code: int = 200, **overrides: Any) -> Response:
    try:
        context = draft_page_context(request, draft_id)
    except DraftNotFound:
        return render(
            request, "error.html", status_code=404, title="Not found", message=f"There is no draft #{draft_id}."
        )
    context.update(overrides)
    return render(request, "draft.html", status_code=status_code, **context)


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: DraftId, agent: LoggedIn) -> Response:
    return _draft_page(request, draft_id)


def _next_after(request: Request, draft_id: int) -> str:
    """Where the agent goes after deciding: the next pending draft down the queue, else the queue."""
    with new_session(console_state(request).engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            return HOME
        newer, older = pending_neighbours(session=session, draft=draft)
    target = older or newer
    return f"/drafts/{target}" if target and target != draft_id else HOME


def _stale_problem(draft_id: int, exc: StaleDecision, request: Request) -> dict[str, Any]:
    with new_session(console_state(request).engine) as session:
        draft, _ = find_draft(session=session, draft_id=draft_id)
    changes = [
        {"request": shown.request, "before": shown.outcome, "now": now}
        for shown, now in zip(decisions_of(draft.requests), exc.outcomes, strict=False)
    ]
    return {"kind": "stale", "title": "Not approved: the records changed", "message": str(exc), "changes": changes}


def _superseded_problem(request: Request, draft_id: int) -> dict[str, Any] | None:
    """The refusal of approving a draft a newer one replaced: the one line that names the replacement."""
    with new_session(console_state(request).engine) as session:
        draft = session.get(Draft, draft_id)
    if draft is None or draft.status != DraftStatus.SUPERSEDED:
        return None
    return {
        "kind": "superseded",
        "title": "Not approved: a newer draft answers this conversation",
        "message": superseded_refusal(draft_id, draft.superseded_by),
        "replacement": draft.superseded_by,
    }


@router.post("/drafts/{draft_id}/approve")
def approve_draft(
    request: Request, draft_id: DraftId, agent: LoggedIn, body: Annotated[str | None, Form()] = None
) -> Response:
    state = console_state(request)
    # Browsers send a textarea's lines with CRLF; the stored draft uses LF.
    text = body.replace("\r\n", "\n") if body is not None else None
    target = _next_after(request, draft_id)
    try:
        result = approve(engine=state.engine, settings=state.settings, draft_id=draft_id, agent=agent, body=text)
    except StaleDecision as exc:
        return _draft_page(
            request, draft_id, status_code=409, body=text, problem=_stale_problem(draft_id, exc, request)
        )
    except ActionRefused as exc:
        return _draft_page(
            request,
            draft_id,
            status_code=409,
            body=text,
            problem={"kind": "error", "title": "The account system refused the change", "message": str(exc)},
        )
    except AccountApiError as exc:  # nothing was changed: the draft is back as it was
        return _draft_page(
            request,
            draft_id,
            status_code=503,
            body=text,
            problem={"kind": "error", "title": "Not approved: the account system did not answer", "message": str(exc)},
        )
    except DraftNotFound:
        return _draft_page(request, draft_id)
    except ReviewError as exc:  # DraftStateError, and the triage side's DraftSuperseded among them
        superseded = _superseded_problem(request, draft_id)
        if superseded is not None:
            return _draft_page(request, draft_id, status_code=409, problem=superseded)
        if isinstance(exc, DraftStateError):
            return _draft_page(
                request,
                draft_id,
                status_code=409,
                problem={"kind": "state", "title": "Nothing was changed", "message": str(exc)},
            )
        return _draft_page(
            request,
            draft_id,
            status_code=400,
            body=text,
            problem={"kind": "error", "title": "Not approved", "message": str(exc)},
        )
    done = "; ".join(result.actions) if result.actions else "no account change"
    edited = " with your edited text" if result.edited else ""
    if result.outbox_message_id is None:
        flash(
            request,
            f"Draft #{draft_id} approved{edited}: {done}. The reply is held until the account system "
            f"confirms the change ({result.held}); it is retried automatically.",
        )
        return RedirectResponse(target, status_code=303)
    flash(request, f"Draft #{draft_id} approved{edited}: {done}. The reply is queued.")
    return RedirectResponse(target, status_code=303)


@router.post("/drafts/{draft_id}/reject")
def reject_draft(request: Request, draft_id: DraftId, agent: LoggedIn, reason: Annotated[str, Form()] = "") -> Response:
    state = console_state(request)
    target = _next_after(request, draft_id)
    try:
        reject(engine=state.engine, draft_id=draft_id, agent=agent, reason=reason)
    except DraftNotFound:
        return _draft_page(request, draft_id)
    except DraftStateError as exc:
        return _draft_page(
            request,
            draft_id,
            status_code=409,
            problem={"kind": "state", "title": "Nothing was changed", "message": str(exc)},
        )
    except ReviewError as exc:  # e.g. no reason given
        return _draft_page(
            request,
            draft_id,
            status_code=400,
            reject_reason=reason,
            problem={"kind": "error", "title": "Not rejected", "message": str(exc)},
        )
    flash(request, f"Draft #{draft_id} rejected: nothing was sent and no account changed.", tone="info")
    return RedirectResponse(target, status_code=303)


@router.post("/drafts/{draft_id}/resend")
def resend_reply(request: Request, draft_id: DraftId, agent: LoggedIn) -> Response:
    """The agent checked that a "maybe delivered" reply did not arrive: queue it again."""
    state = console_state(request)
    row = reply_of_draft(engine=state.engine, draft_id=draft_id)
    try:
        if row is None or row.id is None:
            raise OutboxError(f"draft #{draft_id} has no queued reply")
        resend(engine=state.engine, outbox_id=row.id, agent=agent)
    except OutboxError as exc:
        return _draft_page(
            request,
            draft_id,
            status_code=409,
            problem={"kind": "state", "title": "Nothing was resent", "message": str(exc)},
        )
    flash(request, f"The reply of draft #{draft_id} is queued again; the next send delivers it.")
    return RedirectResponse(f"/drafts/{draft_id}", status_code=303)


#: A conversation id in a URL, bounded like a draft id.
ConversationId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@router.get("/conversations/{conversation_id}")
def conversation_page(request: Request, conversation_id: ConversationId, agent: LoggedIn) -> Response:
    """A conversation on its own: where the queue sends a mail that needs a human and has no draft."""
    state = console_state(request)
    with new_session(state.engine) as session:
        rows = load_conversation(session=session, conversation_id=conversation_id)
        view = conversation_view(rows, max_bytes=state.settings.triage.max_message_bytes) if rows else None
    if view is None:
        message = f"There is no conversation #{conversation_id}."
        return render(request, "error.html", status_code=404, title="Not found", message=message)
    mails = [item["id"] for item in view.items if item["kind"] == "mail"]
    return render(request, "conversation.html", conversation=view, newest_mail=mails[-1] if mails else None)


@router.get("/history")
def history_page(request: Request, agent: LoggedIn) -> Response:
    with new_session(console_state(request).engine) as session:
        drafts = decided_drafts(session=session)
        events = list_audit(session=session, limit=200)
        billing = list_billing_events(session=session, limit=200)
    return render(request, "history.html", drafts=drafts, events=events, billing=billing)
