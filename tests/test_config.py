"""Settings: TOML file, MAILBOT_<SECTION>_<KEY> overrides, and errors that name the key."""

from __future__ import annotations

from datetime import date, datetime
from ipaddress import ip_network
from pathlib import Path

import pytest
from factories import run_cli, write_config

from mailbot.config import Plan, load_settings, settings_from_mapping
from mailbot.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "mailbot.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- defaults and where the file comes from ----------------------------------------


def test_no_file_and_no_environment_gives_the_documented_defaults():
    settings = load_settings(None, env={})
    assert settings.database.url == "sqlite:///var/mailbot.db"
    assert settings.outbox.path == "var/outbox"
    assert settings.mailbox.kind == "maildir"
    assert settings.mailbox.security == "ssl"
    assert settings.mailbox.effective_port() == 993
    assert settings.smtp is None  # no [smtp]: replies go to the file outbox
    assert settings.support.own_addresses == ()
    assert dict(settings.plans) == {}
    assert settings.source is None


def test_mailbot_config_environment_variable_names_the_file(tmp_path):
    path = write(tmp_path, '[database]\nurl = "sqlite:///elsewhere.db"\n')
    settings = load_settings(None, env={"MAILBOT_CONFIG": str(path)})
    assert settings.database.url == "sqlite:///elsewhere.db"
    assert settings.source == path


def test_explicit_path_wins_over_mailbot_config(tmp_path):
    chosen = write(tmp_path, '[database]\nurl = "sqlite:///chosen.db"\n', "chosen.toml")
    other = write(tmp_path, '[database]\nurl = "sqlite:///other.db"\n', "other.toml")
    settings = load_settings(chosen, env={"MAILBOT_CONFIG": str(other)})
    assert settings.database.url == "sqlite:///chosen.db"


def test_file_values_are_read_into_typed_settings(tmp_path):
    path = write(
        tmp_path,
        """
[support]
address = "help@shop.example"
own_addresses = ["noreply@shop.example", "billing@shop.example"]
[mailbox]
kind = "imap"
host = "imap.shop.example"
port = 1993
security = "starttls"
username = "help"
[smtp]
host = "smtp.shop.example"
[plans.pro]
team_seats = 2
[plans.agency]
team_seats = 10
agency = true
""",
    )
    settings = load_settings(path, env={})
    assert settings.mailbox.port == 1993
    assert settings.mailbox.security == "starttls"
    assert settings.smtp is not None and settings.smtp.effective_port() == 587
    assert settings.support_addresses() == {
        "help@shop.example",
        "noreply@shop.example",
        "billing@shop.example",
    }
    assert dict(settings.plans) == {
        "pro": Plan("pro", team_seats=2, agency=False),
        "agency": Plan("agency", team_seats=10, agency=True),
    }


# --- environment overrides ---------------------------------------------------------


def test_environment_password_overrides_the_file(tmp_path):
    path = write(tmp_path, '[mailbox]\npassword = "from-file"\n')
    settings = load_settings(path, env={"MAILBOT_MAILBOX_PASSWORD": "from-env"})
    assert settings.mailbox.password.get_secret_value() == "from-env"


def test_environment_port_is_read_as_a_whole_number():
    settings = settings_from_mapping({}, env={"MAILBOT_MAILBOX_PORT": "1143"})
    assert settings.mailbox.port == 1143
    assert isinstance(settings.mailbox.port, int)


def test_environment_own_addresses_is_a_comma_separated_list():
    env = {"MAILBOT_SUPPORT_OWN_ADDRESSES": "noreply@shop.example, billing@shop.example,"}
    settings = settings_from_mapping({}, env=env)
    assert settings.support.own_addresses == ("noreply@shop.example", "billing@shop.example")


def test_environment_timeout_is_read_as_a_number():
    settings = settings_from_mapping({}, env={"MAILBOT_MAILBOX_TIMEOUT": "5.5"})
    assert settings.mailbox.timeout == 5.5


def test_environment_value_wins_over_the_file_value(tmp_path):
    path = write(tmp_path, '[mailbox]\nport = 1993\nhost = "imap.file"\n')
    settings = load_settings(path, env={"MAILBOT_MAILBOX_PORT": "2993"})
    assert (settings.mailbox.port, settings.mailbox.host) == (2993, "imap.file")


def test_environment_alone_can_configure_smtp():
    settings = settings_from_mapping({}, env={"MAILBOT_SMTP_HOST": "smtp.shop.example"})
    assert settings.smtp is not None and settings.smtp.host == "smtp.shop.example"


def test_environment_database_url_overrides_the_default():
    settings = load_settings(None, env={"MAILBOT_DATABASE_URL": "sqlite:////tmp/x.db"})
    assert settings.database.url == "sqlite:////tmp/x.db"


# --- bad values name the key --------------------------------------------------------


def config_error(data: dict, env: dict | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(data, env=env or {})
    return str(info.value)


def test_non_numeric_port_in_the_file_names_the_key():
    message = config_error({"mailbox": {"port": "abc"}})
    assert message.startswith("mailbox.port:")
    assert "expected a whole number" in message
    assert "abc" not in message  # errors never repeat the value: it may be a misplaced secret


def test_non_numeric_port_in_the_environment_names_the_variable():
    message = config_error({}, {"MAILBOT_MAILBOX_PORT": "abc"})
    assert "MAILBOT_MAILBOX_PORT" in message
    assert "expected a whole number" in message
    assert "abc" not in message


def test_port_above_65535_is_refused():
    assert "port" in config_error({"mailbox": {"port": 70000}})


def test_unknown_security_mode_names_the_key_and_the_choices():
    message = config_error({"mailbox": {"security": "tls"}})
    assert message.startswith("mailbox.security:")
    assert "ssl, starttls, none" in message
    assert "'tls'" not in message


def test_unknown_smtp_security_mode_names_the_key():
    message = config_error({"smtp": {"host": "smtp.x", "security": "tls"}})
    assert message.startswith("smtp.security:")


def test_unknown_section_is_named():
    message = config_error({"mailbx": {"host": "x"}})
    assert message.startswith("mailbx: unknown section")


def test_unknown_key_is_named_with_its_section():
    message = config_error({"mailbox": {"hots": "imap.x"}})
    assert message.startswith("mailbox.hots: unknown key")
    assert "host" in message  # the known keys are listed


def test_negative_team_seats_names_the_plan_key():
    message = config_error({"plans": {"x": {"team_seats": -1}}})
    assert message.startswith("plans.x.team_seats:")
    assert ">= 0" in message
    assert "-1" not in message


def test_missing_team_seats_names_the_plan_key():
    assert config_error({"plans": {"x": {"agency": True}}}).startswith("plans.x.team_seats:")


def test_non_boolean_agency_names_the_plan_key():
    message = config_error({"plans": {"x": {"team_seats": 1, "agency": "yes"}}})
    assert message.startswith("plans.x.agency:")


def test_unknown_plan_key_is_named():
    message = config_error({"plans": {"x": {"team_seats": 1, "seats": 3}}})
    assert message.startswith("plans.x.seats:")


def test_smtp_section_without_host_is_refused():
    assert config_error({"smtp": {"port": 25}}).startswith("smtp.host:")


def test_imap_without_username_is_refused():
    assert config_error({"mailbox": {"kind": "imap"}}).startswith("mailbox.username:")


def test_support_address_without_at_sign_is_refused():
    assert config_error({"support": {"address": "support"}}).startswith("support.address:")


def test_own_addresses_must_be_a_list_of_strings():
    message = config_error({"support": {"own_addresses": "a@x.org"}})
    assert message.startswith("support.own_addresses:")


def test_missing_config_file_is_named(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_settings(missing, env={})
    assert str(missing) in str(info.value)
    assert "does not exist" in str(info.value)


def test_missing_file_named_by_mailbot_config_is_named(tmp_path):
    missing = tmp_path / "gone.toml"
    with pytest.raises(ConfigError, match=r"gone\.toml"):
        load_settings(None, env={"MAILBOT_CONFIG": str(missing)})


def test_invalid_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[mailbox\nhost = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(path) in str(info.value)
    assert "not valid TOML" in str(info.value)


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        settings_from_mapping({"mailbox": {"port": "abc"}}, env={})


# --- every validated key: a bad value names the key, never the value ------------------

# (section, key, bad value, what the message says). smtp rows get a host, so the
# table is about the key itself.
BAD_VALUES = [
    ("database", "url", "var/mailbot-local.db", "expected a URL like sqlite:///"),
    ("database", "url", 5, "expected a string"),
    ("support", "address", "support-desk", "expected an email address"),
    ("support", "name", 7, "expected a string"),
    ("support", "name", "Support\nBcc: everyone@shop.example", "must be one line of text"),
    ("support", "own_addresses", "noreply@shop.example", "expected a list of strings"),
    ("support", "own_addresses", ["noreply@shop.example", "billing-desk"], "item 2: expected an email address"),
    ("mailbox", "kind", "pop3", "expected one of imap, maildir"),
    ("mailbox", "host", "", "must not be empty"),
    ("mailbox", "port", 0, "expected a port from 1 to 65535"),
    ("mailbox", "port", 65536, "expected a port from 1 to 65535"),
    ("mailbox", "port", "993", "expected a whole number"),
    ("mailbox", "port", 993.5, "expected a whole number"),
    ("mailbox", "security", "tls-1.3", "expected one of ssl, starttls, none"),
    ("mailbox", "username", 4711, "expected a string"),
    ("mailbox", "password", 222333444555, "expected a string"),
    ("mailbox", "auth", "oauth-bearer", "expected one of password, xoauth2"),
    ("mailbox", "oauth2_token_command", ["get-token"], "expected a string"),
    ("mailbox", "oauth2_token_env", "IMAP TOKEN", "expected a variable name"),
    ("mailbox", "folder", "", "must not be empty"),
    ("mailbox", "processed_folder", 12, "expected a string"),
    ("mailbox", "processed_flag", "Mailbot Triaged", "expected an IMAP keyword"),
    ("mailbox", "sent_folder", True, "expected a string"),
    ("mailbox", "path", "", "must not be empty"),
    ("mailbox", "batch_size", 0, "must be >= 1"),
    ("mailbox", "batch_size", True, "expected a whole number"),
    ("mailbox", "max_per_poll", -3, "must be >= 0"),
    ("mailbox", "timeout", 0, "must be > 0"),
    ("mailbox", "timeout", "30s", "expected a number"),
    ("mailbox", "idle", "yes", "expected true or false"),
    ("mailbox", "idle_refresh_seconds", 0, "expected 1 to 1740"),
    ("mailbox", "idle_refresh_seconds", 1800, "expected 1 to 1740"),
    ("smtp", "host", "", "required when [smtp] is configured"),
    ("smtp", "port", 70000, "expected a port from 1 to 65535"),
    ("smtp", "security", "tls-1.3", "expected one of ssl, starttls, none"),
    ("smtp", "username", 4711, "expected a string"),
    ("smtp", "password", 222333444555, "expected a string"),
    ("smtp", "timeout", -5, "must be > 0"),
    ("outbox", "path", "", "must not be empty"),
    ("outbox", "max_attempts", 0, "must be >= 1"),
    ("outbox", "retry_base_seconds", 0, "must be > 0"),
    ("outbox", "max_per_address", 0, "must be >= 1"),
    ("outbox", "window_minutes", 0, "must be >= 1"),
    ("schedule", "interval_seconds", 0, "must be >= 1"),
    ("schedule", "cron", "every minute", "not a crontab expression"),
    ("schedule", "max_backoff_seconds", 0, "must be >= 1"),
    ("sender_auth", "trusted_authserv_ids", "mx.shop.example", "expected a list of strings"),
    ("sender_auth", "trusted_authserv_ids", ["mx one.example"], "item 1: expected names without spaces"),
    ("triage", "max_message_bytes", 0, "must be >= 1"),
    ("triage", "workers", -1, "must be >= 0"),
    ("triage", "answer_since", "last year", "expected an ISO date like 2026-01-31"),
    ("triage", "answer_since", 20260101, "expected an ISO date"),
    ("triage", "answer_since", datetime(2026, 1, 1, 8, 0), "expected an ISO date"),
    ("triage", "rules_path", 1, "expected a string"),
    ("triage", "templates_path", ["templates"], "expected a string"),
    ("web", "secret_key", 222333444555, "expected a string"),
    ("web", "host", "", "must not be empty"),
    ("web", "port", 0, "expected a port from 1 to 65535"),
    ("web", "trusted_proxies", "10.0.0.0/8", "expected a list of IP addresses or networks"),
    ("web", "trusted_proxies", ["10.0.0.0/8", "proxy.internal"], "item 2: expected an IP address or network"),
    ("web", "trusted_proxies", ["10.0.0.1/8"], "item 1: expected an IP address or network"),
    ("accounts", "source", "ldap", "expected one of database, http"),
    ("accounts", "url", "ftp://accounts.shop.example", "expected an http:// or https:// URL"),
    ("accounts", "token", 222333444555, "expected a string"),
    ("accounts", "timeout", 0, "must be > 0"),
    ("accounts", "retries", -1, "must be >= 0"),
    ("accounts", "retry_base_seconds", 0, "must be > 0"),
    ("accounts", "failing_minutes", 0, "must be >= 1"),
    ("conversations", "window_days", -1, "must be >= 0"),
    ("conversations", "subject_tag", "no", "expected true or false"),
    ("billing", "webhook_secret", 222333444555, "expected a string"),
    ("renewals", "language", "fr", "expected one of de, en"),
]


def echoed(value: object, message: str) -> bool:
    """Whether the message repeats the bad value (numbers only count when distinctive)."""
    text = str(value)
    return len(text) >= 3 and text not in ("True", "None") and text in message


@pytest.mark.parametrize(("section", "key", "bad", "expected"), BAD_VALUES, ids=lambda v: str(v)[:30])
def test_a_bad_value_for_every_key_names_the_key_and_not_the_value(section, key, bad, expected):
    table = {"host": "smtp.shop.example"} if section == "smtp" else {}
    message = config_error({section: {**table, key: bad}})
    assert message.startswith(f"{section}.{key}: "), message
    assert expected in message, message
    assert "\n" not in message
    assert not echoed(bad, message), message


def test_every_key_of_every_section_has_a_bad_value_in_the_table():
    from mailbot.config import Settings

    covered = {(section, key) for section, key, _bad, _expected in BAD_VALUES}
    sections = {name for name in Settings.model_fields if name not in ("plans", "source")}
    every = {(name, key) for name in sections for key in section_model(name).model_fields}
    assert every - covered == set()


def section_model(name: str):
    from mailbot.config import Settings

    annotation = Settings.model_fields[name].annotation
    return next(a for a in (annotation, *getattr(annotation, "__args__", ())) if hasattr(a, "model_fields"))


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        ({"team_seats": -1}, "plans.x.team_seats: must be >= 0"),
        ({"team_seats": "2"}, "plans.x.team_seats: expected a whole number"),
        ({"agency": True}, "plans.x.team_seats: required"),
        ({"team_seats": 1, "agency": "yes"}, "plans.x.agency: expected true or false"),
        ({"team_seats": 1, "name": "other"}, "plans.x.name: unknown key"),
        (3, "plans.x: expected a table"),
    ],
)
def test_a_bad_plan_names_the_plan_key(plan, expected):
    assert config_error({"plans": {"x": plan}}).startswith(expected)


def test_accounts_over_http_need_the_url():
    assert config_error({"accounts": {"source": "http"}}).startswith("accounts.url: required")
    settings = settings_from_mapping(
        {"accounts": {"source": "http", "url": "https://vendor.example/api", "token": "t-1", "timeout": 2}}, env={}
    )
    assert (settings.accounts.url, settings.accounts.timeout) == ("https://vendor.example/api", 2.0)


def test_a_top_level_value_that_is_not_a_table_is_named():
    assert config_error({"mailbox": "imap"}) == "mailbox: expected a table [mailbox]"
    assert config_error({"source": "x.toml"}).startswith("source: unknown section")


# --- environment values: decoded by type, errors name the variable -----------------------

BAD_ENVIRONMENT = [
    ("MAILBOT_MAILBOX_BATCH_SIZE", "0", "must be >= 1"),
    ("MAILBOT_MAILBOX_BATCH_SIZE", "many", "expected a whole number"),
    ("MAILBOT_MAILBOX_TIMEOUT", "soon", "expected a number"),
    ("MAILBOT_MAILBOX_IDLE", "maybe", "expected true or false"),
    ("MAILBOT_SMTP_PORT", "99999", "expected a port from 1 to 65535"),
    ("MAILBOT_SUPPORT_OWN_ADDRESSES", "noreply@shop.example, billing-desk", "item 2: expected an email address"),
    ("MAILBOT_WEB_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal", "item 2: expected an IP address"),
    ("MAILBOT_TRIAGE_ANSWER_SINCE", "yesterday", "expected an ISO date"),
    ("MAILBOT_ACCOUNTS_SOURCE", "ldap", "expected one of database, http"),
    ("MAILBOT_CONVERSATIONS_WINDOW_DAYS", "-2", "must be >= 0"),
    ("MAILBOT_RENEWALS_LANGUAGE", "fr", "expected one of de, en"),
    ("MAILBOT_SCHEDULE_CRON", "hourly-ish", "not a crontab expression"),
]


@pytest.mark.parametrize(("variable", "bad", "expected"), BAD_ENVIRONMENT, ids=lambda v: str(v)[:30])
def test_a_bad_environment_value_names_the_variable_and_not_the_value(variable, bad, expected):
    message = config_error({}, {variable: bad})
    assert message.startswith(f"environment variable {variable}: "), message
    assert expected in message
    assert not echoed(bad, message), message


def test_environment_values_of_the_new_keys_are_decoded_by_type():
    env = {
        "MAILBOT_MAILBOX_IDLE": "off",
        "MAILBOT_MAILBOX_IDLE_REFRESH_SECONDS": "120",
        "MAILBOT_MAILBOX_BATCH_SIZE": "25",
        "MAILBOT_CONVERSATIONS_WINDOW_DAYS": "7",
        "MAILBOT_CONVERSATIONS_SUBJECT_TAG": "no",
        "MAILBOT_WEB_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
        "MAILBOT_SENDER_AUTH_TRUSTED_AUTHSERV_IDS": "mx1.shop.example,mx2.shop.example",
        "MAILBOT_TRIAGE_ANSWER_SINCE": "2026-01-31",
        "MAILBOT_ACCOUNTS_SOURCE": "http",
        "MAILBOT_ACCOUNTS_URL": "https://vendor.example/api",
        "MAILBOT_ACCOUNTS_TOKEN": "tok-Secret-5",
        "MAILBOT_BILLING_WEBHOOK_SECRET": "whsec-Secret-6",
        "MAILBOT_RENEWALS_LANGUAGE": "en",
    }
    settings = settings_from_mapping({"conversations": {"window_days": 30}}, env=env)
    assert settings.mailbox.idle is False
    assert settings.mailbox.idle_refresh_seconds == 120.0
    assert settings.mailbox.batch_size == 25
    assert (settings.conversations.window_days, settings.conversations.subject_tag) == (7, False)
    assert settings.web.trusted_proxies == (ip_network("10.0.0.0/8"), ip_network("::1"))
    assert settings.sender_auth.trusted_authserv_ids == ("mx1.shop.example", "mx2.shop.example")
    assert settings.triage.answer_since == date(2026, 1, 31)
    assert settings.accounts.source == "http"
    assert settings.accounts.token.get_secret_value() == "tok-Secret-5"
    assert settings.billing.webhook_secret.get_secret_value() == "whsec-Secret-6"
    assert settings.renewals.language == "en"


def test_the_new_keys_have_the_documented_defaults():
    settings = load_settings(None, env={})
    assert settings.mailbox.idle is True
    assert 0 < settings.mailbox.idle_refresh_seconds < 600  # well before servers drop an IDLE
    assert settings.mailbox.port is None and settings.mailbox.batch_size == 200
    assert settings.accounts.source == "database"
    assert (settings.conversations.window_days, settings.conversations.subject_tag) == (14, True)
    assert settings.renewals.language == "de"
    assert settings.web.trusted_proxies == ()
    assert settings.triage.answer_since is None


def test_answer_since_may_be_a_toml_date(tmp_path):
    path = write(tmp_path, "[triage]\nanswer_since = 2026-01-31\n")
    assert load_settings(path, env={}).triage.answer_since == date(2026, 1, 31)


def test_an_empty_smtp_table_means_the_file_outbox():
    assert settings_from_mapping({"smtp": {}}, env={}).smtp is None


def test_settings_built_directly_ignore_the_process_environment(monkeypatch):
    from mailbot.config import Settings

    monkeypatch.setenv("MAILBOT_DATABASE_URL", "sqlite:///from-env.db")
    assert Settings().database.url == "sqlite:///var/mailbot.db"
    assert load_settings(None).database.url == "sqlite:///from-env.db"


# --- secrets ----------------------------------------------------------------------


def test_passwords_and_secret_key_never_appear_in_repr(tmp_path):
    path = write(
        tmp_path,
        '[mailbox]\npassword = "imap-Secret-1"\n[smtp]\nhost = "smtp.x"\npassword = "smtp-Secret-2"\n'
        '[web]\nsecret_key = "web-Secret-3"\n',
    )
    settings = load_settings(path, env={"MAILBOT_MAILBOX_PASSWORD": "env-Secret-4"})
    assert settings.mailbox.password.get_secret_value() == "env-Secret-4"
    assert settings.smtp is not None and settings.smtp.password.get_secret_value() == "smtp-Secret-2"
    shown = repr(settings) + str(settings) + repr(settings.mailbox) + repr(settings.smtp)
    for secret in ("imap-Secret-1", "smtp-Secret-2", "web-Secret-3", "env-Secret-4"):
        assert secret not in shown
    assert "smtp.x" in shown  # the repr is still useful


SECRET_KEYS = [
    ("mailbox", "password"),
    ("smtp", "password"),
    ("web", "secret_key"),
    ("accounts", "token"),
    ("billing", "webhook_secret"),
]


def test_every_secret_is_hidden_in_repr_str_and_json():
    data = {section: {key: f"{section}-{key}-Secret"} for section, key in SECRET_KEYS}
    data["smtp"]["host"] = "smtp.x"
    settings = settings_from_mapping(data, env={})
    shown = repr(settings) + str(settings) + settings.model_dump_json() + str(settings.model_dump())
    for section, key in SECRET_KEYS:
        value = getattr(getattr(settings, section), key)
        assert value.get_secret_value() == f"{section}-{key}-Secret"
        assert f"{section}-{key}-Secret" not in shown
        assert f"{section}-{key}-Secret" not in repr(getattr(settings, section))


def test_a_config_error_carries_no_validation_error_with_the_input():
    with pytest.raises(ConfigError) as info:
        settings_from_mapping({"mailbox": {"password": 222333444555}}, env={})
    assert str(info.value) == "mailbox.password: expected a string"
    # Nothing a traceback printer or an error reporter could walk to the input.
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_settings_built_directly_hide_a_wrong_type_secret_in_their_error():
    from pydantic import ValidationError

    from mailbot.config import MailboxSettings

    with pytest.raises(ValidationError) as info:
        MailboxSettings(password=222333444555)
    assert "222333444555" not in str(info.value) + repr(info.value)


# --- through the command line ------------------------------------------------------


def assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cli_bad_port_stops_with_one_line_naming_the_key_and_exit_2(tmp_path):
    config = write_config(tmp_path, url=f"sqlite:///{tmp_path / 'm.db'}", extra='[mailbox]\nport = "abc"\n')
    result = run_cli("--config", str(config), "accounts", "show", "a@b.org", cwd=tmp_path)
    assert_one_line_error(result, "mailbox.port", "expected a whole number")
    assert "abc" not in result.stderr


def test_cli_unknown_key_error_stays_on_one_line_however_long(tmp_path):
    config = write_config(tmp_path, url=f"sqlite:///{tmp_path / 'm.db'}", extra='[mailbox]\ncolour = "red"\n')
    result = run_cli("--config", str(config), "accounts", "show", "a@b.org", cwd=tmp_path)
    assert_one_line_error(result, "mailbox.colour: unknown key", "username")


def test_cli_error_text_in_square_brackets_is_printed_verbatim(tmp_path):
    config = write(tmp_path, "[smtp]\nport = 25\n")
    result = run_cli("--config", str(config), "accounts", "show", "a@b.org", cwd=tmp_path)
    assert_one_line_error(result, "smtp.host: required when [smtp] is configured")


def test_cli_bad_environment_value_names_the_variable(tmp_path):
    config = write_config(tmp_path, url=f"sqlite:///{tmp_path / 'm.db'}")
    result = run_cli(
        "accounts",
        "show",
        "a@b.org",
        cwd=tmp_path,
        env={"MAILBOT_CONFIG": str(config), "MAILBOT_MAILBOX_SECURITY": "tls"},
    )
    assert_one_line_error(result, "MAILBOT_MAILBOX_SECURITY", "ssl, starttls, none")
    assert "'tls'" not in result.stderr


def test_cli_negative_team_seats_names_the_plan(tmp_path):
    config = write(tmp_path, "[plans.x]\nteam_seats = -1\n")
    result = run_cli("--config", str(config), "accounts", "show", "a@b.org", cwd=tmp_path)
    assert_one_line_error(result, "plans.x.team_seats")


def test_cli_missing_config_file_is_named(tmp_path):
    result = run_cli("--config", str(tmp_path / "nope.toml"), "accounts", "show", "a@b.org", cwd=tmp_path)
    assert_one_line_error(result, "nope.toml", "does not exist")


def test_cli_invalid_toml_is_named(tmp_path):
    config = write(tmp_path, "[database\n")
    result = run_cli("--config", str(config), "accounts", "show", "a@b.org", cwd=tmp_path)
    assert_one_line_error(result, str(config), "not valid TOML")


def test_cli_error_never_shows_the_password(tmp_path):
    config = write(tmp_path, '[mailbox]\npassword = "hunter2-Secret"\nsecurity = "tls"\n')
    result = run_cli("--config", str(config), "accounts", "show", "a@b.org", cwd=tmp_path)
    assert_one_line_error(result, "mailbox.security")
    assert "hunter2-Secret" not in result.stderr + result.stdout


def test_the_example_config_is_valid() -> None:
    from pathlib import Path

    from mailbot.config import load_settings

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    settings = load_settings(example, env={})
    assert settings.mailbox.kind == "imap" and settings.plans["agency"].agency


def test_an_unreachable_database_is_one_line_for_every_command(tmp_path) -> None:
    from mailbot_cli import run_mailbot

    env = {"MAILBOT_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    for args in (("drafts", "list"), ("accounts", "show", "a@b.example"), ("status",)):
        result = run_mailbot(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2, args
        assert result.stderr.startswith("error: database:") and "Traceback" not in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_cli_batch_size_zero_stops_with_one_line_naming_the_key(tmp_path):
    config = write_config(tmp_path, url=f"sqlite:///{tmp_path / 'm.db'}", extra="[mailbox]\nbatch_size = 0\n")
    result = run_cli("--config", str(config), "poll", cwd=tmp_path)
    assert_one_line_error(result, "mailbox.batch_size: must be >= 1")


WRONG_TYPE_SECRETS = [
    ("222333444555", "222333444555"),
    ('["hunter2-List-Secret"]', "hunter2-List-Secret"),
    ('{ value = "hunter2-Table-Secret" }', "hunter2-Table-Secret"),
    ("2223334.44555", "2223334.44555"),
]


@pytest.mark.parametrize(("section", "key"), SECRET_KEYS)
def test_a_wrong_type_secret_appears_nowhere_in_the_output_of_mailbot(tmp_path, section, key):
    from mailbot_cli import run_mailbot

    host = 'host = "smtp.x"\n' if section == "smtp" else ""
    for written, secret in WRONG_TYPE_SECRETS:
        config = write(tmp_path, f"[{section}]\n{host}{key} = {written}\n")
        result = run_mailbot("--config", config, "accounts", "show", "a@b.example", cwd=tmp_path)
        assert_one_line_error(result, f"{section}.{key}: expected a string")
        assert secret not in result.stdout + result.stderr


def test_a_secret_in_the_environment_never_reaches_the_output_when_another_key_is_bad(tmp_path):
    from mailbot_cli import run_mailbot

    env = {"MAILBOT_MAILBOX_PASSWORD": "env-Secret-7", "MAILBOT_MAILBOX_KIND": "imap", "MAILBOT_MAILBOX_PORT": "x"}
    result = run_mailbot("accounts", "show", "a@b.example", cwd=tmp_path, env=env)
    assert_one_line_error(result, "MAILBOT_MAILBOX_PORT")
    assert "env-Secret-7" not in result.stdout + result.stderr
