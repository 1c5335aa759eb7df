"""Quote and signature stripping for the clients customers really use."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.mail import quotes
from mailbot.mail.quotes import strip_quoted_history

CASES = {
    "gmail_en": (
        "Please link tom@a.example.\n\nOn Tue, Jun 10, 2025 at 4:41 PM Vendor Support <\n"
        "support@vendor.example> wrote:\n> Which address?\n> old@a.example\n"
    ),
    "gmail_de": (
        "Bitte verknüpfen: tom@a.example\n\nAm Di., 10. Juni 2025 um 16:41 Uhr schrieb Vendor "
        "Support <support@vendor.example>:\n> Welche Adresse?\n> old@a.example\n"
    ),
    "apple_de": (
        "Bitte verknüpfen: tom@a.example\n\nAm 02.06.2025 um 09:14 schrieb Vendor Support "
        "<support@vendor.example>:\n\n> old@a.example\n"
    ),
    "apple_en": (
        "Please link tom@a.example\n\nOn 2 Jun 2025, at 09:14, Vendor Support "
        "<support@vendor.example> wrote:\n\nold@a.example\n"
    ),
    "thunderbird_de": "Bitte tom@a.example verknüpfen.\n\nAm 02.06.25 um 09:14 schrieb Support:\n> old@a.example\n",
    "outlook_de": (
        "Bitte verknüpfen: tom@a.example\n\nVon: Vendor Support <support@vendor.example>\n"
        "Gesendet: Dienstag, 3. Juni 2025 14:02\nAn: Kunde <k@a.example>\nBetreff: AW: Team\n\n"
        "old@a.example\n"
    ),
    "outlook_en_bold": (
        "Please link tom@a.example\n\n________________________________\n*From:* Vendor Support "
        "<support@vendor.example>\n*Sent:* Tuesday, June 3, 2025 2:02 PM\n*To:* k@a.example\n"
        "*Subject:* RE: Team\n\nold@a.example\n"
    ),
    "original_message_en": "Please link tom@a.example\n\n-----Original Message-----\nFrom: x\nold@a.example\n",
    "original_message_de": (
        "Bitte tom@a.example verknüpfen\n\n-----Ursprüngliche Nachricht-----\nVon: x\nold@a.example\n"
    ),
    "ios_de": "Bitte tom@a.example wieder aktivieren.\n\nVon meinem iPhone gesendet\n\n> old@a.example\n",
    "ios_en": "Please reactivate tom@a.example\n\nSent from my iPhone\n\nold@a.example\n",
    "angle_quotes": "> old@a.example\n> asked before\nPlease link tom@a.example\n",
    "signature": "Please link tom@a.example\n\nThanks\n-- \nJane\nold@a.example\n",
    "signature_without_trailing_space": "Please link tom@a.example\n--\nold@a.example\n",
}


@pytest.mark.parametrize("client", sorted(CASES))
def test_quoted_history_and_signatures_are_not_own_text(client: str) -> None:
    split = strip_quoted_history(CASES[client])
    assert "tom@a.example" in split.own
    assert "old@a.example" not in split.own
    assert "old@a.example" in split.quoted or "old@a.example" in CASES[client]
    assert not split.uncertain


def test_interleaved_reply_keeps_the_customers_lines() -> None:
    text = "> Which address?\nIt is tom@a.example\n> And the primary?\nboss@a.example\n"
    split = strip_quoted_history(text)
    assert split.own.splitlines() == ["It is tom@a.example", "boss@a.example"]


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "-------- Weitergeleitete Nachricht --------",
        "Begin forwarded message:",
        "Anfang der weitergeleiteten Nachricht:",
    ],
)
def test_forwarded_content_is_part_of_the_message(marker: str) -> None:
    text = f"Please link her, details below.\n\n{marker}\nFrom: Jana <jana@a.example>\n> I used jana@a.example\n"
    split = strip_quoted_history(text)
    assert "I used jana@a.example" in split.own
    assert not any(line.startswith(">") for line in split.own.splitlines())


def test_outlook_forward_block_is_kept_when_its_subject_is_a_forward() -> None:
    text = (
        "Bitte verknüpfen, siehe unten.\n\nVon: Jana <jana@a.example>\nGesendet: Montag\n"
        "An: Chef\nBetreff: WG: Mein Testkonto\n\nIch habe mich mit jana@a.example registriert.\n"
    )
    split = strip_quoted_history(text)
    assert "registriert" in split.own


def test_forward_after_signature_is_still_kept() -> None:
    text = "Please link her.\n-- \nBoss\n\n---------- Forwarded message ---------\nI am jana@a.example\n"
    split = strip_quoted_history(text)
    assert "jana@a.example" in split.own
    assert "Boss" not in split.own


def test_subject_forward_treats_outlook_block_as_forwarded() -> None:
    text = "FYI\n\nFrom: Jana <jana@a.example>\nSent: Monday\nSubject: Account\n\nI used jana@a.example\n"
    assert "I used" in strip_quoted_history(text, subject="FW: Account").own
    assert "I used" not in strip_quoted_history(text, subject="RE: Account").own


def test_only_quoted_text_fails_open_and_says_so() -> None:
    split = strip_quoted_history("> Please link tom@a.example\n> to my account\n")
    assert split.uncertain
    assert "tom@a.example" in split.own


def test_from_line_without_sent_line_is_not_a_quote_header() -> None:
    text = "From: my side, please link tom@a.example\nThanks\n"
    assert "tom@a.example" in strip_quoted_history(text).own


def test_a_32kb_line_is_processed_quickly() -> None:
    text = "On " + "x" * 32_000 + "\nPlease link tom@a.example\n"
    assert "tom@a.example" in strip_quoted_history(text).own


def test_bottom_posted_answer_below_the_quote_is_own_text() -> None:
    text = (
        "On Thu, Jun 12, 2025 at 09:30:00AM +0100, Support wrote:\n> Welcome! Write to old@a.example.\n\n"
        "Hi,\nplease add tom@a.example as a team member.\n"
    )
    split = strip_quoted_history(text)
    assert "tom@a.example" in split.own and "old@a.example" not in split.own
    assert not split.uncertain


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "-------- Weitergeleitete Nachricht --------",
        "Begin forwarded message:",
    ],
)
def test_own_text_says_where_the_forwarded_message_begins(marker: str) -> None:
    text = f"\n\nBitte erledigen.\n-- \nBerg\n\n{marker}\nVon: Lena <lena@a.example>\n\nIch bin die Assistentin.\n"
    split = strip_quoted_history(text)
    assert split.forwarded_at is not None
    assert split.own[: split.forwarded_at].strip() == "Bitte erledigen."
    assert split.own[split.forwarded_at :].startswith(marker.strip())


def test_outlook_forward_block_begins_the_forwarded_part() -> None:
    text = "Bitte erledigen.\n\nVon: Lena <lena@a.example>\nGesendet: Montag\nAn: Chef\nBetreff: WG: Konto\n\nText\n"
    split = strip_quoted_history(text)
    assert split.forwarded_at is not None and split.own[split.forwarded_at :].startswith("Von: Lena")
    assert strip_quoted_history("Please link tom@a.example.\n").forwarded_at is None


# The one pattern the line check was before it was split in two (start at the line's
# start; the verb only in a text that has one): the split must accept the same lines.
_REFERENCE_CANDIDATE = re.compile(
    r"^[\s>]*(\*?(on|am|from|von|de|sent|gesendet|get|outlook|begin|anfang|date|datum|diese|envoyé)\b"
    r"|-{2,}|_{10,}|\d{4}-\d\d-\d\d)|\b(schrieb|wrote|a écrit)\b",
    re.I,
)
_MARKER_WORDS = ["On", "AM", "wrote", "WROTE", "Schrieb", "SCHRIEB", "a écrit", "A ÉCRIT", "ſchrieb", "Wrote:"]


@settings(max_examples=400, deadline=None, database=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.sampled_from([*_MARKER_WORDS, " ", ">", "> ", "\u00a0", "\t", "*", "-", "--", "_" * 10]),
                st.sampled_from(["2014-03-20", "٢٠١٤-03-20", "2014-3-20"]),
                st.sampled_from(["x", "İ", "ı", "é", "ſent", "SENT", "Von", "ANFANG", "Envoyé", "diese", "Outlook"]),
                st.text(alphabet="aeioustwcrhbé SCHRIEBWROTE-_>\t", max_size=6),
            ),
            max_size=8,
        ).map("".join),
        min_size=1,
        max_size=6,
    )
)
def test_marker_candidates_are_the_lines_the_single_pattern_took(lines: list[str]) -> None:
    text = "\n".join(lines)
    verbs = any(verb in text.lower() for verb in quotes._VERB_TEXT)
    for line in lines:
        assert quotes._marker_candidate(line, verbs) == bool(_REFERENCE_CANDIDATE.search(line)), line
        assert line.lstrip().startswith(">") == bool(quotes._QUOTED.match(line)), line
