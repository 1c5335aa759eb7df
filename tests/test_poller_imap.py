"""One poll cycle against a real Dovecot, stored on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date

from poll_support import (
    FLAG,
    drafts,
    duplicates,
    engine_with_accounts,
    imap_settings,
    make_settings,
    server_flags,
    stored,
)
from servers.mails import example_mails, numbered_mails, simple_mail, with_message_id
from sqlalchemy import select

from mailbot.accounts.database import DbAccountBook
from mailbot.db.engine import new_session
from mailbot.intake.cycle import poll_once
from mailbot.mail.imap import ImapSource
from mailbot.models import InboundMessage, MailboxState
from mailbot.triage.pipeline import TriageContext, triage_message


def _fill(server, user, mails, **kwargs) -> None:
    for raw in mails:
        server.append(raw, user=user, **kwargs)


def test_first_poll_records_every_message_and_the_second_fetches_nothing(dovecot, imap_user, storage_url) -> None:
    _fill(dovecot, imap_user, [raw for _name, raw in example_mails()])
    settings = imap_settings(dovecot, imap_user, storage_url)
    engine = engine_with_accounts(settings)

    first = poll_once(settings=settings, engine=engine)
    second = poll_once(settings=settings, engine=engine)

    records = stored(engine)
    assert (first.fetched, first.stored, first.errors) == (7, 7, 0)
    assert (first.drafted, first.ignored, first.needs_human) == (5, 1, 1)
    assert second.fetched == 0 and second.line().startswith("fetched 0, drafted 0")
    assert [r.uid for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert all(r.raw and r.marked and r.result["intent"] == r.intent for r in records)
    by_id = {r.message_id: r for r in records}
    link = by_id["<demo-01-link-de@wagner-design.example>"]
    assert (link.intent, link.outcome, link.status, link.language) == ("link", "ready_to_link", "triaged", "de")
    assert link.subject == "Teammitglied verknüpfen"  # raw UTF-8 header bytes, read as UTF-8
    auto = by_id["<demo-07-out-of-office-en@brightleaf.example>"]
    assert (auto.intent, auto.status) == ("auto", "ignored")
    stored_drafts = drafts(engine)
    # issue 9: Olivia's follow-up supersedes her need-info draft; replies carry the conversation tag
    assert len(stored_drafts) == 5 and [d.status for d in stored_drafts].count("pending") == 4
    draft = next(d for d in stored_drafts if d.inbound_id == link.id)
    assert draft.to == "claudia.wagner@wagner-design.example"
    assert draft.subject == f"Re: Teammitglied verknüpfen [#{link.conversation_id}]"
    assert draft.in_reply_to == "<demo-01-link-de@wagner-design.example>"
    assert draft.requests[0]["outcome"] == "ready_to_link"


def test_mail_appended_between_polls_is_picked_up(dovecot, imap_user, storage_url) -> None:
    _fill(dovecot, imap_user, [simple_mail(1), simple_mail(2)])
    settings = imap_settings(dovecot, imap_user, storage_url)
    engine = engine_with_accounts(settings)
    poll_once(settings=settings, engine=engine)
    _fill(dovecot, imap_user, [simple_mail(3)])

    later = poll_once(settings=settings, engine=engine)

    assert (later.fetched, later.stored) == (1, 1)
    assert [r.uid for r in stored(engine)] == [1, 2, 3]
    with new_session(engine) as session:
        state = session.exec(select(MailboxState)).scalars().one()
    assert state.last_uid == 3 and state.last_success_at is not None


def test_nothing_is_deleted_and_seen_is_left_as_it_was(dovecot, imap_user, tmp_path) -> None:
    _fill(dovecot, imap_user, [simple_mail(1)])
    _fill(dovecot, imap_user, [simple_mail(2)], flags=["\\Seen"])  # read in a mail client
    _fill(dovecot, imap_user, [simple_mail(3)])
    settings = imap_settings(dovecot, imap_user, f"sqlite:///{tmp_path / 'db.sqlite'}")
    engine = engine_with_accounts(settings)

    summary = poll_once(settings=settings, engine=engine)

    flags = server_flags(dovecot, imap_user)
    assert sorted(flags) == [1, 2, 3]
    assert flags == {1: {FLAG}, 2: {"\\Seen", FLAG}, 3: {FLAG}}
    # The message another client had already read is processed like any other.
    assert summary.stored == 3 and len(drafts(engine)) == 3


class CommitObserver(ImapSource):
    """A real IMAP source that, before each mark, checks the records from another connection."""

    def __init__(self, *args, engine, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.engine = engine
        self.checked: list[tuple[list[int], list[int]]] = []

    def _committed_uids(self) -> list[int]:
        with self.engine.connect() as connection:  # a separate connection sees only commits
            return sorted(connection.execute(select(InboundMessage.uid)).scalars())

    def add_flag(self, folder, uids, flag) -> None:
        self.checked.append((list(uids), self._committed_uids()))
        super().add_flag(folder, uids, flag)

    def move(self, folder, uids, target) -> None:
        self.checked.append((list(uids), self._committed_uids()))
        super().move(folder, uids, target)


def test_flag_is_set_only_after_the_batch_is_committed(dovecot, imap_user, storage_url) -> None:
    _fill(dovecot, imap_user, [simple_mail(n) for n in range(5)])
    settings = imap_settings(dovecot, imap_user, storage_url, batch_size=2)
    engine = engine_with_accounts(settings)
    source = CommitObserver(settings.mailbox, engine=engine)

    poll_once(settings=settings, engine=engine, source=source)

    assert [uids for uids, _seen in source.checked] == [[1, 2], [3, 4], [5]]
    for uids, committed in source.checked:
        assert set(uids) <= set(committed)
    assert all(FLAG in f for f in server_flags(dovecot, imap_user).values())


def test_move_mode_moves_after_commit_into_a_created_folder(dovecot, imap_user, tmp_path) -> None:
    _fill(dovecot, imap_user, [simple_mail(n) for n in range(3)])
    settings = imap_settings(
        dovecot,
        imap_user,
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        processed_folder="Triaged",
        batch_size=2,
    )
    engine = engine_with_accounts(settings)
    source = CommitObserver(settings.mailbox, engine=engine)

    poll_once(settings=settings, engine=engine, source=source)
    again = poll_once(settings=settings, engine=engine)

    assert [uids for uids, _seen in source.checked] == [[1, 2], [3]]
    assert all(set(uids) <= set(seen) for uids, seen in source.checked)
    assert server_flags(dovecot, imap_user) == {}
    moved = server_flags(dovecot, imap_user, "Triaged")
    assert len(moved) == 3 and all("\\Seen" not in f for f in moved.values())
    assert again.fetched == 0 and len(stored(engine)) == 3


def test_uidvalidity_change_rereads_without_duplicates(dovecot, imap_user, storage_url) -> None:
    _fill(dovecot, imap_user, [simple_mail(n) for n in range(3)])
    settings = imap_settings(dovecot, imap_user, storage_url)
    engine = engine_with_accounts(settings)
    poll_once(settings=settings, engine=engine)
    status = dovecot.doveadm("mailbox", "status", "-u", imap_user, "uidvalidity", "INBOX")
    old = int(status.stdout.split("=")[1])
    dovecot.doveadm("mailbox", "update", "-u", imap_user, "--uid-validity", str(old + 7), "INBOX")
    _fill(dovecot, imap_user, [simple_mail(3)])

    resync = poll_once(settings=settings, engine=engine)

    assert resync.resynced and resync.fetched == 4
    assert (resync.already_stored, resync.stored) == (3, 1)
    records = stored(engine)
    assert len(records) == 4 and not duplicates([r.dedup_key for r in records])
    assert len(drafts(engine)) == 4
    with new_session(engine) as session:
        assert session.exec(select(MailboxState)).scalars().one().uidvalidity == old + 7


def test_folder_deleted_and_recreated_gives_no_duplicates(dovecot, imap_user, tmp_path) -> None:
    mails = [simple_mail(n) for n in range(3)]
    _fill(dovecot, imap_user, mails, folder="Support")
    settings = imap_settings(dovecot, imap_user, f"sqlite:///{tmp_path / 'db.sqlite'}", folder="Support")
    engine = engine_with_accounts(settings)
    poll_once(settings=settings, engine=engine)
    with dovecot.client(imap_user) as client:
        client.delete_folder("Support")
    # The same mails come back (a restore from backup), plus one new, under new UIDs.
    _fill(dovecot, imap_user, [*mails, simple_mail(9)], folder="Support")

    resync = poll_once(settings=settings, engine=engine)

    assert resync.resynced and (resync.already_stored, resync.stored) == (3, 1)
    assert len(stored(engine)) == 4 and len(drafts(engine)) == 4


def test_bad_mail_needs_a_human_and_never_blocks_the_rest(dovecot, imap_user, storage_url) -> None:
    bad = [
        b"\x00\xff\xfe garbage that is no mail at all \x00",
        b"From: a@kunde.example\r\nSubject: =?unknown-8bit?q?=FC?=\r\nContent-Type: text/plain;"
        b" charset=x-nonsense\r\nMessage-ID: <bad-charset@kunde.example>\r\n\r\n\xfc\xe4\r\n",
        b"From: b@kunde.example\r\nMessage-ID: <no-text@kunde.example>\r\nContent-Type: "
        b"multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: image/png\r\n\r\nPNG\r\n--x--\r\n",
        b"From: c@kunde.example\r\nSubject: Teammitglied \x00NUL\r\nMessage-ID: <nul@kunde.example>"
        b"\r\n\r\nBitte verkn\xc3\xbcpfen: x@kunde.example\r\n",
    ]
    _fill(dovecot, imap_user, [simple_mail(1), *bad, simple_mail(2)])
    settings = imap_settings(dovecot, imap_user, storage_url)
    engine = engine_with_accounts(settings)

    summary = poll_once(settings=settings, engine=engine)

    records = stored(engine)
    assert summary.fetched == 6 and len(records) == 6 and summary.errors == 0
    first, garbage, odd_charset, no_text, nul, last = records
    assert first.status == last.status == "triaged"
    assert garbage.status == "needs_human" and garbage.error  # no sender
    assert garbage.dedup_key.startswith("sha256:") and garbage.raw.startswith(b"\x80\xff")
    assert odd_charset.status == "needs_human" and odd_charset.message_id == "<bad-charset@kunde.example>"
    assert no_text.status == "needs_human" and "text" in no_text.error
    # Dovecot hands out NUL as 0x80; a raw 8-bit header byte that is not UTF-8 reads as
    # cp1252 (as bodies without a charset do), and the raw mail is stored as it came.
    assert nul.status == "triaged" and nul.subject == "Teammitglied €NUL"
    assert all(r.marked for r in records)


def test_a_triage_crash_is_recorded_with_the_error_and_the_poll_goes_on(dovecot, imap_user, storage_url) -> None:
    def crashes_on_the_second(raw: bytes, ctx):
        if b"(Nachricht 2)" in raw:
            raise RuntimeError("boom in classify")
        return triage_message(raw, ctx)

    _fill(dovecot, imap_user, [simple_mail(n) for n in range(1, 4)])
    settings = imap_settings(dovecot, imap_user, storage_url)
    engine = engine_with_accounts(settings)

    summary = poll_once(settings=settings, engine=engine, triage=crashes_on_the_second)

    records = stored(engine)
    assert (summary.stored, summary.errors, summary.drafted) == (3, 1, 2)
    crashed = records[1]
    assert crashed.status == "needs_human" and "boom in classify" in crashed.error
    assert crashed.raw.endswith(b"Claudia\r\n") and crashed.dedup_key == "<simple-2@mailbot.test>"
    assert all(FLAG in f for f in server_flags(dovecot, imap_user).values())


def test_huge_mail_is_kept_in_part_and_left_whole_on_the_server(dovecot, imap_user, tmp_path) -> None:
    _fill(dovecot, imap_user, [simple_mail(1) + b"z" * 50_000, simple_mail(2)])
    settings = make_settings(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        dovecot.mailbox_config(imap_user),
        triage={"max_message_bytes": 8192},
    )
    engine = engine_with_accounts(settings)

    poll_once(settings=settings, engine=engine)

    huge, small = stored(engine)
    assert huge.status == "needs_human" and "over triage.max_message_bytes" in huge.error
    assert len(huge.raw) == 8192 and small.status == "triaged"
    with dovecot.client(imap_user) as client:
        client.select_folder("INBOX", readonly=True)
        assert client.fetch([1], ["RFC822.SIZE"])[1][b"RFC822.SIZE"] > 50_000


def test_two_pollers_at_once_store_each_mail_once(dovecot, imap_user, storage_url) -> None:
    _fill(dovecot, imap_user, list(numbered_mails(40, prefix="race")))
    settings = imap_settings(dovecot, imap_user, storage_url, batch_size=5)
    engine = engine_with_accounts(settings)
    results, errors = [], []

    def poll() -> None:
        try:
            results.append(poll_once(settings=settings, engine=engine, lock_wait=30))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sorted(r.fetched for r in results) == [0, 40]  # the second waited, then found nothing
    records = stored(engine)
    assert len(records) == 40 and not duplicates([r.dedup_key for r in records])


def test_same_mail_in_two_mailboxes_is_stored_once(dovecot, storage_url) -> None:
    # Different mailboxes take different locks: only the unique dedup_key keeps the
    # copies of one mail (sent to two support addresses) from becoming two records.
    users = [dovecot.new_user(), dovecot.new_user()]
    mails = [with_message_id(simple_mail(n), f"<shared-{n}@mailbot.test>") for n in range(30)]
    for user in users:
        _fill(dovecot, user, mails)
    settings = [imap_settings(dovecot, user, storage_url, batch_size=3) for user in users]
    engine = engine_with_accounts(settings[0])
    results, errors = [], []

    def poll(these) -> None:
        try:
            results.append(poll_once(settings=these, engine=engine))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=poll, args=(s,)) for s in settings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sum(r.stored for r in results) == 30
    assert sum(r.stored + r.already_stored for r in results) == 60
    assert len(stored(engine)) == 30 and len(drafts(engine)) == 30
    for user in users:
        assert all(FLAG in f for f in server_flags(dovecot, user).values())


def test_a_backlog_is_triaged_in_worker_processes_with_the_same_result(dovecot, imap_user, storage_url) -> None:
    from mailbot.triage_pool import PARALLEL_MIN_MAILS

    total = PARALLEL_MIN_MAILS + 50
    for n, raw in enumerate(numbered_mails(total, prefix="backlog")):
        dovecot.deliver(raw if n != 7 else with_message_id(raw, None), user=imap_user)
    settings = imap_settings(dovecot, imap_user, storage_url, batch_size=60)
    engine = engine_with_accounts(settings)

    summary = poll_once(settings=settings, engine=engine)

    records = stored(engine)
    assert (summary.fetched, summary.stored, summary.errors) == (total, total, 0)
    assert len(records) == total and not duplicates([r.dedup_key for r in records])
    assert sorted(r.uid for r in records) == list(range(1, total + 1))
    assert records[7].dedup_key.startswith("sha256:")
    assert summary.drafted == len(drafts(engine)) > 0 and summary.ignored > 0
    with new_session(engine) as session:  # the very result in-process triage gives
        context = TriageContext.from_settings(settings, accounts=DbAccountBook(session), today=date.today())
        for record in records[:20]:
            expected = triage_message(record.raw, context)
            assert (record.intent, record.outcome, record.status) == (
                expected.intent,
                expected.outcome,
                expected.status,
            )
    assert all(FLAG in f for f in server_flags(dovecot, imap_user).values())


class ExpungingNeighbour(ImapSource):
    """A real IMAP source; right after the poller listed the new UIDs, another client
    deletes and expunges two of them.

    That renumbers every message sequence number behind them: helpdesks that fetch by
    sequence number then skip or mix up mail (osTicket #6979). We speak UIDs only.
    """

    def __init__(self, *args, server, user, doomed, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.server, self.user, self.doomed = server, user, doomed

    def uids_after(self, folder, last_uid, *, state):
        uids = super().uids_after(folder, last_uid, state=state)
        with self.server.client(self.user) as other:
            other.select_folder(folder)
            other.delete_messages(self.doomed)
            other.expunge()
        return uids


def test_another_client_expunging_mid_poll_loses_and_mixes_up_nothing(dovecot, imap_user, storage_url) -> None:
    _fill(dovecot, imap_user, [simple_mail(n) for n in range(8)])
    settings = imap_settings(dovecot, imap_user, storage_url, batch_size=3)
    engine = engine_with_accounts(settings)
    source = ExpungingNeighbour(settings.mailbox, server=dovecot, user=imap_user, doomed=[2, 5])

    summary = poll_once(settings=settings, engine=engine, source=source)

    records = stored(engine)
    assert summary.errors == 0
    assert sorted(r.uid for r in records) == [1, 3, 4, 6, 7, 8]
    # Each record holds the very mail its UID named: no shifted sequence numbers.
    for record in records:
        assert record.raw.replace(b"\r\n", b"\n") == simple_mail(record.uid - 1).replace(b"\r\n", b"\n")
    assert not duplicates([r.dedup_key for r in records])
    assert poll_once(settings=settings, engine=engine).fetched == 0
