"""Login, logout and "who is this?": the agent's name lives in the signed session cookie.

Every page depends on ``current_agent``, which also checks that the agent still
exists and that the cookie's stamp matches the agent's credential and session
epoch (``agents.session_stamp``): ``mailbot agents remove NAME``, a new password
(``agents add NAME --replace``) and logging out end that agent's sessions at
once, also a copied cookie. The name it returns is the one written into the
audit trail.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from mailbot.db.engine import new_session
from mailbot.web.agents import end_sessions, find_agent, session_stamp, verify_login
from mailbot.web.render import flash, render
from mailbot.web.state import console_state
from mailbot.web.throttle import client_key, name_key

log = logging.getLogger("mailbot.web")
router = APIRouter()

HOME = "/queue"
# A path on this site only: "//evil.example" and "/\evil.example" are other sites to a browser.
_LOCAL_PATH = re.compile(r"^/(?![/\\])[^\s\\]*$")


class LoginRequired(Exception):
    """Raised by ``current_agent`` when no agent is logged in; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(value: str | None) -> str:
    return value if value and _LOCAL_PATH.match(value) else HOME


def login_redirect(exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)


def current_agent(request: Request) -> str:
    """The logged-in agent's name; redirects to the login page when there is none."""
    name = request.session.get("agent")
    stamp = request.session.get("stamp")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = HOME
    if not isinstance(name, str) or not isinstance(stamp, str):
        raise LoginRequired(target)
    with new_session(console_state(request).engine) as session:
        agent = find_agent(session=session, name=name)
        if agent is None or not hmac.compare_digest(stamp, session_stamp(agent)):
            request.session.clear()
            raise LoginRequired(target)
    return name


#: A route parameter of this type is the logged-in agent's name.
LoggedIn = Annotated[str, Depends(current_agent)]


def _login_page(request: Request, *, status_code: int, name: str, next_path: str, error: str | None) -> Response:
    return render(request, "login.html", status_code=status_code, name=name, next_path=next_path, error=error)


@router.get("/login")
def login_form(request: Request, next: str = HOME) -> Response:
    if isinstance(request.session.get("agent"), str):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, status_code=200, name="", next_path=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    state = console_state(request)
    next_path = safe_next(next)
    client = request.client.host if request.client else None
    keys = (name_key(name), client_key(client))
    wait = state.throttle.retry_after(*keys)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        response = _login_page(
            request,
            status_code=429,
            name=name,
            next_path=next_path,
            error=f"Too many failed logins. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    agent = verify_login(engine=state.engine, name=name, password=password)
    if agent is None:
        state.throttle.failed(*keys)
        log.warning("failed console login for %r from %s", name[:64], client)
        return _login_page(request, status_code=401, name=name, next_path=next_path, error="Wrong name or password.")
    state.throttle.succeeded(keys[0])
    # A fresh session (and CSRF token) at login: nothing from before carries over.
    request.session.clear()
    request.session["agent"] = agent.name
    request.session["stamp"] = session_stamp(agent)
    log.info("agent %s logged in from %s", agent.name, client)
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """Ends the agent's sessions on the server too, so a copy of this cookie is useless."""
    name = request.session.get("agent")
    if isinstance(name, str):
        try:
            current_agent(request)  # only a valid session may end the agent's sessions
        except LoginRequired:
            pass
        else:
            end_sessions(engine=console_state(request).engine, name=name)
    request.session.clear()
    flash(request, "You are logged out.", tone="info")
    return RedirectResponse("/login", status_code=303)
