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


def link(p: str, t: str) -> dict:
    return {"intent": "link", "requests": [{"primary": p, "team_member": t, "outcome": "ready_to_link"}]}


def react(p: str, t: str) -> dict:
    return {"intent": "reactivate", "requests": [{"primary": p, "team_member": t, "outcome": "ready_to_reactivate"}]}


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
