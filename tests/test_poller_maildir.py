"""The poller on the local Maildir source (the embedded default), on SQLite and PostgreSQL."""

from __future__ import annotations

import mailbox
from pathlib import Path

from poll_support import drafts, engine_with_accounts, make_settings, stored
from servers.mails import example_mails, simple_mail

from mailbot.intake.cycle import poll_once


def test_maildir_poll_stores_each_mail_once_and_marks_it(storage_url, tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "md", create=True)
    for _name, raw in example_mails():
        box.add(raw)
    # Hostile bytes that Dovecot would have cleaned up: a NUL and a lone 0xff in headers.
    box.add(
        b"From: x@kunde.example\r\nSubject: Konto \x00verkn\xffpfen\r\nMessage-ID: <nul-\x00@x>\r\n\r\n"
        b"Bitte verkn\xc3\xbcpfen Sie das Konto y@kunde.example mit meinem Hauptkonto.\r\n"
    )
    settings = make_settings(storage_url, {"kind": "maildir", "path": str(tmp_path / "md")})
    engine = engine_with_accounts(settings)

    first = poll_once(settings=settings, engine=engine)
    second = poll_once(settings=settings, engine=engine)

    assert (first.fetched, first.stored, first.drafted, first.errors) == (8, 8, 6, 0)
    assert second.fetched == 0
    records = stored(engine)
    hostile = next(r for r in records if r.message_id and r.message_id.startswith("<nul-"))
    assert "\x00" not in hostile.subject and hostile.subject.startswith("Konto ")
    assert hostile.raw.count(b"\x00") == 2  # the raw mail is kept byte for byte
    assert len(drafts(engine)) == 6
    names = [p.name for p in (tmp_path / "md" / "cur").iterdir()]
    assert len(names) == 8 and all(n.endswith(":2,a") for n in names)  # our keyword, no S


def test_maildir_move_mode_and_new_mail_between_polls(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(simple_mail(1))
    settings = make_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        {"kind": "maildir", "path": str(tmp_path / "md"), "processed_folder": "Triaged"},
    )
    engine = engine_with_accounts(settings)
    poll_once(settings=settings, engine=engine)
    box.add(simple_mail(2))

    later = poll_once(settings=settings, engine=engine)

    assert later.fetched == 1 and len(stored(engine)) == 2
    assert list((tmp_path / "md" / "new").iterdir()) == []
    assert len(list((tmp_path / "md" / ".Triaged" / "cur").iterdir())) == 2
