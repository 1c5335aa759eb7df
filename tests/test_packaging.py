"""A real, non-editable install finds its rules, templates and examples from any directory."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from mailbot.db.migrations import HEAD

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv (sharing this interpreter's dependencies) with mailbot installed from a wheel."""
    base = tmp_path_factory.mktemp("pkg")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = (base / "dist").glob("mailbot-*.whl")
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(base / "venv")
    python = base / "venv" / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--ignore-installed",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return base / "venv" / "bin"


def test_wheel_contains_rules_templates_and_examples(installed: Path) -> None:
    wheel = next((installed.parent.parent / "dist").glob("mailbot-*.whl"))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "mailbot/rules/intents.toml" in names
    assert "mailbot/templates/de/reply.txt.j2" in names
    assert "mailbot/templates/en/outcomes/ready_to_link.txt.j2" in names
    assert any(n.startswith("mailbot/examples/mails/") for n in names)
    # The migrations run from the package: no alembic.ini, no checkout.
    assert {"mailbot/db/migrations/env.py", "mailbot/db/migrations/versions/0001_baseline_0_1_0.py"} <= set(names)


def test_installed_triage_drafts_from_another_directory(installed: Path, tmp_path: Path) -> None:
    mail = tmp_path / "in.eml"
    mail.write_bytes(
        b"From: Boss <boss@firma.example>\nTo: support@example.com\nSubject: Team member\n"
        b"Message-ID: <pkg-1@firma.example>\n\nPlease link my assistant va@firma.example to my account.\n"
    )
    env = {"PATH": f"{installed}:/usr/bin:/bin", "MAILBOT_DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    result = subprocess.run(
        [str(installed / "mailbot"), "triage", "--json", str(mail)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["intent"] == "link"
    assert row["requests"][0]["outcome"] == "primary_not_found"
    assert row["draft"]["subject"] == "Re: Team member"
    assert "va@firma.example" in row["draft"]["body"] or "boss@firma.example" in row["draft"]["body"]


def test_installed_demo_runs_from_an_empty_directory(installed: Path, tmp_path: Path) -> None:
    env = {"PATH": f"{installed}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(installed / "mailbot"), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "var" / "demo" / "mailbot.db") as demo_db:  # made by the wheel's migrations
        assert demo_db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
