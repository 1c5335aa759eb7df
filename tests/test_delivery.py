"""Delivering approved replies: at most once, retried when the server says so.

Every test talks to a real aiosmtpd server on a free port and runs on SQLite and
PostgreSQL (``db_engine``). Time is passed in as ``now`` so retries and the
throttle window can be stepped through without sleeping.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from mailbot_cli import run_mailbot
from servers.smtp import SMTP_PASSWORD, SMTP_USER, FlakyHandler, RecordingHandler, StallingHandler, free_port
from sqlalchemy import update
from sqlmodel import select

from mailbot.config import OutboxSettings, Settings, SmtpSettings, SupportSettings
from mailbot.db.engine import new_session
from mailbot.errors import DraftStateError, PermanentDeliveryError, TemporaryDeliveryError
from mailbot.mail.reply import parse_reply
from mailbot.models import AuditEvent, Draft, InboundMessage, OutboxMessage
from mailbot.outbox.file import write_file_outbox
from mailbot.outbox.queue import DeliverySummary, deliver_queued, queue_reply
from mailbot.outbox.smtp import SmtpDeferred, SmtpRejected, SmtpUnavailable, send_smtp

T0 = datetime(2030, 1, 7, 9, 0, 0, tzinfo=UTC)  # the datetime columns hand back aware UTC (UtcDateTime)
SUPPORT = "support@mailbot.example"


# --- helpers ------------------------------------------------------------------


def smtp_of(server, **overrides) -> SmtpSettings:
    values = {"host": server.host, "port": server.port, "security": "none", "timeout": 5.0}
    values.update(overrides)
    return SmtpSettings(**values)


def make_settings(tmp_path: Path, *, smtp: SmtpSettings | None, **outbox) -> Settings:
    values = {
        "path": str(tmp_path / "outbox"),
        "max_attempts": 3,
        "retry_base_seconds": 60.0,
        "max_per_address": 10,
        "window_minutes": 180,
    }
    values.update(outbox)
    return Settings(
        support=SupportSettings(address=SUPPORT, name="Mailbot Support"),
        smtp=smtp,
        outbox=OutboxSettings(**values),
    )


def queue_approved_reply(engine, settings, *, to="anna@kunde.de", now=T0) -> OutboxMessage:
    """An inbound mail, its approved draft and the queued reply, as review.py leaves them."""
    token = secrets.token_hex(4)
    customer_id = f"<req-{token}@mail.kunde.de>"
    with new_session(engine) as session:
        inbound = InboundMessage(
            dedup_key=customer_id,
            message_id=customer_id,
            sender=to,
            subject="Teammitglied verknüpfen",
            intent="link",
            received_at=now,
            raw=b"From: " + to.encode() + b"\n\nBitte verknuepfen.\n",
        )
        session.add(inbound)
        session.flush()
        draft = Draft(
            inbound_id=inbound.id,
            message_id=customer_id,
            intent="link",
            language="de",
            sender=to,
            to=to,
            subject="Re: Teammitglied verknüpfen",
            body=f"Hallo,\n\ndas Konto ist verknüpft ({token}).\n\nIhr Support\n",
            in_reply_to=customer_id,
            references="<thread-root@mail.kunde.de>",
            status="approved",
            created_at=now,
        )
        session.add(draft)
        session.flush()
        row = queue_reply(session=session, draft=draft, settings=settings, now=now)
        session.commit()
        return row


def load(engine, row: OutboxMessage) -> OutboxMessage:
    with new_session(engine) as session:
        fresh = session.get(OutboxMessage, row.id)
        assert fresh is not None
        return fresh


def draft_status(engine, row: OutboxMessage) -> str:
    with new_session(engine) as session:
        draft = session.get(Draft, row.draft_id)
        assert draft is not None
        return draft.status


def audit_actions(engine, row: OutboxMessage) -> list[str]:
    with new_session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.draft_id == row.draft_id).order_by(AuditEvent.id)
        ).all()
        return [event.action for event in events]


def audit_details(engine) -> list[dict]:
    with new_session(engine) as session:
        return [event.detail for event in session.exec(select(AuditEvent)).all()]


def counts(summary: DeliverySummary) -> tuple[int, int, int, int]:
    return summary.sent, summary.retry, summary.failed, summary.flagged


# --- delivery -----------------------------------------------------------------


def test_approved_reply_is_delivered_once_and_threaded(db_engine, smtp_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server))
    row = queue_approved_reply(db_engine, settings)

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)
    again = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(days=1))

    assert counts(summary) == (1, 0, 0, 0)
    assert counts(again) == (0, 0, 0, 0)
    (received,) = smtp_server.received
    assert received.mail_from == SUPPORT
    assert received.rcpt_tos == ["anna@kunde.de"]
    message = received.message()
    assert message["Message-ID"] == row.message_id
    with new_session(db_engine) as session:
        draft = session.get(Draft, row.draft_id)
    assert message["In-Reply-To"] == draft.in_reply_to
    assert message["References"].split() == ["<thread-root@mail.kunde.de>", draft.in_reply_to]
    assert message["Subject"] == "Re: Teammitglied verknüpfen"
    assert "das Konto ist verknüpft" in message.get_content()
    sent = load(db_engine, row)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, T0)
    assert draft_status(db_engine, row) == "sent"
    assert audit_actions(db_engine, row) == ["sent"]


def test_stored_bytes_are_what_the_server_receives(db_engine, smtp_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server))
    row = queue_approved_reply(db_engine, settings)
    deliver_queued(engine=db_engine, settings=settings, now=T0)
    (received,) = smtp_server.received
    assert received.data.replace(b"\r\n", b"\n") == load(db_engine, row).raw


def test_4xx_is_retried_later_and_delivered_exactly_once(db_engine, smtp_server_factory, tmp_path):
    server = smtp_server_factory(FlakyHandler(failures=2, stage="DATA"))
    settings = make_settings(tmp_path, smtp=smtp_of(server), max_attempts=5)
    row = queue_approved_reply(db_engine, settings)
    queued = load(db_engine, row)

    first = deliver_queued(engine=db_engine, settings=settings, now=T0)
    after_first = load(db_engine, row)
    assert counts(first) == (0, 1, 0, 0)
    assert after_first.status == "queued"
    assert after_first.next_attempt_at == T0 + timedelta(seconds=60)  # base * 2**0
    assert "451 4.3.0" in after_first.last_error

    not_yet = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(seconds=59))
    assert counts(not_yet) == (0, 0, 0, 0)

    t1 = T0 + timedelta(seconds=60)
    second = deliver_queued(engine=db_engine, settings=settings, now=t1)
    assert counts(second) == (0, 1, 0, 0)
    assert load(db_engine, row).next_attempt_at == t1 + timedelta(seconds=120)  # base * 2**1

    third = deliver_queued(engine=db_engine, settings=settings, now=t1 + timedelta(seconds=120))
    assert counts(third) == (1, 0, 0, 0)
    assert server.handler.refused == 2
    (received,) = server.received
    # Same Message-ID and bytes on every attempt: one reply in the customer's client.
    assert received.message()["Message-ID"] == queued.message_id
    delivered = load(db_engine, row)
    assert (delivered.message_id, delivered.raw) == (queued.message_id, queued.raw)
    assert (delivered.status, delivered.attempts) == ("sent", 3)
    assert audit_actions(db_engine, row) == ["delivery_retry", "delivery_retry", "sent"]


def test_4xx_to_rcpt_is_retried(db_engine, smtp_server_factory, tmp_path):
    server = smtp_server_factory(FlakyHandler(failures=1, stage="RCPT", reply="450 4.2.0 <anna@kunde.de>: Greylisted"))
    settings = make_settings(tmp_path, smtp=smtp_of(server))
    row = queue_approved_reply(db_engine, settings)
    assert counts(deliver_queued(engine=db_engine, settings=settings, now=T0)) == (0, 1, 0, 0)
    assert "Greylisted" in load(db_engine, row).last_error
    later = T0 + timedelta(minutes=1)
    assert counts(deliver_queued(engine=db_engine, settings=settings, now=later)) == (1, 0, 0, 0)
    assert len(server.received) == 1


def test_temporary_failures_give_up_after_max_attempts(db_engine, smtp_server_factory, tmp_path):
    server = smtp_server_factory(FlakyHandler(failures=100, stage="DATA"))
    settings = make_settings(tmp_path, smtp=smtp_of(server), max_attempts=3)
    row = queue_approved_reply(db_engine, settings)
    moment = T0
    results = []
    for _ in range(3):
        results.append(counts(deliver_queued(engine=db_engine, settings=settings, now=moment)))
        moment += timedelta(hours=1)
    assert results == [(0, 1, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0)]
    failed = load(db_engine, row)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in failed.last_error and "451" in failed.last_error
    assert draft_status(db_engine, row) == "failed"
    assert audit_actions(db_engine, row)[-1] == "delivery_failed"
    assert counts(deliver_queued(engine=db_engine, settings=settings, now=moment)) == (0, 0, 0, 0)
    assert server.handler.refused == 3


def test_5xx_fails_at_once_with_the_servers_reason(db_engine, smtp_rejecting_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_rejecting_server))
    row = queue_approved_reply(db_engine, settings)

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)

    assert counts(summary) == (0, 0, 1, 0)
    failed = load(db_engine, row)
    assert failed.status == "failed"
    assert "550 5.1.1" in failed.last_error and "User unknown" in failed.last_error
    assert draft_status(db_engine, row) == "failed"
    (detail,) = audit_details(db_engine)
    assert detail["code"] == 550 and "User unknown" in detail["error"]
    assert smtp_rejecting_server.received == []
    later = T0 + timedelta(days=1)
    assert counts(deliver_queued(engine=db_engine, settings=settings, now=later)) == (0, 0, 0, 0)
    assert smtp_rejecting_server.handler.refused == 1  # never tried again


def test_dropped_connection_after_data_needs_an_agent_not_a_retry(db_engine, smtp_dropping_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_dropping_server))
    row = queue_approved_reply(db_engine, settings)

    first = deliver_queued(engine=db_engine, settings=settings, now=T0)
    assert counts(first) == (0, 0, 0, 1) and first.flagged_ids == [row.id]
    flagged = load(db_engine, row)
    assert (flagged.status, flagged.attempts) == ("needs_agent", 1)
    assert "after DATA" in flagged.last_error and "Disconnected" in flagged.last_error

    later = T0 + timedelta(days=1)
    assert counts(deliver_queued(engine=db_engine, settings=settings, now=later)) == (0, 0, 0, 0)
    assert smtp_dropping_server.handler.dropped == 1  # never offered again on its own


# --- issue 13 item 3: a late or missing 250 after DATA -----------------------------------


@pytest.mark.parametrize("answer_after", [30.0, None], ids=["answers-late", "never-answers"])
def test_no_answer_after_data_is_maybe_delivered_and_never_retried(
    db_engine, smtp_server_factory, tmp_path, answer_after
):
    server = smtp_server_factory(StallingHandler(stage="DATA", answer_after=answer_after))
    settings = make_settings(tmp_path, smtp=smtp_of(server, timeout=1.0))
    row = queue_approved_reply(db_engine, settings)

    first = deliver_queued(engine=db_engine, settings=settings, now=T0)
    again = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(days=1))

    assert counts(first) == (0, 0, 0, 1) and counts(again) == (0, 0, 0, 0)
    assert len(server.received) == 1  # the server has it: exactly one copy
    flagged = load(db_engine, row)
    assert flagged.status == "needs_agent" and "may have taken the reply" in flagged.last_error
    assert draft_status(db_engine, row) == "approved"
    assert audit_actions(db_engine, row) == ["delivery_needs_agent"]


def test_a_stall_before_data_stays_retryable(db_engine, smtp_server_factory, tmp_path):
    server = smtp_server_factory(StallingHandler(stage="RCPT", answer_after=None))
    settings = make_settings(tmp_path, smtp=smtp_of(server, timeout=1.0))
    row = queue_approved_reply(db_engine, settings)

    first = deliver_queued(engine=db_engine, settings=settings, now=T0)
    assert counts(first) == (0, 1, 0, 0)
    assert load(db_engine, row).status == "queued" and server.received == []
    assert counts(deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(minutes=5))) == (1, 0, 0, 0)
    assert [r.message()["Message-ID"] for r in server.received] == [row.message_id]


def test_agent_resends_a_maybe_delivered_reply_from_the_command_line(smtp_server_factory, tmp_path):
    from mailbot.db.engine import make_engine

    server = smtp_server_factory(StallingHandler(stage="DATA", answer_after=None))
    database = tmp_path / "mailbot.db"
    config = tmp_path / "mailbot.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{database}"\n[support]\naddress = "{SUPPORT}"\n'
        f'[smtp]\nhost = "{server.host}"\nport = {server.port}\nsecurity = "none"\ntimeout = 1.0\n'
    )
    engine = make_engine(f"sqlite:///{database}")
    settings = make_settings(tmp_path, smtp=smtp_of(server, timeout=1.0))
    row = queue_approved_reply(engine, settings, now=datetime(2000, 1, 1, tzinfo=UTC))

    sent = run_mailbot("--config", config, "send", cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines() == [
        "sent 0, retrying 0, failed 0, needs agent 1",
        f"reply {row.id} needs an agent: check whether it arrived, then `mailbot outbox resend {row.id}`",
    ]
    resent = run_mailbot("--config", config, "outbox", "resend", str(row.id), "--agent", "alice", cwd=tmp_path)
    assert resent.returncode == 0, resent.stderr
    assert resent.stdout.strip() == f"reply {row.id} to anna@kunde.de queued again as {row.message_id}"
    twice = run_mailbot("--config", config, "outbox", "resend", str(row.id), cwd=tmp_path)
    assert twice.returncode == 2 and twice.stderr.strip().endswith(
        "is queued, not waiting for an agent: nothing was resent"
    )
    missing = run_mailbot("--config", config, "outbox", "resend", "99999999999999999999999", cwd=tmp_path)
    assert missing.returncode == 2 and "no reply in the outbox has the id" in missing.stderr

    again = run_mailbot("--config", config, "send", cwd=tmp_path)
    assert again.stdout.strip() == "sent 1, retrying 0, failed 0, needs agent 0"
    assert [r.message()["Message-ID"] for r in server.received] == [row.message_id] * 2  # the same message
    assert load(engine, row).status == "sent"
    with new_session(engine) as session:
        resend_event = session.exec(select(AuditEvent).where(AuditEvent.action == "resend")).one()
    assert resend_event.agent == "alice"
    engine.dispose()


# --- issue 13 item 4: non-ASCII recipients -------------------------------------------------


def test_non_ascii_recipient_without_smtputf8_fails_alone_and_the_rest_is_delivered(
    db_engine, smtp_server_factory, tmp_path
):
    smtp_server = smtp_server_factory(smtputf8=False)
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server))
    umlaut = queue_approved_reply(db_engine, settings, to="jürgen@kunde.de")
    plain = queue_approved_reply(db_engine, settings, to="anna@kunde.de", now=T0 + timedelta(seconds=1))

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(minutes=1))

    assert counts(summary) == (1, 0, 1, 0)
    failed = load(db_engine, umlaut)
    assert failed.status == "failed" and draft_status(db_engine, umlaut) == "failed"
    assert (
        failed.last_error
        == "jürgen@kunde.de needs SMTPUTF8 (a non-ASCII address), which the SMTP server does not offer"
    )
    assert load(db_engine, plain).status == "sent"
    assert [r.rcpt_tos for r in smtp_server.received] == [["anna@kunde.de"]]


def test_non_ascii_recipient_uses_smtputf8_when_offered(db_engine, smtp_server_factory, tmp_path):
    server = smtp_server_factory()  # offers SMTPUTF8
    settings = make_settings(tmp_path, smtp=smtp_of(server))
    row = queue_approved_reply(db_engine, settings, to="jürgen@kunde.de")

    assert counts(deliver_queued(engine=db_engine, settings=settings, now=T0)) == (1, 0, 0, 0)
    (received,) = server.received
    assert received.rcpt_tos == ["jürgen@kunde.de"] and "SMTPUTF8" in received.mail_options
    assert load(db_engine, row).status == "sent"


# --- at most once -------------------------------------------------------------


def leave_in_sending(engine, row: OutboxMessage, *, lease_until: datetime) -> None:
    """What a crash between the server's 250 and our commit leaves behind."""
    with new_session(engine) as session:
        session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(status="sending", attempts=1, next_attempt_at=lease_until)
        )
        session.commit()


def test_crash_after_smtp_accept_is_flagged_not_resent(db_engine, smtp_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server))
    row = queue_approved_reply(db_engine, settings)
    other = queue_approved_reply(db_engine, settings, to="bob@kunde.de")
    # The crashed run had claimed the row and the server had taken the mail ...
    leave_in_sending(db_engine, row, lease_until=T0 + timedelta(minutes=2))
    asyncio.run(send_smtp(parse_reply(load(db_engine, row).raw), settings=settings.smtp))
    assert len(smtp_server.received) == 1

    # ... the next run, after the lease, flags it instead of sending it again.
    later = T0 + timedelta(minutes=5)
    summary = deliver_queued(engine=db_engine, settings=settings, now=later)

    assert counts(summary) == (1, 0, 0, 1)  # the other reply still goes out
    assert summary.flagged_ids == [row.id]
    assert "needs agent 1" in summary.line()
    assert [r.rcpt_tos for r in smtp_server.received] == [["anna@kunde.de"], ["bob@kunde.de"]]
    flagged = load(db_engine, row)
    assert flagged.status == "needs_agent"
    assert "check whether the customer got the reply" in flagged.last_error
    assert audit_actions(db_engine, row) == ["delivery_needs_agent"]
    assert draft_status(db_engine, row) == "approved"
    assert load(db_engine, other).status == "sent"
    # Flagged once, and never picked up again.
    again = deliver_queued(engine=db_engine, settings=settings, now=later + timedelta(days=1))
    assert counts(again) == (0, 0, 0, 0)
    assert len(smtp_server.received) == 2


def test_reply_being_sent_by_another_instance_is_left_alone(db_engine, smtp_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server))
    row = queue_approved_reply(db_engine, settings)
    leave_in_sending(db_engine, row, lease_until=T0 + timedelta(minutes=2))

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(minutes=1))

    assert counts(summary) == (0, 0, 0, 0)
    assert load(db_engine, row).status == "sending"
    assert smtp_server.received == []


def test_two_runs_at_once_never_send_a_reply_twice(db_engine, smtp_server_factory, tmp_path):
    class SlowHandler(RecordingHandler):
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(0.05)  # long enough for the other run to look for work
            return await super().handle_DATA(server, session, envelope)

    server = smtp_server_factory(SlowHandler())
    settings = make_settings(tmp_path, smtp=smtp_of(server))
    rows = [queue_approved_reply(db_engine, settings, to=f"c{n}@kunde.de") for n in range(8)]
    summaries: list[DeliverySummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            summaries.append(deliver_queued(engine=db_engine, settings=settings, now=T0))
        except BaseException as exc:  # surfaced below; a thread would swallow it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(s.sent for s in summaries) == 8
    ids = [r.message()["Message-ID"] for r in server.received]
    assert sorted(ids) == sorted(row.message_id for row in rows)
    assert all(load(db_engine, row).attempts == 1 for row in rows)


def test_a_draft_is_queued_only_once(db_engine, tmp_path):
    settings = make_settings(tmp_path, smtp=None)
    row = queue_approved_reply(db_engine, settings)
    with new_session(db_engine) as session:
        draft = session.get(Draft, row.draft_id)
        with pytest.raises(DraftStateError, match="already queued"):
            queue_reply(session=session, draft=draft, settings=settings)


# --- throttle -----------------------------------------------------------------


def test_throttle_caps_replies_per_address(db_engine, smtp_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server), max_per_address=2, window_minutes=60)
    anna = [
        queue_approved_reply(db_engine, settings, to=address)
        for address in ("anna@kunde.de", "Anna@Kunde.de", "anna@kunde.de")
    ]
    bob = queue_approved_reply(db_engine, settings, to="bob@kunde.de")

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)

    assert (summary.sent, summary.throttled) == (3, 1)
    assert sorted(r.rcpt_tos[0].lower() for r in smtp_server.received) == [
        "anna@kunde.de",
        "anna@kunde.de",
        "bob@kunde.de",
    ]
    held = load(db_engine, anna[2])
    assert (held.status, held.attempts) == ("queued", 0)
    assert held.next_attempt_at == T0 + timedelta(minutes=60)
    assert "throttled" in held.last_error
    assert load(db_engine, bob).status == "sent"

    halfway = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(minutes=30))
    assert (halfway.sent, halfway.throttled) == (0, 0)
    freed = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(minutes=60))
    assert (freed.sent, freed.throttled) == (1, 0)
    assert len(smtp_server.received) == 4


def test_throttle_counts_replies_already_sent_in_the_window(db_engine, smtp_server, tmp_path):
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server), max_per_address=1, window_minutes=60)
    first = queue_approved_reply(db_engine, settings)
    deliver_queued(engine=db_engine, settings=settings, now=T0)
    second = queue_approved_reply(db_engine, settings, now=T0 + timedelta(minutes=10))

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(minutes=10))

    assert (summary.sent, summary.throttled) == (0, 1)
    assert load(db_engine, second).next_attempt_at == load(db_engine, first).sent_at + timedelta(minutes=60)


# --- file outbox ----------------------------------------------------------------


def test_file_outbox_writes_one_parseable_eml(db_engine, tmp_path):
    settings = make_settings(tmp_path, smtp=None)
    row = queue_approved_reply(db_engine, settings)

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)

    assert counts(summary) == (1, 0, 0, 0)
    outbox = tmp_path / "outbox"
    (written,) = outbox.iterdir()
    assert written.suffix == ".eml" and not written.name.startswith(".")
    message = BytesParser(policy=policy.default).parsebytes(written.read_bytes())
    assert message["Message-ID"] == row.message_id
    assert message["To"] == "anna@kunde.de"
    assert message["In-Reply-To"] and message["References"]
    assert "das Konto ist verknüpft" in message.get_content()
    assert load(db_engine, row).status == "sent"
    deliver_queued(engine=db_engine, settings=settings, now=T0 + timedelta(days=1))
    assert len(list(outbox.iterdir())) == 1


def test_file_outbox_names_files_safely_and_replaces_atomically(tmp_path):
    message = parse_reply(b"From: s@x.example\nTo: a@y.example\nMessage-ID: <../../etc/passwd@evil>\n\nhi\n")
    first = write_file_outbox(message, path=tmp_path / "out")
    second = write_file_outbox(message, path=tmp_path / "out")
    assert first == second
    assert first.parent == tmp_path / "out"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [first.name]  # no temp files left
    assert "/" not in first.name and not first.name.startswith(".")


def test_unwritable_outbox_keeps_the_reply_queued(db_engine, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox folder should be")
    settings = make_settings(tmp_path, smtp=None, path=str(blocker / "outbox"))
    row = queue_approved_reply(db_engine, settings)

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)

    assert counts(summary) == (0, 1, 0, 0)
    assert summary.stopped and "cannot write to outbox" in summary.stopped
    assert (load(db_engine, row).status, load(db_engine, row).attempts) == ("queued", 0)


# --- TLS, login, secrets, outages ---------------------------------------------------


def test_starttls_and_auth_deliver(db_engine, smtp_tls_server, tmp_path):
    smtp = smtp_of(smtp_tls_server, security="starttls", username=SMTP_USER, password=SMTP_PASSWORD)
    settings = make_settings(tmp_path, smtp=smtp)
    row = queue_approved_reply(db_engine, settings)

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)

    assert counts(summary) == (1, 0, 0, 0)
    (received,) = smtp_tls_server.received
    assert (received.tls, received.login) == (True, SMTP_USER)
    assert received.message()["Message-ID"] == row.message_id


def test_server_requiring_tls_is_an_outage_not_a_rejection(db_engine, smtp_tls_server, tmp_path):
    # security = "none" against a server that demands STARTTLS: a config error
    # every reply would hit, so no reply may be failed for it.
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_tls_server, security="none"))
    row = queue_approved_reply(db_engine, settings)
    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)
    assert counts(summary) == (0, 1, 0, 0)
    assert summary.stopped and "530" in summary.stopped
    assert (load(db_engine, row).status, load(db_engine, row).attempts) == ("queued", 0)


def test_untrusted_certificate_is_refused(db_engine, smtp_tls_server, tmp_path, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    smtp = smtp_of(smtp_tls_server, security="starttls", username=SMTP_USER, password=SMTP_PASSWORD)
    settings = make_settings(tmp_path, smtp=smtp)
    queue_approved_reply(db_engine, settings)
    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)
    assert counts(summary) == (0, 1, 0, 0)
    assert "CERTIFICATE_VERIFY_FAILED" in summary.stopped or "certificate" in summary.stopped
    assert smtp_tls_server.received == []


def test_password_never_appears_in_errors(db_engine, smtp_server_factory, tmp_path, monkeypatch):
    # This server echoes the submitted password in its 535 reply, as careless ones do.
    server = smtp_server_factory(starttls=True, users={SMTP_USER: "right"}, echo_credentials=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cafile))
    wrong = "wr0ng-Pa55-" + secrets.token_hex(4)
    smtp = smtp_of(server, security="starttls", username=SMTP_USER, password=wrong)
    settings = make_settings(tmp_path, smtp=smtp)
    row = queue_approved_reply(db_engine, settings)

    summary = deliver_queued(engine=db_engine, settings=settings, now=T0)

    # The server did receive the password and echo it (aiosmtplib tries LOGIN and PLAIN).
    assert server.failed_logins and set(server.failed_logins) == {SMTP_USER}
    assert counts(summary) == (0, 1, 0, 0)
    assert "535" in summary.stopped
    texts = [summary.line(), load(db_engine, row).last_error, repr(settings), repr(smtp)]
    texts += [str(detail) for detail in audit_details(db_engine)]
    assert all(wrong not in text for text in texts), texts
    with pytest.raises(SmtpUnavailable) as caught:
        asyncio.run(send_smtp(parse_reply(row.raw), settings=smtp))
    assert wrong not in str(caught.value) and "***" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_unreachable_server_does_not_use_up_attempts(db_engine, tmp_path):
    smtp = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=5.0)
    settings = make_settings(tmp_path, smtp=smtp, max_attempts=2)
    first = queue_approved_reply(db_engine, settings)
    second = queue_approved_reply(db_engine, settings, to="bob@kunde.de")
    moment = T0
    for _ in range(5):
        summary = deliver_queued(engine=db_engine, settings=settings, now=moment)
        assert counts(summary) == (0, 1, 0, 0)  # stops after the first refusal
        assert "Connect call failed" in summary.stopped or "refused" in summary.stopped
        moment += timedelta(hours=1)
    for row in (first, second):
        assert (load(db_engine, row).status, load(db_engine, row).attempts) == ("queued", 0)
        assert draft_status(db_engine, row) == "approved"


# --- send_smtp on its own -------------------------------------------------------------


def sample_message():
    return parse_reply(
        b"From: Support <support@mailbot.example>\nTo: anna@kunde.de\n"
        b"Subject: Re: x\nMessage-ID: <m1@mailbot.example>\n\nHallo\n"
    )


def test_send_smtp_returns_the_servers_reply(smtp_server):
    reply = asyncio.run(send_smtp(sample_message(), settings=smtp_of(smtp_server)))
    assert "queued as test-1" in reply


def test_send_smtp_sorts_failures(smtp_server_factory, smtp_rejecting_server):
    deferred = smtp_server_factory(FlakyHandler(failures=1))
    with pytest.raises(SmtpDeferred) as temporary:
        asyncio.run(send_smtp(sample_message(), settings=smtp_of(deferred)))
    assert temporary.value.code == 451 and isinstance(temporary.value, TemporaryDeliveryError)
    with pytest.raises(SmtpRejected) as permanent:
        asyncio.run(send_smtp(sample_message(), settings=smtp_of(smtp_rejecting_server)))
    assert permanent.value.code == 550 and isinstance(permanent.value, PermanentDeliveryError)
    assert "User unknown" in str(permanent.value)


# --- the command line -------------------------------------------------------------------


def test_send_command_prints_the_counts(smtp_server, tmp_path):
    from mailbot.db.engine import make_engine

    database = tmp_path / "mailbot.db"
    config = tmp_path / "mailbot.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{database}"\n'
        f'[support]\naddress = "{SUPPORT}"\n'
        f'[smtp]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\nsecurity = "none"\n'
    )
    engine = make_engine(f"sqlite:///{database}")
    settings = make_settings(tmp_path, smtp=smtp_of(smtp_server))
    queue_approved_reply(engine, settings, now=datetime(2000, 1, 1, tzinfo=UTC))
    engine.dispose()

    result = run_mailbot("--config", config, "send", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sent 1, retrying 0, failed 0, needs agent 0"
    assert len(smtp_server.received) == 1


def test_send_command_fails_only_on_config_or_database_errors(tmp_path):
    config = tmp_path / "mailbot.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://postgres@127.0.0.1:1/none"\n')
    result = run_mailbot("--config", config, "send", cwd=tmp_path)
    assert result.returncode == 2
    assert "database" in result.stderr and "Traceback" not in result.stderr
