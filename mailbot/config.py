"""Typed, validated settings from a TOML file plus ``MAILBOT_<SECTION>_<KEY>`` overrides.

One ``Settings`` object is built at start-up and passed explicitly; there is no
module-level singleton. A bad value stops start-up with the key's name and what
was expected, so an operator fixes the file instead of reading a traceback.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from mailbot.errors import ConfigError

SECURITY_MODES = ("ssl", "starttls", "none")
#: Servers may end an IDLE after 30 minutes of silence (RFC 2177): re-issue it sooner.
IDLE_REFRESH_MAX = 29 * 60


@dataclass(frozen=True)
class Plan:
    name: str
    team_seats: int
    agency: bool = False


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/mailbot.db"


@dataclass(frozen=True)
class SupportSettings:
    address: str = "support@example.com"
    name: str = "Support"
    own_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class MailboxSettings:
    kind: str = "maildir"
    host: str = "localhost"
    port: int = 0  # 0: the default port for `security`
    security: str = "ssl"
    username: str = ""
    password: str = field(default="", repr=False)
    # XOAUTH2: a command that prints a fresh access token, or the name of an
    # environment variable holding one. Microsoft 365 and Gmail refuse passwords.
    auth: str = "password"
    oauth2_token_command: str = ""
    oauth2_token_env: str = ""
    folder: str = "INBOX"
    processed_folder: str = ""
    processed_flag: str = "$MailbotTriaged"
    sent_folder: str = ""  # IMAP: keep a copy of every sent reply here (e.g. "Sent"); empty: none
    path: str = "var/maildir"
    batch_size: int = 200
    max_per_poll: int = 0  # at most this many new mails per cycle (0: no cap); the rest come next cycle
    timeout: float = 30.0
    # `mailbot run` waits in IMAP IDLE where the server announces it, and re-issues
    # IDLE this often: RFC 2177 allows 29 minutes, Gmail and Microsoft 365 drop sooner.
    idle: bool = True
    idle_refresh_seconds: int = 300

    def effective_port(self) -> int:
        if self.port:
            return self.port
        return 993 if self.security == "ssl" else 143


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 0
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0

    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"ssl": 465, "starttls": 587, "none": 25}[self.security]


@dataclass(frozen=True)
class OutboxSettings:
    path: str = "var/outbox"
    max_attempts: int = 6
    retry_base_seconds: float = 60.0
    # Throttle: at most `max_per_address` replies to one address per window.
    max_per_address: int = 10
    window_minutes: int = 180


@dataclass(frozen=True)
class ScheduleSettings:
    interval_seconds: int = 60
    cron: str = ""  # crontab expression; wins over interval when set
    max_backoff_seconds: int = 900


@dataclass(frozen=True)
class SenderAuthSettings:
    trusted_authserv_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriageSettings:
    max_message_bytes: int = 10 * 1024 * 1024
    # Processes that triage a large backlog (400+ new mails in one poll): 0 = one per
    # core, 1 = none (triage in the poller itself, the smallest memory footprint).
    workers: int = 0
    # Mail dated before this day (ISO date) is recorded for a human but never drafted:
    # the first connect to an old mailbox must not answer years of history.
    answer_since: str = ""
    rules_path: str = ""  # empty: the bundled rules/
    templates_path: str = ""  # empty: the bundled templates/


@dataclass(frozen=True)
class WebSettings:
    secret_key: str = field(default="", repr=False)
    host: str = "127.0.0.1"
    port: int = 8025


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    support: SupportSettings = field(default_factory=SupportSettings)
    mailbox: MailboxSettings = field(default_factory=MailboxSettings)
    smtp: SmtpSettings | None = None
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    sender_auth: SenderAuthSettings = field(default_factory=SenderAuthSettings)
    triage: TriageSettings = field(default_factory=TriageSettings)
    web: WebSettings = field(default_factory=WebSettings)
    plans: Mapping[str, Plan] = field(default_factory=dict)
    source: Path | None = None  # the file the settings came from, for messages

    def support_addresses(self) -> frozenset[str]:
        """Addresses that are ours and never a customer's."""
        return frozenset(a.lower() for a in (self.support.address, *self.support.own_addresses))


_SECTIONS: dict[str, type] = {
    "database": DatabaseSettings,
    "support": SupportSettings,
    "mailbox": MailboxSettings,
    "smtp": SmtpSettings,
    "outbox": OutboxSettings,
    "schedule": ScheduleSettings,
    "sender_auth": SenderAuthSettings,
    "triage": TriageSettings,
    "web": WebSettings,
}

_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("mailbox", "kind"): ("imap", "maildir"),
    ("mailbox", "security"): SECURITY_MODES,
    ("mailbox", "auth"): ("password", "xoauth2"),
    ("smtp", "security"): SECURITY_MODES,
}


def _coerce(section: str, key: str, value: Any, default: Any, from_env: bool) -> Any:
    """Turn a TOML or environment value into the type of the field's default."""
    name = f"{section}.{key}"
    where = "environment variable " + env_name(section, key) if from_env else name
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if from_env and str(value).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(value).lower() in ("1", "true", "yes", "on")
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if isinstance(default, int):
        try:
            number = int(value) if from_env or isinstance(value, int) else None
        except ValueError:
            number = None
        if number is None or isinstance(value, bool):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        if number < 0:
            raise ConfigError(f"{where}: expected a number >= 0, got {number}")
        return number
    if isinstance(default, float):
        try:
            number_f = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number_f = None
        if number_f is None or number_f <= 0:
            raise ConfigError(f"{where}: expected a positive number, got {value!r}")
        return number_f
    if isinstance(default, tuple):
        if from_env and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    choices = _CHOICES.get((section, key))
    if choices and value not in choices:
        raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def env_name(section: str, key: str) -> str:
    return f"MAILBOT_{section.upper()}_{key.upper()}"


def _build_section(section: str, cls: type, table: Mapping[str, Any], env: Mapping[str, str]):
    known = {f.name: f for f in fields(cls)}
    for key in table:
        if key not in known:
            raise ConfigError(f"{section}.{key}: unknown key (known: {', '.join(sorted(known))})")
    defaults = cls()
    values: dict[str, Any] = {}
    for name in known:
        default = getattr(defaults, name)
        if env_name(section, name) in env:
            values[name] = _coerce(section, name, env[env_name(section, name)], default, True)
        elif name in table:
            values[name] = _coerce(section, name, table[name], default, False)
    return cls(**values)


def _build_plans(table: Any) -> dict[str, Plan]:
    if not isinstance(table, Mapping):
        raise ConfigError("plans: expected tables like [plans.pro]")
    plans: dict[str, Plan] = {}
    for name, spec in table.items():
        if not isinstance(spec, Mapping):
            raise ConfigError(f"plans.{name}: expected a table with team_seats")
        unknown = set(spec) - {"team_seats", "agency"}
        if unknown:
            raise ConfigError(f"plans.{name}.{sorted(unknown)[0]}: unknown key")
        seats = spec.get("team_seats")
        if not isinstance(seats, int) or isinstance(seats, bool) or seats < 0:
            raise ConfigError(f"plans.{name}.team_seats: expected a whole number >= 0, got {seats!r}")
        agency = spec.get("agency", False)
        if not isinstance(agency, bool):
            raise ConfigError(f"plans.{name}.agency: expected true or false, got {agency!r}")
        plans[name] = Plan(name=name, team_seats=seats, agency=agency)
    return plans


def settings_from_mapping(
    data: Mapping[str, Any], *, env: Mapping[str, str] | None = None, source: Path | None = None
) -> Settings:
    """Validate a parsed TOML document (plus environment overrides) into Settings."""
    env = os.environ if env is None else env
    for section in data:
        if section not in _SECTIONS and section != "plans":
            raise ConfigError(f"{section}: unknown section (known: {', '.join([*_SECTIONS, 'plans'])})")
    built: dict[str, Any] = {}
    for section, cls in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"{section}: expected a table [{section}]")
        has_env = any(env_name(section, f.name) in env for f in fields(cls))
        if section == "smtp" and not table and not has_env:
            built[section] = None  # no SMTP: replies go to the file outbox
            continue
        built[section] = _build_section(section, cls, table, env)
    smtp = built["smtp"]
    if smtp is not None and not smtp.host:
        raise ConfigError("smtp.host: required when [smtp] is configured")
    mailbox = built["mailbox"]
    if mailbox.kind == "imap" and not mailbox.username:
        raise ConfigError("mailbox.username: required when mailbox.kind = 'imap'")
    if not 1 <= mailbox.idle_refresh_seconds <= IDLE_REFRESH_MAX:
        raise ConfigError(
            f"mailbox.idle_refresh_seconds: expected 1 to {IDLE_REFRESH_MAX} "
            f"(RFC 2177: under 29 minutes), got {mailbox.idle_refresh_seconds}"
        )
    if built["triage"].answer_since:
        try:
            date.fromisoformat(built["triage"].answer_since)
        except ValueError:
            raise ConfigError(
                f"triage.answer_since: expected an ISO date like 2026-01-31, got {built['triage'].answer_since!r}"
            ) from None
    if mailbox.port > 65535 or (smtp is not None and smtp.port > 65535):
        raise ConfigError("port: expected a number from 1 to 65535")
    if "@" not in built["support"].address:
        raise ConfigError(f"support.address: expected an email address, got {built['support'].address!r}")
    return Settings(**built, plans=_build_plans(data.get("plans", {})), source=source)


def load_settings(path: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file named by ``path`` or ``MAILBOT_CONFIG``; defaults when neither is set."""
    env = os.environ if env is None else env
    chosen = path or env.get("MAILBOT_CONFIG")
    if not chosen:
        return settings_from_mapping({}, env=env)
    file = Path(chosen)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    return settings_from_mapping(data, env=env, source=file)
