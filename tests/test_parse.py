"""Parsing facts from MAIL-NOTES, each shown on a real .eml file in tests/data/quirks."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.mail.html_text import html_to_text
from mailbot.mail.parse import MAX_HEADER_CHARS, decode_bytes, parse_mail

QUIRKS = Path(__file__).parent / "data" / "quirks"


def parse(name: str, **kwargs):
    return parse_mail((QUIRKS / name).read_bytes(), **kwargs)


def test_from_with_two_mailboxes_has_no_sender() -> None:
    mail = parse("two-mailbox-from.eml")
    assert mail.sender is None
    assert any("exactly one address" in d for d in mail.defects)


def test_address_like_display_name_does_not_replace_the_address() -> None:
    mail = parse("quoted-display-name.eml")
    assert mail.sender == "alice@kunde.example"
    assert mail.sender_name == "bob@evil.example"


def test_unknown_8bit_body_and_headers_fall_back_and_keep_umlauts() -> None:
    mail = parse("unknown-8bit.eml")
    assert "verknüpfen" in mail.text
    assert "Grüße" in mail.text
    assert mail.subject == "Teammitglied verknüpfen"
    assert mail.sender_name == "Jürgen Müller"
    assert any("unknown-8bit" in d for d in mail.defects)


def test_garbage_charset_is_read_as_utf8_and_recorded() -> None:
    mail = parse("garbage-charset.eml")
    assert "tom@client.example" in mail.text
    assert any("unknown charset" in d for d in mail.defects)


def test_cp1252_fallback_when_bytes_are_not_utf8() -> None:
    text, defect = decode_bytes("Grüße".encode("cp1252"), "unknown-8bit")
    assert text == "Grüße"
    assert defect == "charset unknown-8bit"


def test_html_entities_decode_and_blocks_do_not_glue_addresses() -> None:
    mail = parse("html-entities-br.eml")
    assert mail.text_source == "html"
    assert "verknüpfen" in mail.text and "Grüße" in mail.text
    assert "lisa@kunde.example\nZweite" in mail.text
    assert "lisa@kunde.example.zweite" not in mail.text.lower()


def test_html_mailto_targets_are_kept_and_quotes_become_marked_lines() -> None:
    mail = parse("html-quote-markers.eml")
    lines = mail.text.splitlines()
    assert "Please link Amy <amy@client.example> to my account." in lines
    assert any(line.startswith("> ") and "old@client.example" in line for line in lines)


def test_plain_text_part_is_preferred_over_html() -> None:
    mail = parse("plain-preferred.eml")
    assert mail.text_source == "plain"
    assert "pat@client.example" in mail.text and "HTML version" not in mail.text


def test_html_is_read_when_only_it_carries_a_linked_address() -> None:
    mail = parse("mailto-only-in-html.eml")
    assert mail.text_source == "html"
    assert "Pat <pat@client.example>" in mail.text


def test_no_text_part_is_unreadable_not_an_exception() -> None:
    mail = parse("no-text-part.eml")
    assert mail.unreadable == "no text part"


def test_missing_closing_boundary_still_reads_the_text() -> None:
    mail = parse("missing-boundary.eml")
    assert "liz@client.example" in mail.text


def test_huge_header_is_capped_and_long_line_is_read() -> None:
    mail = parse("huge-header-long-line.eml")
    assert mail.sender == "big@client.example"
    assert len(mail.header("to") or "") <= MAX_HEADER_CHARS
    assert "kim@client.example" in mail.text


def test_message_over_the_size_cap_is_unreadable_but_keeps_headers() -> None:
    raw = (QUIRKS / "garbage-charset.eml").read_bytes() + b"x" * 5000
    mail = parse_mail(raw, max_bytes=1000)
    assert mail.unreadable is not None and "limit" in mail.unreadable
    assert mail.message_id == "<garbage-charset-1@client.example>"
    assert mail.sender == "jane@client.example"


def test_sender_address_is_lower_cased_but_tags_are_kept() -> None:
    mail = parse("case-and-tags.eml")
    assert mail.sender == "max.power+support@client.example"


def test_html_to_text_skips_style_and_script() -> None:
    text = html_to_text("<style>p{color:red}</style><script>alert(1)</script><p>Hallo</p>")
    assert text.strip() == "Hallo"


def test_rfc2047_subject_is_decoded() -> None:
    raw = (
        b"From: a@b.example\nSubject: =?utf-8?q?Teammitglied_verkn=C3=BCpfen?= bitte\nMessage-ID: <x@b.example>\n\nText"
    )
    assert parse_mail(raw).subject == "Teammitglied verknüpfen bitte"


def test_missing_message_id_falls_back_to_content_hash() -> None:
    mail = parse_mail(b"From: a@b.example\nSubject: hi\n\nhello")
    assert mail.message_id is None
    assert mail.dedup_key.startswith("sha256:") and len(mail.dedup_key) == 7 + 64


def test_raw_utf8_header_bytes_are_decoded() -> None:
    raw = "From: Jürgen <j@b.example>\nSubject: Teammitglied verknüpfen\n\nText".encode()
    mail = parse_mail(raw)
    assert mail.subject == "Teammitglied verknüpfen"
    assert mail.sender_name == "Jürgen"


def test_raw_latin1_header_bytes_fall_back_to_cp1252() -> None:
    raw = "From: j@b.example\nSubject: Grüße\n\nText".encode("latin-1")
    assert parse_mail(raw).subject == "Grüße"


def test_list_lines_are_requests_and_the_signature_is_not(tmp_path) -> None:
    from datetime import date

    from mailbot.accounts.book import MemoryAccountBook
    from mailbot.config import settings_from_mapping
    from mailbot.triage.pipeline import TriageContext, triage_message

    settings = settings_from_mapping({"support": {"address": "support@vendor.example"}}, env={})
    ctx = TriageContext.from_settings(settings, accounts=MemoryAccountBook([]), today=date(2026, 1, 1))
    result = triage_message((QUIRKS / "signature-dash-list.eml").read_bytes(), ctx)
    assert result.intent == "link"
    assert [(d.request.primary, d.request.team_member) for d in result.requests] == [
        ("anna@firma.example", "karl@firma.example"),
        ("anna@firma.example", "lena@firma.example"),
    ]
    assert "zentrale@firma.example" not in result.own_text


def test_reply_goes_to_a_verified_senders_reply_to_and_never_back_at_us() -> None:
    from datetime import date

    from mailbot.accounts.book import MemoryAccountBook
    from mailbot.config import settings_from_mapping
    from mailbot.triage.pipeline import TriageContext, triage_message

    settings = settings_from_mapping({"support": {"address": "support@vendor.example"}}, env={})
    ctx = TriageContext.from_settings(settings, accounts=MemoryAccountBook([]), today=date(2026, 1, 1))
    base = (
        b"Authentication-Results: mx.vendor.example; dmarc=pass header.from=firma.example\n"
        b"From: Boss <boss@firma.example>\nSubject: Team\nMessage-ID: <rt@firma.example>\n"
    )
    body = b"\nPlease link my VA va@firma.example to my account.\n"
    office = triage_message(base + b"Reply-To: office@firma.example\n" + body, ctx)
    looped = triage_message(base + b"Reply-To: Support <SUPPORT+x@vendor.example>\n" + body, ctx)
    assert office.draft.to == "office@firma.example"
    assert looped.draft is None and looped.status == "needs_human"
    assert "Reply-To is our own address" in looped.reason


def test_an_rfc2231_charset_on_a_single_part_does_not_break_the_report_check() -> None:
    raw = b"From: a@b.example\nContent-Type: text/plain; charset*=utf-8''utf-16\n\n\xff\xfe"
    mail = parse_mail(raw)
    assert mail.is_delivery_report is False
    assert mail.sender == "a@b.example"


def test_html_table_row_of_label_and_address_stays_one_line() -> None:
    html = (
        "<p>Bitte verknüpfen:</p><table><tr><td><p><b>Hauptkonto</b></p></td><td><p>boss@a.example</p></td></tr>"
        "<tr><td>Teammitglied<td>lena@a.example</table><p>Gruß</p>"  # </td>, </tr> left out, as HTML may
    )
    assert (
        html_to_text(html) == "Bitte verknüpfen:\nHauptkonto | boss@a.example\nTeammitglied | lena@a.example\n\nGruß\n"
    )


@pytest.mark.parametrize(
    "heading",
    [
        "<thead><tr><th>Team member</th><th>Main account</th></tr></thead>",
        "<tr><td><b>Team member</b></td><td><b>Main account</b></td></tr>",
    ],
)
def test_html_table_cells_under_a_heading_row_carry_the_heading(heading: str) -> None:
    html = f"<table>{heading}<tr><td>tim@a.example</td><td>grace@a.example</td></tr></table>"
    assert "Team member: tim@a.example | Main account: grace@a.example" in html_to_text(html)


def test_html_table_without_rows_keeps_the_text_before_it() -> None:
    html = "<p>Please link these:</p><table><td>Team member</td><td>tim@a.example</td></table>"
    assert html_to_text(html) == "Please link these:\nTeam member | tim@a.example\n"


def test_html_layout_table_cells_with_paragraphs_stay_lines() -> None:
    html = "<table><tr><td><p>Hello,</p><p>please link tim@a.example.</p></td><td>Logo</td></tr></table>"
    assert html_to_text(html) == "Hello,\n\nplease link tim@a.example.\nLogo\n"
