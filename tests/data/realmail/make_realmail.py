"""Write the real-client-layout mails of issue 12 (our own) and their labels.

    python3 tests/data/realmail/make_realmail.py          # rewrite mails/, expected.jsonl, accounts.csv
    python3 tests/data/realmail/make_realmail.py --check  # fail if the files on disk are stale

Each mail is one failure kind of issue 12 in a real client's layout (Gmail,
Outlook, Apple Mail, Thunderbird, web.de/GMX, Samsung, Zoho, iCloud), German and
English. Labels: intent and the (primary, team member, outcome) requests.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

ACCOUNTS = """account_id,email,plan,status,paid_until,primary_account_id
50001,boss@kanzlei-berg.example,pro,active,2099-06-30,
50002,lena.vogt@kanzlei-berg.example,basic,trial,,
50003,grace@harbor-studio.example,pro,active,2099-06-30,
50004,tim@harbor-studio.example,basic,trial,,
50005,owner@bakery-lind.example,pro,active,2099-06-30,
50006,va@bakery-lind.example,pro,expired,2021-01-31,50005
50007,chef@autohaus-kern.example,pro,active,2099-06-30,
50008,azubi@autohaus-kern.example,pro,expired,2021-01-31,50007
"""

BOSS, LENA = "boss@kanzlei-berg.example", "lena.vogt@kanzlei-berg.example"
GRACE, TIM = "grace@harbor-studio.example", "tim@harbor-studio.example"
OWNER, VA = "owner@bakery-lind.example", "va@bakery-lind.example"
CHEF, AZUBI = "chef@autohaus-kern.example", "azubi@autohaus-kern.example"
QUOTED = "max@kollege.example"  # the quoted author: never a request


def link(p: str, t: str, outcome: str = "ready_to_link") -> dict:
    return {"intent": "link", "requests": [{"primary": p, "team_member": t, "outcome": outcome}]}


def react(p: str, t: str, outcome: str = "ready_to_reactivate") -> dict:
    return {"intent": "reactivate", "requests": [{"primary": p, "team_member": t, "outcome": outcome}]}


OTHER = {"intent": "other", "requests": []}
AUTO = {"intent": "auto", "requests": []}


def head(sender: str, name: str, subject: str, n: int, *, extra: str = "", verified: bool = True) -> str:
    domain = sender.split("@")[1]
    auth = (
        f"Authentication-Results: mx.mailbot.test; dkim=pass header.d={domain}; dmarc=pass header.from={domain}\n"
        if verified
        else ""
    )
    return (
        f"Return-Path: <{sender}>\n{auth}From: {name} <{sender}>\nTo: support@mailbot.test\n"
        f"Subject: {subject}\nDate: Mon, 01 Jun 2026 {10 + n // 60}:{n % 60:02d}:00 +0200\n"
        f"Message-ID: <real{n:03d}.{domain}@mail.{domain}>\nMIME-Version: 1.0\n{extra}"
    )


def plain(sender: str, name: str, subject: str, n: int, body: str, *, extra: str = "") -> bytes:
    return (
        head(sender, name, subject, n, extra=extra)
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + body
    ).encode()


def html_only(sender: str, name: str, subject: str, n: int, html: str) -> bytes:
    """An HTML-only mail as Outlook and webmail send it: no text/plain part."""
    return (
        head(sender, name, subject, n)
        + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + f"<html><head><style>p.MsoNormal{{margin:0}}</style></head><body>{html}</body></html>\n"
    ).encode()


def with_attachment(sender: str, name: str, subject: str, n: int, body: str, disposition: str) -> bytes:
    pdf = base64.b64encode(b"%PDF-1.4 Rechnung").decode()
    return (
        head(sender, name, subject, n)
        + 'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        + body
        + f"\n--b1\nContent-Type: application/pdf\nContent-Disposition: {disposition}\n"
        + f"Content-Transfer-Encoding: base64\n\n{pdf}\n--b1--\n"
    ).encode()


MAILS: dict[str, tuple[bytes, dict]] = {}


def add(name: str, raw: bytes, label: dict) -> None:
    MAILS[name] = (raw, label)


# --- 1. non-ASCII attachment names ---------------------------------------------------------
add(
    "att-01-de-thunderbird-raw-utf8-filename.eml",
    with_attachment(
        BOSS,
        "Dr. Berg",
        "Teammitglied",
        1,
        f"Guten Tag,\n\nbitte verknüpfen Sie unsere Mitarbeiterin {LENA} mit unserem Konto.\n"
        "Die Rechnung für März hängt an.\n\nMit freundlichen Grüßen\nDr. Berg\n",
        'attachment; filename="März-Rechnung.pdf"',
    ),
    link(BOSS, LENA),
)
add(
    "att-02-en-gmail-rfc2231-filename.eml",
    with_attachment(
        GRACE,
        "Grace Hall",
        "Team member",
        2,
        f"Hi,\n\nplease link my assistant {TIM} to my account. Our invoice is attached.\n\nGrace\n",
        "attachment; filename*=UTF-8''Re%CC%81sume%CC%81%20M%C3%A4rz.pdf",
    ),
    link(GRACE, TIM),
)
add(
    "att-03-de-outlook-rfc2047-filename.eml",
    with_attachment(
        OWNER,
        "Bäckerei Lind",
        "Zugang Assistentin",
        3,
        "Hallo,\n\nwir haben verlängert. Bitte reaktivieren Sie den Zugang unserer Assistentin.\n"
        "Anbei der Zahlungsbeleg.\n\nViele Grüße\nJ. Lind\n",
        'attachment; filename="=?utf-8?Q?Zahlungsbest=C3=A4tigung_M=C3=A4rz.pdf?="',
    ),
    react(OWNER, VA),
)

# --- 2. quote layouts: the quoted author's address is never a request ---------------------------
QUOTE_DE = f"Bitte verknüpfen Sie {QUOTED} mit unserem Konto.\n"
QUOTE_EN = f"Please link {QUOTED} to our account.\n"
layouts = [
    (
        "q-01-de-gmail-name-schrieb-am",
        BOSS,
        LENA,
        "de",
        f"Max Kollege <{QUOTED}> schrieb am Mo., 1. Juni 2026 um 09:00 Uhr:\n> {QUOTE_DE}",
    ),
    ("q-02-de-name-schrieb", BOSS, LENA, "de", f"Max Kollege <{QUOTED}> schrieb:\n\n{QUOTE_DE}"),
    ("q-03-en-name-wrote", GRACE, TIM, "en", f"Max Colleague <{QUOTED}> wrote:\n\n{QUOTE_EN}"),
    (
        "q-04-en-on-wrote-no-colon",
        GRACE,
        TIM,
        "en",
        f"On Mon, 1 Jun 2026 at 09:00, Max Colleague <{QUOTED}> wrote\n\n{QUOTE_EN}",
    ),
    (
        "q-05-en-zoho-dashes",
        GRACE,
        TIM,
        "en",
        f"---- On Mon, 01 Jun 2026 09:00:00 +0200 Max Colleague <{QUOTED}> wrote ----\n\n{QUOTE_EN}",
    ),
    (
        "q-06-en-old-gmail-iso-date",
        GRACE,
        TIM,
        "en",
        f"2014-03-20 8:48 GMT+01:00 Max Colleague <{QUOTED}>:\n\n> {QUOTE_EN}",
    ),
    (
        "q-07-en-outlook-date-first",
        GRACE,
        TIM,
        "en",
        f"Date: Monday, June 1, 2026 9:00 AM\nFrom: Max Colleague <{QUOTED}>\nTo: Grace\nSubject: Team\n\n{QUOTE_EN}",
    ),
    (
        "q-08-de-webde-gesendet-von",
        BOSS,
        LENA,
        "de",
        f'Gesendet: Montag, 01. Juni 2026 um 09:00 Uhr\nVon: "Max Kollege" <{QUOTED}>\n'
        f"An: boss@kanzlei-berg.example\nBetreff: Team\n\n{QUOTE_DE}",
    ),
    (
        "q-09-en-samsung-original-message",
        GRACE,
        TIM,
        "en",
        f"-------- Original message --------\nFrom: Max Colleague <{QUOTED}>\nDate: 01/06/2026 09:00 (GMT+01:00)\n"
        f"To: Grace\nSubject: Team\n\n{QUOTE_EN}",
    ),
    (
        "q-10-de-samsung-urspruengliche-nachricht",
        BOSS,
        LENA,
        "de",
        f"-------- Ursprüngliche Nachricht --------\nVon: Max Kollege <{QUOTED}>\nDatum: 01.06.26 09:00 (GMT+01:00)\n"
        f"An: Berg\nBetreff: Team\n\n{QUOTE_DE}",
    ),
    (
        "q-11-en-sent-from-outlook-mobile",
        GRACE,
        TIM,
        "en",
        f"Sent from Outlook Mobile\n\nFrom: Max Colleague <{QUOTED}>\n{QUOTE_EN}",
    ),
    (
        "q-12-de-von-meinem-samsung-galaxy",
        BOSS,
        LENA,
        "de",
        f"Von meinem Samsung Galaxy Smartphone gesendet.\n\n{QUOTED} hat geschrieben:\n{QUOTE_DE}",
    ),
    ("q-13-de-gmx-app-line", BOSS, LENA, "de", f"Gesendet mit der WEB.DE Mail App\n\n{QUOTED}:\n{QUOTE_DE}"),
]
for n, (name, primary, member, lang, quote) in enumerate(layouts, start=10):
    own = (
        f"Hallo,\n\nbitte verknüpfen Sie {member} als Teammitglied mit meinem Konto.\n\nDanke\n"
        if lang == "de"
        else f"Hi,\n\nplease link {member} as a team member to my account.\n\nThanks\n"
    )
    add(f"{name}.eml", plain(primary, "Kunde", "Re: Team", n, f"{own}\n{quote}"), link(primary, member))
add(
    "q-14-en-sent-from-my-desk-is-own-text.eml",
    plain(
        GRACE,
        "Grace Hall",
        "Team member",
        30,
        f"Sent from my desk, it is easier to write than to call:\nplease link {TIM} to my account.\n\nGrace\n",
    ),
    link(GRACE, TIM),
)

# --- 3. an answer below a quote -----------------------------------------------------------------
add(
    "b-01-en-gmail-bottom-post.eml",
    plain(
        GRACE,
        "Grace Hall",
        "Re: Team member",
        31,
        "Hi,\n\nOn Fri, 29 May 2026 at 16:00, Mailbot Support <support@mailbot.test> wrote:\n"
        "> Which address did your assistant register with?\n>\n> Kind regards\n> Support\n\n"
        f"He registered with {TIM}. Please link him to my account.\n\nGrace\n",
    ),
    link(GRACE, TIM),
)
add(
    "b-02-de-thunderbird-bottom-post.eml",
    plain(
        BOSS,
        "Dr. Berg",
        "Re: Teammitglied",
        32,
        "Hallo,\n\nAm 29.05.26 um 16:00 schrieb Mailbot Support:\n> Mit welcher Adresse hat sich Ihre\n"
        "> Mitarbeiterin registriert?\n\n"
        f"Sie hat sich mit {LENA} registriert. Bitte verknüpfen Sie sie mit meinem Konto.\n\nGruß\nBerg\n",
    ),
    link(BOSS, LENA),
)
add(
    "b-03-en-apple-inline-answer.eml",
    plain(
        GRACE,
        "Grace Hall",
        "Re: Team member",
        33,
        "Hello,\n\nOn 29 May 2026, at 16:00, Mailbot Support <support@mailbot.test> wrote:\n\n"
        "> Could you tell us the address?\n\n"
        f"Sure: {TIM}, please connect it to my account.\n\nSent from my iPhone\n",
    ),
    link(GRACE, TIM),
)

# --- 4. hard negatives: no draft ----------------------------------------------------------------
negatives = [
    (
        "n-01-de-unlink",
        BOSS,
        f"Hallo,\n\nbitte die Verknüpfung von {LENA} mit unserem Konto lösen, "
        "sie arbeitet nicht mehr bei uns.\n\nGruß\nBerg\n",
    ),
    ("n-02-en-remove-from-team", GRACE, f"Hi,\n\nplease remove {TIM} from our team account, he left.\n\nGrace\n"),
    (
        "n-03-de-password-reset-link",
        BOSS,
        "Hallo,\n\nich bekomme keinen Link zum Zurücksetzen des Passworts für mein Konto. Können Sie helfen?\n\nBerg\n",
    ),
    ("n-04-de-how-to", BOSS, "Hallo,\n\nwie füge ich ein Teammitglied zu meinem Konto hinzu?\n\nDanke\n"),
    ("n-05-en-how-to", GRACE, "Hi,\n\nhow do I link my assistant's account to my subscription?\n\nGrace\n"),
    (
        "n-06-en-refund-after-reactivation",
        OWNER,
        "Hello,\n\nyou reactivated my assistant's account last month "
        "and I was charged for it. I would like a refund, we no longer need the seat.\n\nJ. Lind\n",
    ),
    (
        "n-07-de-refund-after-reactivation",
        CHEF,
        "Guten Tag,\n\nSie haben letzte Woche den Zugang unseres Azubis "
        "reaktiviert und uns das berechnet. Bitte erstatten Sie den Betrag.\n\nKern\n",
    ),
    ("n-08-de-spam-earbuds", CHEF, "Verbinden Sie Ihre Ohrhörer in Sekunden! Jetzt 50 % Rabatt auf alle Modelle.\n"),
    (
        "n-09-en-spam-visit-link",
        GRACE,
        "Your account needs attention. Visit the link below to verify your team access:\nhttps://verify.example/x\n",
    ),
]
for n, (name, sender, body) in enumerate(negatives, start=40):
    add(f"{name}.eml", plain(sender, "Kunde", "Konto" if "-de-" in name else "Account", n, body), OTHER)
add(
    "n-10-en-thanks-above-outlook-quote.eml",
    plain(
        OWNER,
        "J. Lind",
        "RE: Please reactivate our assistant",
        50,
        "Thanks, that worked!\n\nJ. Lind\n\nDate: Friday, May 29, 2026 4:00 PM\n"
        "From: J. Lind <owner@bakery-lind.example>\n"
        "To: support@mailbot.test\nSubject: Please reactivate our assistant\n\n"
        f"Please reactivate our assistant {VA}, we renewed.\n",
    ),
    OTHER,
)
add(
    "n-11-de-thanks-above-gmx-quote.eml",
    plain(
        CHEF,
        "Kern",
        "AW: Azubi reaktivieren",
        51,
        "Vielen Dank, hat geklappt!\n\nGesendet: Freitag, 29. Mai 2026 um 16:00 Uhr\n"
        'Von: "Kern" <chef@autohaus-kern.example>\nAn: support@mailbot.test\nBetreff: Azubi reaktivieren\n\n'
        f"Bitte reaktivieren Sie unseren Azubi {AZUBI}.\n",
    ),
    OTHER,
)

# --- 5. colloquial, indirect, misspelt, ALL CAPS -----------------------------------------------------
colloquial = [
    ("c-01-en-hook-up", GRACE, f"hey, can you hook his account up to mine? it's {TIM}\n", link(GRACE, TIM)),
    (
        "c-02-en-access-under-subscription",
        GRACE,
        f"Please give my assistant access under my subscription. Her login is {TIM}.\n",
        link(GRACE, TIM),
    ),
    (
        "c-03-de-ins-abo-reinnehmen",
        BOSS,
        f"Hi, kannst du sie bei mir mit ins Abo reinnehmen? {LENA}\n",
        link(BOSS, LENA),
    ),
    (
        "c-04-de-reaktiveiren-typo",
        OWNER,
        "Hallo, bitte reaktiveiren sie unsere Assistentin, das Abo ist verlängert.\n",
        react(OWNER, VA),
    ),
    (
        "c-05-de-verknuepfen-no-umlaut",
        BOSS,
        f"Hallo, bitte verknuepfen Sie {LENA} mit meinem Konto.\n",
        link(BOSS, LENA),
    ),
    ("c-06-en-all-caps", GRACE, f"PLEASE LINK MY VA {TIM.upper()} TO MY ACCOUNT ASAP\n", link(GRACE, TIM)),
    (
        "c-07-de-zugang-wieder-freigeben",
        CHEF,
        f"Moin, bitte den Zugang von {AZUBI} wieder freigeben, wir haben bezahlt.\n",
        react(CHEF, AZUBI),
    ),
    ("c-08-en-teammeber-typo", GRACE, f"Hi, please add my teammeber {TIM} to our plan.\n", link(GRACE, TIM)),
    ("c-09-de-freischalten", BOSS, f"Bitte {LENA} als Teammitglied freischalten.\n", link(BOSS, LENA)),
]
for n, (name, sender, body, label) in enumerate(colloquial, start=60):
    add(f"{name}.eml", plain(sender, "Kunde", "Team", n, body), label)

# --- 6. roles: who is the primary and who the team member ----------------------------------------
# Senders that are no account: the request is right, but must be confirmed from the primary.
OFFICE, SEKRETARIAT = "office@harbor-studio.example", "sekretariat@kanzlei-berg.example"
CONFIRM = "confirm_from_primary"
# (a) a team member writes about their own account
own_account = [
    (
        "r-01-en-gmail-my-account-is-team-member-under",
        VA,
        f"Hi there,\n\nMy account ({VA}) is a team member account under {OWNER}. It stopped working when "
        "the subscription lapsed, but Anna renewed it yesterday.\n\nCould you please reactivate it?\n\n"
        "Thanks a lot,\nMia\n",
        react(OWNER, VA),
    ),
    (
        "r-02-en-outlook-im-the-assistant-of",
        VA,
        f"Hello,\n\nI'm the assistant of Anna Lind ({OWNER}). My login has been deactivated since the "
        "renewal went through. Please reactivate my account.\n\nBest regards\n\nMia Stone\nOffice Manager | "
        "Bakery Lind\nT +44 20 7946 0011\n",
        react(OWNER, VA),
    ),
    (
        "r-03-de-apple-ich-bin-die-assistentin-von",
        LENA,
        f"Guten Tag,\n\nich bin die Assistentin von Dr. Berg ({BOSS}). Bitte verknüpfen Sie mein Konto "
        f"{LENA} mit seinem.\n\nVielen Dank\nLena Vogt\n\nVon meinem iPhone gesendet\n",
        link(BOSS, LENA, CONFIRM),
    ),
    (
        "r-04-de-thunderbird-mein-konto-ist-teammitglied-unter",
        AZUBI,
        f"Hallo,\n\nmein Konto ({AZUBI}) ist ein Teammitglied-Konto unter {CHEF}. Seit der Verlängerung "
        "komme ich nicht mehr rein, bitte wieder freischalten.\n\nGruß\nJonas\n",
        react(CHEF, AZUBI),
    ),
    (
        "r-05-en-iphone-va-for-no-article",
        VA,
        f"I work as VA for {OWNER} and my access was deactivated. Please reactivate it, the plan is "
        "paid.\n\nSent from my iPhone\n",
        react(OWNER, VA),
    ),
    (
        "r-06-de-webde-assistentin-ohne-artikel",
        AZUBI,
        f"Hallo Support,\n\nich bin Auszubildende bei Herrn Kern, {CHEF}. Mein Zugang wurde gesperrt, "
        "bitte reaktivieren Sie ihn.\n\nMfG\nJana\n",
        react(CHEF, AZUBI),
    ),
    (
        "r-07-en-roundcube-my-account-is-a-team-member-of",
        TIM,
        f"Hi,\n\nmy account {TIM} should be a team member of {GRACE}. Could you link it?\n\nTim\n",
        link(GRACE, TIM, CONFIRM),
    ),
]
# (b) the cue after the address, in another table cell, or on the line before
cue_elsewhere = [
    (
        "r-10-en-gmail-address-is-my-main-account",
        "grace.hall@gmail.example",
        f"Hi,\n\nwriting from my private address: {GRACE} is my main account, please link {TIM} to it.\n\nGrace\n",
        link(GRACE, TIM, CONFIRM),
    ),
    (
        "r-11-en-outlook-names-main-account-comma",
        OFFICE,
        f"Hello,\n\nplease add {TIM} as a team member to Grace Hall's main account, {GRACE}.\n\n"
        "Kind regards\nHarbor Studio Office\n",
        link(GRACE, TIM, CONFIRM),
    ),
    (
        "r-12-de-gmx-label-line-above-indented",
        SEKRETARIAT,
        f"Guten Tag,\n\nbitte verknüpfen Sie die folgenden Konten.\n\nHauptkonto:\n    {BOSS}\n"
        f"Teammitglied:\n    {LENA}\n\nMit freundlichen Grüßen\nSekretariat Berg\n",
        link(BOSS, LENA, CONFIRM),
    ),
    (
        "r-13-de-outlook-address-then-das-ist-unser-hauptkonto",
        SEKRETARIAT,
        f"Hallo,\n\nbitte fügen Sie {LENA} als Teammitglied hinzu. {BOSS} ist unser Hauptkonto.\n\n"
        "Viele Grüße\nSekretariat\n",
        link(BOSS, LENA, CONFIRM),
    ),
    (
        "r-14-en-apple-address-which-is-the-main-account",
        OFFICE,
        f"Please link {TIM} to {GRACE}, which is the main account.\n\nThanks\n",
        link(GRACE, TIM, CONFIRM),
    ),
    (
        "r-15-en-thunderbird-team-member-label-after",
        OFFICE,
        f"Hi,\n\n{TIM} is our new team member and {GRACE} is the main account. Please link them.\n\nOffice\n",
        link(GRACE, TIM, CONFIRM),
    ),
]
# (c) "link A to B": A is the team member, B the primary
link_to = [
    (
        "r-20-en-gmail-link-my-team-member-account-to-my-main",
        GRACE,
        f"Hi,\n\nplease link my team member account {TIM} to my main account {GRACE}.\n\nThanks, Grace\n",
        link(GRACE, TIM),
    ),
    (
        "r-21-en-outlook-same-written-by-the-team-member",
        TIM,
        f"Hello,\n\nPlease link my team member account {TIM} to my main account {GRACE}.\n\nRegards,\nTim\n",
        link(GRACE, TIM, CONFIRM),
    ),
    (
        "r-22-de-thunderbird-teammitglied-konto-mit-hauptkonto",
        BOSS,
        f"Hallo,\n\nbitte verknüpfen Sie mein Teammitglied-Konto {LENA} mit meinem Hauptkonto {BOSS}.\n\n"
        "Gruß\nDr. Berg\n",
        link(BOSS, LENA),
    ),
    (
        "r-23-en-iphone-link-a-to-b-written-by-a",
        TIM,
        f"Please link {TIM} to {GRACE}. Thanks!\n\nSent from my iPhone\n",
        link(GRACE, TIM, CONFIRM),
    ),
    (
        "r-24-de-webde-a-mit-b-verknuepfen",
        SEKRETARIAT,
        f"Sehr geehrte Damen und Herren,\n\nbitte verknüpfen Sie {LENA} mit {BOSS}.\n\n"
        "Mit freundlichen Grüßen\nSekretariat Dr. Berg\n",
        link(BOSS, LENA, CONFIRM),
    ),
    (
        "r-25-de-outlook-a-zum-konto-b-hinzufuegen",
        LENA,
        f"Hallo,\n\nkönnten Sie {LENA} bitte zum Konto {BOSS} hinzufügen?\n\nDanke, Lena Vogt\n",
        link(BOSS, LENA, CONFIRM),
    ),
    (
        "r-26-en-reactivate-a-under-b-written-by-a",
        VA,
        f"Hi, please reactivate {VA} under {OWNER}, the subscription was renewed.\n\nMia\n",
        react(OWNER, VA),
    ),
]
for n, (name, sender, body, label) in enumerate([*own_account, *cue_elsewhere, *link_to], start=90):
    add(f"{name}.eml", plain(sender, "Kunde", "Team", n, body), label)

# (b) HTML tables: a label in one cell, the address in the next; or a heading row over the addresses
TABLE_ROWS = (
    '<table class="MsoTableGrid" border="1" cellpadding="0"><tbody>'
    '<tr><td width="200"><p class="MsoNormal"><b>Hauptkonto</b><o:p></o:p></p></td>'
    f'<td width="300"><p class="MsoNormal"><a href="mailto:{BOSS}">{BOSS}</a><o:p></o:p></p></td></tr>'
    '<tr><td width="200"><p class="MsoNormal"><b>Teammitglied</b><o:p></o:p></p></td>'
    f'<td width="300"><p class="MsoNormal"><a href="mailto:{LENA}">{LENA}</a><o:p></o:p></p></td></tr>'
    "</tbody></table>"
)
add(
    "r-30-de-outlook-html-table-label-cells.eml",
    html_only(
        SEKRETARIAT,
        "Sekretariat Berg",
        "Teammitglied",
        120,
        '<div class="WordSection1"><p class="MsoNormal">Guten Tag,</p><p class="MsoNormal">bitte verknüpfen '
        f"Sie diese Konten:</p>{TABLE_ROWS}<p class='MsoNormal'>Mit freundlichen Grüßen<br>Sekretariat</p></div>",
    ),
    link(BOSS, LENA, CONFIRM),
)
add(
    "r-31-en-gmail-html-table-heading-row.eml",
    html_only(
        OFFICE,
        "Harbor Studio Office",
        "Team member",
        121,
        '<div dir="ltr"><div>Hi,</div><div><br></div><div>please link these accounts:</div>'
        '<table border="1" style="border-collapse:collapse"><thead><tr><th>Team member</th><th>Main account</th>'
        f'</tr></thead><tbody><tr><td><a href="mailto:{TIM}">{TIM}</a></td><td>{GRACE}</td></tr></tbody></table>'
        "<div><br></div><div>Thanks,<br>Office</div></div>",
    ),
    link(GRACE, TIM, CONFIRM),
)
add(
    "r-32-de-webmail-html-table-bold-heading-row.eml",
    html_only(
        SEKRETARIAT,
        "Sekretariat Berg",
        "Konten",
        122,
        "<p>Hallo,</p><p>bitte verknüpfen:</p><table><tr><td><strong>Teammitglied</strong></td>"
        f"<td><strong>Hauptkonto</strong></td></tr><tr><td>{LENA}</td><td>{BOSS}</td></tr></table><p>Danke</p>",
    ),
    link(BOSS, LENA, CONFIRM),
)

# (d) forwarded messages: "mein"/"my" in the forwarded text is its author's, not the sender's
add(
    "r-40-de-thunderbird-fwd-from-the-assistant.eml",
    plain(
        BOSS,
        "Dr. Berg",
        "Fwd: Zugang",
        123,
        "Hallo Support,\n\nbitte kümmern Sie sich darum, siehe unten.\n\nGruß\nBerg\n\n"
        "-------- Weitergeleitete Nachricht --------\nBetreff: \tZugang\n"
        "Datum: \tFri, 29 May 2026 17:40:12 +0200\n"
        f"Von: \tLena Vogt <{LENA}>\nAn: \tDr. Berg <{BOSS}>\n\n\n\n"
        "Hallo Herr Berg,\n\nich bin ja jetzt Ihre Assistentin. Könnten Sie den Support bitten, mein Konto "
        f"{LENA} mit Ihrem Hauptkonto zu verknüpfen?\n\nViele Grüße\nLena\n",
    ),
    link(BOSS, LENA),
)
add(
    "r-41-de-outlook-wg-block-from-the-assistant.eml",
    plain(
        BOSS,
        "Dr. Berg",
        "WG: Mein Konto",
        124,
        "Bitte erledigen. Danke!\n\nDr. Berg\n\n"
        f"Von: Lena Vogt <{LENA}>\nGesendet: Freitag, 29. Mai 2026 16:12\nAn: Dr. Berg <{BOSS}>\n"
        "Betreff: Mein Konto\n\nHallo Chef,\n\nbitte lassen Sie mein Konto mit Ihrem verknüpfen, mein Chef "
        "sind ja Sie. Meine Adresse ist " + LENA + ".\n\nLena\n",
    ),
    link(BOSS, LENA),
)
add(
    "r-42-de-gmail-fwd-approval-from-the-boss.eml",
    plain(
        LENA,
        "Lena Vogt",
        "Fwd: Freigabe",
        125,
        "Hallo,\n\nanbei die Freigabe meines Chefs. Bitte verknüpfen Sie mein Konto mit seinem.\n\nLena Vogt\n\n"
        "---------- Weitergeleitete Nachricht ---------\n"
        f"Von: Dr. Berg <{BOSS}>\nDate: Fr., 29. Mai 2026 um 15:00 Uhr\nSubject: Freigabe\n"
        f"To: Lena Vogt <{LENA}>\n\n\nLiebe Frau Vogt,\n\nich bin einverstanden: Ihr Konto soll mit meinem "
        f"Hauptkonto {BOSS} verknüpft werden.\n\nBerg\n",
    ),
    link(BOSS, LENA, CONFIRM),
)
add(
    "r-43-en-apple-fwd-from-the-va.eml",
    plain(
        OWNER,
        "Anna Lind",
        "Fwd: My access",
        126,
        "Hi, can you sort this out? Renewal is done.\n\nAnna\n\nBegin forwarded message:\n\n"
        f"From: Mia Stone <{VA}>\nSubject: My access\nDate: 29 May 2026 at 16:00:00 BST\n"
        f"To: Anna Lind <{OWNER}>\n\nHi Anna, I'm your assistant but my account was deactivated. "
        "Could you ask them to reactivate me?\n\nMia\n",
    ),
    react(OWNER, VA),
)

# --- 7. machine mail -------------------------------------------------------------------------------------
BOUNCE = (
    "This is the mail system at host mx.example.\n\nI'm sorry to have to inform you that your message "
    "could not be delivered.\n\n<lena.vogt@kanzlei-berg.example>: mailbox full\n"
)
for n, (name, from_header) in enumerate(
    [
        ("m-01-bounce-mailer-daemon-empty", "MAILER-DAEMON <>"),
        ("m-02-bounce-empty-from", "<>"),
        ("m-03-bounce-mailer-daemon-no-domain", "<MAILER-DAEMON>"),
    ],
    start=70,
):
    add(
        f"{name}.eml",
        (
            f"From: {from_header}\nTo: support@mailbot.test\nSubject: Undelivered Mail\n"
            f"Date: Mon, 01 Jun 2026 {10 + n // 60}:{n % 60:02d}:00 +0200\nMessage-ID: <bounce{n}@mx.example>\n\n"
            f"{BOUNCE}please link\n"
        ).encode(),
        AUTO,
    )
add(
    "m-04-feedback-report.eml",
    (
        b"From: Feedback Loop <fbl@isp.example>\nTo: support@mailbot.test\nSubject: complaint about message\n"
        b"Date: Mon, 01 Jun 2026 11:14:00 +0200\nMessage-ID: <fbl1@isp.example>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="r"\n\n--r\n'
        b"Content-Type: text/plain\n\nThis is an email abuse report for your account.\n--r\n"
        b"Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\n\n"
        b"--r--\n"
    ),
    AUTO,
)
add(
    "m-05-json-bounce-no-reply.eml",
    (
        head("no-reply@notifications.mailer.example", "Notifications", "Bounce notification", 75)
        + 'Content-Type: text/plain; charset=utf-8\n\n{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",'
        f'"bouncedRecipients":[{{"emailAddress":"{LENA}"}}]}},"mail":{{"source":"link@x.example"}}}}\n'
    ).encode(),
    AUTO,
)
add(
    "m-06-icloud-vacation.eml",
    plain(
        GRACE,
        "Grace Hall",
        "Auto reply: Your team member request",
        76,
        "I'm away until June 10 and will link accounts when I'm back.\n",
        extra="X-Apple-Action: VACATION\n",
    ),
    AUTO,
)
add(
    "m-07-listserv-digest-no-list-id.eml",
    (
        b'From: "Automatic digest processor" <LISTSERV@LISTS.UNI.EXAMPLE>\nTo: Recipients of TEAM-L digests\n'
        b"Subject: TEAM-L Digest - 31 May 2026 to 1 Jun 2026 (#2026-12)\nDate: Mon, 01 Jun 2026 11:17:00 +0200\n"
        b"Message-ID: <digest1@lists.uni.example>\n\nThere are 3 messages totaling 120 lines in this issue.\n\n"
        b"1. Please link my team member account\n"
    ),
    AUTO,
)
add(
    "m-08-mailman-digest-no-list-id.eml",
    (
        b"From: users-request@lists.example\nTo: users@lists.example\nSubject: Users Digest, Vol 12, Issue 3\n"
        b"Date: Mon, 01 Jun 2026 11:18:00 +0200\nMessage-ID: <digest2@lists.example>\n\n"
        b"Today's Topics:\n\n   1. Re: how to link accounts (Anna)\n"
    ),
    AUTO,
)
add(
    "m-09-de-newsletter-no-precedence.eml",
    (
        head("news@shop.example", "Shop Newsletter", "Neu: Team-Konten für alle", 79, extra="X-Mailer: CleverReach\n")
        + "Content-Type: text/plain; charset=utf-8\n\nJetzt Teammitglieder verknüpfen und sparen!\n\n"
        "Newsletter abbestellen: https://shop.example/abmelden\n"
    ).encode(),
    AUTO,
)
add(
    "m-10-en-newsletter-footer-only.eml",
    (
        head("hello@saas-news.example", "SaaS Weekly", "Link your whole team today", 80)
        + "Content-Type: text/plain; charset=utf-8\n\nLink your team accounts in one click.\n\n"
        "To unsubscribe from these emails, click here: https://saas-news.example/u\n"
    ).encode(),
    AUTO,
)

# --- 8. files ----------------------------------------------------------------------------------------
add(
    "f-01-envelope-line-and-from-in-body.eml",
    b"From boss@kanzlei-berg.example Mon Jun  1 11:21:00 2026\n"
    + plain(
        BOSS,
        "Dr. Berg",
        "Teammitglied",
        81,
        f"Hallo,\n\nbitte verknüpfen Sie {LENA} mit meinem Konto.\n\n"
        "From now on she handles our bookkeeping.\n\nGruß\nBerg\n",
    ),
    link(BOSS, LENA),
)
add(
    "f-02-cr-only-line-endings.eml",
    plain(GRACE, "Grace Hall", "Team member", 82, f"Hi,\n\nplease link {TIM} to my account.\n\nGrace\n").replace(
        b"\n", b"\r"
    ),
    link(GRACE, TIM),
)
inner = plain(GRACE, "Grace Hall", "Team member", 83, f"Please link {TIM} to my account.\n").decode()
add(
    "f-03-only-attached-message.eml",
    (
        head(GRACE, "Grace Hall", "Fwd: Team member", 84) + 'Content-Type: multipart/mixed; boundary="m"\n\n'
        "--m\nContent-Type: message/rfc822\n"
        f'Content-Disposition: attachment; filename="request.eml"\n\n{inner}\n--m--\n'
    ).encode(),
    link(GRACE, TIM),
)
for folder, n in (("de", 85), ("en", 86)):
    sender, member = (BOSS, LENA) if folder == "de" else (GRACE, TIM)
    add(
        f"{folder}/same-name.eml",
        plain(sender, "Kunde", "Team", n, f"Please link {member} to my account.\n"),
        link(sender, member),
    )


def write(check: bool) -> int:
    files = {"accounts.csv": ACCOUNTS.encode()}
    for name, (raw, _label) in MAILS.items():
        files[f"mails/{name}"] = raw
    files["expected.jsonl"] = "".join(
        json.dumps({"file": name, **label}, ensure_ascii=False) + "\n" for name, (_raw, label) in MAILS.items()
    ).encode()
    stale = [name for name, data in files.items() if not (HERE / name).exists() or (HERE / name).read_bytes() != data]
    if check:
        print("\n".join(stale) or "up to date")
        return 1 if stale else 0
    for name in stale:
        (HERE / name).parent.mkdir(parents=True, exist_ok=True)
        (HERE / name).write_bytes(files[name])
    print(f"wrote {len(stale)} files")
    return 0


if __name__ == "__main__":
    sys.exit(write("--check" in sys.argv))
