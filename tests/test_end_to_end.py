"""The whole product through its command line, against real servers.

Dovecot holds the support mailbox, aiosmtpd receives the replies: poll → review →
approve → send, then the reply lands in the customer's own mailbox and the
server threads it under their mail.
"""

from __future__ import annotations

from pathlib import Path

from mailbot_cli import json_lines, run_mailbot
from poll_support import cli_config
from servers.mails import EXAMPLE_ACCOUNTS, example_mails


def _setup(tmp_path: Path, dovecot, imap_user: str, smtp_server, **mailbox: object) -> Path:
    for _name, raw in example_mails():
        dovecot.append(raw, user=imap_user)
    config = cli_config(
        tmp_path / "mailbot.toml",
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        dovecot.mailbox_config(imap_user, **mailbox),
        smtp={"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
    )
    assert run_mailbot("--config", config, "accounts", "import", EXAMPLE_ACCOUNTS, cwd=tmp_path).returncode == 0
    assert run_mailbot("--config", config, "poll", cwd=tmp_path).returncode == 0
    return config


def test_poll_review_approve_send_threads_the_reply_and_changes_the_account(
    dovecot, imap_user, smtp_server, tmp_path: Path
) -> None:
    config = _setup(tmp_path, dovecot, imap_user, smtp_server, sent_folder="Sent")
    rows = json_lines(run_mailbot("--config", config, "drafts", "list", "--json", cwd=tmp_path).stdout)
    link = next(r for r in rows if r["requests"] and r["requests"][0]["outcome"] == "ready_to_link")
    team_member = link["requests"][0]["team_member"]
    before = json_lines(
        run_mailbot("--config", config, "accounts", "show", team_member, "--json", cwd=tmp_path).stdout
    )[0]
    assert before["primary_account_id"] is None

    # Nothing goes out before an agent approves.
    assert run_mailbot("--config", config, "send", cwd=tmp_path).stdout.startswith("sent 0")
    assert smtp_server.received == []

    shown = run_mailbot("--config", config, "drafts", "show", str(link["id"]), cwd=tmp_path, env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    for expected in ("customer's text", "ready_to_link", "link #12", f"link {team_member}", "reply to"):
        assert expected in shown.stdout

    approved = run_mailbot("--config", config, "drafts", "approve", str(link["id"]), "--agent", "alice", cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    sent = run_mailbot("--config", config, "send", cwd=tmp_path)
    assert sent.stdout.startswith("sent 1"), sent.stdout + sent.stderr
    assert run_mailbot("--config", config, "send", cwd=tmp_path).stdout.startswith("sent 0")

    (received,) = smtp_server.received
    reply = received.message()
    assert reply["In-Reply-To"].strip() == link["message_id"]
    assert link["message_id"] in reply["References"]
    assert reply["Subject"] == link["subject"] and reply["Subject"].startswith("Re: ")
    assert reply["From"].addresses[0].addr_spec == "support@example.com"
    assert received.rcpt_tos == [link["to"]]

    after = json_lines(run_mailbot("--config", config, "accounts", "show", team_member, "--json", cwd=tmp_path).stdout)[
        0
    ]
    primary = json_lines(
        run_mailbot(
            "--config", config, "accounts", "show", link["requests"][0]["primary"], "--json", cwd=tmp_path
        ).stdout
    )[0]
    assert after["primary_account_id"] == primary["account_id"]
    assert (after["plan"], after["status"], after["paid_until"]) == (primary["plan"], "active", primary["paid_until"])

    events = json_lines(run_mailbot("--config", config, "audit", "list", "--json", cwd=tmp_path).stdout)
    assert {(e["action"], e["agent"]) for e in events if e["draft_id"] == link["id"]} >= {("approved", "alice")}
    assert any(e["action"] == "sent" and e["draft_id"] == link["id"] for e in events)

    # The support mailbox keeps a read copy of the reply in Sent, for colleagues in a mail client.
    with dovecot.client(imap_user) as client:
        client.select_folder("Sent", readonly=True)
        copies = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    assert [b"\\Seen" in c[b"FLAGS"] for c in copies.values()] == [True]
    assert reply["Message-ID"].encode() in next(iter(copies.values()))[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]

    # The customer's mailbox: their mail and our reply, threaded together by the server.
    customer = dovecot.new_user()
    original = next(raw for _n, raw in example_mails() if link["message_id"].encode() in raw)
    dovecot.append(original, user=customer)
    dovecot.append(received.data, user=customer)
    with dovecot.client(customer) as client:
        client.select_folder("INBOX", readonly=True)
        threads = client.thread(algorithm="REFERENCES", criteria="ALL")
    assert [sorted(_flatten(t)) for t in threads] == [[1, 2]]


def test_rejected_draft_is_never_sent(dovecot, imap_user, smtp_server, tmp_path: Path) -> None:
    config = _setup(tmp_path, dovecot, imap_user, smtp_server)
    (first, *_rest) = json_lines(run_mailbot("--config", config, "drafts", "list", "--json", cwd=tmp_path).stdout)
    rejected = run_mailbot(
        "--config",
        config,
        "drafts",
        "reject",
        str(first["id"]),
        "--reason",
        "duplicate",
        "--agent",
        "bob",
        cwd=tmp_path,
    )
    assert rejected.returncode == 0, rejected.stderr
    again = run_mailbot("--config", config, "drafts", "approve", str(first["id"]), cwd=tmp_path)
    assert again.returncode != 0 and "already rejected by bob" in again.stderr
    assert run_mailbot("--config", config, "send", cwd=tmp_path).stdout.startswith("sent 0")
    assert smtp_server.received == []
    listed = json_lines(
        run_mailbot("--config", config, "drafts", "list", "--status", "rejected", "--json", cwd=tmp_path).stdout
    )
    assert [r["id"] for r in listed] == [first["id"]]


def _flatten(thread) -> list[int]:
    out: list[int] = []
    for item in thread:
        out.extend(_flatten(item) if isinstance(item, tuple | list) else [item])
    return out


def test_a_failed_copy_to_sent_is_recorded_and_the_reply_still_counts_as_sent(
    dovecot, imap_user, smtp_server, tmp_path: Path
) -> None:
    from mailbot.config import load_settings
    from mailbot.db.engine import make_engine
    from mailbot.outbox.queue import deliver_queued
    from mailbot.review.approve import approve

    config = _setup(tmp_path, dovecot, imap_user, smtp_server, sent_folder="Sent")
    (first, *_rest) = json_lines(run_mailbot("--config", config, "drafts", "list", "--json", cwd=tmp_path).stdout)
    settings = load_settings(config, env={})
    engine = make_engine(settings.database.url)
    approve(engine=engine, settings=settings, draft_id=first["id"], agent="alice")
    dovecot.stop()
    try:
        assert deliver_queued(engine=engine, settings=settings).sent == 1
    finally:
        dovecot.start()
    assert len(smtp_server.received) == 1
    events = json_lines(run_mailbot("--config", config, "audit", "list", "--json", cwd=tmp_path).stdout)
    assert {e["action"] for e in events if e["draft_id"] == first["id"]} >= {"sent", "sent_copy_failed"}
