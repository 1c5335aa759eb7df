"""Conversations through the command line, against the real Dovecot and aiosmtpd (issue 9's acceptance).

1. A need-info mail is polled, approved and sent: aiosmtpd receives the reply.
2. The customer's client answers *that* reply — its real Message-ID in
   In-Reply-To/References, its subject with ``Re:``/``AW:``, our text quoted
   below — naming the missing address; the answer is APPENDed to Dovecot.
3. The next poll joins it to the same conversation and drafts ready-to-link.
4. A repeat mail (no threading headers, same sender, same intent, within the
   window) supersedes that pending draft; approving the superseded draft is
   refused with the contract's one line (exit 1) and nothing is sent.

On SQLite and PostgreSQL, for two mail clients' way of replying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from mailbot_cli import json_lines, run_mailbot
from poll_support import cli_config
from servers.mails import EXAMPLE_ACCOUNTS, EXAMPLE_MAILS
from servers.smtp import Received

OLIVIA = "olivia.reed@harbourview.example"
ASSISTANT = "noah.hughes@harbourview.example"  # a registered trial account, not linked yet
NEED_INFO_MAIL = EXAMPLE_MAILS / "04-link-need-info-en.eml"
#: What our receiving server says about Olivia's domain on every mail she sends.
AUTH_RESULTS = (
    "mx.example.com; dkim=pass header.d=harbourview.example; "
    "spf=pass smtp.mailfrom=olivia.reed@harbourview.example; dmarc=pass header.from=harbourview.example"
)


@dataclass(frozen=True)
class Client:
    """How one mail client answers a mail: the subject prefix, the text, the quote block."""

    name: str
    prefix: str  # put before the subject it answers (clients leave an existing "Re:" alone, or stack it)
    text: str
    quote_header: str  # the line(s) above the quoted reply

    def subject(self, answered: str) -> str:
        if self.prefix == "Re: " and answered.lower().startswith("re:"):
            return answered
        return self.prefix + answered

    def quote(self, reply: EmailMessage) -> str:
        body = reply.get_body(preferencelist=("plain",))
        assert body is not None
        quoted = body.get_content()
        if self.name == "thunderbird":
            return "\n".join("> " + line if line else ">" for line in quoted.splitlines())
        return quoted  # Outlook quotes nothing: the header block above the text says it is the earlier mail


CLIENTS = [
    Client(
        name="thunderbird",
        prefix="Re: ",
        text=f"Hi,\n\nsure, her address is {ASSISTANT}.\n\nThanks,\nOlivia\n",
        quote_header="On {date}, Support wrote:",
    ),
    Client(
        name="outlook-de",
        prefix="AW: ",
        text=f"Hallo,\n\ndie Adresse meiner Assistentin ist {ASSISTANT}\n\nViele Grüße\nOlivia Reed\n",
        quote_header=(
            "________________________________\n"
            "Von: Support <support@example.com>\n"
            "Gesendet: {date}\n"
            f"An: Olivia Reed <{OLIVIA}>\n"
            "Betreff: {subject}"
        ),
    ),
]


def _answer(reply: Received, client: Client, *, date: datetime) -> bytes:
    """The customer's answer to the reply exactly as the SMTP server received it."""
    ours = reply.message()
    answer = EmailMessage()
    answer["Authentication-Results"] = AUTH_RESULTS
    answer["From"] = f"Olivia Reed <{OLIVIA}>"
    answer["To"] = str(ours["From"])
    answer["Subject"] = client.subject(str(ours["Subject"]))
    answer["Date"] = format_datetime(date)
    answer["Message-ID"] = make_msgid(domain="harbourview.example")
    answer["In-Reply-To"] = ours["Message-ID"]
    answer["References"] = " ".join([*str(ours.get("References", "")).split(), ours["Message-ID"]])
    answer["MIME-Version"] = "1.0"
    header = client.quote_header.format(date=ours["Date"], subject=ours["Subject"])
    answer.set_content(f"{client.text}\n{header}\n{client.quote(ours)}\n")
    return answer.as_bytes()


def _repeat(*, date: datetime) -> bytes:
    """Olivia writes again before anyone answered: a new mail, no threading headers, same intent."""
    mail = EmailMessage()
    mail["Authentication-Results"] = AUTH_RESULTS
    mail["From"] = f"Olivia Reed <{OLIVIA}>"
    mail["To"] = "support@example.com"
    mail["Subject"] = "Assistant account"
    mail["Date"] = format_datetime(date)
    mail["Message-ID"] = make_msgid(domain="harbourview.example")
    mail.set_content(
        f"Hello again,\n\nplease link my assistant's account {ASSISTANT} to my account,\n"
        "she needs access by Monday.\n\nOlivia Reed\n"
    )
    return mail.as_bytes()


def _mailbot(config: Path, cwd: Path, *args: str) -> Any:
    return run_mailbot("--config", config, *args, cwd=cwd)


def _drafts(config: Path, cwd: Path, status: str = "all") -> list[dict[str, Any]]:
    done = _mailbot(config, cwd, "drafts", "list", "--status", status, "--json")
    assert done.returncode == 0, done.stderr
    return json_lines(done.stdout)


def _conversation(config: Path, cwd: Path, conversation_id: int) -> dict[str, Any]:
    done = _mailbot(config, cwd, "conversations", "show", str(conversation_id), "--json")
    assert done.returncode == 0, done.stderr
    (shown,) = json_lines(done.stdout)
    return shown


def _poll(config: Path, cwd: Path) -> None:
    done = _mailbot(config, cwd, "poll")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("client", CLIENTS, ids=[c.name for c in CLIENTS])
def test_an_answer_to_our_question_completes_the_conversation_and_a_repeat_supersedes_its_draft(
    client: Client, storage_url: str, dovecot, imap_user: str, smtp_server, tmp_path: Path
) -> None:
    config = cli_config(
        tmp_path / "mailbot.toml",
        storage_url,
        dovecot.mailbox_config(imap_user),
        smtp={"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
    )
    assert _mailbot(config, tmp_path, "accounts", "import", str(EXAMPLE_ACCOUNTS)).returncode == 0

    # 1. The need-info mail: polled, approved, sent.
    dovecot.append(NEED_INFO_MAIL.read_bytes(), user=imap_user)
    _poll(config, tmp_path)
    (asked,) = _drafts(config, tmp_path)
    assert asked["status"] == "pending" and asked["to"] == OLIVIA
    assert [(r["outcome"], r["team_member"]) for r in asked["requests"]] == [("need_info", None)]
    conversation_id = asked["conversation_id"]
    assert isinstance(conversation_id, int)
    approved = _mailbot(config, tmp_path, "drafts", "approve", str(asked["id"]), "--agent", "alice")
    assert approved.returncode == 0, approved.stderr
    sent = _mailbot(config, tmp_path, "send")
    assert sent.stdout.startswith("sent 1"), sent.stdout + sent.stderr
    (question,) = smtp_server.received
    ours = question.message()
    assert ours["Subject"].startswith("Re: ") and ours["Subject"].endswith(f"[#{conversation_id}]")
    assert question.rcpt_tos == [OLIVIA]

    # 2. Olivia's client answers the reply the SMTP server got; the answer lands in the support folder.
    answer = _answer(question, client, date=datetime.now(UTC).replace(microsecond=0))
    dovecot.append(answer, user=imap_user)

    # 3. The next poll joins it to the same conversation: now ready to link.
    _poll(config, tmp_path)
    pending = _drafts(config, tmp_path, "pending")
    (ready,) = pending
    assert ready["conversation_id"] == conversation_id
    assert ready["to"] == OLIVIA
    assert [(r["primary"], r["team_member"], r["outcome"]) for r in ready["requests"]] == [
        (OLIVIA, ASSISTANT, "ready_to_link")
    ]
    assert "Re: Re:" not in ready["subject"] and "AW:" not in ready["subject"]
    assert ready["subject"].count(f"[#{conversation_id}]") == 1
    shown = _conversation(config, tmp_path, conversation_id)
    assert shown["id"] == conversation_id and shown["intent"] == "link"
    assert shown["pending_draft_id"] == ready["id"]
    kinds = [(item["kind"], item.get("status")) for item in shown["items"]]
    assert [k for k, _s in kinds].count("mail") == 2, kinds
    assert ("reply", "sent") in kinds, kinds
    mails = [item for item in shown["items"] if item["kind"] == "mail"]
    assert mails[1]["joined_by"] == "thread"
    assert mails[1]["message_id"] == answer_message_id(answer)
    (reply_item,) = [item for item in shown["items"] if item["kind"] == "reply"]
    assert reply_item["message_id"] == ours["Message-ID"]
    (ready_item,) = [item for item in shown["items"] if item["kind"] == "draft" and item["id"] == ready["id"]]
    (request,) = ready_item["requests"]
    # The request was stated by the first mail and completed by the answer, which is now its asker.
    assert request["stated_in"] == mails[0]["id"] and request["asked_by"] == mails[1]["id"]
    assert {(p["address"], p["role"]) for p in shown["participants"]} >= {
        (OLIVIA, "sender"),
        (OLIVIA, "primary"),
        (ASSISTANT, "team_member"),
    }

    # 4. A repeat without threading headers, within the window, supersedes the pending draft.
    dovecot.append(_repeat(date=datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)), user=imap_user)
    _poll(config, tmp_path)
    (newest,) = _drafts(config, tmp_path, "pending")
    assert newest["id"] != ready["id"] and newest["conversation_id"] == conversation_id
    assert [(r["team_member"], r["outcome"]) for r in newest["requests"]] == [(ASSISTANT, "ready_to_link")]
    (superseded,) = _drafts(config, tmp_path, "superseded")
    assert superseded["id"] == ready["id"]
    shown = _conversation(config, tmp_path, conversation_id)
    assert [item["joined_by"] for item in shown["items"] if item["kind"] == "mail"] == ["new", "thread", "repeat"]
    (old_item,) = [item for item in shown["items"] if item["kind"] == "draft" and item["id"] == ready["id"]]
    assert (old_item["status"], old_item["superseded_by"]) == ("superseded", newest["id"])

    refused = _mailbot(config, tmp_path, "drafts", "approve", str(ready["id"]), "--agent", "bob")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    line = f"draft {ready['id']} was superseded by draft {newest['id']}: review draft {newest['id']} instead"
    assert line in refused.stderr and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert _mailbot(config, tmp_path, "send").stdout.startswith("sent 0")
    assert len(smtp_server.received) == 1  # only the question of step 1 ever went out
    (still,) = _drafts(config, tmp_path, "superseded")
    assert still["id"] == ready["id"]
    accounts = _mailbot(config, tmp_path, "accounts", "show", ASSISTANT, "--json")
    assert json_lines(accounts.stdout)[0]["primary_account_id"] is None  # nothing was linked


def answer_message_id(raw: bytes) -> str:
    from email import message_from_bytes, policy

    return str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
