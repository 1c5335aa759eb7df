"""Jinja2 pages: autoescaping on for everything, ``StrictUndefined`` so a missing value fails.

``render`` adds what every page shows (the agent, the CSRF token for its forms,
one-time notices), so templates never reach into the request themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from mailbot.web import present
from mailbot.web.security import csrf_token
from mailbot.web.state import console_state

TEMPLATES = Path(__file__).parent / "templates"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name: all of them are HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        outcome_tone=present.outcome_tone,
        outcome_label=present.outcome_label,
        status_tone=present.status_tone,
        when=present.when,
        line_count=present.line_count,
        audit_summary=present.audit_summary,
    )
    env.globals.update(VERIFICATION_BADGES=present.VERIFICATION_BADGES)
    return env


def flash(request: Request, text: str, *, tone: str = "ok") -> None:
    """A notice shown once, on the next page the agent sees (kept in the signed session)."""
    notices = list(request.session.get("flash", []))
    notices.append([tone, text])
    request.session["flash"] = notices[-5:]


def render(request: Request, template: str, /, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    page = {
        "agent": request.session.get("agent"),
        "csrf_token": csrf_token(request),
        "notices": request.session.pop("flash", []),
        "path": request.url.path,
        **context,
    }
    html = console_state(request).templates.get_template(template).render(page)
    return HTMLResponse(html, status_code=status_code)
