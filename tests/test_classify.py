"""Intent (link / reactivate / other / auto) and language."""

from __future__ import annotations

import pytest

from mailbot.mail.parse import parse_mail
from mailbot.triage.classify import classify_intent, machine_mail_reason
from mailbot.triage.language import detect_language
from mailbot.triage.rules import load_rules

RULES = load_rules()


def intent(text: str, subject: str = "") -> str:
    return classify_intent(own_text=text, subject=subject, rules=RULES)[0]


@pytest.mark.parametrize(
    "text",
    [
        "Bitte verknüpfen Sie das Konto meiner Assistentin mit meinem Konto.",
        "Könnten Sie meinen neuen Mitarbeiter als Teammitglied hinzufügen?",
        "Bitte schalten Sie unsere Praktikantin als Teammitglied frei: p@a.example",
        "Please link my VA's account to mine.",
        "Could you connect my assistant's account to our subscription?",
        "Please add jo@a.example as a team member to our plan.",
        "Bitte fügen Sie unseren neuen Mediengestalter als Teammitglied\nzu meinem Konto hinzu.",
        "Bitte nehmen Sie unsere Werkstudentin lisa@a.example in unser Team auf.",
        "Please add him to\nour account as a team member - his email is josh [at] a.example.",
        "My VA (va.anna@a.example) needs access to our subscription. She has created her free trial.",
        "Can you add my new hire to our account?\nName: Jake Miller\nEmail: jake@a.example",
    ],
)
def test_link_requests(text: str) -> None:
    assert intent(text) == "link"


@pytest.mark.parametrize(
    "text",
    [
        "Unser Abo wurde verlängert. Bitte reaktivieren Sie das Konto meiner Assistentin.",
        "Bitte aktivieren Sie den Zugang meiner Mitarbeiterin wieder.",
        "Könnten Sie das Teammitglied-Konto wieder freischalten?",
        "We renewed yesterday - please reactivate my assistant's account.",
        "Can you re-enable the team member account of jo@a.example?",
        "Please turn my VA's access back on, the plan is paid.",
        "Our renewal went through. Can you please get sam@a.example working again? She is our VA.",
        "Bitte aktivieren Sie das Konto von meinem Mann (r.vogel@vogel.example) wieder.",
        "Wir haben das Jahresabo bezahlt. Der Zugang meiner Assistentin funktioniert nicht mehr. "
        "Bitte um Freischaltung!",
        "We paid the annual invoice yesterday. Could you please renew the team member account for lily@a.example?",
        "Wir haben verlängert. Bitte verlängern Sie auch den Zugang meiner Assistentin.",
    ],
)
def test_reactivate_requests(text: str) -> None:
    assert intent(text) == "reactivate"


@pytest.mark.parametrize(
    "text",
    [
        "We have not registered anyone yet, so there is nothing to link for now. Does Pro include seats?",
        "Bitte prüfen Sie die doppelte Abbuchung und erstatten Sie den Betrag.",
        "Darf meine Assistentin sich mit meinen Zugangsdaten anmelden? Sie soll kein eigenes Konto bekommen.",
        "Hello, how much does the Pro plan cost per year?",
        "Wir möchten das Konto bitte nicht verknüpfen, nur eine Frage zum Tarif.",
        "Is there another way to give my VA access to my calendar exports without an account?",
        "Wir haben verlängert, aber die Rechnung ist nicht mehr abrufbar. Bitte senden Sie sie erneut.",
        "Enthält mein Tarif Teammitglieder? Ich möchte eventuell später jemanden hinzufügen.",
        "Does Pro include seats? We might add an assistant next year.",
    ],
)
def test_questions_and_other_topics_are_other(text: str) -> None:
    assert intent(text) == "other"


def test_subject_counts_for_the_intent() -> None:
    assert intent("Adresse: va@a.example", subject="Teammitglied verknüpfen") == "link"


def test_text_without_any_account_is_other() -> None:
    assert intent("Please link the two documents I sent yesterday.") == "other"


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "Precedence: list",
        "Precedence: junk",
        "List-Id: <news.vendor.example>",
        "List-Unsubscribe: <mailto:u@x.example>",
        "X-Autoreply: yes",
        "X-Autorespond: yes",
        "Return-Path: <>",
    ],
)
def test_machine_mail_headers(header: str) -> None:
    raw = f"From: a@b.example\n{header}\nSubject: Abwesend\n\nIch bin nicht da.".encode()
    assert machine_mail_reason(parse_mail(raw), RULES) is not None


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.b.example", "postmaster@b.example"])
def test_machine_senders(sender: str) -> None:
    raw = f"From: {sender}\nSubject: Undelivered\n\nfailed".encode()
    assert machine_mail_reason(parse_mail(raw), RULES) is not None


def test_delivery_status_report_is_machine_mail() -> None:
    raw = (
        b"From: Mail System <mailer@b.example>\nSubject: failure\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\n\n'
        b"--r\nContent-Type: text/plain\n\nfailed\n--r--\n"
    )
    assert machine_mail_reason(parse_mail(raw), RULES) is not None


@pytest.mark.parametrize("header", ["X-Auto-Response-Suppress: All", "Auto-Submitted: no", "Precedence: normal"])
def test_ordinary_outlook_mail_is_not_machine_mail(header: str) -> None:
    raw = f"From: a@b.example\n{header}\nSubject: Link\n\nPlease link va@b.example".encode()
    assert machine_mail_reason(parse_mail(raw), RULES) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Guten Tag, bitte verknüpfen Sie das Konto meiner Assistentin. Vielen Dank!", "de"),
        ("Hallo, könnten Sie das bitte prüfen? Grüße", "de"),
        ("Hi, could you please link my assistant's account? Thanks!", "en"),
        ("Hello, our plan was renewed, please reactivate the team member.", "en"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert detect_language(text) == language
