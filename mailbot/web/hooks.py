"""``POST /hooks/billing``: the billing system tells mailbot that a primary renewed.

A separate small application mounted under ``/hooks``: it has no login and no
CSRF token (the console's app-wide CSRF dependency does not reach it), because
the ``Stripe-Signature`` header is its authentication (``renewals.billing``).
Everything that is not a correctly signed, recent, well-formed event of at most
``MAX_BODY_BYTES`` is answered ``400`` with a short reason, and nothing changes.
A verified event is processed once per id (a replay answers ``200`` and does
nothing); an unknown type is ``200`` and ignored. While the account API cannot
answer, ``503``: nothing is stored, and the billing system sends the event again.

The secret is read only to compute the HMAC: it is in no answer and no log line.
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from mailbot.errors import AccountApiError, BillingEventRefused
from mailbot.renewals.billing import MAX_BODY_BYTES, parse_event, verify_signature
from mailbot.renewals.notice import process_billing_event
from mailbot.web.state import ConsoleState

log = logging.getLogger(__name__)


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    """The raw body, read no further than ``limit`` bytes (a declared larger length is refused unread)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(reason: str) -> Response:
    return JSONResponse({"error": reason}, status_code=400)


def create_hooks_app(state: ConsoleState) -> FastAPI:
    """The webhook endpoints, for ``create_app`` to mount at ``/hooks``."""
    hooks = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @hooks.post("/billing")
    async def billing(request: Request) -> Response:
        try:
            body = await _body(request, MAX_BODY_BYTES)
        except _TooLarge:
            return _refused(f"the body is larger than {MAX_BODY_BYTES} bytes")
        secret = state.settings.billing.webhook_secret.get_secret_value()
        try:
            verify_signature(request.headers.get("stripe-signature"), body, secret=secret, now=time.time())
            notice = parse_event(body)
        except BillingEventRefused as exc:
            log.info("billing webhook refused: %s", exc)
            return _refused(str(exc))
        try:
            result = await run_in_threadpool(
                process_billing_event, engine=state.engine, settings=state.settings, notice=notice
            )
        except AccountApiError as exc:
            log.warning("billing event %s not processed: %s", notice.event_id, exc)
            return JSONResponse({"error": "the account system did not answer; send the event again"}, 503)
        log.info("billing event %s (%s): %s", notice.event_id, notice.type, result.outcome)
        return JSONResponse({"id": notice.event_id, "outcome": result.outcome, "draft_id": result.draft_id})

    return hooks
