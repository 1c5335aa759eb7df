"""Run the real ``mailbot`` command line in a subprocess, as an operator would.

``python -m mailbot`` with the checkout on PYTHONPATH runs the code under test
from any working directory, whether or not the package is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


def run_mailbot(
    *args: str | Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    timeout: float = 120,
    code: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """``code``: the source tree to run (another release's, for the upgrade tests)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    full_env["PYTHONPATH"] = str(code) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *map(str, args)],
        cwd=cwd,
        env=full_env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
