"""Labelled mails through the real CLI: `accounts import` then `triage --json`.

Two corpora: the shared sample corpus (when ../shared/corpus is beside the
checkout) and our own mails in tests/data, which cover every rule and client
format the shared one does not.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from mailbot_cli import REPO, SHARED_CORPUS, json_lines, run_mailbot

from mailbot.vocabulary import Table, table_outcomes

OWN_DATA = REPO / "tests" / "data"
REAL_MAIL = OWN_DATA / "realmail"  # issue 12: real client layouts, hard negatives, machine mail, files


def _expected(folder: Path) -> dict[str, dict]:
    lines = (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["file"]: row for row in map(json.loads, filter(None, lines))}


def _triples(requests: list[dict]) -> Counter:
    return Counter((r["primary"], r["team_member"], r["outcome"]) for r in requests)


def _run_corpus(folder: Path, mails: Path, tmp_path: Path) -> tuple[dict, dict]:
    config = tmp_path / "config.toml"
    text = (folder / "config.toml").read_text(encoding="utf-8")
    config.write_text(text, encoding="utf-8")
    env = {"MAILBOT_CONFIG": str(config), "MAILBOT_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    imported = run_mailbot("accounts", "import", folder / "accounts.csv", cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    result = run_mailbot("triage", "--json", mails, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    actual = {row["file"]: row for row in json_lines(result.stdout)}
    return _expected(folder), actual


def _mismatches(expected: dict, actual: dict) -> list[str]:
    problems = []
    for name, want in expected.items():
        got = actual.get(name)
        if got is None:
            problems.append(f"{name}: no output line")
            continue
        if got["intent"] != want["intent"] or _triples(got["requests"]) != _triples(want["requests"]):
            problems.append(
                f"{name}: got {got['intent']} {sorted(_triples(got['requests']))}, "
                f"want {want['intent']} {sorted(_triples(want['requests']))} ({want.get('why', '')})"
            )
    return problems


@pytest.fixture(scope="module")
def own_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("own")
    return _run_corpus(OWN_DATA, OWN_DATA / "mails", tmp)


def test_shared_corpus_gives_expected_intents_pairs_and_outcomes(tmp_path: Path) -> None:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not beside this checkout ({SHARED_CORPUS})")
    mails = tmp_path / "msgs"
    shutil.copytree(SHARED_CORPUS / "msgs", mails)  # read-only source; triage never writes anyway
    expected, actual = _run_corpus(SHARED_CORPUS, mails, tmp_path)
    assert len(expected) == 30
    assert _mismatches(expected, actual) == []


def test_own_corpus_gives_expected_intents_pairs_and_outcomes(own_results: tuple[dict, dict]) -> None:
    expected, actual = own_results
    assert len(expected) >= 40
    assert _mismatches(expected, actual) == []


def test_own_corpus_drafts_exactly_the_person_requests(own_results: tuple[dict, dict]) -> None:
    _expected_rows, actual = own_results
    for name, row in actual.items():
        if row["intent"] in ("link", "reactivate"):
            assert row["draft"] is not None, name
            assert row["draft"]["subject"].startswith("Re: "), name
            assert not row["draft"]["subject"].lower().startswith(("re: re:", "re: aw:")), name
            assert "{{" not in row["draft"]["body"], name
        else:
            assert row["draft"] is None and row["requests"] == [], name


def test_own_corpus_covers_every_outcome_of_both_tables(own_results: tuple[dict, dict]) -> None:
    expected, _actual = own_results
    seen = {(row["intent"], r["outcome"]) for row in expected.values() for r in row["requests"]}
    link = table_outcomes(Table.LINK)
    reactivate = table_outcomes(Table.REACTIVATE)
    assert {("link", o) for o in link} <= seen
    assert {("reactivate", o) for o in reactivate} <= seen


@pytest.fixture(scope="module")
def real_mail_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("realmail")
    return _run_corpus(REAL_MAIL, REAL_MAIL / "mails", tmp)


def test_real_client_layouts_give_expected_intents_pairs_and_outcomes(real_mail_results: tuple[dict, dict]) -> None:
    expected, actual = real_mail_results
    assert len(expected) >= 50
    assert _mismatches(expected, actual) == []


def test_real_mail_negatives_and_machine_mail_get_no_draft_and_no_action(real_mail_results: tuple[dict, dict]) -> None:
    expected, actual = real_mail_results
    negatives = [name for name, row in expected.items() if row["intent"] in ("other", "auto")]
    assert len(negatives) >= 20
    for name in negatives:
        assert actual[name]["draft"] is None and actual[name]["requests"] == [], name


def test_real_mail_files_in_sub_folders_are_named_by_their_path(real_mail_results: tuple[dict, dict]) -> None:
    _expected_rows, actual = real_mail_results
    assert {"de/same-name.eml", "en/same-name.eml"} <= set(actual)
    assert actual["de/same-name.eml"]["sender"] != actual["en/same-name.eml"]["sender"]


def test_real_mail_files_are_current() -> None:
    """tests/data/realmail is written by its make_realmail.py: the two must agree."""
    import subprocess
    import sys

    script = REAL_MAIL / "make_realmail.py"
    result = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
