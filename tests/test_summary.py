"""The operator's dry run: `mailbot triage --summary` over a folder, a Maildir and an mbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mailbot_cli import REPO, json_lines, run_mailbot

from mailbot.mail.files import iter_mail_files, split_mbox
from mailbot.triage.summary import Summary, error_reason

REAL_MAIL = REPO / "tests" / "data" / "realmail"
MAILS = REAL_MAIL / "mails"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {"MAILBOT_CONFIG": str(REAL_MAIL / "config.toml"), "MAILBOT_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"}
    imported = run_mailbot("accounts", "import", REAL_MAIL / "accounts.csv", cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    return env


def _mbox_with_broken_messages(path: Path) -> Path:
    """Three good mails from the corpus, a truncated multipart, one without a From, and binary junk."""
    good = [(MAILS / name).read_bytes() for name in ("c-05-de-verknuepfen-no-umlaut.eml", "n-04-de-how-to.eml")]
    good.append((MAILS / "m-06-icloud-vacation.eml").read_bytes())
    broken = [
        b'From: boss@kanzlei-berg.example\nSubject: x\nContent-Type: multipart/mixed; boundary="zz"\n\n'
        b"--zz\nContent-Type",
        b"Subject: no sender at all\n\nplease link lena.vogt@kanzlei-berg.example\n",
        bytes(range(256)) * 4,
    ]
    parts = [
        b"From someone@example.net Mon Jun  1 10:00:00 2026\n" + raw.rstrip(b"\n") + b"\n\n" for raw in good + broken
    ]
    path.write_bytes(b"".join(parts))
    return path


def test_summary_json_counts_intents_outcomes_languages_and_drafts(tmp_path: Path, env: dict[str, str]) -> None:
    full = run_mailbot("triage", "--json", MAILS, cwd=tmp_path, env=env)
    result = run_mailbot("triage", "--summary", "--json", MAILS, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar off a terminal
    [report] = json_lines(result.stdout)  # one object, nothing else on stdout
    rows = json_lines(full.stdout)
    assert report["mails"] == len(rows)
    assert report["drafts"] == sum(1 for r in rows if r["draft"] is not None)
    assert report["draft_share"] == pytest.approx(report["drafts"] / report["mails"], abs=1e-4)
    for key in ("intent", "language"):
        counted: dict[str, int] = {}
        for row in rows:
            counted[row[key] or "none"] = counted.get(row[key] or "none", 0) + 1
        assert report[f"{key}s"] == dict(sorted(counted.items(), key=lambda kv: -kv[1])) or report[f"{key}s"] == counted
    assert sum(report["outcomes"].values()) == len(rows)
    assert report["outcomes"]["ignored"] == sum(1 for r in rows if r["intent"] == "auto")
    for outcome, files in report["examples"].items():
        assert 1 <= len(files) <= 3 and outcome in report["outcomes"]


def test_summary_over_an_mbox_with_broken_messages_counts_every_message(tmp_path: Path, env: dict[str, str]) -> None:
    mbox = _mbox_with_broken_messages(tmp_path / "last-month.mbox")
    result = run_mailbot("triage", "--summary", "--json", mbox, tmp_path / "missing.eml", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    [report] = json_lines(result.stdout)
    assert report["mails"] == 7  # six messages in the mbox, one missing file
    assert report["intents"] == {"link": 1, "other": 4, "auto": 1}
    assert report["drafts"] == 1
    assert report["outcomes"]["error"] == 1 and report["outcomes"]["ignored"] == 1
    assert report["errors"]["no such file or folder"] == 1
    assert any("From" in reason for reason in report["errors"])
    assert report["examples"]["ready_to_link"] == ["last-month.mbox#1"]


def test_summary_text_report_names_counts_share_errors_and_files(tmp_path: Path, env: dict[str, str]) -> None:
    mbox = _mbox_with_broken_messages(tmp_path / "box.mbox")
    result = run_mailbot("triage", "--summary", mbox, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("6 mails, 1 would get a draft (16.7%)")
    assert "by intent:" in out and "by outcome:" in out and "by language:" in out
    assert "errors by reason:" in out and "no text part" not in out.split("files to look at")[1]
    assert "ready_to_link: box.mbox#1" in out
    assert "{" not in out  # not JSON


def test_summary_over_a_maildir_reads_new_and_cur(tmp_path: Path, env: dict[str, str]) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1780000000.M1P1.host").write_bytes((MAILS / "c-06-en-all-caps.eml").read_bytes())
    (maildir / "cur" / "1780000001.M2P2.host:2,S").write_bytes((MAILS / "n-05-en-how-to.eml").read_bytes())
    [report] = json_lines(run_mailbot("triage", "--summary", "--json", maildir, cwd=tmp_path, env=env).stdout)
    assert report["mails"] == 2 and report["intents"] == {"link": 1, "other": 1}


def test_summary_aggregates_rows_without_files() -> None:
    report = Summary()
    report.add(
        {
            "file": "a.eml",
            "intent": "link",
            "language": "de",
            "status": "triaged",
            "requests": [{"outcome": "ready_to_link"}],
            "draft": {"to": "x"},
        }
    )
    report.add(
        {
            "file": "b.eml",
            "intent": "other",
            "language": "en",
            "status": "needs_human",
            "requests": [],
            "draft": None,
            "error": "message is 12,000,000 bytes, over the 10,485,760-byte limit",
        }
    )
    report.add({"file": "c.eml", "error": "cannot read /srv/mail/c.eml: Permission denied"})
    data = report.as_json()
    assert data["mails"] == 3 and data["drafts"] == 1
    assert data["outcomes"] == {"ready_to_link": 1, "needs_human": 1, "error": 1}
    assert data["languages"] == {"de": 1, "en": 1}
    assert data["errors"] == {"message is N bytes, over the N-byte limit": 1, "cannot read: Permission denied": 1}
    assert json.loads(json.dumps(data)) == data


def test_error_reasons_drop_paths() -> None:
    assert error_reason("no such file or folder: /a/b.eml") == "no such file or folder"


def test_an_eml_with_an_envelope_line_is_one_mail_and_an_mbox_splits_only_at_envelopes(tmp_path: Path) -> None:
    eml = tmp_path / "x.eml"
    eml.write_bytes(b"From a@b.example Mon Jun  1 10:00:00 2026\nFrom: a@b.example\n\nHi\n\nFrom here on\nFrom: me\n")
    assert [m.label for m in iter_mail_files([eml])] == ["x.eml"]
    box = (
        b"From a@b Mon Jun  1 10:00:00 2026\nFrom: a@b\n\nHi\nFrom now on\n\n"
        b"From c@d Mon Jun  1 11:00:00 2026\nFrom: c@d\n\nYo\n"
    )
    assert [raw.split(b"\n")[0] for raw in split_mbox(box)] == [b"From: a@b", b"From: c@d"]
    mbox = tmp_path / "inbox"  # no extension: an mbox by its content
    mbox.write_bytes(box)
    assert [m.label for m in iter_mail_files([mbox])] == ["inbox#1", "inbox#2"]


def test_a_folder_run_names_files_by_their_path_under_it_in_path_order(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    for name in ["b.eml", "a-b/x.eml", "a/x.eml", "a/b/z.eml", "a/.hidden.eml", "a/y.eml", "ab.eml"]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"From: a@b.example\n\nHi\n")
    labels = [m.label for m in iter_mail_files([folder])]
    # Paths sort by their parts ("a/…" before "a-b/…", though "-" sorts before "/"); hidden files are skipped.
    assert labels == ["a/b/z.eml", "a/x.eml", "a/y.eml", "a-b/x.eml", "ab.eml", "b.eml"]
    assert labels == [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("[!.]*.eml"))]
    assert [m.label for m in iter_mail_files([folder / "a" / "b"])] == ["z.eml"]
