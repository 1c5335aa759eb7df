"""What every request handler needs, built once by ``create_app`` and kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from jinja2 import Environment
from sqlalchemy import Engine

from mailbot.config import Settings
from mailbot.web.throttle import LoginThrottle


@dataclass(frozen=True)
class ConsoleState:
    settings: Settings
    engine: Engine
    templates: Environment
    throttle: LoginThrottle


def console_state(request: Request) -> ConsoleState:
    return request.app.state.console
