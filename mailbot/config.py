"""Typed, validated settings from a TOML file plus ``MAILBOT_<SECTION>_<KEY>`` overrides.

One ``Settings`` object is built at start-up and passed explicitly; there is no
module-level singleton. Every key is checked when the settings are built, so a bad
value stops start-up with one line that names the key and what was expected,
instead of a ``TypeError`` in the middle of a poll.

Error messages never repeat the value that was given: a password written where a
number belongs, or a token pasted into the wrong key, must not end up in a log.
Secrets are ``SecretStr`` and only unwrapped where they are used (a login, an HTTP
header, an HMAC).

File values are taken strictly (``port = "993"`` is refused, as TOML can say
``993``); environment values are text, so they are decoded by the field's type
first: whole numbers, numbers, ``1/true/yes/on`` and ``0/false/no/off``, and
comma-separated lists.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
import types
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SecretStr,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from mailbot.errors import ConfigError
from mailbot.triage.addresses import is_address

Security = Literal["ssl", "starttls", "none"]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Invalid(ValueError):
    """A check's own words (never the value). ``key`` names the key a cross-key rule blames."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


# --- value types ---------------------------------------------------------------------


def _checked(test: Any, message: str) -> Any:
    """An after-validator that refuses a value ``test`` rejects, with ``message``."""

    def check(value: Any) -> Any:
        if not test(value):
            raise _Invalid(message)
        return value

    return AfterValidator(check)


def _tuple_from_list(value: Any) -> Any:
    # TOML arrays arrive as lists; a string stays a string, so it is refused as a list.
    return tuple(value) if isinstance(value, list) else value


def _iso_date(value: Any) -> date | None:
    """A TOML date (``2026-01-31``) or the same as text; empty means unset."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid("expected an ISO date like 2026-01-31")


def _network(item: Any) -> IpNetwork | None:
    if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return item
    if isinstance(item, str):
        try:
            return ipaddress.ip_network(item)
        except ValueError:
            pass
    return None


def _networks(value: Any) -> tuple[IpNetwork, ...]:
    """Addresses and networks (``10.0.0.1``, ``10.0.0.0/8``, ``::1``) of trusted proxies."""
    if not isinstance(value, list | tuple):
        raise _Invalid("expected a list of IP addresses or networks")
    networks = []
    for number, item in enumerate(value, 1):
        network = _network(item)
        if network is None:
            raise _Invalid(f"item {number}: expected an IP address or network like 10.0.0.0/8")
        networks.append(network)
    return tuple(networks)


def _crontab(value: str) -> str:
    if value:
        # Checked with the parser the scheduler uses, so the two can never disagree.
        from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped, unused-ignore]

        try:
            CronTrigger.from_crontab(value)
        except ValueError:
            raise _Invalid("not a crontab expression like */5 7-19 * * mon-fri") from None
    return value


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


AtLeastOne = Annotated[int, Field(ge=1)]
AtLeastZero = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(gt=0)]
Port = Annotated[int, _checked(lambda v: 1 <= v <= 65535, "expected a port from 1 to 65535")]
Text = Annotated[str, Field(min_length=1)]
# Goes into the From header of every reply: a line break there would add headers.
OneLine = Annotated[str, _checked(lambda v: not re.search(r"[\x00-\x1f\x7f]", v), "must be one line of text")]
Address = Annotated[str, _checked(is_address, "expected an email address like support@example.com")]
Addresses = Annotated[tuple[Address, ...], BeforeValidator(_tuple_from_list)]
Token = Annotated[str, _checked(lambda v: bool(v) and not re.search(r"[\s;]", v), "expected names without spaces")]
Words = Annotated[tuple[Token, ...], BeforeValidator(_tuple_from_list)]
IsoDate = Annotated[date | None, PlainValidator(_iso_date)]
Networks = Annotated[
    tuple[IpNetwork, ...],
    PlainValidator(_networks),
    PlainSerializer(lambda networks: [str(n) for n in networks], return_type=list[str]),
]
DatabaseUrl = Annotated[
    str, _checked(lambda v: re.match(r"[a-z][a-z0-9+.-]*://", v, re.I), "expected a URL like sqlite:///var/mailbot.db")
]
HttpUrl = Annotated[str, _checked(lambda v: not v or _http_url(v), "expected an http:// or https:// URL")]
EnvVarName = Annotated[
    str, _checked(lambda v: not v or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v), "expected a variable name")
]
# An IMAP keyword (RFC 3501 atom) or a system flag such as \Seen.
ImapFlag = Annotated[str, _checked(lambda v: re.fullmatch(r"\\?[^\s(){%*\"\\\]]+", v), "expected an IMAP keyword")]
Crontab = Annotated[str, AfterValidator(_crontab)]


class _Section(BaseModel):
    """One ``[section]`` of the file: strict types, no unknown keys, read-only."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", hide_input_in_errors=True)


@dataclass(frozen=True, config=ConfigDict(extra="forbid", hide_input_in_errors=True))
class Plan:
    """A ``[plans.NAME]`` table; the name is the table's, filled in while reading."""

    name: Annotated[str, Strict()]
    team_seats: Annotated[int, Strict(), Field(ge=0)]
    agency: Annotated[bool, Strict()] = False


class DatabaseSettings(_Section):
    url: DatabaseUrl = "sqlite:///var/mailbot.db"


class SupportSettings(_Section):
    address: Address = "support@example.com"
    name: OneLine = "Support"
    own_addresses: Addresses = ()


class MailboxSettings(_Section):
    kind: Literal["imap", "maildir"] = "maildir"
    host: Text = "localhost"
    port: Port | None = None  # unset: the default port for `security`
    security: Security = "ssl"
    username: str = ""
    password: SecretStr = SecretStr("")
    # XOAUTH2: a command that prints a fresh access token, or the name of an
    # environment variable holding one. Microsoft 365 and Gmail refuse passwords.
    auth: Literal["password", "xoauth2"] = "password"
    oauth2_token_command: str = ""
    oauth2_token_env: EnvVarName = ""
    folder: Text = "INBOX"
    processed_folder: str = ""
    processed_flag: ImapFlag = "$MailbotTriaged"
    sent_folder: str = ""  # IMAP: keep a copy of every sent reply here (e.g. "Sent"); empty: none
    path: Text = "var/maildir"
    batch_size: AtLeastOne = 200
    max_per_poll: AtLeastZero = 0  # at most this many new mails per cycle (0: no cap); the rest come next cycle
    timeout: Seconds = 30.0
    idle: bool = True  # `mailbot run` waits with IMAP IDLE where the server offers it
    # RFC 2177: servers may drop an IDLE after 30 minutes, and NAT boxes far sooner.
    idle_refresh_seconds: Annotated[
        float, _checked(lambda v: 1 <= v <= 29 * 60, "expected 1 to 1740 seconds (RFC 2177: under 29 minutes)")
    ] = 300.0

    @model_validator(mode="after")
    def _imap_needs_a_user(self) -> MailboxSettings:
        if self.kind == "imap" and not self.username:
            raise _Invalid("required when mailbox.kind = 'imap'", key="username")
        return self

    def effective_port(self) -> int:
        if self.port:
            return self.port
        return 993 if self.security == "ssl" else 143


class SmtpSettings(_Section):
    host: str = ""
    port: Port | None = None
    security: Security = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    timeout: Seconds = 30.0

    @model_validator(mode="after")
    def _needs_a_host(self) -> SmtpSettings:
        if not self.host:
            raise _Invalid("required when [smtp] is configured", key="host")
        return self

    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class OutboxSettings(_Section):
    path: Text = "var/outbox"
    max_attempts: AtLeastOne = 6
    retry_base_seconds: Seconds = 60.0
    # Throttle: at most `max_per_address` replies to one address per window.
    max_per_address: AtLeastOne = 10
    window_minutes: AtLeastOne = 180


class ScheduleSettings(_Section):
    interval_seconds: AtLeastOne = 60
    cron: Crontab = ""  # crontab expression; wins over interval when set
    max_backoff_seconds: AtLeastOne = 900


class SenderAuthSettings(_Section):
    trusted_authserv_ids: Words = ()


class TriageSettings(_Section):
    max_message_bytes: AtLeastOne = 10 * 1024 * 1024
    # Processes that triage a large backlog (400+ new mails in one poll): 0 = one per
    # core, 1 = none (triage in the poller itself, the smallest memory footprint).
    workers: AtLeastZero = 0
    # Mail dated before this day is recorded for a human but never drafted:
    # the first connect to an old mailbox must not answer years of history.
    answer_since: IsoDate = None
    rules_path: str = ""  # empty: the bundled rules/
    templates_path: str = ""  # empty: the bundled templates/


class WebSettings(_Section):
    secret_key: SecretStr = SecretStr("")
    host: Text = "127.0.0.1"
    port: Port = 8025
    # Only these peers may set X-Forwarded-For; empty: forwarded headers are ignored.
    trusted_proxies: Networks = ()


class AccountsSettings(_Section):
    source: Literal["database", "http"] = "database"
    url: HttpUrl = ""  # the vendor's account API, for source = "http"
    token: SecretStr = SecretStr("")  # sent as Authorization: Bearer …
    timeout: Seconds = 10.0  # per API request
    retries: AtLeastZero = 3  # further tries of a request after a time-out, drop, 429 or 5xx
    retry_base_seconds: Seconds = 0.5  # the first wait between tries; it doubles
    failing_minutes: AtLeastOne = 60  # `mailbot status` fails once an account action fails this long

    @model_validator(mode="after")
    def _http_needs_a_url(self) -> AccountsSettings:
        if self.source == "http" and not self.url:
            raise _Invalid("required when accounts.source = 'http'", key="url")
        if self.source == "http" and not self.token.get_secret_value():
            raise _Invalid("required when accounts.source = 'http'", key="token")
        return self


class ConversationsSettings(_Section):
    window_days: AtLeastZero = 14
    subject_tag: bool = True


class BillingSettings(_Section):
    webhook_secret: SecretStr = SecretStr("")  # keys the Stripe-Signature HMAC


class RenewalsSettings(_Section):
    language: Literal["de", "en"] = "de"


_SECTIONS: dict[str, type[_Section]] = {
    "database": DatabaseSettings,
    "support": SupportSettings,
    "mailbox": MailboxSettings,
    "smtp": SmtpSettings,
    "outbox": OutboxSettings,
    "schedule": ScheduleSettings,
    "sender_auth": SenderAuthSettings,
    "triage": TriageSettings,
    "web": WebSettings,
    "accounts": AccountsSettings,
    "conversations": ConversationsSettings,
    "billing": BillingSettings,
    "renewals": RenewalsSettings,
}


class Settings(BaseSettings):
    """Everything mailbot is configured with. Built directly, it takes only what it is given."""

    model_config = SettingsConfigDict(strict=True, frozen=True, extra="forbid", hide_input_in_errors=True)

    database: DatabaseSettings = DatabaseSettings()
    support: SupportSettings = SupportSettings()
    mailbox: MailboxSettings = MailboxSettings()
    smtp: SmtpSettings | None = None  # no [smtp]: replies go to the file outbox
    outbox: OutboxSettings = OutboxSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    sender_auth: SenderAuthSettings = SenderAuthSettings()
    triage: TriageSettings = TriageSettings()
    web: WebSettings = WebSettings()
    accounts: AccountsSettings = AccountsSettings()
    conversations: ConversationsSettings = ConversationsSettings()
    billing: BillingSettings = BillingSettings()
    renewals: RenewalsSettings = RenewalsSettings()
    plans: Mapping[str, Plan] = {}
    source: Path | None = None  # the file the settings came from, for messages

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Direct construction (tests, the demo) never picks up the process environment;
        # ``settings_from_mapping`` brings the file and the environment as sources.
        return (init_settings,)

    @field_validator("plans", mode="before")
    @classmethod
    def _plan_names_from_tables(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        named: dict[str, Any] = {}
        for name, spec in value.items():
            if isinstance(spec, Mapping):
                if "name" in spec:
                    raise _Invalid("unknown key (known: agency, team_seats)", key=f"{name}.name")
                spec = {**spec, "name": name}
            named[name] = spec
        return named

    def support_addresses(self) -> frozenset[str]:
        """Addresses that are ours and never a customer's."""
        return frozenset(a.lower() for a in (self.support.address, *self.support.own_addresses))


# --- sources -------------------------------------------------------------------------


def env_name(section: str, key: str) -> str:
    return f"MAILBOT_{section.upper()}_{key.upper()}"


def _value_kind(annotation: Any) -> Any:
    """The plain type behind ``Annotated[...]`` and ``X | None``: what an environment string becomes."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _value_kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return _value_kind(members[0]) if len(members) == 1 else str
    if origin in (tuple, list):
        return tuple
    return annotation


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _decode(text: str, field: FieldInfo) -> Any:
    """An environment string as the field's type; left as text when it does not parse, for the error."""
    kind = _value_kind(field.annotation)
    if kind is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if kind is bool and text.strip().lower() in _TRUE + _FALSE:
        return text.strip().lower() in _TRUE
    if kind is int and re.fullmatch(r"\s*[+-]?\d+\s*", text):
        return int(text)
    if kind is float:
        try:
            return float(text)
        except ValueError:
            return text
    return text


class EnvironmentSource(PydanticBaseSettingsSource):
    """``MAILBOT_<SECTION>_<KEY>`` for every known key.

    Looked up by name rather than split on ``_``, because sections and keys contain
    underscores (``MAILBOT_SENDER_AUTH_TRUSTED_AUTHSERV_IDS``). Remembers which keys
    it supplied, so an error names the variable, not the file.
    """

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env = env
        self.supplied: dict[tuple[str, str], str] = {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Unused: __call__ reads whole sections at once.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, dict[str, Any]] = {}
        for section, model in _SECTIONS.items():
            for key, field in model.model_fields.items():
                name = env_name(section, key)
                if name in self.env:
                    values.setdefault(section, {})[key] = _decode(self.env[name], field)
                    self.supplied[(section, key)] = name
        return values


class FileSource(PydanticBaseSettingsSource):
    """The tables of a parsed TOML document. An empty ``[smtp]`` means no SMTP, as before."""

    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self.data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: table for name, table in self.data.items() if not (name == "smtp" and table == {})}


# --- errors --------------------------------------------------------------------------

_EXPECTED = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected a string",
    "tuple_type": "expected a list of strings",
    "list_type": "expected a list of strings",
    "missing": "required",
    "string_too_short": "must not be empty",
}
_TABLE = ("model_type", "model_attributes_type", "dict_type", "dataclass_type", "mapping_type")
_BOUNDS = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"), "less_than_equal": ("<=", "le")}


def _known(section: str) -> str:
    if section in _SECTIONS:
        return ", ".join(sorted(_SECTIONS[section].model_fields))
    return "agency, team_seats"


def _problem(error: Any) -> tuple[list[str], str]:
    """The key path and what is wrong, built from the error's type: never from its input."""
    path = [str(p) for p in error["loc"] if isinstance(p, str)]
    items = [p + 1 for p in error["loc"] if isinstance(p, int)]
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error" and isinstance(context.get("error"), _Invalid):
        cause = context["error"]
        path += cause.key.split(".") if cause.key else []
        text = str(cause)
    elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
        text = f"unknown key (known: {_known(path[0])})"
    elif kind == "literal_error":
        text = "expected one of " + ", ".join(re.findall(r"'([^']*)'", context.get("expected", "")))
    elif kind in _BOUNDS:
        sign, name = _BOUNDS[kind]
        text = f"must be {sign} {context[name]}"
    elif kind in _TABLE:
        text = f"expected a table [{'.'.join(path)}]" if len(path) == 1 else "expected a table"
    else:
        text = _EXPECTED.get(kind, "invalid value")
    if items:
        text = f"item {items[0]}: {text}"
    return path, text


def _one_line(error: Any, env: EnvironmentSource) -> str:
    path, text = _problem(error)
    variable = env.supplied.get((path[0], path[1])) if len(path) >= 2 else None
    where = f"environment variable {variable}" if variable else ".".join(path)
    return f"{where}: {text}"


# --- building ------------------------------------------------------------------------


def settings_from_mapping(
    data: Mapping[str, Any], *, env: Mapping[str, str] | None = None, source: Path | None = None
) -> Settings:
    """Validate a parsed TOML document (plus environment overrides) into Settings."""
    env = os.environ if env is None else env
    for section, table in data.items():
        if section not in _SECTIONS and section != "plans":
            raise ConfigError(f"{section}: unknown section (known: {', '.join([*_SECTIONS, 'plans'])})")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{section}: expected a table [{section}]")
    environment = EnvironmentSource(Settings, env)
    sources = (InitSettingsSource(Settings, init_kwargs={"source": source}), environment, FileSource(Settings, data))
    try:
        # Pre-built sources for this one instance. Without pydantic's mypy plugin, mypy
        # sees only the fields in __init__, not BaseSettings' underscore options.
        return Settings(_build_sources=(sources, {}))  # type: ignore[call-arg, unused-ignore]
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
    # Raised outside the except block, so no traceback or error report can reach the
    # ValidationError (and the input it holds) through __context__.
    raise ConfigError(_one_line(first, environment))


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
