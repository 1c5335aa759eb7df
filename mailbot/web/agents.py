"""Agents who may log in to the console: argon2 password hashes in the ``Agent`` table.

Keyword-only data helpers, used by ``mailbot agents …`` and by the login page.
A login for an unknown name still verifies against a dummy hash, so the answer
takes as long as for a known name and timing does not reveal who has an account.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mailbot.errors import MailbotError
from mailbot.models import Agent

MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class AgentError(MailbotError, ValueError):
    """An agent name or password is not acceptable, or the agent exists / does not exist."""


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHasher:
    """argon2id with the library's current defaults (RFC 9106 low-memory profile)."""
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return password_hasher().hash("not a password: equalises the time of unknown-name logins")


def check_name(name: str) -> str:
    """The name as stored; names appear in the audit trail, so keep them plain."""
    name = name.strip()
    if not _NAME.match(name):
        raise AgentError(
            f"agent name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def add_agent(*, engine: Engine, name: str, password: str, replace: bool = False) -> Agent:
    """Store a new agent (or, with ``replace``, a new password for an existing one)."""
    name = check_name(name)
    hashed = password_hasher().hash(check_password(password))
    with Session(engine, expire_on_commit=False) as session:
        agent = session.exec(select(Agent).where(Agent.name == name)).first()
        if agent is not None and not replace:
            raise AgentError(f"agent {name!r} already exists (use --replace to set a new password)")
        if agent is None and replace:
            raise AgentError(f"no agent is called {name!r}")
        if agent is None:
            agent = Agent(name=name, password_hash=hashed)
        else:
            agent.password_hash = hashed
            agent.session_epoch += 1  # a new password ends the sessions made with the old one
        session.add(agent)
        try:
            session.commit()
        except IntegrityError:  # another process added the same name just now
            raise AgentError(f"agent {name!r} already exists") from None
        return agent


def remove_agent(*, engine: Engine, name: str) -> None:
    """Delete an agent; their console session stops working on its next request."""
    with Session(engine) as session:
        agent = session.exec(select(Agent).where(Agent.name == name.strip())).first()
        if agent is None:
            raise AgentError(f"no agent is called {name.strip()!r}")
        session.delete(agent)
        session.commit()


def end_sessions(*, engine: Engine, name: str) -> None:
    """End every console session of the agent (logout): their cookies name an older epoch."""
    with Session(engine) as session:
        session.exec(update(Agent).where(col(Agent.name) == name).values(session_epoch=Agent.session_epoch + 1))
        session.commit()


def session_stamp(agent: Agent) -> str:
    """What a session cookie must carry to stay valid for ``agent``.

    It changes when the agent is removed and added again (a new row and hash), gets
    a new password, or logs out (the epoch), so a copied cookie stops working then.
    A digest of the salted hash, not the hash itself, goes into the (signed,
    readable) cookie.
    """
    material = f"{agent.id}\0{agent.created_at.isoformat()}\0{agent.session_epoch}\0{agent.password_hash}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def list_agents(*, session: Session) -> list[Agent]:
    return list(session.exec(select(Agent).order_by(col(Agent.name))))


def find_agent(*, session: Session, name: str) -> Agent | None:
    return session.exec(select(Agent).where(Agent.name == name)).first()


def verify_login(*, engine: Engine, name: str, password: str) -> Agent | None:
    """The agent when name and password match, else None (same cost either way).

    A hash made with older argon2 parameters is upgraded on a successful login.
    """
    hasher = password_hasher()
    with Session(engine, expire_on_commit=False) as session:
        agent = find_agent(session=session, name=name.strip())
        try:
            hasher.verify(agent.password_hash if agent else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if agent is None:
            return None
        if hasher.check_needs_rehash(agent.password_hash):
            agent.password_hash = hasher.hash(password)
            session.add(agent)
            session.commit()
        return agent
