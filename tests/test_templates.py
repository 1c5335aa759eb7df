"""The reply templates: every outcome renders in German and English, strictly and cleanly."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from mailbot.vocabulary import REQUEST_OUTCOMES, Outcome, Table

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: Every outcome a request can have: each has a section template in each language.
OUTCOMES = tuple(REQUEST_OUTCOMES)
LANGS = ("de", "en")
INTENTS = tuple(Table)  # the intents that are decided and drafted

PRIMARY = "boss@kunde.example"
MEMBER = "va@assist.example"

#: Every outcome but sender_unverified is about one team member and names it.
ABOUT_TEAM_MEMBER = frozenset(OUTCOMES) - {Outcome.SENDER_UNVERIFIED}
#: The sender is not known to be P (or T) yet: addresses filled from records must not show.
SENDER_UNCONFIRMED = ("sender_unverified", "primary_not_found", "confirm_from_primary")

GREETING = {"de": "Guten Tag", "en": "Hello"}
CLOSING = {"de": "Mit freundlichen Grüßen", "en": "Kind regards"}
SUPPORT_NAME = {"de": "Ihr Kundenservice", "en": "Your customer care team"}


def environment() -> Environment:
    """Configured as the renderer configures it."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def section(outcome: str, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "outcome": outcome,
        "primary": PRIMARY,
        "team_member": MEMBER,
        "plan": "pro",
        "paid_until": "2099-06-30",
        "seats": 2,
        "used": 2,
        "missing": None,
        "filled": False,
    }
    if outcome == "need_info":  # as decided: one address is missing
        values.update(primary=None, missing="primary")
    values.update(overrides)
    return values


def empty_section(outcome: str) -> dict[str, object]:
    """Every optional value None."""
    return section(
        outcome,
        primary=None,
        team_member=None,
        plan=None,
        paid_until=None,
        seats=None,
        used=None,
        missing=None,
    )


def render(
    lang: str,
    intent: str,
    sections: list,
    *,
    customer_name: str = "Anna Müller",
    support_address: str = "support@example.com",
) -> str:
    return (
        environment()
        .get_template(f"{lang}/reply.txt.j2")
        .render(
            lang=lang,
            intent=intent,
            customer_name=customer_name,
            support_name=SUPPORT_NAME[lang],
            support_address=support_address,
            several=len(sections) > 1,
            sections=sections,
        )
    )


def assert_clean(text: str, lang: str) -> None:
    """What every rendered reply must look like, whatever went in."""
    assert "None" not in text
    for marker in ("{{", "}}", "{%", "%}", "{#", "#}"):
        assert marker not in text
    assert text.startswith(GREETING[lang])
    assert text.endswith(f"\n\n{CLOSING[lang]}\n{SUPPORT_NAME[lang]}\n")
    assert "\n\n\n" not in text
    for line in text.split("\n"):
        assert line == line.strip(), f"stray whitespace in {line!r}"
    assert "  " not in text
    assert not re.search(r" [.,;:)]", text), "space before punctuation"
    # Sentences glued together by a swallowed newline or space ("…verknüpft.Bitte").
    # Addresses contain dots, so they are taken out first.
    prose = re.sub(r"\S+@\S+", "ADDRESS", text)
    assert not re.search(r"[a-zäöüß][.!?;:,][A-Za-zÄÖÜäöüß]", prose), prose
    other = "en" if lang == "de" else "de"
    assert CLOSING[other] not in text
    assert GREETING[other] not in text
    if lang == "de":
        assert "Thank you" not in text
        assert not re.search(r"\b(du|dich|dir|dein\w*|euch|euer)\b", text, re.IGNORECASE)
        # Proper umlauts, never their transliterations; German words, not anglicisms.
        for word in ("fuer", "Gruess", "koenn", "moecht", "ueber", "waehl", "Schluess"):
            assert word not in text
        for word in ("Account", "Homepage", "Dashboard", "Upgrade", "Login", "Support", "Seat"):
            assert word not in text
    else:
        assert not re.search(r"[äöüÄÖÜß]", text.replace("Müller", ""))
        assert "Sie " not in text


# -- every outcome, both languages, both intents -----------------------------------------


def test_every_outcome_has_a_template_in_both_languages() -> None:
    for lang in LANGS:
        assert (TEMPLATES / lang / "reply.txt.j2").is_file()
        found = {p.name.removesuffix(".txt.j2") for p in (TEMPLATES / lang / "outcomes").iterdir()}
        assert found == set(OUTCOMES)


@pytest.mark.parametrize("several", [False, True], ids=["one", "several"])
@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("lang", LANGS)
def test_outcome_renders_cleanly_and_names_the_team_member(lang: str, outcome: str, intent: str, several: bool) -> None:
    other_member = "second.va@assist.example"
    sections = [section(outcome)]
    if several:
        sections.append(section("already_linked", team_member=other_member))
    text = render(lang, intent, sections)
    assert_clean(text, lang)
    if outcome in ABOUT_TEAM_MEMBER:
        assert MEMBER in text
    if several:
        assert other_member in text


@pytest.mark.parametrize("several", [False, True], ids=["one", "several"])
@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("lang", LANGS)
def test_outcome_renders_with_every_optional_value_none(lang: str, outcome: str, intent: str, several: bool) -> None:
    sections = [empty_section(outcome)] * (2 if several else 1)
    text = render(lang, intent, sections, customer_name="", support_address="")
    assert_clean(text, lang)
    assert text.startswith(f"{GREETING[lang]},\n\n")


@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("lang", LANGS)
def test_sections_may_be_objects_rather_than_dicts(lang: str, outcome: str, intent: str) -> None:
    sections = [SimpleNamespace(**section(outcome)), SimpleNamespace(**section(outcome))]
    assert_clean(render(lang, intent, sections), lang)


@pytest.mark.parametrize("lang", LANGS)
def test_greeting_uses_the_customer_name(lang: str) -> None:
    text = render(lang, "link", [section("ready_to_link")], customer_name="Anna Müller")
    assert text.startswith(f"{GREETING[lang]} Anna Müller,\n\n")


# -- need_info: every way an address can be missing --------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"primary": None, "missing": "primary"},
        {"team_member": None, "missing": "team_member"},
        {"primary": MEMBER, "team_member": MEMBER, "missing": "team_member"},
        {"primary": None, "team_member": None, "missing": "primary"},
    ],
    ids=["no-primary", "no-team-member", "same-address", "neither"],
)
@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("lang", LANGS)
def test_need_info_asks_for_what_is_missing(lang: str, intent: str, overrides: dict) -> None:
    text = render(lang, intent, [section("need_info", **overrides)])
    assert_clean(text, lang)
    if intent == "reactivate":
        assert ("beide" if lang == "de" else "both") in text
    if overrides.get("team_member", MEMBER):
        assert MEMBER in text


# -- what the customer is told -----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "outcome", "done"),
    [
        ("de", "ready_to_link", "verknüpft"),
        ("de", "ready_to_reactivate", "wieder aktiviert"),
        ("en", "ready_to_link", "We have linked"),
        ("en", "ready_to_reactivate", "We have reactivated"),
    ],
)
def test_ready_outcomes_say_it_is_done_with_a_nice_date(lang: str, outcome: str, done: str) -> None:
    intent = "link" if outcome == "ready_to_link" else "reactivate"
    text = render(lang, intent, [section(outcome)])
    assert done in text
    assert ("30.06.2099" if lang == "de" else "30 June 2099") in text
    assert "2099-06-30" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_already_active_gives_the_date(lang: str) -> None:
    text = render(lang, "reactivate", [section("already_active", paid_until="2099-01-05")])
    assert ("05.01.2099" if lang == "de" else "5 January 2099") in text


@pytest.mark.parametrize("lang", LANGS)
def test_renewal_reminder_appears_once_however_many_were_reactivated(lang: str) -> None:
    sections = [section("ready_to_reactivate", team_member=f"va{n}@assist.example") for n in range(3)]
    text = render(lang, "reactivate", sections)
    reminder = "Hinweis für die Zukunft" if lang == "de" else "reminder for the future"
    assert text.count(reminder) == 1
    for n in range(3):
        assert f"va{n}@assist.example" in text


@pytest.mark.parametrize("lang", LANGS)
def test_no_free_seat_counts_the_seats(lang: str) -> None:
    text = render(lang, "link", [section("no_free_seat", seats=3, used=3)])
    assert ("3 von 3" if lang == "de" else "3 of 3") in text


@pytest.mark.parametrize("lang", LANGS)
def test_plan_name_is_shown(lang: str) -> None:
    text = render(lang, "link", [section("plan_excludes_team_members", plan="basic")])
    assert ("„Basic“" if lang == "de" else "Basic plan") in text


@pytest.mark.parametrize("lang", LANGS)
def test_agency_plan_points_to_the_agency_guide(lang: str) -> None:
    guide = "Anleitung für den Agentur-Kooperationsplan" if lang == "de" else "guide for the agency cooperation plan"
    for intent in INTENTS:
        text = render(lang, intent, [section("agency_plan", plan="agency")])
        assert guide in text
        assert "http" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_several_sections_each_start_with_their_team_member(lang: str) -> None:
    members = [f"va{n}@assist.example" for n in range(3)]
    outcomes = ["ready_to_link", "team_member_not_registered", "linked_elsewhere"]
    sections = [section(o, team_member=m) for o, m in zip(outcomes, members, strict=True)]
    text = render(lang, "link", sections)
    paragraphs = text.split("\n\n")
    for member in members:
        assert any(p.startswith(member) or p.split("\n")[0].endswith(f"{member}:") for p in paragraphs), member


# -- nothing leaks to a sender we cannot trust -------------------------------------------


@pytest.mark.parametrize("several", [False, True], ids=["one", "several"])
@pytest.mark.parametrize("lang", LANGS)
def test_unverified_sender_is_answered_once_and_without_addresses(lang: str, several: bool) -> None:
    sections = [section("sender_unverified", team_member=f"va{n}@assist.example") for n in range(3 if several else 1)]
    for intent in INTENTS:
        text = render(lang, intent, sections)
        assert_clean(text, lang)
        assert "@assist.example" not in text
        assert PRIMARY not in text
        assert "support@example.com" in text  # where to write instead
        first_sentence = "Leider konnten wir" if lang == "de" else "Unfortunately, we could not"
        assert text.count(first_sentence) == 1


@pytest.mark.parametrize("several", [False, True], ids=["one", "several"])
@pytest.mark.parametrize("outcome", SENDER_UNCONFIRMED)
@pytest.mark.parametrize("lang", LANGS)
def test_addresses_filled_from_records_are_not_shown_to_an_unconfirmed_sender(
    lang: str, outcome: str, several: bool
) -> None:
    sections = [section(outcome, filled=True)] * (2 if several else 1)
    text = render(lang, "reactivate", sections)
    assert_clean(text, lang)
    assert MEMBER not in text
    assert PRIMARY not in text


@pytest.mark.parametrize("lang", LANGS)
def test_filled_address_is_mentioned_once_the_sender_is_confirmed(lang: str) -> None:
    text = render(lang, "reactivate", [section("ready_to_reactivate", filled=True)])
    assert ("Unterlagen" if lang == "de" else "our records") in text
    assert MEMBER in text
    assert PRIMARY in text


def test_greeting_uses_only_plain_display_names() -> None:
    from mailbot.triage.draft import greeting_name

    assert greeting_name("Fischer, Jürgen") == "Jürgen Fischer"
    assert greeting_name("Maria Santos") == "Maria Santos"
    for hostile in (
        "<img src=x onerror=alert(1)>",
        "Win $$$ at http://spam.example",
        "boss@evil.example",
        "Call 0800 123456",
        "x" * 80,
    ):
        assert greeting_name(hostile) == "", hostile
