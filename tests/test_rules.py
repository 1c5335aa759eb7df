"""Operators edit rules/*.toml: a new phrase works without code, a broken one is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailbot.errors import ConfigError
from mailbot.resources import bundled_dir
from mailbot.triage.classify import classify_intent
from mailbot.triage.rules import load_rules


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(bundled_dir("rules"), folder)
    return folder


def test_a_phrase_added_to_the_toml_changes_the_intent(rules_copy: Path) -> None:
    text = "Please onboard my assistant sam@firma.example into our workspace."
    assert classify_intent(own_text=text, subject="", rules=load_rules(str(rules_copy)))[0] == "other"
    intents = rules_copy / "intents.toml"
    intents.write_text(
        intents.read_text(encoding="utf-8").replace("en = [\n  '\\blink", "en = [\n  'onboard\\w*',\n  '\\blink", 1),
        encoding="utf-8",
    )
    load_rules.cache_clear()
    assert classify_intent(own_text=text, subject="", rules=load_rules(str(rules_copy)))[0] == "link"


def test_an_invalid_pattern_is_named(rules_copy: Path) -> None:
    roles = rules_copy / "roles.toml"
    roles.write_text(roles.read_text(encoding="utf-8").replace("'owner'", "'owner('"), encoding="utf-8")
    load_rules.cache_clear()
    with pytest.raises(ConfigError, match=r"roles.toml: \[primary\] phrase 'owner\(' is not a valid pattern"):
        load_rules(str(rules_copy))


def test_an_upper_case_phrase_is_refused(rules_copy: Path) -> None:
    intents = rules_copy / "intents.toml"
    intents.write_text(intents.read_text(encoding="utf-8").replace("'reaktivier", "'Reaktivier", 1), encoding="utf-8")
    load_rules.cache_clear()
    with pytest.raises(ConfigError, match="must be lower case"):
        load_rules(str(rules_copy))


def test_a_missing_rules_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(str(tmp_path / "nowhere"))
