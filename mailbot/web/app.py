"""``create_app``: the console as one FastAPI application, from settings and an engine.

The order of the layers matters. From the outside in:

1. ``SecurityHeadersMiddleware`` (outside Starlette's error handler, so even a 500
   carries the headers) — CSP, nosniff, no referrer, no framing, Secure cookies
   over HTTPS;
2. Starlette's ``SessionMiddleware`` — the signed cookie (HttpOnly, SameSite=Strict);
3. the app-wide ``require_csrf`` dependency — every POST, whatever its route;
4. the routes, each page depending on ``current_agent``;
5. beside them, mounted at ``/hooks``, the webhook app (``mailbot.web.hooks``): its
   own routes, without login or CSRF, authenticated by the sender's signature.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from mailbot.config import Settings
from mailbot.web import auth, pages
from mailbot.web.hooks import create_hooks_app
from mailbot.web.render import make_environment, render
from mailbot.web.security import SecurityHeadersMiddleware, require_csrf, session_secret
from mailbot.web.state import ConsoleState
from mailbot.web.throttle import LoginThrottle

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "mailbot_session"
SESSION_SECONDS = 12 * 60 * 60  # one working day; then log in again


class ConsoleApp(FastAPI):
    """FastAPI with the security headers wrapped around the whole middleware stack."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(*, settings: Settings, engine: Engine, throttle: LoginThrottle | None = None) -> FastAPI:
    """The console for ``settings`` on ``engine`` (whose schema exists: ``make_engine`` made it).

    ``throttle`` may be passed to control its clock in tests; by default each app
    counts failed logins in memory (see ``mailbot.web.throttle``).
    """
    app = ConsoleApp(
        title="mailbot console",
        docs_url=None,  # no API explorer: its page needs inline script and a CDN
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(require_csrf)],
    )
    state = ConsoleState(
        settings=settings, engine=engine, templates=make_environment(), throttle=throttle or LoginThrottle()
    )
    app.state.console = state
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=False,  # Secure is added per request by SecurityHeadersMiddleware
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/hooks", create_hooks_app(state), name="hooks")
    app.include_router(auth.router)
    app.include_router(pages.router)

    @app.exception_handler(auth.LoginRequired)
    async def _login_required(request: Request, exc: auth.LoginRequired) -> Response:
        return auth.login_redirect(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {403: "Refused", 404: "Not found", 405: "Not allowed"}
        response = render(
            request,
            "error.html",
            status_code=exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            message=str(exc.detail),
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        return render(
            request,
            "error.html",
            status_code=400,
            title="Bad request",
            message="The address or the form is not one this console understands.",
        )

    return app
