"""The systemd units in examples/: valid for systemd, and hardened as docs/operations.md says.

Two checks, each saying what it covers:

* ``test_units_have_the_keys_we_promise`` always runs: it parses the files itself
  and checks every key against the directives we mean to use (so a typo fails
  even where systemd is absent) and the promised settings (user, state directory,
  restart policy, hardening).
* ``test_systemd_analyze_verify_accepts_the_units`` runs ``systemd-analyze verify``,
  which loads the units as systemd would. ``./scripts/test`` installs systemd when
  it is missing; a bare ``pytest`` on a machine without it reports this test as
  skipped, with the reason, so the gap is visible.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
UNITS = ("mailbot-run.service", "mailbot-poll.service", "mailbot-poll.timer")
INSTALLED_MAILBOT = "/opt/mailbot/bin/mailbot"  # docs/operations.md's virtualenv

HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "RestrictSUIDSGID": "yes",
    "UMask": "0077",
}
KNOWN = {
    "Unit": {"Description", "After", "Wants"},
    "Service": {
        "Type",
        "User",
        "Group",
        "Environment",
        "EnvironmentFile",
        "ExecStart",
        "StateDirectory",
        "WorkingDirectory",
        "Restart",
        "RestartSec",
        "TimeoutStopSec",
        "AmbientCapabilities",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "ProtectClock",
        "ProtectHostname",
        "ProtectProc",
        "RestrictAddressFamilies",
        "RestrictNamespaces",
        "RestrictRealtime",
        "LockPersonality",
        "SystemCallArchitectures",
        "SystemCallFilter",
        *HARDENING,
    },
    "Timer": {"OnBootSec", "OnUnitInactiveSec", "AccuracySec"},
    "Install": {"WantedBy"},
}


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Section -> key -> every value in order (systemd allows a key more than once)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert current is not None and equals, f"{path.name}:{number}: not a key=value line in a section: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.mark.parametrize("name", UNITS)
def test_units_have_the_keys_we_promise(name: str) -> None:
    unit = parse_unit(EXAMPLES / name)

    for section, keys in unit.items():
        assert section in KNOWN, f"{name}: unknown section [{section}]"
        unknown = set(keys) - KNOWN[section]
        assert not unknown, f"{name} [{section}]: unexpected keys {sorted(unknown)}"
    assert unit["Unit"]["Description"][0].startswith("mailbot")
    if name.endswith(".timer"):
        assert unit["Timer"]["OnUnitInactiveSec"] == ["2min"]  # the cron line's */2
        assert unit["Install"]["WantedBy"] == ["timers.target"]
        return
    service = unit["Service"]
    assert service["User"] == ["mailbot"] and service["Group"] == ["mailbot"]
    assert service["WorkingDirectory"] == ["/var/lib/mailbot"] and service["StateDirectory"] == ["mailbot"]
    assert service["Environment"] == ["MAILBOT_CONFIG=/etc/mailbot/config.toml"]
    assert service["EnvironmentFile"] == ["-/etc/mailbot/secrets.env"]  # secrets stay out of the unit
    for key, value in HARDENING.items():
        assert service.get(key) == [value], f"{name}: {key} should be {value!r}, is {service.get(key)}"
    if name == "mailbot-run.service":
        assert service["ExecStart"] == [f"{INSTALLED_MAILBOT} run"]
        assert service["Restart"] == ["on-failure"]
        assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    else:  # poll, then send only if the poll worked: a oneshot stops at the first failing line
        assert service["Type"] == ["oneshot"]
        assert service["ExecStart"] == [f"{INSTALLED_MAILBOT} poll", f"{INSTALLED_MAILBOT} send"]


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    # ./scripts/test installs systemd when it is missing: a machine without it fails here, never skips.
    assert analyze is not None, "systemd-analyze is not installed (Debian package systemd; ./scripts/test installs it)"
    # verify insists that ExecStart's program exists. Point it at a real mailbot
    # launcher here; everything else is checked exactly as shipped.
    launcher = tmp_path / "mailbot"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} -m mailbot "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    for name in UNITS:
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_MAILBOT, str(launcher)), encoding="utf-8")

    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    # verify exits 0 on mere warnings (an unknown key is "ignored"): any line about our units fails too.
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "mailbot-" in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr
