"""The IMAP source against a real Dovecot: security modes, logins, reading and marking."""

from __future__ import annotations

import ssl
import sys

import pytest
from poll_support import FLAG, server_flags
from servers.dovecot import DovecotServer, free_port
from servers.mails import simple_mail

from mailbot.config import settings_from_mapping
from mailbot.errors import MailboxUnavailable
from mailbot.mail.imap import ImapSource


def _source(server: DovecotServer, user: str, **mailbox: object) -> ImapSource:
    settings = settings_from_mapping({"mailbox": server.mailbox_config(user, **mailbox)}, env={})
    context = None
    if settings.mailbox.security != "none" and server.cafile:
        context = ssl.create_default_context(cafile=str(server.cafile))
    return ImapSource(settings.mailbox, ssl_context=context)


def _all_uids(source: ImapSource, folder: str = "INBOX") -> list[int]:
    return source.uids_after(folder, 0, state=source.folder_state(folder))


def test_fetch_reads_every_message_and_never_sets_seen(dovecot, imap_user) -> None:
    for n in range(3):
        dovecot.append(simple_mail(n), user=imap_user)
    with _source(dovecot, imap_user) as source:
        uids = _all_uids(source)
        fetched = list(source.fetch("INBOX", uids))
    assert [m.uid for m in fetched] == uids == [1, 2, 3]
    assert all(b"(Nachricht" in m.raw and not m.truncated for m in fetched)
    assert all("\\Seen" not in flags for flags in server_flags(dovecot, imap_user).values())


def test_uids_after_the_last_one_is_empty_even_without_uidnext(dovecot, imap_user) -> None:
    dovecot.append(simple_mail(1), user=imap_user)
    dovecot.append(simple_mail(2), user=imap_user)
    with _source(dovecot, imap_user) as source:
        state = source.folder_state("INBOX")
        assert (state.uidnext, state.exists) == (3, 2)
        blind = type(state)(uidvalidity=state.uidvalidity, uidnext=None, exists=2)
        # "UID 3:*" matches UID 2 on the server (the highest); it must be filtered out.
        assert source.uids_after("INBOX", 2, state=blind) == []
        assert source.uids_after("INBOX", 1, state=blind) == [2]


def test_flag_is_a_keyword_and_leaves_seen_alone(dovecot, imap_user) -> None:
    dovecot.append(simple_mail(1), user=imap_user, flags=["\\Seen"])
    dovecot.append(simple_mail(2), user=imap_user)
    with _source(dovecot, imap_user) as source:
        _all_uids(source)
        source.add_flag("INBOX", [1, 2], FLAG)
    flags = server_flags(dovecot, imap_user)
    assert flags[1] == {"\\Seen", FLAG} and flags[2] == {FLAG}


def test_move_uses_move_and_creates_the_folder(dovecot, imap_user) -> None:
    for n in range(3):
        dovecot.append(simple_mail(n), user=imap_user)
    with _source(dovecot, imap_user) as source:
        _all_uids(source)
        source.move("INBOX", [1, 3], "Triaged")
    assert sorted(server_flags(dovecot, imap_user)) == [2]
    assert len(server_flags(dovecot, imap_user, "Triaged")) == 2


def test_move_without_move_expunges_only_our_uids(dovecot, imap_user) -> None:
    for n in range(3):
        dovecot.append(simple_mail(n), user=imap_user)
    with dovecot.client(imap_user) as other:  # another client marked UID 2 for deletion
        other.select_folder("INBOX")
        other.add_flags([2], ["\\Deleted"])
    settings = settings_from_mapping({"mailbox": dovecot.mailbox_config(imap_user)}, env={})
    with ImapSource(settings.mailbox, use_move=False) as source:
        _all_uids(source)
        source.move("INBOX", [1, 3], "Triaged")
    left = server_flags(dovecot, imap_user)
    assert sorted(left) == [2] and "\\Deleted" in left[2]  # not expunged by us
    assert len(server_flags(dovecot, imap_user, "Triaged")) == 2


def test_fetch_caps_a_huge_message_and_reports_its_size(dovecot, imap_user) -> None:
    dovecot.append(simple_mail(1) + b"y" * 20_000, user=imap_user)
    dovecot.append(simple_mail(2), user=imap_user)
    with _source(dovecot, imap_user) as source:
        big, small = source.fetch("INBOX", _all_uids(source), max_bytes=4096)
    assert big.truncated and len(big.raw) == 4096 and big.size > 20_000
    assert not small.truncated and len(small.raw) == small.size


def test_wrong_password_is_unavailable_and_the_message_hides_it(dovecot, imap_user) -> None:
    source = _source(dovecot, imap_user, password="Wr0ng-Secret!")
    with pytest.raises(MailboxUnavailable) as caught:
        source.open()
    assert f"login as {imap_user} failed" in str(caught.value)
    assert "Wr0ng-Secret!" not in str(caught.value)


def test_nothing_listening_is_unavailable(dovecot, imap_user) -> None:
    source = _source(dovecot, imap_user, port=free_port())
    with pytest.raises(MailboxUnavailable, match="cannot connect: connection refused"):
        source.open()


def test_missing_folder_is_unavailable(dovecot, imap_user) -> None:
    with _source(dovecot, imap_user) as source, pytest.raises(MailboxUnavailable, match="STATUS"):
        source.folder_state("NoSuchFolder")


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_modes_verify_the_server_certificate(dovecot, imap_user, security) -> None:
    port = dovecot.ssl_port if security == "ssl" else dovecot.port
    with _source(dovecot, imap_user, security=security, port=port, host="localhost") as source:
        assert source.folder_state("INBOX").exists == 0


def test_untrusted_certificate_is_refused(dovecot, imap_user) -> None:
    settings = settings_from_mapping(
        {"mailbox": dovecot.mailbox_config(imap_user, security="ssl", port=dovecot.ssl_port)},
        env={},
    )
    with pytest.raises(MailboxUnavailable, match="certificate not trusted"):
        ImapSource(settings.mailbox).open()


def test_ssl_cert_file_in_the_environment_is_honoured(dovecot, imap_user, monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cafile))
    settings = settings_from_mapping(
        {"mailbox": dovecot.mailbox_config(imap_user, security="ssl", port=dovecot.ssl_port)},
        env={},
    )
    with ImapSource(settings.mailbox) as source:
        assert source.folder_state("INBOX").exists == 0


def test_xoauth2_token_from_a_command(dovecot) -> None:
    token = dovecot.users["oauth"]
    command = f"{sys.executable} -c \"print('{token}')\""
    with _source(dovecot, "oauth", password="", auth="xoauth2", oauth2_token_command=command) as source:
        assert source.folder_state("INBOX").uidvalidity > 0


def test_xoauth2_token_from_the_environment(dovecot, monkeypatch) -> None:
    monkeypatch.setenv("TEST_IMAP_TOKEN", dovecot.users["oauth"])
    with _source(dovecot, "oauth", password="", auth="xoauth2", oauth2_token_env="TEST_IMAP_TOKEN") as source:
        assert source.folder_state("INBOX").uidvalidity > 0


def test_xoauth2_is_asked_for_a_fresh_token_at_each_connect(dovecot, tmp_path) -> None:
    counter = tmp_path / "calls"
    script = tmp_path / "token.py"
    script.write_text(
        "import pathlib\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "p.write_text(str(int(p.read_text() or 0) + 1) if p.exists() else '1')\n"
        f"print({dovecot.users['oauth']!r})\n"
    )
    for _ in range(2):
        with _source(
            dovecot,
            "oauth",
            password="",
            auth="xoauth2",
            oauth2_token_command=f"{sys.executable} {script}",
        ) as source:
            source.folder_state("INBOX")
    assert counter.read_text() == "2"


def test_xoauth2_bad_token_and_failing_command_are_clear(dovecot, monkeypatch) -> None:
    monkeypatch.setenv("TEST_IMAP_TOKEN", "expired-token-123")
    with pytest.raises(MailboxUnavailable) as caught:
        _source(dovecot, "oauth", password="", oauth2_token_env="TEST_IMAP_TOKEN").open()
    assert "login as oauth failed" in str(caught.value)
    assert "expired-token-123" not in str(caught.value)
    with pytest.raises(MailboxUnavailable, match="gave no token"):
        _source(dovecot, "oauth", password="", oauth2_token_command="false").open()
    monkeypatch.delenv("TEST_IMAP_TOKEN")
    with pytest.raises(MailboxUnavailable, match="TEST_IMAP_TOKEN"):
        _source(dovecot, "oauth", password="", oauth2_token_env="TEST_IMAP_TOKEN").open()
