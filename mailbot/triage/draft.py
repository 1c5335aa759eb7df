"""Render the reply an agent will review: Jinja2 templates per language and outcome.

``StrictUndefined`` turns a missing variable into an error in tests rather
than a blank in a customer's mail.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

from mailbot.conversations.subjects import reply_subject
from mailbot.resources import bundled_dir
from mailbot.triage.decide import Decision
from mailbot.vocabulary import AddressSource, Intent

_NOT_A_NAME = re.compile(r"[@<>{}\[\]/\\|=:;]|https?|www\.|\d{3,}", re.I)


@dataclass(frozen=True)
class DraftText:
    to: str
    subject: str
    body: str
    in_reply_to: str | None
    references: str | None
    html: str | None = None


class _DraftEnvironment(Environment):
    """Jinja's environment with each template's globals as a plain dict.

    Every render copies the template's globals into a new context, twice per draft
    (the reply and its outcome's section). Jinja keeps them as a ``ChainMap`` over
    the environment's globals, and copying a ChainMap runs in Python: a third of the
    time a draft took. A dict holds the same names; Jinja's ChainMap exists only so
    that globals changed after loading still show, and nothing changes these.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


@cache
def template_environment(folder: str = "") -> Environment:
    path = folder or str(bundled_dir("templates"))
    return _DraftEnvironment(
        loader=FileSystemLoader(path),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # loaded once per process; no stat() of every template per mail
        # Compiled templates are kept in a per-user temp folder: a cron run or a dry
        # run starts without compiling every template again (the cache checks mtimes).
        bytecode_cache=FileSystemBytecodeCache(),
        autoescape=False,  # plain-text mail; nothing here is rendered as HTML
    )


def greeting_name(display_name: str) -> str:
    """A display name fit for a greeting: ``Fischer, Jürgen`` → ``Jürgen Fischer``."""
    name = display_name.strip().strip('"').strip()
    # The name is the sender's to choose: anything that is not plainly a name
    # (markup, links, addresses, a paragraph) stays out of our reply.
    if not name or len(name) > 60 or _NOT_A_NAME.search(name):
        return ""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        name = f"{first} {last}".strip()
    return name


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


class _Section(dict[str, object]):
    """A dict whose keys templates also read as attributes, without an exception.

    Jinja reads ``s.outcome`` as ``getattr(s, "outcome")`` first and only then as
    ``s["outcome"]``: on a plain dict every such read raises and catches an
    AttributeError. This dict answers the attribute directly; it is a dict in every
    other way (``s["outcome"]``, ``s.items()``), as templates have always seen it.
    """

    def __getattr__(self, name: str) -> object:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _section(decision: Decision) -> dict[str, object]:
    action = decision.action
    facts = decision.facts
    request = decision.request
    return _Section(
        {
            "outcome": decision.outcome,
            "primary": request.primary,
            "team_member": request.team_member,
            "plan": action.plan if action else facts.get("plan"),
            "paid_until": _iso(action.paid_until if action else facts.get("paid_until")),
            "seats": facts.get("seats"),
            "used": facts.get("used"),
            "missing": facts.get("missing"),
            "filled": AddressSource.RECORDS in (request.primary_from, request.team_member_from),
        }
    )


def render_draft(
    *,
    decisions: list[Decision],
    intent: Intent,
    language: str,
    customer_name: str,
    to: str,
    subject: str,
    message_id: str | None,
    references: tuple[str, ...],
    support_name: str,
    support_address: str,
    templates_path: str = "",
) -> DraftText:
    sections = [_section(d) for d in decisions]
    body = (
        template_environment(templates_path)
        .get_template(f"{language}/reply.txt.j2")
        .render(
            lang=language,
            intent=intent,
            customer_name=greeting_name(customer_name),
            support_name=support_name,
            support_address=support_address,
            several=len(sections) > 1,
            sections=sections,
        )
    )
    refs = [*references, message_id] if message_id else list(references)
    return DraftText(
        to=to,
        subject=reply_subject(subject),
        body=re.sub(r"\n{3,}", "\n\n", body).strip() + "\n",
        in_reply_to=message_id,
        references=" ".join(dict.fromkeys(refs)) or None,
    )


def template_sections(decisions: list[Decision]) -> list[dict[str, object]]:
    """Each decision as the outcome templates read it (``s`` in ``outcomes/<outcome>.txt.j2``)."""
    return [_section(d) for d in decisions]
