"""The progress bar: on stderr when a person watches a terminal, never in pipes or JSON.

The commands run in a subprocess whose stdout and stderr are two separate
pseudo-terminals, so each stream is seen on its own, as a terminal shows it.
"""

from __future__ import annotations

import fcntl
import json
import mailbox
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from mailbot_cli import REPO, run_mailbot
from poll_support import cli_config
from servers.mails import simple_mail

from mailbot.cli.progress import MIN_ITEMS
from mailbot.mail.files import count_mail_files

EML_FILES = 8
MBOX_MESSAGES = 7
TOTAL = EML_FILES + MBOX_MESSAGES
BAR = "━".encode()  # Rich's bar glyph (the table's border uses it too: only look for it on stderr)
LIVE = b"\x1b[?25l"  # a live display hides the cursor while it draws


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["MAILBOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'mailbot.db'}"
    env["TERM"] = "xterm-256color"  # CI may run without one; a person's terminal has one
    return env


def _terminal() -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    return master, slave


def run_on_terminals(*args: str | Path, cwd: Path, env: dict[str, str], stdout_tty: bool = True) -> tuple[bytes, bytes]:
    """Run ``mailbot ARGS`` with stderr (and stdout, unless ``stdout_tty`` is false: a pipe) on a pty."""
    err_master, err_slave = _terminal()
    if stdout_tty:
        out_master, out_slave = _terminal()
    else:
        out_master, out_slave = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailbot", *map(str, args)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out_slave,
        stderr=err_slave,
    )
    os.close(out_slave)
    os.close(err_slave)
    seen: dict[int, list[bytes]] = {out_master: [], err_master: []}
    reading = set(seen)
    deadline = time.monotonic() + 120
    try:
        while reading:
            ready, _, _ = select.select(list(reading), [], [], max(0.0, deadline - time.monotonic()))
            assert ready, "mailbot did not finish within 120 s"
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the child closed its end of the terminal
                    data = b""
                if data:
                    seen[fd].append(data)
                else:
                    reading.discard(fd)
        assert proc.wait(timeout=30) == 0, b"".join(seen[err_master]).decode(errors="replace")
    finally:
        proc.kill()
        for fd in seen:
            os.close(fd)
    # A terminal turns "\n" into "\r\n"; undo it to compare with piped output.
    return b"".join(seen[out_master]).replace(b"\r\n", b"\n"), b"".join(seen[err_master])


def _mails(folder: Path) -> Path:
    """Some .eml files and an mbox: the total counts both."""
    folder.mkdir()
    for n in range(EML_FILES):
        (folder / f"request-{n:02}.eml").write_bytes(simple_mail(n))
    box = mailbox.mbox(folder / "archive.mbox")
    for n in range(MBOX_MESSAGES):
        box.add(simple_mail(100 + n).replace(b"\r\n", b"\n"))
    box.close()
    return folder


def test_the_total_counts_files_and_mbox_messages(tmp_path: Path) -> None:
    folder = _mails(tmp_path / "in")
    assert count_mail_files([folder, tmp_path / "missing.eml"]) == TOTAL + 1
    assert TOTAL >= MIN_ITEMS  # enough for the terminal tests below to get a bar


def test_triage_on_a_terminal_draws_a_bar_on_stderr(tmp_path: Path) -> None:
    folder = _mails(tmp_path / "in")

    out, err = run_on_terminals("triage", folder, cwd=tmp_path, env=_env(tmp_path))

    assert b"triage" in err and BAR in err and LIVE in err
    assert f"{TOTAL}/{TOTAL}".encode() in err  # the count reached the end
    assert LIVE not in out and f"{TOTAL}/{TOTAL}".encode() not in out
    assert b"archive.mbox#7" in out and b"request-07.eml" in out  # the table, as always


def test_triage_json_on_a_terminal_is_the_same_json_and_no_progress(tmp_path: Path) -> None:
    folder = _mails(tmp_path / "in")
    piped = run_mailbot("triage", "--json", folder, cwd=tmp_path, env=_env(tmp_path))
    assert piped.returncode == 0, piped.stderr

    out, err = run_on_terminals("triage", "--json", folder, cwd=tmp_path, env=_env(tmp_path))

    assert out.decode() == piped.stdout
    assert len(piped.stdout.splitlines()) == TOTAL
    assert err == b""  # not a bar, not a cursor move, nothing


def test_triage_summary_on_a_terminal_draws_the_bar_and_then_the_report(tmp_path: Path) -> None:
    folder = _mails(tmp_path / "in")

    out, err = run_on_terminals("triage", "--summary", folder, cwd=tmp_path, env=_env(tmp_path))
    as_json, json_err = run_on_terminals("triage", "--summary", "--json", folder, cwd=tmp_path, env=_env(tmp_path))

    assert LIVE in err and f"{TOTAL}/{TOTAL}".encode() in err
    assert out.startswith(f"{TOTAL} mails, ".encode()) and LIVE not in out
    assert json_err == b"" and json.loads(as_json)["mails"] == TOTAL


def test_no_bar_when_stdout_is_not_a_terminal(tmp_path: Path) -> None:
    folder = _mails(tmp_path / "in")

    out, err = run_on_terminals("triage", folder, cwd=tmp_path, env=_env(tmp_path), stdout_tty=False)
    piped = run_mailbot("triage", folder, cwd=tmp_path, env=_env(tmp_path))

    assert err == b"" and piped.stderr == ""  # `mailbot triage … > file`, and a plain pipe
    assert b"archive.mbox#7" in out and "archive.mbox#7" in piped.stdout


def test_poll_of_a_backlog_on_a_terminal_draws_a_bar_and_prints_its_line(tmp_path: Path) -> None:
    backlog = 2 * MIN_ITEMS
    box = mailbox.Maildir(tmp_path / "md")
    for n in range(backlog):
        box.add(simple_mail(n))
    config = cli_config(
        tmp_path / "mailbot.toml",
        f"sqlite:///{tmp_path / 'mailbot.db'}",
        {"kind": "maildir", "path": str(tmp_path / "md"), "batch_size": 5},
    )

    out, err = run_on_terminals("--config", config, "poll", cwd=tmp_path, env=_env(tmp_path))

    assert b"poll" in err and BAR in err and LIVE in err and f"{backlog}/{backlog}".encode() in err
    assert out.startswith(f"fetched {backlog},".encode()) and out.count(b"\n") == 1  # still one line for cron
