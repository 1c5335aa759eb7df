#!/usr/bin/env python3
"""Build mailbot's own acceptance-test mails, account records and expected results.

    python3 tests/data/make_mails.py            # writes the files below, then checks them
    python3 tests/data/make_mails.py --check    # only checks the files on disk are current

Writes, next to this script:

* ``accounts.csv``   - account records (SPEC CSV format)
* ``mails/NNN-*.eml`` - RFC 5322 messages as real clients produce them
* ``expected.jsonl`` - per mail: file, intent, requests, why

Every text, header and MIME boundary is written out below and the output is
deterministic: rerunning gives byte-identical files. ``config.toml`` (plans,
support and own addresses) is kept by hand beside this script.

Each mail also states what a careful reader takes from it before any look-up
(sender, sender verification, the (primary, team member) pairs as written);
``verify_labels`` then walks the SPEC decision tables against ``accounts.csv``
for several processing dates and fails if a hand-written label disagrees.
Paid-up accounts are paid until 2099-06-30 and lapsed ones until a date in
2021, so every label holds for any processing date from 2022-01-01 to
2099-06-30.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import html
import json
import quopri
import re
import sys
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAIL_DIR = HERE / "mails"
MX = "mx.mailbot.test"
SUPPORT = "support@mailbot.test"
OWN = ("noreply@mailbot.test", "billing@mailbot.test")
SUPPORT_DE = "Kundenservice <support@mailbot.test>"
SUPPORT_EN = "Customer Support <support@mailbot.test>"

CEST = timezone(timedelta(hours=2))
BST = timezone(timedelta(hours=1))
EDT = timezone(timedelta(hours=-4))
PDT = timezone(timedelta(hours=-7))
UTC = timezone.utc

PAID = "2099-06-30"

PLANS = {  # must match config.toml
    "basic": {"team_seats": 0, "agency": False},
    "pro": {"team_seats": 2, "agency": False},
    "team": {"team_seats": 5, "agency": False},
    "agency": {"team_seats": 10, "agency": True},
}


# ---------------------------------------------------------------------------
# Account records. (email, plan, status, paid_until, primary email or None)
# Grouped by the mail that needs them; ids are assigned in this order.

ACCOUNT_ROWS: list[tuple[str, str, str, str, str | None]] = []


def acct(email, plan, status, paid_until="", primary=None):
    ACCOUNT_ROWS.append((email, plan, status, paid_until, primary))


# --- link -----------------------------------------------------------------
acct("katharina.loewe@steuerbuero-loewe.example", "pro", "active", PAID)
acct("m.yildiz@steuerbuero-loewe.example", "basic", "trial")
acct("grace.holloway@tidewater-design.example", "pro", "active", PAID)
acct("devon.price@tidewater-design.example", "basic", "trial")
acct("ralf.steiner@steiner-bau.example", "pro", "active", PAID)
acct("nadia.farouk@olivegrove-catering.example", "pro", "active", PAID)
acct("martina.hahn@hahn-fotografie.example", "pro", "active", PAID)
acct("ellie.morgan@webpost.test", "basic", "trial")
acct("frank.adler@adler-logistik.example", "pro", "active", PAID)
acct("s.kaya@adler-logistik.example", "basic", "trial")
acct("priya.nair@lotus-yoga.example", "pro", "active", PAID)
acct("sam.ortiz@lotus-yoga.example", "basic", "trial")
acct("lucy.tran@brightwave-films.example", "basic", "trial")  # contact@ is NOT an account
acct("kontakt@moebel-krueger.example", "pro", "active", PAID)  # info@ is NOT an account
acct("lisa.wendt@moebel-krueger.example", "basic", "trial")
acct("c.wolff@praxis-dr-wolff.example", "pro", "active", PAID)
acct("jana.roemer@praxis-dr-wolff.example", "basic", "trial")
acct("rebecca.stone@northpeak-advisory.example", "pro", "active", PAID)
acct("owen.clarke@northpeak-advisory.example", "basic", "trial")
acct("t.brenner@autohaus-brenner.example", "team", "active", PAID)
acct("n.schuster@autohaus-brenner.example", "basic", "trial")
acct("studio@kreativhaus-mitte.example", "agency", "active", PAID)
acct("paula.lenz@kreativhaus-mitte.example", "basic", "trial")
acct("team@brightlane-marketing.example", "agency", "active", PAID)
acct("chris.dunn@brightlane-marketing.example", "basic", "trial")
acct("gabi.schreiner@schreiner-events.example", "basic", "active", PAID)
acct("jonas.schreiner@schreiner-events.example", "basic", "trial")
acct("marco.rossi@rossi-trattoria.example", "basic", "active", PAID)
acct("giulia.bianchi@rossi-trattoria.example", "basic", "trial")
acct("b.hoffmann@hoffmann-architekten.example", "team", "cancelled", PAID)
acct("l.meier@hoffmann-architekten.example", "basic", "trial")
acct("derek.wu@summit-bikes.example", "pro", "active", "2021-09-30")
acct("kayla.ruiz@summit-bikes.example", "basic", "trial")
acct("dr.seidel@tierarztpraxis-seidel.example", "pro", "active", PAID)
acct("hello@fernway-travel.example", "pro", "active", PAID)
acct("sven.larsen@larsen-it.example", "pro", "active", PAID)
acct("mia.larsen@larsen-it.example", "pro", "active", PAID, "sven.larsen@larsen-it.example")
acct("naomi.fisher@fisher-law.example", "team", "active", PAID)
acct("paralegal@fisher-law.example", "team", "active", PAID, "naomi.fisher@fisher-law.example")
acct("ines.wagner@wagner-coaching.example", "pro", "active", PAID)
acct("buero@pfeiffer-immobilien.example", "pro", "active", PAID)
acct("va.kerstin@assistenz-service.example", "pro", "active", PAID,
     "buero@pfeiffer-immobilien.example")
acct("liam.oconnor@oconnor-tiling.example", "pro", "active", PAID)
acct("office@greenway-plumbing.example", "team", "active", PAID)
acct("jade.evans@remote-va.example", "team", "active", PAID, "office@greenway-plumbing.example")
acct("carsten.wolf@wolf-druck.example", "pro", "active", PAID)
acct("a.wolf@wolf-druck.example", "pro", "active", PAID, "carsten.wolf@wolf-druck.example")
acct("e.kunz@wolf-druck.example", "pro", "expired", "2021-07-31", "carsten.wolf@wolf-druck.example")
acct("p.engel@wolf-druck.example", "basic", "trial")
acct("admin@clearpath-dental.example", "team", "active", PAID)
for _name, _st, _pu in (("amy.lee", "active", PAID), ("ben.ward", "active", PAID),
                        ("cora.diaz", "expired", "2021-11-30"), ("dan.ito", "active", PAID),
                        ("eve.moss", "expired", "2021-11-30")):
    acct(f"{_name}@clearpath-dental.example", "team", _st, _pu, "admin@clearpath-dental.example")
acct("finn.hart@clearpath-dental.example", "basic", "trial")
acct("heike.brandner@brandner-reisen.example", "pro", "active", PAID)
acct("o.brandner@brandner-reisen.example", "pro", "active", PAID,
     "heike.brandner@brandner-reisen.example")
acct("s.kurz@brandner-reisen.example", "basic", "trial")
acct("m.ostermann@brandner-reisen.example", "basic", "trial")
acct("ops@harborview-clinic.example", "team", "active", PAID)
for _name, _st, _pu in (("r.singh", "active", PAID), ("l.moreno", "active", PAID),
                        ("t.nakamura", "expired", "2021-10-31"), ("g.okafor", "active", PAID)):
    acct(f"{_name}@harborview-clinic.example", "team", _st, _pu, "ops@harborview-clinic.example")
acct("d.walsh@harborview-clinic.example", "basic", "trial")
acct("m.quinn@harborview-clinic.example", "basic", "trial")
acct("sophie.turner@maple-accounting.example", "pro", "active", PAID)
acct("ryan.cole@maple-accounting.example", "basic", "trial")
acct("thorsten.maier@maier-haustechnik.example", "pro", "active", PAID)
acct("k.demir@maier-haustechnik.example", "basic", "trial")
acct("hannah.blake@blake-interiors.example", "pro", "active", PAID)
acct("zoe.kim@blake-interiors.example", "basic", "trial")
acct("lea.sommerfeld@sommerfeld-yoga.example", "pro", "active", PAID)
acct("ronja.fuchs@webpost.test", "basic", "trial")
acct("andreas.koenig@koenig-elektro.example", "pro", "active", PAID)
acct("f.lang@koenig-elektro.example", "basic", "trial")
acct("susanne.albrecht@albrecht-consulting.example", "pro", "active", PAID)
acct("nils.becker@freemail.test", "basic", "trial")
acct("dr.kaiser@kaiser-physio.example", "pro", "active", PAID)
acct("emma.schulte@kaiser-physio.example", "basic", "trial")
acct("joel.martin@martin-roofing.example", "team", "active", PAID)
acct("ava.reyes@webpost.test", "basic", "trial")
acct("isabel.cruz@cruz-photo.example", "pro", "active", PAID)
acct("theo.grant@cruz-photo.example", "basic", "trial")
acct("m.lorenz@lorenz-gartenbau.example", "pro", "active", PAID)
acct("k.weiss@lorenz-gartenbau.example", "basic", "trial")
acct("j.harper@harper-events.example", "pro", "active", PAID)
acct("nina.cho@harper-events.example", "basic", "trial")
acct("daniela.frank@frank-kosmetik.example", "pro", "active", PAID)
acct("lara.nowak@frank-kosmetik.example", "basic", "trial")
acct("ethan.hale@hale-carpentry.example", "pro", "active", PAID)
acct("mason.reid@hale-carpentry.example", "basic", "trial")
acct("petra.gross@gross-werbetechnik.example", "pro", "active", PAID)
acct("timo.eck@gross-werbetechnik.example", "basic", "trial")
acct("olivia.bennett@bennett-hr.example", "pro", "active", PAID)
acct("lucas.gray@bennett-hr.example", "basic", "trial")
acct("tobias.reuter@reuter-fahrschule.example", "pro", "active", PAID)
acct("svenja.marx@reuter-fahrschule.example", "basic", "trial")
acct("juergen.mueller@mueller-steuern.example", "pro", "active", PAID)
acct("a.baumann@mueller-steuern.example", "basic", "trial")
acct("g.schaefer@schaefer-bau.example", "pro", "active", PAID)
acct("t.koehler@schaefer-bau.example", "basic", "trial")
acct("ruth.adams@adams-bakery.example", "pro", "active", PAID)
acct("cole.adams@adams-bakery.example", "basic", "trial")
acct("j.winter@winter-gartenplanung.example", "team", "active", PAID)
acct("p.kraft@winter-gartenplanung.example", "basic", "trial")
acct("grant.whitaker@whitaker-capital.example", "pro", "active", PAID)  # boss in the need_info mail
acct("ben.rowe@rowe-analytics.example", "team", "active", PAID)
acct("kai.mertens@rowe-analytics.example", "basic", "trial")

# --- reactivate -------------------------------------------------------------
acct("gerd.paulsen@paulsen-segel.example", "pro", "active", PAID)
acct("ole.paulsen@paulsen-segel.example", "pro", "expired", "2021-05-31",
     "gerd.paulsen@paulsen-segel.example")
acct("sarah.lindqvist@nordlys-design.example", "pro", "active", PAID)
acct("felix.berg@nordlys-design.example", "pro", "expired", "2021-06-30",
     "sarah.lindqvist@nordlys-design.example")
acct("horst.kugler@kugler-metallbau.example", "pro", "active", PAID)
acct("d.kugler@kugler-metallbau.example", "pro", "expired", "2021-03-31",
     "horst.kugler@kugler-metallbau.example")
acct("studio@evergreen-florals.example", "pro", "active", PAID)
acct("ivy.park@freemail.test", "pro", "expired", "2021-08-31", "studio@evergreen-florals.example")
acct("info@hartwig-immobilien.example", "team", "active", PAID)
acct("lena.hartwig@webpost.test", "team", "expired", "2021-04-30",
     "info@hartwig-immobilien.example")
acct("kontakt@baeckerei-schmitz.example", "pro", "active", PAID)
acct("verkauf.altstadt@baeckerei-schmitz.example", "pro", "expired", "2021-12-31",
     "kontakt@baeckerei-schmitz.example")
acct("verkauf.bahnhof@baeckerei-schmitz.example", "pro", "expired", "2021-12-31",
     "kontakt@baeckerei-schmitz.example")
acct("leo.fontaine@freemail.test", "basic", "trial")
acct("rosa.delgado@delgado-bakery.example", "pro", "active", PAID)
acct("miguel.delgado@delgado-bakery.example", "pro", "expired", "2021-09-30",
     "rosa.delgado@delgado-bakery.example")
acct("k.hansen@hansen-fisch.example", "pro", "active", PAID)
acct("j.hansen@hansen-fisch.example", "pro", "expired", "2021-06-30",
     "k.hansen@hansen-fisch.example")
acct("leitung@kita-sonnenschein.example", "pro", "active", PAID)  # verwaltung@ is NOT an account
acct("j.mueller@kita-sonnenschein.example", "pro", "expired", "2021-08-31",
     "leitung@kita-sonnenschein.example")
acct("dr.wells@pinecrest-vets.example", "pro", "active", PAID)  # admin@ is NOT an account
acct("holly.chen@pinecrest-vets.example", "pro", "expired", "2021-10-31",
     "dr.wells@pinecrest-vets.example")
acct("inhaber@fahrradladen-speiche.example", "pro", "active", PAID)
acct("azubi@fahrradladen-speiche.example", "pro", "expired", "2021-07-31",
     "inhaber@fahrradladen-speiche.example")
acct("mark.ellis@ridgeline-surveying.example", "pro", "active", PAID)
acct("amy.cho@ridgeline-surveying.example", "pro", "expired", "2021-05-31",
     "mark.ellis@ridgeline-surveying.example")
acct("kontakt@agentur-funkel.example", "agency", "active", PAID)
acct("j.lindner@agentur-funkel.example", "agency", "expired", "2021-02-28",
     "kontakt@agentur-funkel.example")
acct("hq@pixelforge-agency.example", "agency", "active", PAID)
acct("sam.hughes@pixelforge-agency.example", "agency", "expired", "2021-03-31",
     "hq@pixelforge-agency.example")
acct("carla.mendes@mendes-architecture.example", "pro", "active", PAID)
acct("m.kessler@kessler-bedachungen.example", "pro", "active", PAID)
acct("info@arndt-dach.example", "pro", "active", PAID)
acct("sebastian.arndt@freemail.test", "pro", "expired", "2021-09-30", "info@arndt-dach.example")
acct("claudia.seitz@seitz-moden.example", "pro", "cancelled", PAID)
acct("n.busch@seitz-moden.example", "pro", "expired", "2021-06-30",
     "claudia.seitz@seitz-moden.example")
acct("tom.harris@harris-fitness.example", "pro", "active", "2021-10-31")
acct("lily.harris@harris-fitness.example", "pro", "expired", "2021-10-31",
     "tom.harris@harris-fitness.example")
acct("w.brandl@brandl-schreinerei.example", "pro", "active", PAID)
acct("f.brandl@brandl-schreinerei.example", "pro", "active", PAID,
     "w.brandl@brandl-schreinerei.example")
acct("dana.white@white-pr.example", "team", "active", PAID)
acct("kim.lowe@white-pr.example", "team", "active", PAID, "dana.white@white-pr.example")
acct("frontdesk@bayside-physio.example", "team", "active", PAID)
acct("alex.moore@bayside-physio.example", "team", "expired", "2021-11-30",
     "frontdesk@bayside-physio.example")
acct("jess.tran@bayside-physio.example", "team", "active", PAID, "frontdesk@bayside-physio.example")
acct("apotheke@apotheke-am-markt.example", "pro", "active", PAID)
acct("pta.jung@apotheke-am-markt.example", "pro", "active", "2021-12-31",
     "apotheke@apotheke-am-markt.example")
acct("praxis@physio-lindenhof.example", "pro", "active", PAID)
acct("tanja.reich@physio-lindenhof.example", "pro", "expired", "2021-01-31",
     "praxis@physio-lindenhof.example")
acct("e.vogel@vogel-dachdecker.example", "pro", "expired", "2021-04-30")
acct("r.vogel@vogel-dachdecker.example", "pro", "expired", "2021-04-30",
     "e.vogel@vogel-dachdecker.example")
acct("nora.blum@blum-grafik.example", "pro", "active", PAID)
acct("yuki.sato@blum-grafik.example", "pro", "expired", "2021-06-30", "nora.blum@blum-grafik.example")
acct("ava.lindgren@lindgren-studio.example", "pro", "active", PAID)
acct("max.holm@lindgren-studio.example", "pro", "expired", "2021-05-31",
     "ava.lindgren@lindgren-studio.example")
acct("office@quinn-legal.example", "pro", "active", PAID)
acct("pa.hughes@quinn-legal.example", "pro", "expired", "2021-08-31", "office@quinn-legal.example")

# --- other / auto (senders that happen to be customers) -----------------------
acct("c.fiedler@fiedler-optik.example", "pro", "active", PAID)
acct("peter.wong@wong-architects.example", "basic", "active", PAID)
acct("jo.mercer@mercer-coaching.example", "basic", "active", PAID)
acct("b.stein@stein-sanitaer.example", "pro", "active", PAID)
acct("sabrina.vogt@vogt-lektorat.example", "basic", "active", PAID)
acct("accounts@clarke-joinery.example", "pro", "active", PAID)
acct("r.kraemer@kraemer-gmbh.example", "pro", "active", PAID)
acct("sabine.vogl@kraemer-gmbh.example", "basic", "trial")


def account_table():
    table = {}
    for n, (email, plan, status, paid_until, primary) in enumerate(ACCOUNT_ROWS):
        assert email == email.lower() and email not in table, email
        table[email] = {"id": 40001 + n, "email": email, "plan": plan, "status": status,
                        "paid_until": paid_until, "primary": primary}
    for row in table.values():
        assert row["primary"] is None or row["primary"] in table, row
        assert row["plan"] in PLANS, row
    return table


def accounts_csv(table) -> str:
    lines = ["account_id,email,plan,status,paid_until,primary_account_id"]
    for row in table.values():
        primary_id = table[row["primary"]]["id"] if row["primary"] else ""
        lines.append(f"{row['id']},{row['email']},{row['plan']},{row['status']},"
                     f"{row['paid_until']},{primary_id}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Small MIME writer: we write bytes the way the clients do, not the way the
# stdlib would re-serialise them.

def digest(*parts, n=12):
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:n]


def fold(name: str, value: str, width: int = 78) -> str:
    """Fold a header at spaces, continuation lines starting with one space."""
    if value == "":
        return f"{name}:"
    lines, cur = [], f"{name}:"
    first = True
    for word in value.split(" "):
        if first or len(cur) + 1 + len(word) <= width:
            cur += " " + word
            first = False
        else:
            lines.append(cur)
            cur = " " + word
    lines.append(cur)
    return "\n".join(lines)


def raw_header(text: str) -> str:
    """A header written out exactly as given (already folded)."""
    return text.rstrip("\n")


def q2047(text: str, charset: str = "utf-8", upper=False) -> str:
    cs = charset.upper() if upper else charset
    out = []
    for byte in text.encode(charset):
        ch = chr(byte)
        if ch == " ":
            out.append("_")
        elif ch.isalnum() and byte < 128 or ch in "!*+-/":
            out.append(ch)
        else:
            out.append(f"={byte:02X}")
    return f"=?{cs}?Q?{''.join(out)}?="


def b2047(text: str, charset: str = "UTF-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


CODECS = {"unknown-8bit": "latin-1", "x-unknown": "utf-8", "us-ascii": "ascii"}


def encode_body(text: str, charset: str, cte: str) -> bytes:
    raw = text.encode(CODECS.get(charset.lower(), charset))
    if cte == "quoted-printable":
        return quopri.encodestring(raw)
    if cte == "base64":
        return base64.encodebytes(raw)
    if cte == "7bit":
        raw.decode("ascii")  # must be ASCII
    return raw


class Leaf:
    def __init__(self, ctype: str, body: bytes, cte: str | None = None, extra=()):
        self.ctype, self.body, self.cte, self.extra = ctype, body, cte, list(extra)

    def headers(self):
        hs = [raw_header(f"Content-Type: {self.ctype}")]
        if self.cte:
            hs.append(f"Content-Transfer-Encoding: {self.cte}")
        hs.extend(self.extra)
        return hs


def text_part(text, *, charset="utf-8", cte="8bit", ctype=None, order="ct", extra=()):
    ctype = ctype or f'text/plain; charset="{charset}"'
    leaf = Leaf(ctype, encode_body(text, charset, cte), cte, extra)
    if order == "cte":  # Apple Mail writes the transfer encoding first
        leaf.headers = lambda: ([f"Content-Transfer-Encoding: {cte}"]
                                + [raw_header(f"Content-Type: {ctype}")] + list(extra))
    return leaf


class Multi:
    def __init__(self, ctype: str, boundary: str, parts, preamble: str = "", epilogue=""):
        self.ctype, self.boundary, self.parts = ctype, boundary, parts
        self.preamble, self.epilogue = preamble, epilogue
        self.extra = []

    def headers(self):
        return [raw_header(f"Content-Type: {self.ctype}")]

    @property
    def body(self):
        out = self.preamble.encode()
        for part in self.parts:
            out += f"--{self.boundary}\n".encode() + serialize(part) + b"\n"
        out += f"--{self.boundary}--\n".encode() + self.epilogue.encode()
        return out


def serialize(part) -> bytes:
    head = "\n".join(part.headers()).encode("ascii")
    return head + b"\n\n" + part.body


def message(headers: list[str], root, *, mime_version="1.0") -> bytes:
    hs = [h for h in headers if h]
    if mime_version is not None:
        hs.append(f"MIME-Version: {mime_version}")
    return serialize_top(hs, root)


def serialize_top(hs, root) -> bytes:
    head = "\n".join(hs + root.headers()).encode("ascii")
    body = root.body
    if not body.endswith(b"\n"):
        body += b"\n"
    return head + b"\n\n" + body


# ---------------------------------------------------------------------------
# Transport headers added by our MX, and sender authentication results.

def domain_of(addr: str) -> str:
    return addr.rsplit("@", 1)[1]


def ar_pass(frm: str, ip: str, *, selector="mail", style=0, mailfrom=None) -> str:
    dom = domain_of(frm)
    mailfrom = mailfrom or frm
    b = digest("dkim", frm, n=8)
    if style == 0:  # OpenDKIM + policyd-spf + OpenDMARC, merged by our MX
        return (f"{MX}; dkim=pass (2048-bit key; unprotected) header.d={dom} "
                f"header.i=@{dom} header.s={selector} header.b={b}; spf=pass ({MX}: "
                f"domain of {mailfrom} designates {ip} as permitted sender) "
                f"smtp.mailfrom={mailfrom}; dmarc=pass (p=none dis=none) header.from={dom}")
    return (f"{MX}; dkim=pass header.d={dom} header.s={selector} header.b={b}; "
            f"spf=pass ({MX}: domain of {mailfrom} designates {ip} as permitted sender) "
            f"smtp.mailfrom={mailfrom}; dmarc=pass (policy=quarantine) header.from={dom}")


def received(helo: str, ip: str, when: datetime, *, qid=None, tls=True) -> str:
    qid = qid or digest("rcv", helo, when, n=12).upper()
    stamp = format_datetime(when + timedelta(seconds=3))
    with_ = "ESMTPS" if tls else "ESMTP"
    return (f"from {helo} ({helo} [{ip}]) by {MX} (Postfix) with {with_} id {qid} "
            f"for <{SUPPORT}>; {stamp}")


def transport(frm: str, ip: str, when: datetime, *, auth="pass", helo=None, return_path=None,
              style=0, selector="mail", extra_ar=(), extra_received=()):
    """Return-Path, Delivered-To, Authentication-Results and Received, as our MX adds them."""
    helo = helo or f"mail.{domain_of(frm)}"
    hs = [f"Return-Path: <{frm if return_path is None else return_path}>",
          f"Delivered-To: {SUPPORT}"]
    if auth == "pass":
        hs.append(fold("Authentication-Results", ar_pass(frm, ip, selector=selector, style=style)))
    elif auth:
        hs.append(fold("Authentication-Results", auth))
    hs.append(fold("Received", received(helo, ip, when)))
    hs.extend(extra_received)
    hs.extend(extra_ar)
    return hs


def date_hdr(when: datetime) -> str:
    return "Date: " + format_datetime(when)


# ---------------------------------------------------------------------------
# Attribution lines and dates the way each client writes them.

DE_WD_SHORT = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."]
DE_WD = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
DE_MON = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember"]
EN_WD_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EN_WD = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
EN_MON_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EN_MON = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def h12(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt:%M} {'AM' if dt.hour < 12 else 'PM'}"


def gmail_de(dt, name, addr):
    return (f"Am {DE_WD_SHORT[dt.weekday()]}, {dt.day}. {DE_MON[dt.month - 1]} {dt.year} "
            f"um {dt:%H:%M} Uhr schrieb {name} <{addr}>:")


def gmail_en(dt, name, addr):
    return (f"On {EN_WD_SHORT[dt.weekday()]}, {EN_MON_SHORT[dt.month - 1]} {dt.day}, {dt.year} "
            f"at {h12(dt)} {name} <{addr}> wrote:")


def apple_de(dt, name, addr):
    return f"Am {dt:%d.%m.%Y} um {dt:%H:%M} schrieb {name} <{addr}>:"


def apple_en(dt, name, addr):
    return f"On {dt.day} {EN_MON_SHORT[dt.month - 1]} {dt.year}, at {dt:%H:%M}, {name} <{addr}> wrote:"


def ios_en(dt, name, addr):
    return f"On {EN_MON_SHORT[dt.month - 1]} {dt.day}, {dt.year}, at {h12(dt)}, {name} <{addr}> wrote:"


def tb_de(dt, name):
    return f"Am {dt:%d.%m.%y} um {dt:%H:%M} schrieb {name}:"


def tb_en(dt, name):
    return f"On {dt.month}/{dt.day}/{dt:%y} {h12(dt)}, {name} wrote:"


def outlook_de_sent(dt):
    return f"{DE_WD[dt.weekday()]}, {dt.day}. {DE_MON[dt.month - 1]} {dt.year} {dt:%H:%M}"


def outlook_en_sent(dt):
    return f"{EN_WD[dt.weekday()]}, {EN_MON[dt.month - 1]} {dt.day}, {dt.year} {h12(dt)}"


# ---------------------------------------------------------------------------
# Text helpers.

ADDR_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def dedent(text: str) -> str:
    """Strip the leading newline of a triple-quoted block; keep everything else."""
    return text[1:] if text.startswith("\n") else text


def wrap(text: str, width: int = 72, flowed: bool = False) -> str:
    """Hard-wrap long lines as Thunderbird/mutt do (format=flowed: trailing space)."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width or line.startswith(">"):
            out.append(line)
            continue
        words, cur = line.split(" "), ""
        for word in words:
            if cur and len(cur) + 1 + len(word) > width:
                out.append(cur + (" " if flowed else ""))
                cur = word
            else:
                cur = f"{cur} {word}" if cur else word
        out.append(cur)
    return "\n".join(out)


def quote(text: str, prefix="> ") -> str:
    return "\n".join((prefix + line) if line else prefix.rstrip() for line in text.split("\n"))


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def linkify(escaped: str) -> str:
    return ADDR_RE.sub(lambda m: f'<a href="mailto:{m.group(0)}">{m.group(0)}</a>', escaped)


def divs(text: str, *, link=True) -> str:
    """Gmail-style HTML: one <div> per line, <div><br></div> for blank lines."""
    out = []
    for line in text.split("\n"):
        if not line:
            out.append("<div><br></div>")
        else:
            out.append(f"<div>{linkify(esc(line)) if link else esc(line)}</div>")
    return "".join(out)


def paras(text: str, cls=' class="MsoNormal"', link=True, blank="&nbsp;", suffix="") -> str:
    out = []
    for line in text.split("\n"):
        inner = (linkify(esc(line)) if link else esc(line)) if line else blank
        out.append(f"<p{cls}>{inner}{suffix}</p>")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# The mails. Each entry: file, raw bytes, expected result, and the facts the
# label is derived from (sender, sender verification, pairs as written).

MAILS: list[dict] = []


def mail(file, raw, *, intent, requests=(), why, sender=None, auth="pass", pairs=()):
    MAILS.append({"file": file, "raw": raw, "intent": intent,
                  "requests": [tuple(r) for r in requests], "why": why,
                  "sender": sender, "auth": auth, "pairs": [tuple(p) for p in pairs]})


# ===========================================================================
# LINK
# ===========================================================================

# --- 001: Thunderbird, plain text (format=flowed), signature with an address
def _m001():
    frm = "katharina.loewe@steuerbuero-loewe.example"
    when = datetime(2025, 6, 2, 8, 47, 12, tzinfo=CEST)
    body = wrap(dedent("""
Guten Morgen,

seit heute unterstützt uns Frau Melike Yildiz im Sekretariat. Sie hat sich gestern über Ihre Startseite ein kostenloses Testkonto mit der Adresse m.yildiz@steuerbuero-loewe.example angelegt.

Könnten Sie dieses Konto bitte als Teammitglied mit meinem Konto verbinden? Unser Pro-Tarif sollte das ja abdecken.

Besten Dank und einen guten Start in die Woche
Katharina Löwe

-- 
Steuerbüro Löwe
Katharina Löwe, Steuerberaterin
Am Marktplatz 4 · 97070 Würzburg
Tel. 0931 000 4711 · Fax 0931 000 4712
Zentrale: kanzlei@steuerbuero-loewe.example
"""), flowed=True)
    hs = transport(frm, "198.51.100.61", when) + [
        f"Message-ID: <7f3c2a1e-5b8d-4c19-9e0a-2d4b6f8a1c37@steuerbuero-loewe.example>",
        date_hdr(when),
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: {q2047('Katharina Löwe', 'UTF-8')} <{frm}>",
        "Subject: Neue Mitarbeiterin als Teammitglied",
    ]
    root = text_part(body, charset="UTF-8", cte="8bit",
                     ctype="text/plain; charset=UTF-8; format=flowed")
    mail("001-link-ready-de-thunderbird-signature.eml", message(hs, root), intent="link",
         requests=[(frm, "m.yildiz@steuerbuero-loewe.example", "ready_to_link")],
         why="link #12: no primary address stated, so P = sender katharina.loewe (pro, active, "
             "paid 2099-06-30, 0 of 2 seats used); T m.yildiz is registered (trial) and unlinked. "
             "kanzlei@ is in the signature after '-- ' and is not read.",
         sender=frm, pairs=[(frm, "m.yildiz@steuerbuero-loewe.example")])


# --- 002: Gmail EN reply, attribution wrapped over two lines, quoted addresses
def _m002():
    frm = "grace.holloway@tidewater-design.example"
    when = datetime(2025, 6, 3, 10, 22, 41, tzinfo=EDT)
    prev = datetime(2025, 6, 2, 16, 5, tzinfo=EDT)
    first = datetime(2025, 6, 2, 9, 14, tzinfo=EDT)
    new = dedent("""
Hi there,

Sorry about that, I had his address wrong. Devon signed up for the free trial this morning with devon.price@tidewater-design.example. Could you please link that account to mine as a team member?

Many thanks,
Grace
""")
    support_text = dedent("""
Hi Grace,

Thanks for getting in touch. We couldn't find an account registered under d.price@tidewater-design.example. Could you double-check the address your colleague used when signing up for the free trial and send it to us?

Best regards,
Customer Support
""")
    grace_text = dedent("""
Hello,

Please link my designer's account d.price@tidewater-design.example to our main account. Invoices should keep going to billing@tidewater-design.example.

Thanks,
Grace Holloway
Tidewater Design
""")
    attr1 = gmail_en(prev, "Customer Support", SUPPORT)
    attr2 = gmail_en(first, "Grace Holloway", frm)
    # Gmail wraps the long attribution line in the text/plain part
    cut = attr1.index("<")
    plain = (new + "\n" + attr1[:cut + 1] + "\n" + attr1[cut + 1:] + "\n\n"
             + quote(support_text.rstrip("\n") + "\n\n" + attr2 + "\n\n"
                     + quote(grace_text.rstrip("\n")) + "\n").rstrip("\n") + "\n")
    quote_style = ('class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
                   'rgb(204,204,204);padding-left:1ex"')
    html_attr = lambda a: linkify(esc(a))
    htm = (f'<div dir="ltr">{divs(new.rstrip(chr(10)))}</div><br>'
           f'<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
           f'{html_attr(attr1)}<br></div><blockquote {quote_style}>'
           f'{divs(support_text.rstrip(chr(10)))}<br><div class="gmail_quote">'
           f'<div dir="ltr" class="gmail_attr">{html_attr(attr2)}<br></div>'
           f'<blockquote {quote_style}>{divs(grace_text.rstrip(chr(10)))}</blockquote></div>'
           f'</blockquote></div>\n')
    bnd = "000000000000b7e2c90638a1f4d5"
    root = Multi(f'multipart/alternative; boundary="{bnd}"', bnd, [
        text_part(plain, charset="UTF-8", cte="quoted-printable",
                  ctype='text/plain; charset="UTF-8"'),
        text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"'),
    ])
    hs = transport(frm, "209.85.220.41", when, helo="mail-sor-f41.google.com",
                   selector="google") + [
        "MIME-Version: 1.0",
        "References: <CAH7vQm3Rz0pXk1eYq8bN2c5T4wUo9dFg6sLhJ3aK1@mail.gmail.com>",
        " <reply.8a41c0e2b9f37d65@mailbot.test>",
        "In-Reply-To: <reply.8a41c0e2b9f37d65@mailbot.test>",
        "From: Grace Holloway <grace.holloway@tidewater-design.example>",
        date_hdr(when),
        "Message-ID: <CAH7vQm2xT9LwE4pZc0fN8gYb3R5sKdUj6oHq1aM7e@mail.gmail.com>",
        "Subject: Re: Team member account for Devon",
        f"To: {SUPPORT_EN}",
    ]
    mail("002-link-ready-en-gmail-reply-wrapped-attribution.eml",
         serialize_top(hs, root), intent="link",
         requests=[(frm, "devon.price@tidewater-design.example", "ready_to_link")],
         why="Only the new text above the (two-line) 'On ... wrote:' attribution is read; the "
             "wrong address d.price@ and billing@ are in the quoted history. P = sender grace "
             "(pro, active, 0 linked); T devon.price registered, unlinked -> link #12 ready_to_link.",
         sender=frm, pairs=[(frm, "devon.price@tidewater-design.example")])


# --- 003: Outlook classic DE, iso-8859-1 quoted-printable, no address -> need_info
def _m003():
    frm = "ralf.steiner@steiner-bau.example"
    when = datetime(2025, 6, 3, 7, 58, 30, tzinfo=CEST)
    plain = dedent("""
Guten Morgen,

wir haben seit dieser Woche einen neuen Bauleiter, Herrn Kühn. Bitte fügen Sie ihn als Teammitglied zu unserem Konto hinzu, damit er die Baustellenberichte selbst pflegen kann.

Vielen Dank vorab.

Mit freundlichen Grüßen
Ralf Steiner
Geschäftsführer

Steiner Bau GmbH & Co. KG
Ringstraße 18
86150 Augsburg
""")
    htm = ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
           'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
           'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
           '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">\n'
           '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
           '<style><!--\n/* Font Definitions */\n@font-face\n\t{font-family:Calibri;}\n'
           'p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n'
           '\tfont-family:"Calibri",sans-serif;\n\tmso-fareast-language:EN-US;}\n--></style>\n'
           '</head>\n<body lang="DE" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n'
           '<div class="WordSection1">\n'
           + paras(plain.rstrip("\n"), suffix="<o:p></o:p>") + "\n</div>\n</body>\n</html>\n")
    bnd = "----=_NextPart_000_0017_01DBD441.6C2F9A80"
    root = Multi(f'multipart/alternative;\n\tboundary="{bnd}"', bnd, [
        text_part(plain, charset="iso-8859-1", cte="quoted-printable"),
        text_part(htm, charset="iso-8859-1", cte="quoted-printable",
                  ctype='text/html; charset="iso-8859-1"'),
    ], preamble="This is a multi-part message in MIME format.\n\n")
    hs = transport(frm, "198.51.100.63", when) + [
        f"From: \"Ralf Steiner\" <{frm}>",
        f"To: <{SUPPORT}>",
        "Subject: Neuer Bauleiter - Teamzugang",
        date_hdr(when),
        "Message-ID: <000a01dbd441$6c2f9a80$448ecf80$@steiner-bau.example>",
        "MIME-Version: 1.0",
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AdvUQWwvmCJ0h1x5Q0ODLmKc3Xk3nQ==",
        "Content-Language: de",
    ]
    mail("003-link-need-info-de-outlook-latin1.eml", serialize_top(hs, root), intent="link",
         requests=[(frm, None, "need_info")],
         why="A link request (hinzufügen als Teammitglied) naming no team-member address; "
             "P = sender ralf.steiner. Link requests are never completed from records -> "
             "link #1 need_info.",
         sender=frm, pairs=[(frm, None)])


# --- 004: iOS Mail EN, no address -> need_info
def _m004():
    frm = "nadia.farouk@olivegrove-catering.example"
    when = datetime(2025, 6, 4, 19, 3, 55, tzinfo=BST)
    body = dedent("""
Hi,

Quick one: I've just hired a virtual assistant, Beth, to help with bookings. Can you connect her to my account as a team member? She's set up her own login already.

Thanks so much!
Nadia

Sent from my iPhone
""")
    hs = transport(frm, "198.51.100.64", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: Nadia Farouk <{frm}>",
        "Mime-Version: 1.0 (1.0)",
        date_hdr(when),
        "Subject: Adding my VA",
        "Message-Id: <4C1E9A77-2B3D-4F6A-8E51-0D9C7B2A6F13@olivegrove-catering.example>",
        f"To: {SUPPORT}",
        "X-Mailer: iPhone Mail (22F76)",
    ]
    body_bytes = encode_body(body, "utf-8", "quoted-printable")
    raw = ("\n".join(hs) + "\n\n").encode() + body_bytes
    mail("004-link-need-info-en-iphone.eml", raw, intent="link",
         requests=[(frm, None, "need_info")],
         why="'connect her to my account as a team member' with no address for Beth; P = sender "
             "nadia.farouk. Link requests are never filled in from records -> link #1 need_info.",
         sender=frm, pairs=[(frm, None)])


# --- 005: P = T (the customer typed her own address twice) -> need_info
def _m005():
    frm = "martina.hahn@hahn-fotografie.example"
    when = datetime(2025, 6, 4, 14, 31, 7, tzinfo=CEST)
    body = dedent("""
Hallo,

wie besprochen hier die Angaben für die Verknüpfung:

Hauptkonto: martina.hahn@hahn-fotografie.example
Teammitglied: martina.hahn@hahn-fotografie.example

Bitte verknüpfen Sie die beiden Konten.

Viele Grüße
Martina Hahn
Hahn Fotografie
""")
    hs = transport(frm, "198.51.100.65", when) + [
        f"From: Martina Hahn <{frm}>",
        f"To: {SUPPORT}",
        f"Subject: {q2047('Verknüpfung Teammitglied', 'UTF-8', upper=True)}",
        date_hdr(when),
        "Message-ID: <1b9e4d7a52c3f08e6a4d2c91e7f05b3a@hahn-fotografie.example>",
        "X-Sender: martina.hahn@hahn-fotografie.example",
        "User-Agent: Roundcube Webmail/1.6.10",
        "MIME-Version: 1.0",
    ]
    root = text_part(wrap(body, flowed=True), charset="UTF-8", cte="8bit",
                     ctype="text/plain; charset=UTF-8;\n format=flowed")
    mail("005-link-need-info-de-same-address-twice.eml", message(hs, root, mime_version=None),
         intent="link", requests=[(frm, frm, "need_info")],
         why="Hauptkonto and Teammitglied are the same address, so P = T -> link #1 need_info.",
         sender=frm, pairs=[(frm, frm)])


# --- 006: EN, the sender is clearly the team member, boss's address not given
def _m006():
    frm = "ellie.morgan@webpost.test"
    when = datetime(2025, 6, 5, 9, 12, 18, tzinfo=BST)
    body = dedent("""
Hello,

I've just started as the executive assistant to Grant Whitaker at Whitaker Capital. I registered my own account with you yesterday (this email address), and Grant asked me to get in touch so that my account can be linked to my boss's account as a team member.

Could you let me know what you need from us?

Kind regards,
Ellie Morgan
""")
    hs = transport(frm, "203.0.113.88", when, helo="out2.webpost.test") + [
        f"Message-ID: <1749111138.8812.ellie.morgan@webpost.test>",
        date_hdr(when),
        f"From: \"Ellie Morgan\" <{frm}>",
        f"To: \"Customer Support\" <{SUPPORT}>",
        "Subject: Linking my account to my boss's account",
        "X-Mailer: WebPost Mail 7.2",
        "MIME-Version: 1.0",
    ]
    root = text_part(wrap(body, 76), charset="utf-8", cte="7bit", ctype="text/plain; charset=utf-8")
    mail("006-link-need-info-en-team-member-writes-no-boss-address.eml",
         message(hs, root, mime_version=None), intent="link",
         requests=[(None, frm, "need_info")],
         why="The sender is clearly the team member ('my account ... my boss's account'), so "
             "T = sender ellie.morgan; the boss is named but his address is not given (no "
             "look-up by name), so P is missing -> link #1 need_info.",
         sender=frm, pairs=[(None, frm)])
