"""The command line against hostile mail and bad input (issue 13 items 9, 10, 12).

Terminal cases run the real ``python -m mailbot`` on a pseudo-terminal and look at
the raw bytes it wrote: Rich styles its own output with escape sequences there,
so the test checks that none of the *mail's* sequences got through, and that
they are shown as visible escapes instead.

Permission cases need permission bits to bite; the suite runs as root, so those
commands run with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped (setpriv).
"""

from __future__ import annotations

import base64
import mailbox
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from mailbot_cli import REPO, json_lines, run_mailbot

# What the mail tries to do to the agent's terminal.
TITLE = "\x1b]0;pwned\x07"  # set the window title
CLEAR = "\x1b[2J\x1b[H"  # clear the screen
LINK = "\x1b]8;;http://evil.example/\x1b\\click here\x1b]8;;\x1b\\"  # OSC 8 hyperlink
C1_CSI = "\x9b31m"  # C1 control: CSI on some terminals
MARKUP = "[link=http://evil.example/][bold red]urgent[/][/link]"
RAW_SEQUENCES = [s.encode() for s in (TITLE, "\x1b[2J", "\x1b]8;;http://evil", "\x9b")]


def _encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def hostile_mail() -> bytes:
    subject = f"Team {TITLE}{CLEAR}{C1_CSI}{MARKUP}"
    body = f"Please link my VA va@firma.example to my account.\n{LINK} {C1_CSI}red {MARKUP}\n"
    return (
        "Authentication-Results: mx.vendor.example; dmarc=pass header.from=firma.example\n"
        f'From: "{_encoded_word("Boss " + TITLE)}" <boss@firma.example>\n'
        "Reply-To: office@firma.example\n"
        f"To: support@vendor.example\nSubject: {_encoded_word(subject)}\n"
        "Message-ID: <hostile-1@firma.example>\nDate: Mon, 15 Jun 2026 09:00:00 +0200\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    ).encode() + body.encode()


def _config(tmp_path: Path) -> Path:
    maildir = tmp_path / "Maildir"
    mailbox.Maildir(maildir, create=True)
    config = tmp_path / "mailbot.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "mailbot.db"}"\n'
        '[support]\naddress = "support@vendor.example"\n'
        f'[mailbox]\nkind = "maildir"\npath = "{maildir}"\n'
        "[plans.pro]\nteam_seats = 2\n"
    )
    return config


def _polled(tmp_path: Path, *raws: bytes) -> Path:
    config = _config(tmp_path)
    box = mailbox.Maildir(tmp_path / "Maildir")
    for raw in raws:
        box.add(raw)
    polled = run_mailbot("--config", config, "poll", cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    return config


def on_terminal(*args: str | Path, cwd: Path, timeout: float = 60) -> tuple[int, bytes]:
    """Run ``python -m mailbot ARGS`` with stdout and stderr on a pty; (exit code, raw bytes)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(PYTHONPATH=str(REPO), TERM="xterm-256color", COLUMNS="160", LINES="50")
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "mailbot", *map(str, args)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return process.wait(timeout=timeout), bytes(output)


def assert_no_raw_sequences(output: bytes) -> None:
    for sequence in RAW_SEQUENCES:
        assert sequence not in output, sequence
    assert "\x9b".encode() not in output


# -- item 9: what reaches the terminal -------------------------------------------------------------


def test_drafts_show_escapes_the_mails_control_sequences_and_markup(tmp_path: Path) -> None:
    config = _polled(tmp_path, hostile_mail())
    code, output = on_terminal("--config", config, "drafts", "show", "1", cwd=tmp_path)
    assert code == 0, output.decode(errors="replace")
    assert_no_raw_sequences(output)
    assert b"\\x1b]0;pwned\\x07" in output  # shown, not obeyed
    assert b"\\x1b]8;;http://evil.example/" in output and b"\\x9b31m" in output
    assert MARKUP.encode() in output  # the customer's brackets, as text


def test_drafts_list_escapes_the_subject(tmp_path: Path) -> None:
    config = _polled(tmp_path, hostile_mail())
    code, output = on_terminal("--config", config, "drafts", "list", cwd=tmp_path)
    assert code == 0, output.decode(errors="replace")
    assert_no_raw_sequences(output)
    assert b"\\x1b]0;pwned" in output


def test_drafts_list_json_escapes_c1_controls(tmp_path: Path) -> None:
    config = _polled(tmp_path, hostile_mail())
    code, output = on_terminal("--config", config, "drafts", "list", "--json", cwd=tmp_path)
    assert code == 0
    assert_no_raw_sequences(output)
    assert b"\\u009b31m" in output


def test_triage_never_renders_a_header_value_as_markup(tmp_path: Path) -> None:
    mail = tmp_path / "auto.eml"
    mail.write_bytes(
        f"From: x@firma.example\nAuto-Submitted: auto-replied {MARKUP} {TITLE}\nSubject: Out of office\n"
        "Message-ID: <auto-1@firma.example>\n\nI am away.\n".encode()
    )
    config = _config(tmp_path)
    code, output = on_terminal("--config", config, "triage", mail, cwd=tmp_path)
    assert code == 0, output.decode(errors="replace")
    assert_no_raw_sequences(output)
    assert b"evil.example" in output and b"[link=http://evil.example/]" in output  # literal text


# -- item 12 on the command line -------------------------------------------------------------------


def test_drafts_show_says_plainly_when_the_recipient_is_not_the_sender(tmp_path: Path) -> None:
    config = _polled(tmp_path, hostile_mail())
    shown = run_mailbot("--config", config, "drafts", "show", "1", cwd=tmp_path, env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "office@firma.example — NOT the sender (Reply-To)" in shown.stdout
    listed = json_lines(run_mailbot("--config", config, "drafts", "list", "--json", cwd=tmp_path).stdout)
    assert [(d["to"], d["recipient_is_sender"]) for d in listed] == [("office@firma.example", False)]


# -- item 10: bad input is one line and a non-zero exit ------------------------------------------------


def _one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def _unprivileged() -> list[str]:
    """A prefix that makes root obey permission bits (no DAC override)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def run_unprivileged(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [*_unprivileged(), sys.executable, "-m", "mailbot", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_draft_id_beyond_any_row_is_one_line(tmp_path: Path) -> None:
    config = _polled(tmp_path)
    for command in (["drafts", "show"], ["drafts", "approve"], ["drafts", "reject", "--reason", "x"]):
        result = run_mailbot("--config", config, *command, "99999999999999999999999", cwd=tmp_path)
        _one_line_error(result, "no draft has the id 99999999999999999999999")


def test_a_database_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    config = tmp_path / "mailbot.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "a-file" / "db" / "mailbot.db"}"\n')
    result = run_mailbot("--config", config, "drafts", "list", cwd=tmp_path)
    _one_line_error(result, "database.url: cannot create the folder", "a-file")


def test_an_unreadable_maildir_new_folder_is_one_line_on_poll(tmp_path: Path) -> None:
    config = _config(tmp_path)
    new = tmp_path / "Maildir" / "new"
    new.chmod(0)
    try:
        result = run_unprivileged("--config", config, "poll", cwd=tmp_path)
    finally:
        new.chmod(0o755)
    _one_line_error(result, "Maildir", "Permission denied")


def test_triage_reports_an_unreadable_sub_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mails"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "a.eml").write_bytes(hostile_mail())
    (folder / "b.eml").write_bytes(hostile_mail().replace(b"hostile-1", b"hostile-2"))
    config = _config(tmp_path)
    (folder / "locked").chmod(0)
    try:
        result = run_unprivileged("--config", config, "triage", "--json", folder, cwd=tmp_path)
    finally:
        (folder / "locked").chmod(0o755)
    _one_line_error(result, "cannot read folder", "locked")
    assert result.returncode == 1
    assert [line["file"] for line in json_lines(result.stdout)] == ["b.eml", "locked"]


def test_triage_of_a_path_that_does_not_exist_exits_non_zero(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = run_mailbot("--config", config, "triage", tmp_path / "nope.eml", cwd=tmp_path)
    _one_line_error(result, "no such file or folder", "nope.eml")
