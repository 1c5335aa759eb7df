"""The reply message itself: threading, headers, encoding, header injection."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from mailbot.mail.reply import (
    MAX_REFERENCES,
    build_reply,
    envelope_recipients,
    parse_reply,
    reply_bytes,
)

CUSTOMER_ID = "<CAF=kunde-4711@mail.gmail.com>"
EARLIER_IDS = "<thread-root-1@kunde.de> <reply-2@support.example.com>"


def reply(**overrides):
    values = {
        "draft_to": '"Anna Müller" <Anna.Mueller@Kunde.de>',
        "subject": "Re: Teammitglied verknüpfen",
        "body": "Hallo Frau Müller,\n\nwir haben das Konto verknüpft.\n\nGrüße\nSupport\n",
        "html": None,
        "in_reply_to": CUSTOMER_ID,
        "references": EARLIER_IDS,
        "support_address": "support@mailbot.example",
        "support_name": "Mailbot Support",
    }
    values.update(overrides)
    return build_reply(**values)


def reparsed(message):
    """As the customer's client sees it: the bytes, parsed by a plain default policy."""
    return BytesParser(policy=policy.default).parsebytes(reply_bytes(message))


def test_reply_threads_under_the_customers_message():
    message = reparsed(reply())
    assert message["In-Reply-To"] == CUSTOMER_ID
    assert message["References"].split() == [
        "<thread-root-1@kunde.de>",
        "<reply-2@support.example.com>",
        CUSTOMER_ID,
    ]
    assert message["Subject"] == "Re: Teammitglied verknüpfen"


def test_reply_comes_from_support_and_goes_to_the_customer():
    message = reparsed(reply())
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Mailbot Support", "support@mailbot.example")
    (recipient,) = message["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == ("Anna Müller", "Anna.Mueller@Kunde.de")
    assert message["X-Mailer"] == "mailbot"
    assert message["Date"].datetime.tzinfo is not None


def test_agent_approved_reply_is_not_marked_automatic():
    # An agent approved it: Auto-Submitted would make the customer's filters drop it.
    message = reparsed(reply())
    assert message["Auto-Submitted"] is None
    assert message["Precedence"] is None


def test_message_id_is_ours_and_unguessable():
    first, second = reply(), reply()
    assert first["Message-ID"] != second["Message-ID"]
    match = re.fullmatch(r"<(?P<left>[^@<>]+)@(?P<domain>[^@<>]+)>", first["Message-ID"])
    assert match, first["Message-ID"]
    assert match["domain"] == "mailbot.example"
    assert re.search(r"[0-9a-f]{32}", match["left"]), "needs a 128-bit random token"


def test_message_id_domain_can_be_chosen():
    message = reply(message_id_domain="replies.mailbot.example")
    assert message["Message-ID"].endswith("@replies.mailbot.example>")


def test_references_without_their_message_id_get_it_appended_once():
    message = reparsed(reply(references=f"{EARLIER_IDS} {CUSTOMER_ID}"))
    assert message["References"].split().count(CUSTOMER_ID) == 1
    assert message["References"].split()[-1] == CUSTOMER_ID


def test_first_reply_without_references_still_threads():
    message = reparsed(reply(references=None))
    assert message["In-Reply-To"] == CUSTOMER_ID
    assert message["References"] == CUSTOMER_ID


def test_no_threading_headers_without_a_customer_message_id():
    message = reparsed(reply(in_reply_to=None, references=None))
    assert message["In-Reply-To"] is None
    assert message["References"] is None


def test_long_references_are_trimmed_keeping_root_and_latest():
    ids = [f"<id-{n}@kunde.de>" for n in range(40)]
    message = reparsed(reply(references=" ".join(ids)))
    kept = message["References"].split()
    assert len(kept) == MAX_REFERENCES
    assert kept[0] == ids[0]
    assert kept[-2:] == [ids[-1], CUSTOMER_ID]


def test_long_message_ids_are_never_encoded():
    # policy.default would turn a long id into =?utf-8?q?=3C...?= and break threading.
    long_id = "<" + "a1b2c3d4" * 12 + "@mail.outlook.example.com>"
    message = reply(in_reply_to=long_id, references=EARLIER_IDS)
    raw = reply_bytes(message)
    head = raw.split(b"\n\n", 1)[0].decode("ascii").replace("\n ", " ")
    id_lines = [h for h in head.splitlines() if h.startswith(("In-Reply-To:", "References:"))]
    assert len(id_lines) == 2
    assert all("=?" not in line and long_id in line for line in id_lines), id_lines
    client_view = BytesParser(policy=policy.default).parsebytes(raw)
    assert client_view["In-Reply-To"] == long_id
    assert client_view["References"].split()[-1] == long_id


@pytest.mark.parametrize("field", ["draft_to", "subject", "support_name", "in_reply_to", "references"])
@pytest.mark.parametrize("linebreak", ["\r\n", "\n", "\r"])
def test_header_injection_is_blocked(field, linebreak):
    values = {
        "draft_to": "anna@kunde.de",
        "subject": "Re: Hallo",
        "support_name": "Support",
        "in_reply_to": CUSTOMER_ID,
        "references": EARLIER_IDS,
    }
    values[field] += f"{linebreak}Bcc: victim@elsewhere.example"
    with pytest.raises(ValueError, match="line break"):
        reply(**values)


def test_reply_needs_a_recipient():
    with pytest.raises(ValueError, match="recipient"):
        reply(draft_to="")


def test_plain_text_with_html_alternative_in_utf8():
    message = reparsed(reply(html="<p>Hallo Frau Müller, Grüße</p>"))
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain.get_content_charset() == "utf-8"
    assert "Hallo Frau Müller," in plain.get_content()
    assert "Grüße" in html.get_content()


def test_plain_text_only_without_html():
    message = reparsed(reply())
    assert message.get_content_type() == "text/plain"
    assert message.get_content().startswith("Hallo Frau Müller,")


def test_bytes_are_seven_bit_so_any_relay_takes_them():
    raw = reply_bytes(reply(html="<p>Grüße</p>", subject="Re: Größe ändern"))
    assert max(raw) < 128


def test_stored_bytes_parse_back_to_the_same_bytes():
    # The outbox stores bytes once; what we send later must be exactly those bytes.
    raw = reply_bytes(reply(html="<b>x</b>", in_reply_to="<" + "z" * 120 + "@x.example>"))
    assert reply_bytes(parse_reply(raw)) == raw
    assert reply_bytes(parse_reply(raw), linesep="\r\n") == raw.replace(b"\n", b"\r\n")


def test_date_can_be_fixed():
    message = reparsed(reply(date=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert message["Date"].datetime == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_envelope_recipients_keep_case_and_drop_repeats():
    message = reply(draft_to="Anna.Mueller@Kunde.de, anna.mueller@kunde.de, va@kunde.de")
    assert envelope_recipients(message) == ["Anna.Mueller@Kunde.de", "va@kunde.de"]
