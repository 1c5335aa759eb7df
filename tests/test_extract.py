"""Addresses and roles from the customer's own text (SPEC "Address extraction and roles")."""

from __future__ import annotations

import pytest

from mailbot.triage.addresses import find_addresses
from mailbot.triage.extract import Request, extract_requests
from mailbot.triage.rules import load_rules

RULES = load_rules()
OWN = frozenset({"support@vendor.example", "noreply@vendor.example"})


def pairs(text: str, sender: str = "boss@firma.example") -> list[tuple[str | None, str | None]]:
    requests, _found = extract_requests(text, sender=sender, rules=RULES, own_addresses=OWN)
    return [(r.primary, r.team_member) for r in requests]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("lea (at) firma (dot) example", "lea@firma.example"),
        ("lea [at] firma.example", "lea@firma.example"),
        ("lea(at)firma(dot)example", "lea@firma.example"),
        ("lea {at} firma [dot] example", "lea@firma.example"),
        ("Lea.Meier@Firma.Example.", "lea.meier@firma.example"),
        ("<lea@firma.example>,", "lea@firma.example"),
        ('"lea@firma.example"', "lea@firma.example"),
        ("(lea@firma.example)", "lea@firma.example"),
        ("lea+va@firma.example", "lea+va@firma.example"),
        ("l.e.a@gmail.example", "l.e.a@gmail.example"),
    ],
)
def test_address_forms_are_recognised_and_normalised(text: str, address: str) -> None:
    assert [a for a, _s, _e in find_addresses(f"Bitte {text} verknüpfen")] == [address]


def test_sender_is_the_primary_when_none_is_stated() -> None:
    assert pairs("Please link my assistant va@firma.example.") == [("boss@firma.example", "va@firma.example")]


def test_primary_cue_beats_sender_default() -> None:
    text = "Bitte verknüpfen Sie lea@firma.example mit unserem Hauptkonto chef@firma.example."
    assert pairs(text, sender="office@firma.example") == [("chef@firma.example", "lea@firma.example")]


def test_cue_right_after_the_address_assigns_its_role() -> None:
    text = "chef@firma.example (Hauptkonto) und lea@firma.example als Teammitglied"
    assert pairs(text, sender="office@firma.example") == [("chef@firma.example", "lea@firma.example")]


def test_link_x_to_my_account_makes_x_the_team_member() -> None:
    assert pairs("Could you link my VA's account (va@firma.example) to my account?") == [
        ("boss@firma.example", "va@firma.example")
    ]


def test_several_team_members_become_several_requests_in_written_order() -> None:
    text = "Please link these team members:\n- a@firma.example\n- b@firma.example\n- c@firma.example\n"
    assert pairs(text) == [("boss@firma.example", f"{x}@firma.example") for x in "abc"]


def test_support_and_own_addresses_are_never_customer_addresses() -> None:
    text = "I wrote to support@vendor.example and noreply@vendor.example before. Link va@firma.example please."
    assert pairs(text) == [("boss@firma.example", "va@firma.example")]


def test_sender_who_is_clearly_the_team_member_is_the_team_member_de() -> None:
    text = "Mein Chef hat mich gebeten: bitte verbinden Sie mein Konto mit seinem Hauptkonto chef@firma.example."
    assert pairs(text, sender="lea@firma.example") == [("chef@firma.example", "lea@firma.example")]


def test_sender_who_is_clearly_the_team_member_is_the_team_member_en() -> None:
    text = "Please link my account to my boss's main account boss@firma.example."
    assert pairs(text, sender="va@firma.example") == [("boss@firma.example", "va@firma.example")]


def test_team_member_sender_without_primary_leaves_primary_missing() -> None:
    assert pairs("I'm the new assistant, please link me to my boss's account.", sender="va@firma.example") == [
        (None, "va@firma.example")
    ]


def test_no_address_at_all_gives_one_request_with_missing_team_member() -> None:
    assert pairs("Please link my new assistant to my account.") == [("boss@firma.example", None)]


def test_invoice_address_is_not_an_account() -> None:
    text = "Please link va@firma.example. Invoices should go to billing@firma.example as before."
    assert pairs(text) == [("boss@firma.example", "va@firma.example")]


def test_address_mentioned_twice_is_one_request() -> None:
    text = "Please link va@firma.example (team member). Again: va@firma.example"
    assert pairs(text) == [("boss@firma.example", "va@firma.example")]


def test_explicit_team_member_cue_on_sender_makes_sender_team_member() -> None:
    text = "Team member (me): va@firma.example\nMain account: boss@firma.example"
    assert pairs(text, sender="va@firma.example") == [("boss@firma.example", "va@firma.example")]


def test_forwarded_header_subject_does_not_give_a_role() -> None:
    text = (
        "Please link her account.\n\n---------- Forwarded message ---------\n"
        "From: Jana <jana@firma.example>\nSubject: Team member account\nTo: Boss <boss@firma.example>\n"
    )
    assert pairs(text) == [("boss@firma.example", "jana@firma.example")]


def test_request_records_where_each_address_came_from() -> None:
    requests, _ = extract_requests(
        "Please link va@firma.example", sender="boss@firma.example", rules=RULES, own_addresses=OWN
    )
    assert requests == [Request("boss@firma.example", "va@firma.example", "sender", "text")]


def test_list_under_a_sentence_ending_in_a_colon_is_all_team_members() -> None:
    text = "Please link these two team members to my main account:\nanna@firma.example\nben@firma.example\n"
    assert pairs(text) == [("boss@firma.example", "anna@firma.example"), ("boss@firma.example", "ben@firma.example")]


def test_short_label_line_names_the_address_below() -> None:
    text = "Main account:\nchef@firma.example\nTeam member:\nlea@firma.example\n"
    assert pairs(text, sender="office@firma.example") == [("chef@firma.example", "lea@firma.example")]


def test_cue_in_an_earlier_sentence_does_not_decide() -> None:
    text = "Please add her as a team member to my account. Her login is giulia@firma.example."
    assert pairs(text) == [("boss@firma.example", "giulia@firma.example")]


def test_my_account_right_before_the_address_names_the_primary() -> None:
    text = "Please link va@firma.example to my account (chef@firma.example)."
    assert pairs(text, sender="office@firma.example") == [("chef@firma.example", "va@firma.example")]


def test_team_member_writer_naming_one_other_address_makes_it_the_primary() -> None:
    text = "Please connect my account to my boss's account so I get our plan. Her address is boss@firma.example."
    assert pairs(text, sender="va@firma.example") == [("boss@firma.example", "va@firma.example")]


def test_one_address_given_as_both_roles_is_a_request_with_itself() -> None:
    text = "Hauptkonto: chef@firma.example\nTeammitglied: chef@firma.example"
    assert pairs(text, sender="chef@firma.example") == [("chef@firma.example", "chef@firma.example")]


B, L, OFFICE = "boss@firma.example", "lena@firma.example", "office@firma.example"


@pytest.mark.parametrize(
    "text",
    [
        f"My account ({L}) is a team member account under {B}. Please reactivate it.",
        f"Mein Konto {L} ist ein Teammitglied-Konto unter {B}. Bitte reaktivieren.",
        f"I'm the assistant of Dr. Berg ({B}). Please reactivate my account {L}.",
        f"Ich bin die Assistentin von Dr. Berg ({B}). Bitte schalten Sie meinen Zugang {L} wieder frei.",
        f"Ich bin Assistentin von Herrn Berg, {B}. Bitte verknüpfen Sie mich.",
        f"I work as the VA for {B}. Please link my account.",
        f"My account is a team member account under {B}. Please reactivate it.",
        f"my account {L} should be a team member of {B}. Could you link it?",
    ],
)
def test_team_member_writing_about_their_own_account(text: str) -> None:
    assert pairs(text, sender=L) == [(B, L)]


def test_team_member_of_needs_a_name_not_a_department() -> None:
    text = f"Please link my new assistant for the marketing team, {L}."
    assert pairs(text, sender=B) == [(B, L)]
    assert pairs(f"Bitte verknüpfen Sie unsere Mitarbeiterin bei uns im Büro, {L}.", sender=B) == [(B, L)]


@pytest.mark.parametrize(
    "text",
    [
        f"{B} is my main account, please link {L} to it.",
        f"Please add {L} to Sarah Johnson's main account, {B}.",
        f"Please link {L} (team member) to {B} (main account).",
        f"Please link {L} to {B}, which is the main account.",
        f"{L} is our new team member and {B} is the main account. Please link them.",
        f"Bitte {L} mit {B} verknüpfen, das ist unser Hauptkonto.",
        f"Bitte fügen Sie {L} hinzu. {B} ist unser Hauptkonto.",
        f"Hauptkonto:\n    {B}\nTeammitglied:\n    {L}\n",
        f"Hauptkonto | {B}\nTeammitglied | {L}\n",
        f"Team member | Main account\nTeam member: {L} | Main account: {B}\n",
    ],
)
def test_cue_after_the_address_in_another_cell_or_on_the_line_above(text: str) -> None:
    assert pairs(text, sender=OFFICE) == [(B, L)]


@pytest.mark.parametrize("sender", [B, L, OFFICE])
@pytest.mark.parametrize(
    "text",
    [
        f"Please link my team member account {L} to my main account {B}.",
        f"Bitte verknüpfen Sie mein Teammitglied-Konto {L} mit meinem Hauptkonto {B}.",
        f"Please link {L} to {B}.",
        f"Bitte verknüpfen Sie {L} mit {B}.",
        f"Please add {L} to the account {B}.",
        f"Könnten Sie {L} bitte zum Konto {B} hinzufügen?",
        f"Please reactivate {L} under {B}, the plan is renewed.",
        f"Please link my account {L} to {B}.",
    ],
)
def test_link_a_to_b_makes_a_the_team_member_and_b_the_primary(text: str, sender: str) -> None:
    assert pairs(text, sender=sender) == [(B, L)]


def test_link_direction_does_not_pair_addresses_of_different_clauses() -> None:
    text = f"Please link {L} and {OFFICE} to my account."
    assert pairs(text, sender=B) == [(B, L), (B, OFFICE)]
    text = f"I asked {OFFICE} about it (the answer came from support@vendor.example) with {L} in copy."
    assert ("support@vendor.example", L) not in pairs(text, sender=B)


def forwarded_pairs(own: str, forwarded: str, sender: str) -> list[tuple[str | None, str | None]]:
    requests, _found = extract_requests(
        own + forwarded, sender=sender, rules=RULES, own_addresses=OWN, forwarded_at=len(own)
    )
    return [(r.primary, r.team_member) for r in requests]


@pytest.mark.parametrize(
    "forwarded",
    [
        f"-------- Weitergeleitete Nachricht --------\nVon: Lena <{L}>\nAn: Berg <{B}>\n\n"
        f"ich bin jetzt Ihre Assistentin. Bitte verknüpfen Sie mein Konto {L} mit Ihrem Hauptkonto.\n",
        f"Von: Lena <{L}>\nGesendet: Freitag\nAn: Berg <{B}>\nBetreff: WG: Konto\n\n"
        f"bitte lassen Sie mein Konto mit Ihrem verknüpfen, mein Chef sind ja Sie. Meine Adresse ist {L}.\n",
        f"Begin forwarded message:\n\nFrom: Lena <{L}>\nTo: Berg <{B}>\n\n"
        "Hi, I'm your assistant but my account was deactivated. Could you ask them to reactivate me?\n",
    ],
)
def test_forwarded_first_person_is_the_forwarded_author(forwarded: str) -> None:
    assert forwarded_pairs("Bitte erledigen, siehe unten.\n\n", forwarded, sender=B) == [(B, L)]


def test_forwarded_approval_from_the_primary_keeps_the_sender_the_team_member() -> None:
    forwarded = (
        f"---------- Weitergeleitete Nachricht ---------\nVon: Berg <{B}>\nTo: Lena <{L}>\n\n"
        f"Ihr Konto soll mit meinem Hauptkonto {B} verknüpft werden.\n"
    )
    own = "anbei die Freigabe meines Chefs. Bitte verknüpfen Sie mein Konto mit seinem.\n\n"
    assert forwarded_pairs(own, forwarded, sender=L) == [(B, L)]
