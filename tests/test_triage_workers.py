"""`mailbot triage` on every core: a large dry run in worker processes prints what one process prints.

The folder is built from the conversation corpus (threads, repeats, follow-ups),
one copy per round with its own Message-IDs (and the replies' In-Reply-To and
References to match) and its own dates, and every seventh copy without a Date,
so that mails keep their place only by file order. A dangling link in the middle
is a file that cannot be read. Each run is the real command line in a subprocess.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from mailbot_cli import REPO, json_lines, run_mailbot
from test_progress import BAR, run_on_terminals

from mailbot.config import Settings, settings_from_mapping
from mailbot.triage_pool import CHUNK_MAILS, PARALLEL_MIN_MAILS, worker_count, workers_for

CONVERSATIONS = REPO / "tests" / "data" / "conversations"
SOURCES = sorted((CONVERSATIONS / "mails").glob("*.eml"))
#: Enough for the workers, and more chunks than two per worker in flight.
MAILS = max(PARALLEL_MIN_MAILS, 6 * CHUNK_MAILS) + len(SOURCES)
ROUNDS = -(-MAILS // len(SOURCES))
_IDS = re.compile(rb"(?im)^(Message-ID|In-Reply-To|References):[^\r\n]*")
_DATE = re.compile(rb"(?im)^Date:[ \t]*([^\r\n]*)\r?\n")


def _copy(raw: bytes, *, round_: int, undated: bool) -> bytes:
    """``raw`` as round ``round_`` has it: its own ids, dated ``round_`` times 120 days earlier."""
    raw = _IDS.sub(lambda m: re.sub(rb"<", b"<r%d." % round_, m.group(0)), raw)
    found = _DATE.search(raw)
    assert found is not None
    if undated:
        return raw[: found.start()] + raw[found.end() :]
    when = parsedate_to_datetime(found.group(1).decode()) - timedelta(days=120 * round_)
    return raw[: found.start(1)] + format_datetime(when).encode() + raw[found.end(1) :]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dry-run") / "mails"
    originals = [path.read_bytes() for path in SOURCES]
    for round_ in range(ROUNDS):
        sub = root / f"r{round_:02}"
        sub.mkdir(parents=True)
        for index, (path, raw) in enumerate(zip(SOURCES, originals, strict=True)):
            undated = (round_ * len(SOURCES) + index) % 7 == 3
            (sub / path.name).write_bytes(_copy(raw, round_=round_, undated=undated))
    (root / f"r{ROUNDS // 2:02}" / "b0-gone.eml").symlink_to(root / "no-such-file")
    return root


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    here = tmp_path_factory.mktemp("dry-run-db")
    env = {"MAILBOT_CONFIG": str(CONVERSATIONS / "config.toml"), "MAILBOT_DATABASE_URL": f"sqlite:///{here}/t.db"}
    imported = run_mailbot("accounts", "import", CONVERSATIONS / "accounts.csv", cwd=here, env=env)
    assert imported.returncode == 0, imported.stderr
    return env


def _triage(folder: Path, env: dict[str, str], *options: str, workers: int) -> subprocess.CompletedProcess[str]:
    return run_mailbot(
        "triage", *options, folder, cwd=folder.parent, env={**env, "MAILBOT_TRIAGE_WORKERS": str(workers)}
    )


@pytest.mark.parametrize("options", [("--json",), ("--summary", "--json"), ("--summary",), ()])
def test_two_workers_print_exactly_what_one_process_prints(
    folder: Path, env: dict[str, str], options: tuple[str, ...]
) -> None:
    alone = _triage(folder, env, *options, workers=1)
    pooled = _triage(folder, env, *options, workers=2)
    # the unreadable file: exit 1, but a summary counts it as one of its errors
    assert alone.returncode == pooled.returncode == (0 if "--summary" in options else 1)
    # as lists of lines: a failure then names the first line that differs (a diff of
    # the whole text would take pytest minutes)
    assert pooled.stdout.splitlines() == alone.stdout.splitlines()
    assert pooled.stderr.splitlines() == alone.stderr.splitlines()
    assert pooled.stdout.endswith("\n") and alone.stdout.endswith("\n")


def test_the_large_run_triages_every_file_and_reports_the_unreadable_one(folder: Path, env: dict[str, str]) -> None:
    result = _triage(folder, env, "--json", workers=2)
    rows = json_lines(result.stdout)
    assert len(rows) == ROUNDS * len(SOURCES) + 1
    files = [row["file"] for row in rows]
    assert len(set(files)) == len(files)
    assert files[-1] == f"r{ROUNDS // 2:02}/b0-gone.eml" and "cannot read" in rows[-1]["error"]
    assert result.stderr.splitlines() == [f"error: {rows[-1]['error']}"]
    # each file's line is that file's mail, not another's: its Message-ID carries its round
    assert all(row["message_id"].startswith(f"<r{int(row['file'][1:3])}.") for row in rows[:-1])
    assert any(row["supersedes"] for row in rows[:-1])  # the conversation step ran over the results


def test_the_progress_bar_advances_to_the_end_with_workers(folder: Path, env: dict[str, str]) -> None:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    run_env.update(env, PYTHONPATH=str(REPO), TERM="xterm-256color", MAILBOT_TRIAGE_WORKERS="2")
    only_readable = [path for path in sorted(folder.iterdir()) if path.name != f"r{ROUNDS // 2:02}"]
    total = len(only_readable) * len(SOURCES)
    out, err = run_on_terminals("triage", *only_readable, cwd=folder.parent, env=run_env)
    assert total >= PARALLEL_MIN_MAILS
    assert BAR in err and f"{total}/{total}".encode() in err
    assert b"intent" in out and b"sender" in out  # the table, as always


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def test_a_worker_killed_mid_run_is_one_line_and_no_results(folder: Path, env: dict[str, str]) -> None:
    """As the OOM killer would: SIGKILL to a worker while the run cannot have finished.

    The command is stopped (SIGSTOP) the moment its workers exist, so it has sent
    at most two chunks per worker of more than that many; one worker is killed and
    the command resumes: some chunk can no longer come back.
    """
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    run_env.update(env, PYTHONPATH=str(REPO), MAILBOT_TRIAGE_WORKERS="2")
    process = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "triage", "--json", str(folder)],
        cwd=folder.parent,
        env=run_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(workers) == 2, "the run started no worker processes"
        os.kill(process.pid, signal.SIGSTOP)
        os.kill(workers[0], signal.SIGKILL)
        os.kill(process.pid, signal.SIGCONT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 2
    assert out == ""
    *before, last = err.splitlines()
    assert last == "error: a triage worker process died (out of memory?); the dry run stopped before its results"
    assert all("b0-gone.eml: No such file" in line for line in before)  # if it got that far
    assert not Path(f"/proc/{workers[1]}").exists()  # the other worker was stopped, not left behind


def _settings(**triage: object) -> Settings:
    return settings_from_mapping({"triage": triage}, env={})


def test_workers_setting_zero_means_one_per_core_and_small_runs_stay_in_process() -> None:
    cores = len(os.sched_getaffinity(0))
    assert worker_count(_settings(workers=0)) == cores
    assert worker_count(_settings(workers=3)) == 3
    assert workers_for(_settings(workers=3), PARALLEL_MIN_MAILS) == 3
    assert workers_for(_settings(workers=3), PARALLEL_MIN_MAILS - 1) == 1
    assert workers_for(_settings(workers=1), 10 * PARALLEL_MIN_MAILS) == 1


def test_the_account_api_keeps_triage_in_one_process() -> None:
    settings = settings_from_mapping(
        {"triage": {"workers": 4}, "accounts": {"source": "http", "url": "http://127.0.0.1:9/", "token": "t"}},
        env={},
    )
    assert workers_for(settings, 10 * PARALLEL_MIN_MAILS) == 1
