"""Settings: TOML file, MAILBOT_<SECTION>_<KEY> overrides, and errors that name the key."""

from __future__ import annotations

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
