"""The renewal mail in German and English, checked in full, and the pure renewal decisions.

Rendered through ``renewals.mail.render_renewal`` from decisions the reactivate
table made (the same path as a real renewal), so the test covers what the
customer reads word for word.
"""

from __future__ import annotations

from datetime import date

import pytest
from factories import PLANS, account, book

from mailbot.renewals.detect import is_lapsed, is_newer_renewal, lapsed_members, moved_later
from mailbot.renewals.mail import render_renewal
from mailbot.triage.decide import Action, Decision, decide_requests
from mailbot.triage.extract import Request
from mailbot.vocabulary import RULES, AddressSource, Intent, Outcome, SenderVerification, Table, table_outcomes

TODAY = date(2026, 6, 15)
RENEWED = date(2027, 6, 30)


def decisions(*members: str, plan: str = "pro"):
    accounts = book(
        account(1, "boss@firma.example", plan=plan, paid_until=RENEWED),
        account(2, "va@firma.example", status="expired", paid_until=date(2026, 5, 31), primary=1),
        account(3, "va2@firma.example", status="active", paid_until=date(2026, 6, 30), primary=1),
        account(4, "elsewhere@firma.example", status="expired", paid_until=None, primary=9),
    )
    return decide_requests(
        [Request("boss@firma.example", m, AddressSource.RENEWAL, AddressSource.RENEWAL) for m in members],
        intent=Intent.REACTIVATE,
        sender="boss@firma.example",
        sender_verified=SenderVerification.PASS,
        accounts=accounts,
        plans=PLANS,
        today=TODAY,
    )


def render(language: str, *members: str, **options):
    return render_renewal(
        decisions=decisions(*members, **options),
        language=language,
        primary="boss@firma.example",
        paid_until=RENEWED,
        support_name="Vendor Support",
    )


def test_german_mail_for_two_team_members_in_full() -> None:
    text = render("de", "va@firma.example", "va2@firma.example")
    assert text.subject == "Ihre Verlängerung und Ihre Teammitglieder"
    assert text.body == (
        "Guten Tag,\n"
        "\n"
        "Ihr Abonnement für boss@firma.example wurde verlängert und läuft jetzt bis zum 30.06.2027. "
        "Vielen Dank für Ihr Vertrauen!\n"
        "\n"
        "Die Teammitgliedskonten va@firma.example und va2@firma.example verlängern sich nicht automatisch "
        "mit Ihrem Abonnement. Deshalb haben wir sie wieder aktiviert; sie laufen jetzt wie Ihr Hauptkonto "
        "bis zum 30.06.2027. Ihre Teammitglieder können sich wie gewohnt mit ihren eigenen Zugangsdaten "
        "anmelden; Sie müssen uns dafür nicht schreiben.\n"
        "\n"
        "Bei weiteren Fragen helfen wir Ihnen gern weiter.\n"
        "\n"
        "Mit freundlichen Grüßen\n"
        "Vendor Support\n"
    )


def test_german_mail_for_one_team_member_in_full() -> None:
    text = render("de", "va@firma.example")
    assert text.body == (
        "Guten Tag,\n"
        "\n"
        "Ihr Abonnement für boss@firma.example wurde verlängert und läuft jetzt bis zum 30.06.2027. "
        "Vielen Dank für Ihr Vertrauen!\n"
        "\n"
        "Das Teammitgliedskonto va@firma.example verlängert sich nicht automatisch mit Ihrem Abonnement. "
        "Deshalb haben wir es wieder aktiviert; es läuft jetzt wie Ihr Hauptkonto bis zum 30.06.2027. "
        "Ihr Teammitglied kann sich wie gewohnt mit den eigenen Zugangsdaten anmelden; Sie müssen uns dafür "
        "nicht schreiben.\n"
        "\n"
        "Bei weiteren Fragen helfen wir Ihnen gern weiter.\n"
        "\n"
        "Mit freundlichen Grüßen\n"
        "Vendor Support\n"
    )


def test_english_mail_for_two_team_members_in_full() -> None:
    text = render("en", "va@firma.example", "va2@firma.example")
    assert text.subject == "Your renewal and your team members"
    assert text.body == (
        "Hello,\n"
        "\n"
        "your subscription for boss@firma.example has been renewed until 30 June 2027. "
        "Thank you for staying with us!\n"
        "\n"
        "The team-member accounts va@firma.example and va2@firma.example are not renewed automatically with "
        "your subscription, so we have reactivated them; they now run until 30 June 2027, like your primary "
        "account. Your team members can log in as usual with their own credentials; there's no need to write "
        "to us.\n"
        "\n"
        "If you have any other questions, we're happy to help.\n"
        "\n"
        "Kind regards\n"
        "Vendor Support\n"
    )


def test_english_mail_for_one_team_member_in_full() -> None:
    text = render("en", "va2@firma.example")
    assert text.body == (
        "Hello,\n"
        "\n"
        "your subscription for boss@firma.example has been renewed until 30 June 2027. "
        "Thank you for staying with us!\n"
        "\n"
        "The team-member account va2@firma.example is not renewed automatically with your subscription, so we "
        "have reactivated it; it now runs until 30 June 2027, like your primary account. Your team member can "
        "log in as usual with their own credentials; there's no need to write to us.\n"
        "\n"
        "If you have any other questions, we're happy to help.\n"
        "\n"
        "Kind regards\n"
        "Vendor Support\n"
    )


@pytest.mark.parametrize(
    ("language", "heading", "reactivated"),
    [
        ("de", "Zum Teammitglied elsewhere@firma.example:\n", "Das Teammitgliedskonto va@firma.example verlängert"),
        ("en", "Team member elsewhere@firma.example:\n", "The team-member account va@firma.example is not renewed"),
    ],
)
def test_a_team_member_the_table_refuses_gets_its_usual_section(language: str, heading: str, reactivated: str) -> None:
    made = decisions("va@firma.example", "elsewhere@firma.example")
    assert [d.outcome for d in made] == [Outcome.READY_TO_REACTIVATE, Outcome.NOT_LINKED]
    text = render("de" if language == "de" else "en", "va@firma.example", "elsewhere@firma.example")
    assert reactivated in text.body
    assert heading in text.body
    # Only the one that approval applies is announced as done.
    assert text.body.count("elsewhere@firma.example") >= 2 and "\n\n\n" not in text.body


@pytest.mark.parametrize("language", ["de", "en"])
def test_nothing_is_announced_as_done_when_no_team_member_can_be_reactivated(language: str) -> None:
    text = render(language, "va@firma.example", plan="agency")
    assert "reactivated" not in text.body and "wieder aktiviert" not in text.body
    assert ("Agentur" if language == "de" else "agency") in text.body


@pytest.mark.parametrize("outcome", table_outcomes(Table.REACTIVATE))
@pytest.mark.parametrize("language", ["de", "en"])
def test_every_outcome_of_the_reactivate_table_renders_strictly(language: str, outcome: Outcome) -> None:
    rule = next(r for r in RULES if r.table == Table.REACTIVATE and r.outcome == outcome)
    request = Request("boss@firma.example", "va@firma.example", AddressSource.RENEWAL, AddressSource.RENEWAL)
    action = Action(Intent.REACTIVATE, 2, "va@firma.example", 1, "boss@firma.example", "pro", RENEWED)
    made = Decision(request, rule, "why", action if outcome == Outcome.READY_TO_REACTIVATE else None)
    text = render_renewal(
        decisions=[made], language=language, primary="boss@firma.example", paid_until=RENEWED, support_name=""
    )
    assert text.body.startswith(("Guten Tag,\n\n", "Hello,\n\n"))
    assert "va@firma.example" in text.body or outcome == Outcome.SENDER_UNVERIFIED
    assert "\n\n\n" not in text.body and "None" not in text.body


# -- detect -------------------------------------------------------------------------------------


def test_moved_later_counts_an_empty_date_as_before_any() -> None:
    assert moved_later(None, RENEWED) and moved_later(date(2027, 1, 1), RENEWED)
    assert not moved_later(RENEWED, RENEWED) and not moved_later(RENEWED, date(2027, 1, 1))
    assert not moved_later(RENEWED, None)


def test_an_older_or_equal_date_is_no_newer_renewal() -> None:
    assert is_newer_renewal(RENEWED, known=date(2026, 6, 30), latest_seen=None)
    assert not is_newer_renewal(RENEWED, known=RENEWED, latest_seen=None)
    assert not is_newer_renewal(RENEWED, known=None, latest_seen=date(2027, 12, 31))
    assert not is_newer_renewal(RENEWED, known=None, latest_seen=RENEWED)
    # The account API already carries the new date: equal still counts there, older does not.
    assert is_newer_renewal(RENEWED, known=RENEWED, latest_seen=None, known_includes_it=True)
    assert not is_newer_renewal(RENEWED, known=date(2027, 12, 31), latest_seen=None, known_includes_it=True)


def test_lapsed_team_members_are_the_unpaid_and_the_inactive() -> None:
    members = [
        account(5, "late@x.example", paid_until=date(2027, 6, 29), primary=1),
        account(3, "trial@x.example", status="trial", paid_until=date(2028, 1, 1), primary=1),
        account(4, "current@x.example", paid_until=RENEWED, primary=1),
        account(6, "never@x.example", paid_until=None, primary=1),
    ]
    assert [m.email for m in lapsed_members(members, RENEWED)] == [
        "trial@x.example",
        "late@x.example",
        "never@x.example",
    ]
    assert not is_lapsed(members[2], RENEWED)
