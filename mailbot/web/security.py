"""What keeps customer content and agents' sessions safe: secret, CSRF, response headers.

* The session cookie is signed with ``[web] secret_key``; when that is empty a
  random key is made once and kept in a file beside the database (mode 600), so
  a restart does not log everyone out. The key is never logged.
* Every POST carries the session's CSRF token in a hidden field; a missing or
  wrong one is refused with 403 before the route runs.
* Every response carries a strict Content-Security-Policy (no inline script or
  style at all: the console's JS and CSS are static files), nosniff, no
  referrer and no framing. Customer mail is untrusted HTML-wise; even if an
  escaping bug slipped through, the browser would refuse to run its script.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request
from sqlalchemy.engine import make_url
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailbot.config import Settings
from mailbot.errors import ConfigError

CSRF_FIELD = "csrf_token"
SECRET_FILE_NAME = "web-secret"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def secret_file(settings: Settings) -> Path:
    """Beside the SQLite database; ``var/`` (relative to the working folder) for a server database."""
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / SECRET_FILE_NAME
    return Path("var") / SECRET_FILE_NAME


def session_secret(settings: Settings) -> str:
    """``[web] secret_key``, else the persisted random key (made on first use)."""
    if settings.web.secret_key:
        return settings.web.secret_key.get_secret_value()
    path = secret_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written in full to a private temporary file, then linked into place: the
        # link fails if another process got there first, and nobody ever reads a
        # half-written key. Both processes then use the linked one.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    os.chmod(path, 0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path}: the stored web secret is too short; delete the file to make a new one")
    return key


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (also before login: the login form is a POST)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """App-wide dependency: every POST must echo the session's token, else 403."""
    if request.method != "POST":
        return
    expected = request.session.get("csrf")
    form = await request.form()  # cached on the request: the route reads the same form
    sent = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str) or not expected:
        raise HTTPException(status_code=403, detail="The form has expired or did not come from this console.")
    if not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise HTTPException(status_code=403, detail="The form has expired or did not come from this console.")


class SecurityHeadersMiddleware:
    """Adds the security headers to every response and marks cookies Secure over HTTPS.

    Installed outside Starlette's error middleware, so even a 500 carries them.
    Over plain HTTP (a local test, or ``--host 127.0.0.1``) a Secure cookie would
    be dropped by the browser, so the flag follows the request's scheme (uvicorn
    sets it from X-Forwarded-Proto for trusted proxies).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:  # pages hold customer data: keep them out of caches
                    headers["cache-control"] = "no-store"
                if https:
                    cookies = headers.getlist("set-cookie")
                    if cookies:
                        del headers["set-cookie"]
                        for cookie in cookies:
                            secure = "secure" in cookie.lower().split("; ")
                            headers.append("set-cookie", cookie if secure else cookie + "; secure")
            await send(message)

        await self.app(scope, receive, send_with_headers)
