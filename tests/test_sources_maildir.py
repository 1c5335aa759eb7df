"""The local Maildir source: UIDs that stay put, reading without marking, flag and move."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from servers.mails import simple_mail

from mailbot.errors import MailboxUnavailable
from mailbot.mail.maildir import MaildirSource


def _maildir(path: Path, count: int) -> mailbox.Maildir:
    box = mailbox.Maildir(path, create=True)
    for n in range(count):
        box.add(simple_mail(n))
    return box


def test_every_file_gets_a_stable_uid_in_delivery_order(tmp_path: Path) -> None:
    _maildir(tmp_path / "md", 3)
    with MaildirSource(tmp_path / "md") as source:
        state = source.folder_state("INBOX")
        uids = source.uids_after("INBOX", 0, state=state)
        bodies = [m.raw for m in source.fetch("INBOX", uids)]
    assert uids == [1, 2, 3]
    assert [b"(Nachricht 0)" in bodies[0], b"(Nachricht 2)" in bodies[2]] == [True, True]
    with MaildirSource(tmp_path / "md") as again:
        state2 = again.folder_state("INBOX")
        assert again.uids_after("INBOX", 0, state=state2) == [1, 2, 3]
    assert state2.uidvalidity == state.uidvalidity


def test_new_mail_gets_the_next_uid(tmp_path: Path) -> None:
    box = _maildir(tmp_path / "md", 2)
    with MaildirSource(tmp_path / "md") as source:
        source.folder_state("INBOX")
    box.add(simple_mail(99))
    with MaildirSource(tmp_path / "md") as source:
        state = source.folder_state("INBOX")
        assert source.uids_after("INBOX", 2, state=state) == [3]
        [message] = source.fetch("INBOX", [3])
    assert b"(Nachricht 99)" in message.raw


def test_flag_is_a_dovecot_keyword_and_seen_stays_unset(tmp_path: Path) -> None:
    _maildir(tmp_path / "md", 2)
    with MaildirSource(tmp_path / "md") as source:
        source.folder_state("INBOX")
        source.add_flag("INBOX", [1], "$MailbotTriaged")
        source.add_flag("INBOX", [1], "$MailbotTriaged")  # twice is harmless
    names = sorted(p.name for p in (tmp_path / "md" / "cur").iterdir())
    assert len(names) == 1 and names[0].endswith(":2,a")
    assert (tmp_path / "md" / "dovecot-keywords").read_text() == "0 $MailbotTriaged\n"
    assert len(list((tmp_path / "md" / "new").iterdir())) == 1  # the other is untouched
    with MaildirSource(tmp_path / "md") as source:  # the UID survives the rename
        state = source.folder_state("INBOX")
        assert source.uids_after("INBOX", 0, state=state) == [1, 2]


def test_move_puts_the_mail_in_a_maildir_plus_plus_folder(tmp_path: Path) -> None:
    _maildir(tmp_path / "md", 2)
    with MaildirSource(tmp_path / "md") as source:
        source.folder_state("INBOX")
        source.move("INBOX", [2], "Triaged")
    moved = list((tmp_path / "md" / ".Triaged" / "cur").iterdir())
    assert len(moved) == 1 and b"(Nachricht 1)" in moved[0].read_bytes()
    assert (tmp_path / "md" / ".Triaged" / "maildirfolder").exists()
    with MaildirSource(tmp_path / "md") as source:
        state = source.folder_state("INBOX")
        assert source.uids_after("INBOX", 0, state=state) == [1]


def test_fetch_caps_a_huge_message_and_says_so(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(simple_mail(1) + b"x" * 5000)
    with MaildirSource(tmp_path / "md") as source:
        source.folder_state("INBOX")
        [message] = source.fetch("INBOX", [1], max_bytes=1000)
    assert message.truncated and len(message.raw) == 1000 and message.size > 5000


def test_missing_maildir_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(MailboxUnavailable, match="does not exist"):
        MaildirSource(tmp_path / "nowhere").open()
