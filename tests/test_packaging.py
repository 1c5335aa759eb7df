"""A real, non-editable install from the wheel works on its own, from any directory.

The wheel goes into a fresh virtualenv that sees nothing of this interpreter's
packages (no system site-packages, whether the suite runs on the system Python or
inside a venv), and pip installs its declared dependencies there. So a dependency
missing from pyproject.toml, or a rule or template left out of the wheel, fails
here. The dependencies are pinned to the versions this interpreter has, which the
rest of the suite tested and pip's cache holds, so the install is quick and
repeatable.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest

from mailbot.db.migrations import HEAD

REPO = Path(__file__).resolve().parent.parent


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _installed_versions() -> str:
    """This interpreter's distributions as pip constraints (not mailbot itself: the wheel is the point)."""
    pins: dict[str, str] = {}
    for dist in metadata.distributions():  # sys.path order: the first one is what imports see
        name = (dist.metadata["Name"] or "").lower()
        if name and name != "mailbot":
            pins.setdefault(name, dist.version)
    return "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of an isolated virtualenv with mailbot installed from its wheel."""
    base = tmp_path_factory.mktemp("pkg")
    _pip("wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(REPO))
    (wheel,) = (base / "dist").glob("mailbot-*.whl")
    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(base / "venv")
    constraints = base / "constraints.txt"
    constraints.write_text(_installed_versions(), encoding="utf-8")
    python = base / "venv" / "bin" / "python"
    # This interpreter's pip installs into the new venv (--python): no ensurepip step;
    # no byte-compiling either, which would double the time for a throwaway venv.
    _pip(
        "--python", str(python), "install", "-q", "--no-compile", "--prefer-binary", "-c", str(constraints), str(wheel)
    )
    return base / "venv" / "bin"


def test_venv_is_isolated_and_mailbot_comes_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import importlib.util, json, mailbot; "
        "print(json.dumps({'file': mailbot.__file__, "
        "'pytest': importlib.util.find_spec('pytest') is not None}))"
    )
    result = subprocess.run(
        [str(installed / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    # Installed into the venv's site-packages, not a link back to the source tree.
    assert Path(found["file"]).is_relative_to(installed.parent), found
    assert not Path(found["file"]).is_relative_to(REPO), found
    # The test tools are here (this interpreter has them); the venv must not see them.
    assert found["pytest"] is False


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
