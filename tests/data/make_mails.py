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

# Mail texts are data: long lines, trailing spaces ("-- " signature lines, Outlook's
# "Von: ... " header lines) and list concatenation are intended here.
# ruff: noqa: E501, W291, RUF005

from __future__ import annotations

import base64
import hashlib
import html
import json
import quopri
import re
import sys
from datetime import UTC, date, datetime, timedelta, timezone
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
UTC = UTC

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
acct("va.kerstin@assistenz-service.example", "pro", "active", PAID, "buero@pfeiffer-immobilien.example")
acct("liam.oconnor@oconnor-tiling.example", "pro", "active", PAID)
acct("office@greenway-plumbing.example", "team", "active", PAID)
acct("jade.evans@remote-va.example", "team", "active", PAID, "office@greenway-plumbing.example")
acct("carsten.wolf@wolf-druck.example", "pro", "active", PAID)
acct("a.wolf@wolf-druck.example", "pro", "active", PAID, "carsten.wolf@wolf-druck.example")
acct("e.kunz@wolf-druck.example", "pro", "expired", "2021-07-31", "carsten.wolf@wolf-druck.example")
acct("p.engel@wolf-druck.example", "basic", "trial")
acct("admin@clearpath-dental.example", "team", "active", PAID)
for _name, _st, _pu in (
    ("amy.lee", "active", PAID),
    ("ben.ward", "active", PAID),
    ("cora.diaz", "expired", "2021-11-30"),
    ("dan.ito", "active", PAID),
    ("eve.moss", "expired", "2021-11-30"),
):
    acct(f"{_name}@clearpath-dental.example", "team", _st, _pu, "admin@clearpath-dental.example")
acct("finn.hart@clearpath-dental.example", "basic", "trial")
acct("heike.brandner@brandner-reisen.example", "pro", "active", PAID)
acct("o.brandner@brandner-reisen.example", "pro", "active", PAID, "heike.brandner@brandner-reisen.example")
acct("s.kurz@brandner-reisen.example", "basic", "trial")
acct("m.ostermann@brandner-reisen.example", "basic", "trial")
acct("ops@harborview-clinic.example", "team", "active", PAID)
for _name, _st, _pu in (
    ("r.singh", "active", PAID),
    ("l.moreno", "active", PAID),
    ("t.nakamura", "expired", "2021-10-31"),
    ("g.okafor", "active", PAID),
):
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
acct("ben.rowe@rowe-analytics.example", "team", "active", PAID)
acct("kai.mertens@rowe-analytics.example", "basic", "trial")

# --- reactivate -------------------------------------------------------------
acct("gerd.paulsen@paulsen-segel.example", "pro", "active", PAID)
acct("ole.paulsen@paulsen-segel.example", "pro", "expired", "2021-05-31", "gerd.paulsen@paulsen-segel.example")
acct("sarah.lindqvist@nordlys-design.example", "pro", "active", PAID)
acct("felix.berg@nordlys-design.example", "pro", "expired", "2021-06-30", "sarah.lindqvist@nordlys-design.example")
acct("horst.kugler@kugler-metallbau.example", "pro", "active", PAID)
acct("d.kugler@kugler-metallbau.example", "pro", "expired", "2021-03-31", "horst.kugler@kugler-metallbau.example")
acct("studio@evergreen-florals.example", "pro", "active", PAID)
acct("ivy.park@freemail.test", "pro", "expired", "2021-08-31", "studio@evergreen-florals.example")
acct("info@hartwig-immobilien.example", "team", "active", PAID)
acct("lena.hartwig@webpost.test", "team", "expired", "2021-04-30", "info@hartwig-immobilien.example")
acct("kontakt@baeckerei-schmitz.example", "pro", "active", PAID)
acct("verkauf.altstadt@baeckerei-schmitz.example", "pro", "expired", "2021-12-31", "kontakt@baeckerei-schmitz.example")
acct("verkauf.bahnhof@baeckerei-schmitz.example", "pro", "expired", "2021-12-31", "kontakt@baeckerei-schmitz.example")
acct("leo.fontaine@freemail.test", "basic", "trial")
acct("rosa.delgado@delgado-bakery.example", "pro", "active", PAID)
acct("miguel.delgado@delgado-bakery.example", "pro", "expired", "2021-09-30", "rosa.delgado@delgado-bakery.example")
acct("k.hansen@hansen-fisch.example", "pro", "active", PAID)
acct("j.hansen@hansen-fisch.example", "pro", "expired", "2021-06-30", "k.hansen@hansen-fisch.example")
acct("leitung@kita-sonnenschein.example", "pro", "active", PAID)  # verwaltung@ is NOT an account
acct("j.mueller@kita-sonnenschein.example", "pro", "expired", "2021-08-31", "leitung@kita-sonnenschein.example")
acct("dr.wells@pinecrest-vets.example", "pro", "active", PAID)  # admin@ is NOT an account
acct("holly.chen@pinecrest-vets.example", "pro", "expired", "2021-10-31", "dr.wells@pinecrest-vets.example")
acct("inhaber@fahrradladen-speiche.example", "pro", "active", PAID)
acct("azubi@fahrradladen-speiche.example", "pro", "expired", "2021-07-31", "inhaber@fahrradladen-speiche.example")
acct("mark.ellis@ridgeline-surveying.example", "pro", "active", PAID)
acct("amy.cho@ridgeline-surveying.example", "pro", "expired", "2021-05-31", "mark.ellis@ridgeline-surveying.example")
acct("kontakt@agentur-funkel.example", "agency", "active", PAID)
acct("j.lindner@agentur-funkel.example", "agency", "expired", "2021-02-28", "kontakt@agentur-funkel.example")
acct("hq@pixelforge-agency.example", "agency", "active", PAID)
acct("sam.hughes@pixelforge-agency.example", "agency", "expired", "2021-03-31", "hq@pixelforge-agency.example")
acct("carla.mendes@mendes-architecture.example", "pro", "active", PAID)
acct("m.kessler@kessler-bedachungen.example", "pro", "active", PAID)
acct("info@arndt-dach.example", "pro", "active", PAID)
acct("sebastian.arndt@freemail.test", "pro", "expired", "2021-09-30", "info@arndt-dach.example")
acct("claudia.seitz@seitz-moden.example", "pro", "cancelled", PAID)
acct("n.busch@seitz-moden.example", "pro", "expired", "2021-06-30", "claudia.seitz@seitz-moden.example")
acct("tom.harris@harris-fitness.example", "pro", "active", "2021-10-31")
acct("lily.harris@harris-fitness.example", "pro", "expired", "2021-10-31", "tom.harris@harris-fitness.example")
acct("w.brandl@brandl-schreinerei.example", "pro", "active", PAID)
acct("f.brandl@brandl-schreinerei.example", "pro", "active", PAID, "w.brandl@brandl-schreinerei.example")
acct("dana.white@white-pr.example", "team", "active", PAID)
acct("kim.lowe@white-pr.example", "team", "active", PAID, "dana.white@white-pr.example")
acct("frontdesk@bayside-physio.example", "team", "active", PAID)
acct("alex.moore@bayside-physio.example", "team", "expired", "2021-11-30", "frontdesk@bayside-physio.example")
acct("jess.tran@bayside-physio.example", "team", "active", PAID, "frontdesk@bayside-physio.example")
acct("apotheke@apotheke-am-markt.example", "pro", "active", PAID)
acct("pta.jung@apotheke-am-markt.example", "pro", "active", "2021-12-31", "apotheke@apotheke-am-markt.example")
acct("praxis@physio-lindenhof.example", "pro", "active", PAID)
acct("tanja.reich@physio-lindenhof.example", "pro", "expired", "2021-01-31", "praxis@physio-lindenhof.example")
acct("e.vogel@vogel-dachdecker.example", "pro", "expired", "2021-04-30")
acct("r.vogel@vogel-dachdecker.example", "pro", "expired", "2021-04-30", "e.vogel@vogel-dachdecker.example")
acct("nora.blum@blum-grafik.example", "pro", "active", PAID)
acct("yuki.sato@blum-grafik.example", "pro", "expired", "2021-06-30", "nora.blum@blum-grafik.example")
acct("ava.lindgren@lindgren-studio.example", "pro", "active", PAID)
acct("max.holm@lindgren-studio.example", "pro", "expired", "2021-05-31", "ava.lindgren@lindgren-studio.example")
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
        table[email] = {
            "id": 40001 + n,
            "email": email,
            "plan": plan,
            "status": status,
            "paid_until": paid_until,
            "primary": primary,
        }
    for row in table.values():
        assert row["primary"] is None or row["primary"] in table, row
        assert row["plan"] in PLANS, row
    return table


def accounts_csv(table) -> str:
    lines = ["account_id,email,plan,status,paid_until,primary_account_id"]
    for row in table.values():
        primary_id = table[row["primary"]]["id"] if row["primary"] else ""
        lines.append(f"{row['id']},{row['email']},{row['plan']},{row['status']},{row['paid_until']},{primary_id}")
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
        elif (ch.isalnum() and byte < 128) or ch in "!*+-/":
            out.append(ch)
        else:
            out.append(f"={byte:02X}")
    return f"=?{cs}?Q?{''.join(out)}?="


def b2047(text: str, charset: str = "UTF-8") -> str:
    """B-encoded words of at most 75 characters each, separated by spaces (for folding)."""
    words, chunk = [], ""
    for ch in text:
        if len((chunk + ch).encode(charset)) > 45:
            words.append(chunk)
            chunk = ""
        chunk += ch
    words.append(chunk)
    return " ".join(f"=?{charset}?B?{base64.b64encode(w.encode(charset)).decode()}?=" for w in words)


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
        leaf.headers = lambda: (
            [f"Content-Transfer-Encoding: {cte}"] + [raw_header(f"Content-Type: {ctype}")] + list(extra)
        )
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
        return (
            f"{MX}; dkim=pass (2048-bit key; unprotected) header.d={dom} "
            f"header.i=@{dom} header.s={selector} header.b={b}; spf=pass ({MX}: "
            f"domain of {mailfrom} designates {ip} as permitted sender) "
            f"smtp.mailfrom={mailfrom}; dmarc=pass (p=none dis=none) header.from={dom}"
        )
    return (
        f"{MX}; dkim=pass header.d={dom} header.s={selector} header.b={b}; "
        f"spf=pass ({MX}: domain of {mailfrom} designates {ip} as permitted sender) "
        f"smtp.mailfrom={mailfrom}; dmarc=pass (policy=quarantine) header.from={dom}"
    )


def received(helo: str, ip: str, when: datetime, *, qid=None, tls=True) -> str:
    qid = qid or digest("rcv", helo, when, n=12).upper()
    stamp = format_datetime(when + timedelta(seconds=3))
    with_ = "ESMTPS" if tls else "ESMTP"
    return f"from {helo} ({helo} [{ip}]) by {MX} (Postfix) with {with_} id {qid} for <{SUPPORT}>; {stamp}"


def transport(
    frm: str,
    ip: str,
    when: datetime,
    *,
    auth="pass",
    helo=None,
    return_path=None,
    style=0,
    selector="mail",
    extra_ar=(),
    extra_received=(),
):
    """Return-Path, Delivered-To, Authentication-Results and Received, as our MX adds them."""
    helo = helo or f"mail.{domain_of(frm)}"
    hs = [f"Return-Path: <{frm if return_path is None else return_path}>", f"Delivered-To: {SUPPORT}"]
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
DE_MON = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]
EN_WD_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EN_WD = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
EN_MON_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EN_MON = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def h12(dt: datetime) -> str:
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt:%M} {'AM' if dt.hour < 12 else 'PM'}"


def gmail_de(dt, name, addr):
    return (
        f"Am {DE_WD_SHORT[dt.weekday()]}, {dt.day}. {DE_MON[dt.month - 1]} {dt.year} "
        f"um {dt:%H:%M} Uhr schrieb {name} <{addr}>:"
    )


def gmail_en(dt, name, addr):
    return (
        f"On {EN_WD_SHORT[dt.weekday()]}, {EN_MON_SHORT[dt.month - 1]} {dt.day}, {dt.year} "
        f"at {h12(dt)} {name} <{addr}> wrote:"
    )


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
    """Prefix every line; already quoted lines get '>' only ('>> text'), blank lines '>'."""
    return "\n".join(
        prefix.rstrip() + line if not line or line.startswith(">") else prefix + line for line in text.split("\n")
    )


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


REFOLD = ("From", "To", "Subject", "Content-Type", "List-Id")


def refold(raw: bytes) -> bytes:
    """Fold long one-line From/To/Subject/Content-Type/List-Id headers as clients do."""
    head, sep, body = raw.partition(b"\n\n")
    lines = head.decode("ascii").split("\n")
    out = []
    for i, line in enumerate(lines):
        name = line.split(":", 1)[0]
        single = i + 1 == len(lines) or not lines[i + 1][:1].isspace()
        if name in REFOLD and len(line) > 78 and single and not line[:1].isspace():
            out.append(fold(name, line.split(":", 1)[1].strip()))
        else:
            out.append(line)
    return "\n".join(out).encode("ascii") + sep + body


def mail(file, raw, *, intent, requests=(), why, sender=None, auth="pass", pairs=()):
    raw = refold(raw)
    MAILS.append(
        {
            "file": file,
            "raw": raw,
            "intent": intent,
            "requests": [tuple(r) for r in requests],
            "why": why,
            "sender": sender,
            "auth": auth,
            "pairs": [tuple(p) for p in pairs],
        }
    )


# ===========================================================================
# LINK
# ===========================================================================


# --- 001: Thunderbird, plain text (format=flowed), signature with an address
def _m001():
    frm = "katharina.loewe@steuerbuero-loewe.example"
    when = datetime(2025, 6, 2, 8, 47, 12, tzinfo=CEST)
    body = wrap(
        dedent("""
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
"""),
        flowed=True,
    )
    hs = transport(frm, "198.51.100.61", when) + [
        "Message-ID: <7f3c2a1e-5b8d-4c19-9e0a-2d4b6f8a1c37@steuerbuero-loewe.example>",
        date_hdr(when),
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: {q2047('Katharina Löwe', 'UTF-8')} <{frm}>",
        "Subject: Neue Mitarbeiterin als Teammitglied",
    ]
    root = text_part(body, charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed")
    mail(
        "001-link-ready-de-thunderbird-signature.eml",
        message(hs, root),
        intent="link",
        requests=[(frm, "m.yildiz@steuerbuero-loewe.example", "ready_to_link")],
        why="link #12: no primary address stated, so P = sender katharina.loewe (pro, active, "
        "paid 2099-06-30, 0 of 2 seats used); T m.yildiz is registered (trial) and unlinked. "
        "kanzlei@ is in the signature after '-- ' and is not read.",
        sender=frm,
        pairs=[(frm, "m.yildiz@steuerbuero-loewe.example")],
    )


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
    plain = (
        new
        + "\n"
        + attr1[: cut + 1]
        + "\n"
        + attr1[cut + 1 :]
        + "\n\n"
        + quote(support_text.rstrip("\n") + "\n\n" + attr2 + "\n\n" + quote(grace_text.rstrip("\n")))
        + "\n"
    )
    quote_style = (
        'class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"'
    )

    def html_attr(a):
        return linkify(esc(a))

    htm = (
        f'<div dir="ltr">{divs(new.rstrip(chr(10)))}</div><br>'
        f'<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
        f"{html_attr(attr1)}<br></div><blockquote {quote_style}>"
        f'{divs(support_text.rstrip(chr(10)))}<br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{html_attr(attr2)}<br></div>'
        f"<blockquote {quote_style}>{divs(grace_text.rstrip(chr(10)))}</blockquote></div>"
        f"</blockquote></div>\n"
    )
    bnd = "000000000000b7e2c90638a1f4d5"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="UTF-8", cte="quoted-printable", ctype='text/plain; charset="UTF-8"'),
            text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"'),
        ],
    )
    hs = transport(frm, "209.85.220.41", when, helo="mail-sor-f41.google.com", selector="google") + [
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
    mail(
        "002-link-ready-en-gmail-reply-wrapped-attribution.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "devon.price@tidewater-design.example", "ready_to_link")],
        why="Only the new text above the (two-line) 'On ... wrote:' attribution is read; the "
        "wrong address d.price@ and billing@ are in the quoted history. P = sender grace "
        "(pro, active, 0 linked); T devon.price registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "devon.price@tidewater-design.example")],
    )


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
    htm = (
        '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
        'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">\n'
        '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
        "<style><!--\n/* Font Definitions */\n@font-face\n\t{font-family:Calibri;}\n"
        "p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n"
        '\tfont-family:"Calibri",sans-serif;\n\tmso-fareast-language:EN-US;}\n--></style>\n'
        '</head>\n<body lang="DE" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n'
        '<div class="WordSection1">\n'
        + paras(plain.rstrip("\n"), suffix="<o:p></o:p>")
        + "\n</div>\n</body>\n</html>\n"
    )
    bnd = "----=_NextPart_000_0017_01DBD441.6C2F9A80"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="iso-8859-1", cte="quoted-printable"),
            text_part(htm, charset="iso-8859-1", cte="quoted-printable", ctype='text/html; charset="iso-8859-1"'),
        ],
        preamble="This is a multi-part message in MIME format.\n\n",
    )
    hs = transport(frm, "198.51.100.63", when) + [
        f'From: "Ralf Steiner" <{frm}>',
        f"To: <{SUPPORT}>",
        "Subject: Neuer Bauleiter - Teamzugang",
        date_hdr(when),
        "Message-ID: <000a01dbd441$6c2f9a80$448ecf80$@steiner-bau.example>",
        "MIME-Version: 1.0",
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AdvUQWwvmCJ0h1x5Q0ODLmKc3Xk3nQ==",
        "Content-Language: de",
    ]
    mail(
        "003-link-need-info-de-outlook-latin1.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, None, "need_info")],
        why="A link request (hinzufügen als Teammitglied) naming no team-member address; "
        "P = sender ralf.steiner. Link requests are never completed from records -> "
        "link #1 need_info.",
        sender=frm,
        pairs=[(frm, None)],
    )


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
    mail(
        "004-link-need-info-en-iphone.eml",
        raw,
        intent="link",
        requests=[(frm, None, "need_info")],
        why="'connect her to my account as a team member' with no address for Beth; P = sender "
        "nadia.farouk. Link requests are never filled in from records -> link #1 need_info.",
        sender=frm,
        pairs=[(frm, None)],
    )


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
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8;\n format=flowed"
    )
    mail(
        "005-link-need-info-de-same-address-twice.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, frm, "need_info")],
        why="Hauptkonto and Teammitglied are the same address, so P = T -> link #1 need_info.",
        sender=frm,
        pairs=[(frm, frm)],
    )


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
        "Message-ID: <1749111138.8812.ellie.morgan@webpost.test>",
        date_hdr(when),
        f'From: "Ellie Morgan" <{frm}>',
        f'To: "Customer Support" <{SUPPORT}>',
        "Subject: Linking my account to my boss's account",
        "X-Mailer: WebPost Mail 7.2",
        "MIME-Version: 1.0",
    ]
    root = text_part(wrap(body, 76), charset="utf-8", cte="7bit", ctype="text/plain; charset=utf-8")
    mail(
        "006-link-need-info-en-team-member-writes-no-boss-address.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(None, frm, "need_info")],
        why="The sender is clearly the team member ('my account ... my boss's account'), so "
        "T = sender ellie.morgan; the boss is named but his address is not given (no "
        "look-up by name), so P is missing -> link #1 need_info.",
        sender=frm,
        pairs=[(None, frm)],
    )


# --- 007: DMARC fails in the topmost Authentication-Results; a lower, forged one says pass
def _m007():
    frm = "frank.adler@adler-logistik.example"
    when = datetime(2025, 6, 5, 22, 41, 9, tzinfo=CEST)
    top = (
        f"{MX}; dkim=none (message not signed); spf=pass ({MX}: domain of "
        f"bounce-7731@mta4.sendfast.test designates 203.0.113.45 as permitted sender) "
        f"smtp.mailfrom=bounce-7731@mta4.sendfast.test; dmarc=fail (p=reject dis=none) "
        f"header.from=adler-logistik.example"
    )
    forged = (
        "mail.adler-logistik.example; dkim=pass header.d=adler-logistik.example "
        "header.s=mail; spf=pass smtp.mailfrom=frank.adler@adler-logistik.example; "
        "dmarc=pass header.from=adler-logistik.example"
    )
    body = dedent("""
Sehr geehrte Damen und Herren,

bitte verknüpfen Sie noch heute das Konto unseres neuen Disponenten s.kaya@adler-logistik.example mit meinem Hauptkonto frank.adler@adler-logistik.example. Herr Kaya muss ab morgen früh die Touren planen.

Eine kurze Bestätigung genügt.

Mit freundlichen Grüßen
Frank Adler
Adler Logistik
""")
    hs = transport(
        frm,
        "203.0.113.45",
        when,
        auth=top,
        helo="mta4.sendfast.test",
        return_path="bounce-7731@mta4.sendfast.test",
        extra_received=[
            fold(
                "Received",
                "from [10.20.0.7] (unknown [10.20.0.7]) by "
                "mail.adler-logistik.example (Postfix) with ESMTPSA id "
                "4C1D2E3F40 for <support@mailbot.test>; " + format_datetime(when + timedelta(seconds=1)),
            )
        ],
        extra_ar=[fold("Authentication-Results", forged)],
    ) + [
        f"From: Frank Adler <{frm}>",
        f"To: {SUPPORT}",
        f"Subject: {q2047('Dringend: Teammitglied verknüpfen', 'UTF-8', upper=True)}",
        date_hdr(when),
        "Message-ID: <20250605204109.3f9a1c7e@adler-logistik.example>",
        "MIME-Version: 1.0",
    ]
    root = text_part(wrap(body, 76), charset="utf-8", cte="quoted-printable", ctype="text/plain; charset=utf-8")
    mail(
        "007-link-sender-unverified-de-dmarc-fail.eml",
        message(hs, root, mime_version=None),
        intent="link",
        auth="fail",
        requests=[(frm, "s.kaya@adler-logistik.example", "sender_unverified")],
        why="The topmost Authentication-Results (our MX) has dmarc=fail for adler-logistik.example; "
        "the lower header from mail.adler-logistik.example claiming pass is not trusted. Both "
        "addresses are given, so #1 does not apply -> link #2 sender_unverified.",
        sender=frm,
        pairs=[(frm, "s.kaya@adler-logistik.example")],
    )


# --- 008: DKIM and SPF both fail for the From domain (no DMARC record)
def _m008():
    frm = "priya.nair@lotus-yoga.example"
    when = datetime(2025, 6, 6, 6, 15, 44, tzinfo=BST)
    ar = (
        f"{MX}; dkim=fail (signature verification failed) header.d=lotus-yoga.example "
        f"header.s=mail header.b={digest('bad', frm, n=8)}; spf=fail ({MX}: domain of {frm} "
        f"does not designate 192.0.2.77 as permitted sender) smtp.mailfrom={frm}; "
        f"dmarc=none header.from=lotus-yoga.example"
    )
    body = dedent("""
Hello support,

Please add Sam Ortiz (sam.ortiz@lotus-yoga.example) as a team member on my main account, priya.nair@lotus-yoga.example. Sam will be covering the front desk and the class schedule from next week.

Thank you,
Priya Nair
Lotus Yoga Studio
""")
    hs = transport(frm, "192.0.2.77", when, auth=ar, helo="relay.cheap-hosting.test") + [
        f"From: Priya Nair <{frm}>",
        f"To: Support <{SUPPORT}>",
        "Subject: Add Sam as team member",
        date_hdr(when),
        "Message-ID: <a3f0e96c-1d2b-4e7f-8a90-55c1d3e2b7f4@lotus-yoga.example>",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="7bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "008-link-sender-unverified-en-dkim-and-spf-fail.eml",
        message(hs, root, mime_version=None),
        intent="link",
        auth="fail",
        requests=[(frm, "sam.ortiz@lotus-yoga.example", "sender_unverified")],
        why="Authentication-Results: dkim=fail and spf=fail for lotus-yoga.example (dmarc=none: "
        "no policy) -> unverified. Both addresses given -> link #2 sender_unverified.",
        sender=frm,
        pairs=[(frm, "sam.ortiz@lotus-yoga.example")],
    )


# --- 009: HTML-only, the team member is a mailto: link whose text is a name
def _m009():
    frm = "contact@brightwave-films.example"
    when = datetime(2025, 6, 6, 11, 2, 27, tzinfo=BST)
    htm = dedent("""
<html><head><meta content="text/html;charset=UTF-8" http-equiv="Content-Type"></head><body ><div style="font-family: Verdana, Arial, Helvetica, sans-serif; font-size: 10pt;"><div>Hi,<br></div><div><br></div><div>Our production coordinator <a href="mailto:lucy.tran@brightwave-films.example" target="_blank">Lucy Tran</a> has created her own account on your site. Please link her account to our company account as a team member.<br></div><div><br></div><div>Cheers,<br></div><div>Jamie<br></div><div>Brightwave Films Ltd<br></div><div><br></div></div><br></body></html>
""")
    hs = transport(frm, "198.51.100.69", when, helo="sender4-op-o12.zoho.test") + [
        f"Date: {format_datetime(when)}",
        f"From: Brightwave Films <{frm}>",
        f'To: "support" <{SUPPORT}>',
        "Message-Id: <19742c6a1f3.10e8b4c2a612835.5598120448127740715@brightwave-films.example>",
        "Subject: Team member for our account",
        "MIME-Version: 1.0",
        "Importance: Medium",
        "User-Agent: Zoho Mail",
        "X-Mailer: Zoho Mail",
    ]
    root = text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"')
    mail(
        "009-link-primary-not-found-en-html-only-mailto-name.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, "lucy.tran@brightwave-films.example", "primary_not_found")],
        why="HTML-only; T comes from the mailto: link whose text is the name 'Lucy Tran'. No "
        "primary address stated, so P = sender contact@brightwave-films.example, which is not "
        "in accounts -> link #3 primary_not_found.",
        sender=frm,
        pairs=[(frm, "lucy.tran@brightwave-films.example")],
    )


# --- 010: primary stated but unknown (wrong address); sender is a third address
def _m010():
    frm = "buchhaltung@moebel-krueger.example"
    when = datetime(2025, 6, 10, 13, 40, 2, tzinfo=CEST)
    body = dedent("""
Guten Tag,

unsere Auszubildende Lisa Wendt soll ab sofort auch mit Ihrem Programm arbeiten. Sie hat sich bereits registriert: lisa.wendt@moebel-krueger.example

Bitte verbinden Sie ihr Konto mit unserem Hauptkonto info@moebel-krueger.example.

Freundliche Grüße aus der Buchhaltung
Gerda Krüger
""")
    hs = transport(frm, "198.51.100.70", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: {q2047('Möbel Krüger Buchhaltung')} <{frm}>",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.600.51.1.1\\))",
        "Subject: Konto Auszubildende",
        date_hdr(when),
        "Message-Id: <8E1D5C0B-7A24-4F39-B6D1-3C2E9F0A4B85@moebel-krueger.example>",
        f"To: {SUPPORT}",
        "X-Mailer: Apple Mail (2.3826.600.51.1.1)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "010-link-primary-not-found-de-stated-primary-unknown.eml",
        raw,
        intent="link",
        requests=[("info@moebel-krueger.example", "lisa.wendt@moebel-krueger.example", "primary_not_found")],
        why="The Hauptkonto is stated as info@moebel-krueger.example, which is not in accounts "
        "(the firm's account is kontakt@). #3 comes before the sender check (#4) -> link #3 "
        "primary_not_found.",
        sender=frm,
        pairs=[("info@moebel-krueger.example", "lisa.wendt@moebel-krueger.example")],
    )


# --- 011: DE, the team member writes ("mein Konto ... Konto meiner Chefin"): roles swapped
def _m011():
    frm = "jana.roemer@praxis-dr-wolff.example"
    when = datetime(2025, 6, 10, 8, 5, 51, tzinfo=CEST)
    new = dedent("""
Guten Morgen,

ich bin seit Juni als Praxismanagerin bei Frau Dr. Wolff angestellt und habe mir mit dieser Adresse ein eigenes Testkonto angelegt.

Frau Dr. Wolff hat mich gebeten, Ihnen zu schreiben: Bitte verknüpfen Sie mein Konto als Teammitglied mit dem Konto meiner Chefin (c.wolff@praxis-dr-wolff.example).

Vielen Dank und freundliche Grüße
Jana Römer
""")
    bnd = "000000000000e41a7c0638c2d9b1"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(new, charset="UTF-8", cte="quoted-printable", ctype='text/plain; charset="UTF-8"'),
            text_part(
                f'<div dir="ltr">{divs(new.rstrip(chr(10)))}</div>\n',
                charset="UTF-8",
                cte="quoted-printable",
                ctype='text/html; charset="UTF-8"',
            ),
        ],
    )
    hs = transport(frm, "209.85.220.73", when, helo="mail-sor-f73.google.com", selector="google") + [
        "MIME-Version: 1.0",
        f"From: {q2047('Jana Römer', 'UTF-8', upper=True)} <{frm}>",
        date_hdr(when),
        "Message-ID: <CAJx4kPq7Wm2nR0cY5bZ1vTg8eH3sLdF9uA6oKj2iN@mail.gmail.com>",
        f"Subject: {q2047('Verknüpfung mit dem Praxiskonto', 'UTF-8', upper=True)}",
        f"To: {SUPPORT}",
    ]
    mail(
        "011-link-confirm-from-primary-de-team-member-writes.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[("c.wolff@praxis-dr-wolff.example", frm, "confirm_from_primary")],
        why="The sender is clearly the team member ('mein Konto ... Konto meiner Chefin'), so T = "
        "sender jana.roemer and P = c.wolff (in accounts). Link #4: sender is not P -> "
        "confirm_from_primary.",
        sender=frm,
        pairs=[("c.wolff@praxis-dr-wolff.example", frm)],
    )


# --- 012: EN, the team member writes ("my account ... my boss's account"), new Outlook
def _m012():
    frm = "owen.clarke@northpeak-advisory.example"
    when = datetime(2025, 6, 11, 9, 47, 3, tzinfo=BST)
    new = dedent("""
Good morning,

I joined Northpeak Advisory last week as an analyst and have registered a trial account with my work address. Rebecca asked me to request that my account be connected to my boss's account so I get our firm's plan. Her address is rebecca.stone@northpeak-advisory.example.

Many thanks,
Owen Clarke
Analyst | Northpeak Advisory
""")
    body_html = "".join(
        f'<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, '
        f'Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">'
        f"{esc(line) if line else '<br>'}</div>\n"
        for line in new.rstrip("\n").split("\n")
    )
    htm = (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>\n'
        '</head>\n<body dir="ltr">\n' + body_html + "</body>\n</html>\n"
    )
    bnd = "_000_DB9PR02MB7284C3F5A1E0B9D2C7A4E6B1F5A2DB9PR02MB7284eurp_"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(new, charset="us-ascii", cte="quoted-printable", ctype='text/plain; charset="us-ascii"'),
            text_part(htm, charset="us-ascii", cte="quoted-printable", ctype='text/html; charset="us-ascii"'),
        ],
    )
    hs = transport(
        frm, "40.107.21.92", when, helo="EUR05-DB8-obe.outbound.protection.outlook.com", selector="selector1"
    ) + [
        f"From: Owen Clarke <{frm}>",
        f"To: Customer Support <{SUPPORT}>",
        "Subject: Connecting my account to Rebecca Stone's account",
        "Thread-Topic: Connecting my account to Rebecca Stone's account",
        "Thread-Index: AQHb2q1c7XkPz3LmQ0eB9yT4nR8cWg==",
        date_hdr(when),
        "Message-ID:\n <DB9PR02MB7284C3F5A1E0B9D2C7A4E6B1F5A2@DB9PR02MB7284.eurprd02.prod.outlook.com>",
        "Accept-Language: en-GB, en-US",
        "Content-Language: en-GB",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        "msip_labels:",
        "MIME-Version: 1.0",
    ]
    mail(
        "012-link-confirm-from-primary-en-team-member-writes-new-outlook.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[("rebecca.stone@northpeak-advisory.example", frm, "confirm_from_primary")],
        why="The sender is clearly the team member ('my account ... my boss's account'), so T = "
        "sender owen.clarke and P = rebecca.stone (in accounts). Link #4: sender is not P -> "
        "confirm_from_primary.",
        sender=frm,
        pairs=[("rebecca.stone@northpeak-advisory.example", frm)],
    )


# --- 013: DE, the reception writes on behalf of the owner; own address in the text
def _m013():
    frm = "empfang@autohaus-brenner.example"
    when = datetime(2025, 6, 11, 15, 26, 39, tzinfo=CEST)
    body = dedent("""
Guten Tag,

im Auftrag von Herrn Brenner: Unser neuer Serviceberater Niklas Schuster hat sich bei Ihnen registriert (n.schuster@autohaus-brenner.example), die Bestätigungsmail von noreply@mailbot.test ist auch angekommen.

Bitte fügen Sie Herrn Schuster als Teammitglied zum Hauptkonto von Herrn Brenner hinzu: t.brenner@autohaus-brenner.example

Mit freundlichen Grüßen

Empfang / Serviceannahme
Autohaus Brenner
""")
    hs = transport(frm, "198.51.100.73", when) + [
        f"From: Autohaus Brenner Empfang <{frm}>",
        f'To: "{SUPPORT}" <{SUPPORT}>',
        f"Subject: Teammitglied {q2047('hinzufügen', 'iso-8859-1')}",
        date_hdr(when),
        "Message-ID: <001501dbdacc$2e4f8a10$8aee9e30$@autohaus-brenner.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
        "X-Mailer: Microsoft Outlook 16.0",
        "Content-Language: de",
        "Thread-Index: AdvazC5Pihm6v1yLQ0WuTbnk0B5XHA==",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "iso-8859-1", "quoted-printable")
    mail(
        "013-link-confirm-from-primary-de-reception-writes.eml",
        raw,
        intent="link",
        requests=[
            ("t.brenner@autohaus-brenner.example", "n.schuster@autohaus-brenner.example", "confirm_from_primary")
        ],
        why="P (Hauptkonto von Herrn Brenner) and T are both given; noreply@mailbot.test is our own "
        "address and never a customer address. P is in accounts; the sender empfang@ is not P "
        "-> link #4 confirm_from_primary.",
        sender=frm,
        pairs=[("t.brenner@autohaus-brenner.example", "n.schuster@autohaus-brenner.example")],
    )


# --- 014: agency plan DE
def _m014():
    frm = "studio@kreativhaus-mitte.example"
    when = datetime(2025, 6, 12, 10, 10, 10, tzinfo=CEST)
    body = dedent("""
Hallo ihr Lieben,

könnt ihr bitte unsere neue Werkstudentin Paula Lenz als Teammitglied mit unserem Studio-Konto verknüpfen? Ihr Konto läuft unter paula.lenz@kreativhaus-mitte.example.

Danke euch!
Mara
Kreativhaus Mitte
""")
    hs = transport(frm, "198.51.100.74", when) + [
        "Message-ID: <b04d1f6e-2c7a-4a3e-9f1d-6e8c0a2b5d47@kreativhaus-mitte.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: Kreativhaus Mitte <{frm}>",
        "Subject: Werkstudentin ins Team",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "014-link-agency-plan-de.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, "paula.lenz@kreativhaus-mitte.example", "agency_plan")],
        why="P = sender studio@kreativhaus-mitte (in accounts, sender is P); P's plan is agency "
        "-> link #5 agency_plan.",
        sender=frm,
        pairs=[(frm, "paula.lenz@kreativhaus-mitte.example")],
    )


# --- 015: agency plan EN, both addresses with role labels
def _m015():
    frm = "team@brightlane-marketing.example"
    when = datetime(2025, 6, 12, 14, 55, 20, tzinfo=EDT)
    body = dedent("""
Hi team,

We'd like to add a new colleague to our subscription.

Primary account: team@brightlane-marketing.example
Colleague: chris.dunn@brightlane-marketing.example

Chris has already registered. Please link the two accounts.

Best,
Morgan Reyes
Operations, Brightlane Marketing
""")
    hs = transport(frm, "198.51.100.75", when) + [
        f"From: Brightlane Marketing <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Link a colleague's account",
        date_hdr(when),
        "Message-ID: <5f2e7d40a19c4b8e@brightlane-marketing.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "us-ascii", "7bit")
    mail(
        "015-link-agency-plan-en.eml",
        raw,
        intent="link",
        requests=[(frm, "chris.dunn@brightlane-marketing.example", "agency_plan")],
        why="P = team@brightlane-marketing (stated as primary, and the sender); plan agency -> link #5 agency_plan.",
        sender=frm,
        pairs=[(frm, "chris.dunn@brightlane-marketing.example")],
    )


# --- 016: windows-1252 quoted-printable (German quotes, euro sign), basic plan
def _m016():
    frm = "gabi.schreiner@schreiner-events.example"
    when = datetime(2025, 6, 13, 9, 33, 48, tzinfo=CEST)
    plain = dedent("""
Hallo Support-Team,

mein Sohn Jonas hilft mir ab sofort bei der Planung. Er hat sich unter „jonas.schreiner@schreiner-events.example“ registriert. Bitte verbinden Sie sein Konto mit meinem, damit wir gemeinsam an den Angeboten arbeiten können – die 9,90 € im Monat zahlen wir ja schon.

Herzliche Grüße
Gabi Schreiner
""")
    bnd = "----=_NextPart_000_0031_01DBDC47.A1B2C3D0"
    htm = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        '<meta name="Generator" content="Microsoft Word 15 (filtered medium)"></head>\n'
        '<body lang="DE" link="#0563C1" vlink="#954F72"><div class="WordSection1">\n'
        + paras(plain.rstrip("\n"))
        + "\n</div></body></html>\n"
    )
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="windows-1252", cte="quoted-printable"),
            text_part(htm, charset="windows-1252", cte="quoted-printable", ctype='text/html; charset="windows-1252"'),
        ],
        preamble="This is a multipart message in MIME format.\n\n",
    )
    hs = transport(frm, "198.51.100.76", when) + [
        f'From: "Gabi Schreiner" <{frm}>',
        f"To: <{SUPPORT}>",
        "Subject: Konto meines Sohnes",
        date_hdr(when),
        "Message-ID: <003001dbdc47$a1b2c3d0$e5106970$@schreiner-events.example>",
        "MIME-Version: 1.0",
        "X-Mailer: Microsoft Outlook 16.0",
        "Content-Language: de",
        "Thread-Index: AdvcR6GywaKq7p6LSu6hJ9mPqtUcZg==",
    ]
    mail(
        "016-link-plan-excludes-de-windows-1252.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "jonas.schreiner@schreiner-events.example", "plan_excludes_team_members")],
        why="windows-1252 quoted-printable body; T is in „…“ quotes. P = sender gabi.schreiner "
        "(basic, active); basic has 0 team seats -> link #6 plan_excludes_team_members.",
        sender=frm,
        pairs=[(frm, "jonas.schreiner@schreiner-events.example")],
    )


# --- 017: basic plan EN, plain > quoting of our earlier mail
def _m017():
    frm = "marco.rossi@rossi-trattoria.example"
    when = datetime(2025, 6, 13, 17, 2, 12, tzinfo=BST)
    body = dedent("""
On Thu, Jun 12, 2025 at 09:30:00AM +0100, Customer Support wrote:
> Welcome to your new subscription! If you need help, just reply to
> this message, or write to billing@mailbot.test about invoices.

Hi,

Giulia is now managing our reservations, so please add her as a team member to my account. Her login is giulia.bianchi@rossi-trattoria.example.

Grazie,
Marco Rossi
Rossi Trattoria
""")
    hs = transport(frm, "198.51.100.77", when) + [
        f"Date: {format_datetime(when)}",
        f"From: Marco Rossi <{frm}>",
        f"To: Customer Support <{SUPPORT}>",
        "Subject: Re: Welcome to your subscription",
        "Message-ID: <20250613160212.GA41877@rossi-trattoria.example>",
        "References: <welcome.5e21c9a0d7@mailbot.test>",
        "In-Reply-To: <welcome.5e21c9a0d7@mailbot.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Disposition: inline",
        "User-Agent: Mutt/2.2.13 (2024-03-09)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(wrap(body), "us-ascii", "7bit")
    mail(
        "017-link-plan-excludes-en-mutt.eml",
        raw,
        intent="link",
        requests=[(frm, "giulia.bianchi@rossi-trattoria.example", "plan_excludes_team_members")],
        why="Mutt, bottom-posted: the attribution and '>' lines on top (with billing@mailbot.test, "
        "our own address) are quoted; the customer's own text follows them. P = sender "
        "marco.rossi (basic, active); basic has 0 team seats -> link #6 "
        "plan_excludes_team_members.",
        sender=frm,
        pairs=[(frm, "giulia.bianchi@rossi-trattoria.example")],
    )


def apple_html(new_text: str, cite_attr: str | None = None, cite_text: str | None = None) -> str:
    """Apple Mail's text/html alternative; optional blockquote type=cite."""
    lines = new_text.rstrip("\n").split("\n")
    out = [linkify(esc(lines[0]))]
    for line in lines[1:]:
        out.append(f"<div>{linkify(esc(line)) if line else '<br>'}</div>")
    body = "".join(out)
    if cite_attr is not None:
        inner = "".join(f"<div>{linkify(esc(x)) if x else '<br>'}</div>" for x in cite_text.rstrip("\n").split("\n"))
        body += (
            f'<div><br><blockquote type="cite"><div>{linkify(esc(cite_attr))}</div>'
            f'<br class="Apple-interchange-newline"><div><div>{inner}</div></div>'
            f"</blockquote></div><br>"
        )
    return (
        '<html aria-label="message body"><head><meta http-equiv="content-type" '
        'content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; '
        '-webkit-nbsp-mode: space; line-break: after-white-space;">' + body + "</body></html>"
    )


def apple_headers(frm_hdr, to, subject, when, msgid, extra=()):
    return [
        f"From: {frm_hdr}",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.600.51.1.1\\))",
        *extra,
        f"Subject: {subject}",
        date_hdr(when),
        f"Message-Id: <{msgid}>",
        f"To: {to}",
        "X-Mailer: Apple Mail (2.3826.600.51.1.1)",
    ]


# --- 018: primary inactive by status (cancelled, though paid_until is in the future)
def _m018():
    frm = "b.hoffmann@hoffmann-architekten.example"
    when = datetime(2025, 6, 16, 11, 48, 36, tzinfo=CEST)
    new = dedent("""
Guten Tag,

bitte schalten Sie unseren neuen Bauzeichner Lukas Meier als Teammitglied in unserem Büro-Konto frei. Er hat sich mit l.meier@hoffmann-architekten.example registriert.

Vielen Dank
Bettina Hoffmann
Hoffmann Architekten
""")
    bnd = "Apple-Mail=_3C7A19E2-5D84-4B0F-9E26-A81C4D7F0B53"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(new, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/plain;\n\tcharset=utf-8"),
            text_part(
                apple_html(new),
                charset="utf-8",
                cte="quoted-printable",
                order="cte",
                ctype="text/html;\n\tcharset=utf-8",
            ),
        ],
    )
    hs = transport(frm, "198.51.100.78", when) + apple_headers(
        f"Bettina Hoffmann <{frm}>",
        SUPPORT,
        "Neuer Bauzeichner",
        when,
        "F0B2D4E6-1A3C-4E5F-8B7D-9C0A2E4F6B18@hoffmann-architekten.example",
    )
    hs.insert(hs.index("Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.600.51.1.1\\))"), "Content-Type: " + root.ctype)
    raw = ("\n".join(hs) + "\n\n").encode() + root.body
    mail(
        "018-link-primary-inactive-de-status-cancelled.eml",
        raw,
        intent="link",
        requests=[(frm, "l.meier@hoffmann-architekten.example", "primary_inactive")],
        why="'als Teammitglied ... freischalten' is a link request. P = sender b.hoffmann (team "
        "plan, 5 seats) has status cancelled although paid_until is 2099-06-30; #5/#6 do not "
        "apply -> link #7 primary_inactive (by status).",
        sender=frm,
        pairs=[(frm, "l.meier@hoffmann-architekten.example")],
    )


# --- 019: primary inactive by paid_until (status still 'active', paid until 2021)
def _m019():
    frm = "derek.wu@summit-bikes.example"
    when = datetime(2025, 6, 16, 12, 30, 5, tzinfo=PDT)
    new = dedent("""
Hey there,

Kayla just joined the shop and signed up under kayla.ruiz@summit-bikes.example. Can you link her account to mine so she can use our plan?

Thanks!
Derek
Summit Bikes
""")
    bnd = "0000000000003fa1d20638d4e7c2"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            Leaf('text/plain; charset="UTF-8"', new.encode()),
            Leaf('text/html; charset="UTF-8"', f'<div dir="ltr">{divs(new.rstrip(chr(10)))}</div>\n'.encode()),
        ],
    )
    hs = transport(frm, "209.85.220.69", when, helo="mail-sor-f69.google.com", selector="google") + [
        "MIME-Version: 1.0",
        f"From: Derek Wu <{frm}>",
        date_hdr(when),
        "Message-ID: <CAF5nR8tQ1vYw3Jk7mZ0pLx2cB9eHd4sGu6aT1oWq3@mail.gmail.com>",
        "Subject: New team member",
        f"To: {SUPPORT}",
    ]
    mail(
        "019-link-primary-inactive-en-paid-until-past.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "kayla.ruiz@summit-bikes.example", "primary_inactive")],
        why="P = sender derek.wu: pro, status 'active' but paid_until 2021-09-30 < today -> "
        "link #7 primary_inactive (by paid_until).",
        sender=frm,
        pairs=[(frm, "kayla.ruiz@summit-bikes.example")],
    )


# --- 020: T written as 'name (at) domain (dot) tld', not registered
def _m020():
    frm = "dr.seidel@tierarztpraxis-seidel.example"
    when = datetime(2025, 6, 17, 7, 21, 40, tzinfo=CEST)
    body = dedent("""
Guten Morgen,

unsere neue Tiermedizinische Fachangestellte, Frau Anna Pohl, soll Zugriff auf unseren Plan bekommen. Ihre Adresse schreibe ich wegen unseres Spamfilters so:
anna.pohl (at) tierarztpraxis-seidel (dot) example

Bitte verknüpfen Sie sie als Teammitglied mit meinem Konto.

Mit freundlichen Grüßen
Dr. med. vet. Jan Seidel
""")
    hs = transport(frm, "198.51.100.80", when) + [
        "Message-ID: <e7c1a9d2-3f4b-4d58-a6e0-1b2c3d4e5f60@tierarztpraxis-seidel.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: Kundenservice <{SUPPORT}>",
        f'From: "Dr. Jan Seidel" <{frm}>',
        "Subject: Teammitglied Frau Pohl",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "020-link-not-registered-de-at-dot-obfuscated.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, "anna.pohl@tierarztpraxis-seidel.example", "team_member_not_registered")],
        why="T is written 'anna.pohl (at) tierarztpraxis-seidel (dot) example'. P = sender "
        "dr.seidel (pro, active, 0 linked); T is not in accounts -> link #8 "
        "team_member_not_registered.",
        sender=frm,
        pairs=[(frm, "anna.pohl@tierarztpraxis-seidel.example")],
    )


# --- 021: T written as 'name [at] domain.tld', not registered; signature with addresses
def _m021():
    frm = "hello@fernway-travel.example"
    when = datetime(2025, 6, 17, 16, 44, 2, tzinfo=BST)
    body = dedent("""
Hello,

We've taken on a new travel consultant, Josh Bell. Please add him to
our account as a team member - his email is josh.bell [at] fernway-travel.example.

Thanks in advance,
Harriet

-- 
Harriet Lowe | Fernway Travel
Bookings: bookings@fernway-travel.example
Accounts: accounts@fernway-travel.example
+44 20 0000 1234
""")
    hs = transport(frm, "198.51.100.81", when, helo="out1-smtp.messagingengine.test") + [
        "MIME-Version: 1.0",
        "Message-Id: <a1f3c5e7-9b2d-4f60-8e1a-3c5e7b9d1f20@app.fastmail.test>",
        date_hdr(when),
        f'From: "Fernway Travel" <{frm}>',
        f"To: {SUPPORT}",
        "Subject: New team member: Josh Bell",
        "Content-Type: text/plain",
        "User-Agent: Cyrus-JMAP/3.11.0-alpha0-1127-g5c8e1d9f0-fm-20250611.001",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "us-ascii", "7bit")
    mail(
        "021-link-not-registered-en-bracket-at-signature.eml",
        raw,
        intent="link",
        requests=[(frm, "josh.bell@fernway-travel.example", "team_member_not_registered")],
        why="T is written 'josh.bell [at] fernway-travel.example'; bookings@ and accounts@ are in "
        "the signature after '-- '. P = sender hello@ (pro, active, 0 linked); T is not in "
        "accounts -> link #8 team_member_not_registered.",
        sender=frm,
        pairs=[(frm, "josh.bell@fernway-travel.example")],
    )


# --- 022: already linked DE
def _m022():
    frm = "sven.larsen@larsen-it.example"
    when = datetime(2025, 6, 18, 20, 12, 55, tzinfo=CEST)
    body = dedent("""
Hallo,

meine Frau arbeitet jetzt bei uns mit. Können Sie ihr Konto mia.larsen@larsen-it.example bitte mit meinem Konto verbinden?

Gruß
Sven Larsen
""")
    hs = transport(frm, "198.51.100.82", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: Sven Larsen <{frm}>",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.600.51.1.1\\))",
        "Subject: Konto meiner Frau",
        date_hdr(when),
        "Message-Id: <2B7E4F91-6C3A-4D08-A5E2-7F1B9C3D5E60@larsen-it.example>",
        f"To: {SUPPORT}",
        "X-Mailer: Apple Mail (2.3826.600.51.1.1)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "022-link-already-linked-de.eml",
        raw,
        intent="link",
        requests=[(frm, "mia.larsen@larsen-it.example", "already_linked")],
        why="P = sender sven.larsen (pro, active, 1 linked); T mia.larsen is already linked to P "
        "-> link #9 already_linked.",
        sender=frm,
        pairs=[(frm, "mia.larsen@larsen-it.example")],
    )


# --- 023: already linked EN
def _m023():
    frm = "naomi.fisher@fisher-law.example"
    when = datetime(2025, 6, 18, 9, 40, 31, tzinfo=EDT)
    body = dedent("""
Good morning,

Could you please connect our paralegal's account (paralegal@fisher-law.example) to my account? She tells me she can't see the shared templates.

Regards,
Naomi Fisher
Fisher Law LLP
""")
    hs = transport(frm, "198.51.100.83", when) + [
        f"From: Naomi Fisher <{frm}>",
        f"To: \"'Customer Support'\" <{SUPPORT}>",
        "Subject: Paralegal account",
        date_hdr(when),
        "Message-ID: <01a201dbe04f$9c3d7e20$d4b87a60$@fisher-law.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AdvgT5w9fiDUuHpgQkyZ0D1e8mNa4Q==",
        "Content-Language: en-us",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "023-link-already-linked-en.eml",
        raw,
        intent="link",
        requests=[(frm, "paralegal@fisher-law.example", "already_linked")],
        why="P = sender naomi.fisher (team, active); T paralegal@ is already linked to P -> link #9 already_linked.",
        sender=frm,
        pairs=[(frm, "paralegal@fisher-law.example")],
    )


# --- 024: linked elsewhere DE
def _m024():
    frm = "ines.wagner@wagner-coaching.example"
    when = datetime(2025, 6, 19, 10, 3, 17, tzinfo=CEST)
    body = dedent("""
Liebes Support-Team,

ab Juli unterstützt mich eine virtuelle Assistentin, Kerstin. Sie hat schon ein Konto bei Ihnen: va.kerstin@assistenz-service.example

Würden Sie ihr Konto bitte mit meinem verknüpfen?

Herzliche Grüße
Ines Wagner
Wagner Coaching
""")
    hs = transport(frm, "198.51.100.84", when) + [
        "Message-ID: <9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a@wagner-coaching.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        f"To: {SUPPORT}",
        f"From: Ines Wagner <{frm}>",
        "Subject: Virtuelle Assistentin",
        "Content-Language: de-DE",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "024-link-linked-elsewhere-de.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, "va.kerstin@assistenz-service.example", "linked_elsewhere")],
        why="P = sender ines.wagner (pro, active, 0 linked); T va.kerstin is registered but "
        "linked to another primary (buero@pfeiffer-immobilien) -> link #10 linked_elsewhere.",
        sender=frm,
        pairs=[(frm, "va.kerstin@assistenz-service.example")],
    )


# --- 025: linked elsewhere EN
def _m025():
    frm = "liam.oconnor@oconnor-tiling.example"
    when = datetime(2025, 6, 19, 18, 27, 9, tzinfo=BST)
    new = dedent("""
Hi,

I've hired Jade Evans as a part-time VA. Her account is jade.evans@remote-va.example - please link it to my account.

Cheers,
Liam O'Connor
O'Connor Tiling
""")
    bnd = "000000000000a9c1e50638e1b7f4"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            Leaf('text/plain; charset="UTF-8"', new.encode()),
            Leaf(
                'text/html; charset="UTF-8"',
                f'<div dir="ltr">{divs(new.rstrip(chr(10)))}</div>\n'.replace("'", "&#39;").encode(),
            ),
        ],
    )
    hs = transport(frm, "209.85.220.65", when, helo="mail-sor-f65.google.com", selector="google") + [
        "MIME-Version: 1.0",
        f"From: Liam O'Connor <{frm}>",
        date_hdr(when),
        "Message-ID: <CAMp2sW9xQ4bN7kR1tY0zLc5vG8eJd3hFu2aS6oPq9@mail.gmail.com>",
        "Subject: VA account",
        f"To: {SUPPORT}",
    ]
    mail(
        "025-link-linked-elsewhere-en.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "jade.evans@remote-va.example", "linked_elsewhere")],
        why="P = sender liam.oconnor (pro, active, 0 linked); T jade.evans is linked to another "
        "primary (office@greenway-plumbing) -> link #10 linked_elsewhere.",
        sender=frm,
        pairs=[(frm, "jade.evans@remote-va.example")],
    )


OUTLOOK_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w="urn:schemas-microsoft-com:office:word" '
    'xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
    'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset={cs}">\n'
    '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
    "<style><!--\np.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{{margin:0cm;\n\tfont-size:11.0pt;\n"
    '\tfont-family:"Calibri",sans-serif;}}\n--></style>\n</head>\n'
    '<body lang="{lang}" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n'
    '<div class="WordSection1">\n'
)


def outlook_block_html(fields: list[tuple[str, str]]) -> str:
    inner = "<br>\n".join(f"<b>{k}</b> {linkify(esc(v))}" for k, v in fields)
    return (
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
        f'<p class="MsoNormal"><b><span lang="DE"></span></b>{inner}<o:p></o:p></p>\n</div>\n'
    )


def outlook_reply(new, fields, quoted, *, cs, lang):
    """Outlook classic: (text/plain, text/html) of a reply with a From:/Sent: header block."""
    plain = new + "\n" + "\n".join(f"{k} {v}" for k, v in fields) + "\n\n" + quoted
    htm = (
        OUTLOOK_HEAD.format(cs=cs, lang=lang)
        + paras(new.rstrip("\n"), suffix="<o:p></o:p>")
        + '\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
        + outlook_block_html(fields)
        + paras(quoted.rstrip("\n"), suffix="<o:p></o:p>")
        + "\n</div>\n</body>\n</html>\n"
    )
    return plain, htm


# --- 026: no free seat DE (2 of 2 used, one of them expired); Outlook 'Von:/Gesendet:' block
def _m026():
    frm = "carsten.wolf@wolf-druck.example"
    when = datetime(2025, 6, 20, 8, 52, 11, tzinfo=CEST)
    prev = datetime(2025, 6, 18, 14, 7, tzinfo=CEST)
    first = datetime(2025, 6, 18, 9, 31, tzinfo=CEST)
    new = dedent("""
Hallo,

danke für die Info. Unser neuer Drucker Paul Engel hat sich jetzt registriert, und zwar mit p.engel@wolf-druck.example. Bitte verknüpfen Sie sein Konto mit meinem Hauptkonto.

Viele Grüße
Carsten Wolf

Wolf Druck GmbH
""")
    quoted = dedent(f"""
Guten Tag Herr Wolf,

gern verknüpfen wir weitere Teammitglieder mit Ihrem Konto. Bitte lassen Sie Ihren Mitarbeiter zuerst ein kostenloses Testkonto anlegen und teilen Sie uns dann die dabei verwendete Adresse mit.

Freundliche Grüße
Ihr Kundenservice

Von: Carsten Wolf <{frm}>
Gesendet: {outlook_de_sent(first)}
An: {SUPPORT}
Betreff: Neuer Mitarbeiter

Hallo,

Herr Kunz (e.kunz@wolf-druck.example) ist bei uns ausgeschieden, dafür fängt nächste Woche ein neuer Mitarbeiter an. Wie bekommt er Zugang?

Carsten Wolf
""")
    fields = [
        ("Von:", f"Kundenservice <{SUPPORT}>"),
        ("Gesendet:", outlook_de_sent(prev)),
        ("An:", f"Carsten Wolf <{frm}>"),
        ("Betreff:", "AW: Neuer Mitarbeiter"),
    ]
    plain, htm = outlook_reply(new, fields, quoted, cs="iso-8859-1", lang="DE")
    bnd = "----=_NextPart_000_0042_01DBE1B3.7F8E9A20"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="iso-8859-1", cte="quoted-printable"),
            text_part(htm, charset="iso-8859-1", cte="quoted-printable", ctype='text/html; charset="iso-8859-1"'),
        ],
        preamble="This is a multipart message in MIME format.\n\n",
    )
    hs = transport(frm, "198.51.100.86", when) + [
        f'From: "Carsten Wolf" <{frm}>',
        f"To: \"'Kundenservice'\" <{SUPPORT}>",
        "References: <reply.c17e0a4b92f6d538@mailbot.test>",
        "In-Reply-To: <reply.c17e0a4b92f6d538@mailbot.test>",
        "Subject: AW: Neuer Mitarbeiter",
        date_hdr(when),
        "Message-ID: <004101dbe1b3$7f8e9a20$7eabce60$@wolf-druck.example>",
        "MIME-Version: 1.0",
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AQH3k2dXq9b1LwZ0YcUe5sPb1vTqJbQfVn0A",
        "Content-Language: de",
    ]
    mail(
        "026-link-no-free-seat-de-outlook-von-gesendet.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "p.engel@wolf-druck.example", "no_free_seat")],
        why="Only the text above the Outlook 'Von:/Gesendet:' block is read (e.kunz@ is quoted). "
        "P = sender carsten.wolf (pro, 2 seats) already has 2 linked members (a.wolf active, "
        "e.kunz expired - any status counts); T p.engel registered, unlinked -> link #11 "
        "no_free_seat.",
        sender=frm,
        pairs=[(frm, "p.engel@wolf-druck.example")],
    )


# --- 027: no free seat EN (team plan, 5 of 5 used)
def _m027():
    frm = "admin@clearpath-dental.example"
    when = datetime(2025, 6, 20, 15, 18, 44, tzinfo=EDT)
    body = dedent("""
Hello Support,

We have a new hygienist starting Monday. Finn Hart has registered with finn.hart@clearpath-dental.example - could you please add him to our practice account as a staff member?

Thank you,
Dana Ruiz
Practice Manager, Clearpath Dental
""")
    hs = transport(frm, "198.51.100.87", when) + [
        f"From: Clearpath Dental Admin <{frm}>",
        f'To: "Customer Support" <{SUPPORT}>',
        "Subject: Add staff member Finn Hart",
        date_hdr(when),
        "Message-ID: <5e3b8f0c2d1a4e97b6c0@clearpath-dental.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
        "User-Agent: Roundcube Webmail/1.6.10",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, flowed=True).encode("ascii")
    mail(
        "027-link-no-free-seat-en-team-plan.eml",
        raw,
        intent="link",
        requests=[(frm, "finn.hart@clearpath-dental.example", "no_free_seat")],
        why="'add him ... as a staff member' is a link request. P = sender admin@ (team plan, 5 "
        "seats) has 5 linked members (3 active, 2 expired - any status counts); T finn.hart "
        "registered, unlinked -> link #11 no_free_seat.",
        sender=frm,
        pairs=[(frm, "finn.hart@clearpath-dental.example")],
    )


# --- 028: two team members, one free seat: the first takes it
def _m028():
    frm = "heike.brandner@brandner-reisen.example"
    when = datetime(2025, 6, 23, 9, 6, 58, tzinfo=CEST)
    body = dedent("""
Guten Tag,

zum Saisonstart haben wir zwei neue Kolleginnen im Reisebüro. Beide haben sich bereits registriert. Bitte verknüpfen Sie die folgenden Konten als Teammitglieder mit meinem Hauptkonto:

1. Sophie Kurz – s.kurz@brandner-reisen.example
2. Maren Ostermann – m.ostermann@brandner-reisen.example

Falls nur noch ein Platz frei ist, hat Frau Kurz Vorrang.

Vielen Dank!
Heike Brandner
Brandner Reisen
""")
    hs = transport(frm, "198.51.100.88", when) + [
        "Message-ID: <4a5b6c7d-8e9f-4012-a3b4-c5d6e7f80912@brandner-reisen.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: Heike Brandner <{frm}>",
        "Subject: Zwei neue Kolleginnen",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "028-link-two-members-one-seat-de.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[
            (frm, "s.kurz@brandner-reisen.example", "ready_to_link"),
            (frm, "m.ostermann@brandner-reisen.example", "no_free_seat"),
        ],
        why="Two requests, decided in the order written. P = sender heike.brandner (pro, 2 seats, "
        "1 linked: o.brandner). s.kurz: registered, unlinked, 1 < 2 -> #12 ready_to_link, which "
        "takes the last seat; m.ostermann: registered, unlinked, now 2 >= 2 -> #11 no_free_seat.",
        sender=frm,
        pairs=[(frm, "s.kurz@brandner-reisen.example"), (frm, "m.ostermann@brandner-reisen.example")],
    )


# --- 029: three team members on a team plan with 4 of 5 seats used
def _m029():
    frm = "ops@harborview-clinic.example"
    when = datetime(2025, 6, 23, 13, 45, 30, tzinfo=EDT)
    body = dedent("""
Hi,

Three new staff members are joining Harborview Clinic this month. Please link their accounts to our main account (ops@harborview-clinic.example) in this order:

- Kelly Brooks: k.brooks@harborview-clinic.example
- Dominic Walsh: d.walsh@harborview-clinic.example
- Maya Quinn: m.quinn@harborview-clinic.example

Thanks for your help,
Operations Team
Harborview Clinic
""")
    hs = transport(frm, "198.51.100.89", when) + [
        f"From: Harborview Clinic Operations <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Three new staff accounts",
        date_hdr(when),
        "Message-ID: <20250623174530.81234.ops@harborview-clinic.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 7bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "029-link-three-members-team-plan-en.eml",
        raw,
        intent="link",
        requests=[
            (frm, "k.brooks@harborview-clinic.example", "team_member_not_registered"),
            (frm, "d.walsh@harborview-clinic.example", "ready_to_link"),
            (frm, "m.quinn@harborview-clinic.example", "no_free_seat"),
        ],
        why="Three requests in the order written; P = ops@ (team plan, 5 seats, 4 linked). "
        "k.brooks: not in accounts -> #8 team_member_not_registered (takes no seat); d.walsh: "
        "registered, unlinked, 4 < 5 -> #12 ready_to_link (takes the 5th seat); m.quinn: "
        "5 >= 5 -> #11 no_free_seat.",
        sender=frm,
        pairs=[
            (frm, "k.brooks@harborview-clinic.example"),
            (frm, "d.walsh@harborview-clinic.example"),
            (frm, "m.quinn@harborview-clinic.example"),
        ],
    )


QUOTE_STYLE = (
    'class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"'
)


def gmail_reply(new: str, attr: str, quoted: str, *, wrap_attr=False):
    """(text/plain, text/html) of a Gmail reply with one level of quoting."""
    a_plain = attr
    if wrap_attr:
        cut = attr.index("<")
        a_plain = attr[: cut + 1] + "\n" + attr[cut + 1 :]
    plain = new + "\n" + a_plain + "\n\n" + quote(quoted.rstrip("\n")) + "\n"
    htm = (
        f'<div dir="ltr">{divs(new.rstrip(chr(10)))}</div><br>'
        f'<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
        f"{linkify(esc(attr))}<br></div><blockquote {QUOTE_STYLE}>"
        f"{divs(quoted.rstrip(chr(10)))}</blockquote></div>\n"
    )
    return plain, htm


def new_outlook_reply(new: str, fields, quoted: str, *, lang="en"):
    """New Outlook / Outlook on the web: (text/plain, text/html) with #divRplyFwdMsg."""
    plain = new + "\n________________________________\n" + "\n".join(f"{k} {v}" for k, v in fields) + "\n\n" + quoted
    style = (
        "font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, "
        "sans-serif; font-size: 12pt; color: rgb(0, 0, 0);"
    )
    body = "".join(
        f'<div class="elementToProof" style="{style}">{linkify(esc(line)) if line else "<br>"}</div>\n'
        for line in new.rstrip("\n").split("\n")
    )
    head = "<br>".join(f"<b>{k}</b>&nbsp;{esc(v)}" for k, v in fields)
    qbody = "<br>\n".join(linkify(esc(line)) for line in quoted.rstrip("\n").split("\n"))
    htm = (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} '
        '</style>\n</head>\n<body dir="ltr">\n'
        + body
        + '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" '
        'tabindex="-1">\n<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
        f'style="font-size:11pt" color="#000000">{head}</font>\n<div>&nbsp;</div>\n</div>\n'
        '<div class="BodyFragment"><font size="2"><span style="font-size:11pt;">\n'
        f'<div class="PlainText">{qbody}</div>\n</span></font></div>\n</body>\n</html>\n'
    )
    return plain, htm


def ms365_headers(frm_hdr, to, subject, when, msgid, *, lang="en-US", extra=(), thread_index=None):
    return [
        f"From: {frm_hdr}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Thread-Topic: {subject.split(': ', 1)[-1] if subject.startswith(('Re: ', 'AW: ')) else subject}",
        f"Thread-Index: {thread_index or 'AQHb' + digest(msgid, n=24)}",
        date_hdr(when),
        f"Message-ID:\n <{msgid}>",
        *extra,
        f"Accept-Language: {lang}, en-US" if lang != "en-US" else "Accept-Language: en-US",
        f"Content-Language: {lang}",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        "MIME-Version: 1.0",
    ]


# --- 030: new Outlook EN reply (HTML #divRplyFwdMsg), quoted history with another address
def _m030():
    frm = "sophie.turner@maple-accounting.example"
    when = datetime(2025, 6, 24, 10, 14, 2, tzinfo=BST)
    prev = datetime(2025, 6, 23, 15, 12, tzinfo=BST)
    first = datetime(2025, 6, 23, 9, 40, tzinfo=BST)
    new = dedent("""
Hi,

Thanks for explaining. Ryan has now signed up with ryan.cole@maple-accounting.example - please link his account to mine as a team member.

Best,
Sophie

Sophie Turner ACA
Maple Accounting
""")
    quoted = dedent(f"""
Hi Sophie,

Team members need their own account first: please ask Ryan to register for the free trial on our homepage and send us the address he used. We will then link it to your account.

Best regards,
Customer Support
________________________________
From: Sophie Turner <{frm}>
Sent: {outlook_en_sent(first)}
To: {SUPPORT}
Subject: New junior accountant

Hello,

We have a new junior accountant, Ryan, starting next week. Can he use our plan? Until his own mailbox is set up you can reach him at intern@maple-accounting.example.

Sophie
""")
    fields = [
        ("From:", f"Customer Support <{SUPPORT}>"),
        ("Sent:", outlook_en_sent(prev)),
        ("To:", f"Sophie Turner <{frm}>"),
        ("Subject:", "Re: New junior accountant"),
    ]
    plain, htm = new_outlook_reply(new, fields, quoted)
    bnd = "_000_AM9PR03MB6817F2C4D1B0A3E9C5B7D2E1AF46AM9PR03MB6817eurp_"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="us-ascii", cte="quoted-printable", ctype='text/plain; charset="us-ascii"'),
            text_part(htm, charset="us-ascii", cte="quoted-printable", ctype='text/html; charset="us-ascii"'),
        ],
    )
    msgid = "AM9PR03MB6817F2C4D1B0A3E9C5B7D2E1AF46@AM9PR03MB6817.eurprd03.prod.outlook.com"
    hs = transport(
        frm, "40.107.22.118", when, helo="EUR03-AM7-obe.outbound.protection.outlook.com", selector="selector1"
    ) + ms365_headers(
        f"Sophie Turner <{frm}>",
        f"Customer Support <{SUPPORT}>",
        "Re: New junior accountant",
        when,
        msgid,
        lang="en-GB",
        extra=[
            "References: <reply.4e9b0c2d7a1f6853@mailbot.test>",
            "In-Reply-To: <reply.4e9b0c2d7a1f6853@mailbot.test>",
        ],
    )
    mail(
        "030-link-ready-en-new-outlook-reply.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "ryan.cole@maple-accounting.example", "ready_to_link")],
        why="New Outlook reply: only the text above the '____ / From: / Sent:' block "
        "(#divRplyFwdMsg in HTML) is read; intern@ is in the quoted history. P = sender "
        "sophie.turner (pro, active, 0 linked); T ryan.cole registered, unlinked -> link #12 "
        "ready_to_link.",
        sender=frm,
        pairs=[(frm, "ryan.cole@maple-accounting.example")],
    )


def apple_quote(attr: str, text: str) -> str:
    lines = [attr, ""] + text.rstrip("\n").split("\n")
    return "\n".join("> " + line if line else "> " for line in lines) + "\n"


# --- 031: Apple Mail DE reply ("Am 02.06.2025 um 09:14 schrieb X <x@y>:", blockquote type=cite)
def _m031():
    frm = "thorsten.maier@maier-haustechnik.example"
    when = datetime(2025, 6, 24, 17, 33, 12, tzinfo=CEST)
    prev = datetime(2025, 6, 24, 9, 2, tzinfo=CEST)
    new = dedent("""
Hallo zusammen,

Herr Demir hat sich jetzt selbst registriert, mit k.demir@maier-haustechnik.example. Bitte verknüpfen Sie sein Konto mit meinem.

Gruß
Thorsten Maier
""")
    quoted = dedent("""
Guten Tag Herr Maier,

unter kemal.demir@maier-haustechnik.example finden wir leider kein Konto. Bitte lassen Sie Ihren Mitarbeiter zuerst ein Testkonto anlegen; danach verknüpfen wir es gern mit Ihrem Hauptkonto.

Freundliche Grüße
Ihr Kundenservice
""")
    attr = apple_de(prev, "Kundenservice", SUPPORT)
    plain = new + "\n" + apple_quote(attr, quoted)
    bnd = "Apple-Mail=_9A4F2C81-3E7B-4D05-B6A1-0C2E8F4D7B39"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(
                plain, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/plain;\n\tcharset=utf-8"
            ),
            text_part(
                apple_html(new, attr, quoted),
                charset="utf-8",
                cte="quoted-printable",
                order="cte",
                ctype="text/html;\n\tcharset=utf-8",
            ),
        ],
    )
    hs = transport(frm, "198.51.100.91", when)
    hs += [f"Content-Type: {root.ctype}"] + apple_headers(
        f"Thorsten Maier <{frm}>",
        f"Kundenservice <{SUPPORT}>",
        "Re: Zugang neuer Mitarbeiter",
        when,
        "6D3B1F08-9C2E-4A57-8E14-B0D7F3A9C265@maier-haustechnik.example",
        extra=[
            "In-Reply-To: <reply.0f7d2a9c4b3e1865@mailbot.test>",
            "References: <A1B2C3D4-0000-4E5F-9A8B-7C6D5E4F3A21@maier-haustechnik.example>\n"
            " <reply.0f7d2a9c4b3e1865@mailbot.test>",
        ],
    )
    raw = ("\n".join(hs) + "\n\n").encode() + root.body
    mail(
        "031-link-ready-de-apple-mail-reply.eml",
        raw,
        intent="link",
        requests=[(frm, "k.demir@maier-haustechnik.example", "ready_to_link")],
        why="Apple Mail reply: the quoted part ('> Am ... schrieb ...:' / blockquote type=cite) "
        "with the wrong address kemal.demir@ is not read. P = sender thorsten.maier (pro, "
        "active, 0 linked); T k.demir registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "k.demir@maier-haustechnik.example")],
    )


# --- 032: Apple Mail EN reply ("On 2 Jun 2025, at 09:14, X <x@y> wrote:")
def _m032():
    frm = "hannah.blake@blake-interiors.example"
    when = datetime(2025, 6, 25, 12, 5, 49, tzinfo=BST)
    prev = datetime(2025, 6, 25, 9, 14, tzinfo=BST)
    new = dedent("""
Perfect, thank you. Zoe has registered now with zoe.kim@blake-interiors.example, so please go ahead and link her to my account.

Best wishes,
Hannah
""")
    quoted = dedent("""
Hello Hannah,

Happy to help. Once your colleague has registered her own account, reply with the address she used and we will connect it to yours. Please don't send passwords or payment details by email; for invoices contact billing@mailbot.test.

Kind regards,
Customer Support
""")
    attr = apple_en(prev, "Customer Support", SUPPORT)
    plain = new + "\n" + apple_quote(attr, quoted)
    bnd = "Apple-Mail=_5E0C7A93-1B4D-4F28-9D36-E2A8C1F07B54"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="us-ascii", cte="7bit", order="cte", ctype="text/plain;\n\tcharset=us-ascii"),
            text_part(
                apple_html(new, attr, quoted),
                charset="us-ascii",
                cte="quoted-printable",
                order="cte",
                ctype="text/html;\n\tcharset=us-ascii",
            ),
        ],
    )
    hs = transport(frm, "198.51.100.92", when)
    hs += [f"Content-Type: {root.ctype}"] + apple_headers(
        f"Hannah Blake <{frm}>",
        f"Customer Support <{SUPPORT}>",
        "Re: Adding a colleague",
        when,
        "C4E19B72-5A0D-4F36-8B2E-71D9A3C5F086@blake-interiors.example",
        extra=[
            "In-Reply-To: <reply.73c1e8b20d4f9a56@mailbot.test>",
            "References: <reply.73c1e8b20d4f9a56@mailbot.test>",
        ],
    )
    raw = ("\n".join(hs) + "\n\n").encode() + root.body
    mail(
        "032-link-ready-en-apple-mail-reply.eml",
        raw,
        intent="link",
        requests=[(frm, "zoe.kim@blake-interiors.example", "ready_to_link")],
        why="Apple Mail reply: the '> On ... wrote:' part (with billing@mailbot.test) is not read. "
        "P = sender hannah.blake (pro, active, 0 linked); T zoe.kim registered, unlinked -> "
        "link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "zoe.kim@blake-interiors.example")],
    )


# --- 033: Gmail DE reply ("Am Mo., 2. Juni 2025 um 09:14 Uhr schrieb X <x@y>:")
def _m033():
    frm = "lea.sommerfeld@sommerfeld-yoga.example"
    when = datetime(2025, 6, 25, 21, 48, 3, tzinfo=CEST)
    prev = datetime(2025, 6, 23, 11, 20, tzinfo=CEST)
    new = dedent("""
Hallo,

super, danke! Ronja hat sich inzwischen registriert, ihre Adresse ist ronja.fuchs@webpost.test. Könnten Sie ihr Konto bitte mit meinem verknüpfen?

Liebe Grüße
Lea
""")
    quoted = dedent("""
Hallo Frau Sommerfeld,

gerne verknüpfen wir das Konto Ihrer Assistentin mit Ihrem Konto. Bitte schicken Sie uns dafür die Adresse, mit der sie sich registriert hat (nicht info@sommerfeld-yoga.example, sondern ihre eigene).

Viele Grüße
Ihr Kundenservice
""")
    plain, htm = gmail_reply(new, gmail_de(prev, "Kundenservice", SUPPORT), quoted)
    bnd = "000000000000d2f7a10638f0c8e5"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="UTF-8", cte="quoted-printable", ctype='text/plain; charset="UTF-8"'),
            text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"'),
        ],
    )
    hs = transport(frm, "209.85.220.51", when, helo="mail-sor-f51.google.com", selector="google") + [
        "MIME-Version: 1.0",
        "References: <reply.2b8e5f0a9c7d1346@mailbot.test>",
        "In-Reply-To: <reply.2b8e5f0a9c7d1346@mailbot.test>",
        f"From: Lea Sommerfeld <{frm}>",
        date_hdr(when),
        "Message-ID: <CAGq8mT3pV0wRz5Lk2bY7xNc4eF1sJd9hUo6aK3iQ8@mail.gmail.com>",
        f"Subject: Re: {q2047('Assistentin verknüpfen', 'UTF-8', upper=True)}",
        f"To: {SUPPORT_DE}",
    ]
    mail(
        "033-link-ready-de-gmail-reply.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "ronja.fuchs@webpost.test", "ready_to_link")],
        why="Gmail DE reply: only the text above 'Am ... um ... Uhr schrieb ...:' is read "
        "(info@ is quoted). P = sender lea.sommerfeld (pro, active, 0 linked); T ronja.fuchs "
        "registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "ronja.fuchs@webpost.test")],
    )


# --- 034: Thunderbird DE reply, HTML with moz-cite-prefix ("Am 02.06.25 um 09:14 schrieb X:")
def _m034():
    frm = "andreas.koenig@koenig-elektro.example"
    when = datetime(2025, 6, 26, 7, 41, 26, tzinfo=CEST)
    prev = datetime(2025, 6, 25, 16, 40, tzinfo=CEST)
    new = dedent("""
Hallo,

vielen Dank für die schnelle Antwort. Herr Lang hat sich jetzt registriert, seine Adresse lautet f.lang@koenig-elektro.example. Bitte verknüpfen Sie ihn als Teammitglied mit meinem Konto.

Gruß
Andreas König
""")
    quoted = dedent("""
Guten Tag Herr König,

unter florian.lang@koenig-elektro.example ist bei uns kein Konto registriert. Bitte lassen Sie Herrn Lang zuerst ein kostenloses Testkonto anlegen und nennen Sie uns dann die Adresse, damit wir die Konten verknüpfen können.

Freundliche Grüße
Ihr Kundenservice
""")
    attr = tb_de(prev, "Kundenservice")
    plain = wrap(new, flowed=True) + "\n" + attr + "\n" + quote(wrap(quoted.rstrip("\n"), 70)) + "\n"
    p_html = "\n".join(
        f"    <p>{linkify(esc(block)).replace(chr(10), '<br>' + chr(10) + '      ')}</p>"
        for block in new.rstrip("\n").split("\n\n")
    )
    p_html = p_html.replace('<a href="mailto:', '<a class="moz-txt-link-abbreviated" href="mailto:')
    htm = (
        '<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="Content-Type" '
        'content="text/html; charset=UTF-8">\n  </head>\n  <body>\n' + p_html + "\n"
        f'    <div class="moz-cite-prefix">{esc(attr)}<br>\n    </div>\n'
        '    <blockquote type="cite" cite="mid:reply.9c2f4e7a1b0d3856@mailbot.test">\n'
        f'      <pre class="moz-quote-pre" wrap="">{linkify(esc(wrap(quoted.rstrip(chr(10)), 70)))}'
        "\n</pre>\n    </blockquote>\n  </body>\n</html>\n"
    )
    htm = htm.replace('<a href="mailto:', '<a class="moz-txt-link-abbreviated" href="mailto:')
    bnd = "------------7dK2pQ9sW4xZ1bN6vR3mT8cF"
    root = Multi(
        f'multipart/alternative;\n boundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"),
            text_part(htm, charset="UTF-8", cte="8bit", ctype="text/html; charset=UTF-8"),
        ],
        preamble="This is a multi-part message in MIME format.\n",
    )
    hs = transport(frm, "198.51.100.94", when) + [
        "Message-ID: <3e8a1c5f-7b2d-4f90-a6c4-9d1e0b3f5a72@koenig-elektro.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        f"Subject: Re: Teammitglied {q2047('hinzufügen', 'UTF-8', upper=True)}",
        "Content-Language: de-DE",
        f"To: Kundenservice <{SUPPORT}>",
        "References: <reply.9c2f4e7a1b0d3856@mailbot.test>",
        f"From: {q2047('Andreas König', 'UTF-8', upper=True)} <{frm}>",
        "In-Reply-To: <reply.9c2f4e7a1b0d3856@mailbot.test>",
    ]
    mail(
        "034-link-ready-de-thunderbird-html-reply.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "f.lang@koenig-elektro.example", "ready_to_link")],
        why="Thunderbird reply: 'Am 25.06.25 um 16:40 schrieb Kundenservice:' (moz-cite-prefix) "
        "starts the quote; florian.lang@ is quoted. P = sender andreas.koenig (pro, active, 0 "
        "linked); T f.lang registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "f.lang@koenig-elektro.example")],
    )


# --- 035: Thunderbird DE inline forward ("-------- Weitergeleitete Nachricht --------")
def _m035():
    frm = "susanne.albrecht@albrecht-consulting.example"
    when = datetime(2025, 6, 26, 9, 12, 40, tzinfo=CEST)
    fwd_when = datetime(2025, 6, 25, 17, 40, 12, tzinfo=CEST)
    body = (
        wrap(
            dedent("""
Hallo liebes Support-Team,

unten die Nachricht unseres neuen Mitarbeiters. Bitte verbinden Sie sein Konto als Teammitglied mit meinem Hauptkonto.

Danke!
Susanne Albrecht
"""),
            flowed=True,
        )
        + dedent(f"""

-------- Weitergeleitete Nachricht --------
Betreff: \tTestkonto angelegt
Datum: \t{format_datetime(fwd_when)}
Von: \tNils Becker <nils.becker@freemail.test>
An: \tSusanne Albrecht <{frm}>



""")
        + wrap(
            dedent("""
Hallo Susanne,

ich habe mich eben über die Startseite für die kostenlose Testversion angemeldet, mit meiner privaten Adresse nils.becker@freemail.test (die Firmenadresse ist noch nicht eingerichtet). Kannst du den Support bitten, mein Konto mit deinem zu verknüpfen?

Viele Grüße
Nils
"""),
            flowed=True,
        )
    )
    hs = transport(frm, "198.51.100.95", when) + [
        "Message-ID: <c2d4e6f8-0a1b-4c3d-9e5f-7a8b9c0d1e2f@albrecht-consulting.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: Susanne Albrecht <{frm}>",
        "Subject: Fwd: Testkonto angelegt",
    ]
    root = text_part(body, charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed")
    mail(
        "035-link-ready-de-thunderbird-forward.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, "nils.becker@freemail.test", "ready_to_link")],
        why="The deliberately forwarded message (-------- Weitergeleitete Nachricht --------) is "
        "part of the request and supplies T nils.becker; the only other address in it is the "
        "sender's own (P). P pro, active, 0 linked; T registered, unlinked -> link #12 "
        "ready_to_link.",
        sender=frm,
        pairs=[(frm, "nils.becker@freemail.test")],
    )


# --- 036: Apple Mail DE forward ("Anfang der weitergeleiteten Nachricht:")
def _m036():
    frm = "dr.kaiser@kaiser-physio.example"
    when = datetime(2025, 6, 26, 18, 2, 7, tzinfo=CEST)
    new = dedent("""
Hallo,

bitte verknüpfen Sie das Konto von Frau Schulte (siehe unten) als Teammitglied mit meinem Praxiskonto.

Danke und viele Grüße
Stefan Kaiser
""")
    fwd_hdr = [
        ("Von:", "Emma Schulte <emma.schulte@kaiser-physio.example>"),
        ("Betreff:", "Mein Testkonto"),
        ("Datum:", "26. Juni 2025 um 16:22:31 MESZ"),
        ("An:", f"Stefan Kaiser <{frm}>"),
    ]
    fwd_body = dedent("""
Hallo Herr Dr. Kaiser,

ich habe mich gerade für die kostenlose Testversion registriert, und zwar mit emma.schulte@kaiser-physio.example. Ab Montag kann ich dann die Terminplanung übernehmen.

Viele Grüße
Emma Schulte
""")
    plain = (
        new
        + "\nAnfang der weitergeleiteten Nachricht:\n\n"
        + "\n".join(f"{k} {v}" for k, v in fwd_hdr)
        + "\n\n"
        + fwd_body
    )
    hdr_html = "".join(
        f'<div style="margin-top: 0px; margin-right: 0px; margin-bottom: 0px; margin-left: 0px;">'
        f'<span style="font-family: -webkit-system-font, Helvetica Neue, Helvetica, sans-serif; '
        f'color:rgba(0, 0, 0, 1.0);"><b>{k} </b></span><span style="font-family: '
        f'-webkit-system-font, Helvetica Neue, Helvetica, sans-serif;">{linkify(esc(v))}'
        f"<br></span></div>"
        for k, v in fwd_hdr
    )
    inner = "".join(f"<div>{linkify(esc(x)) if x else '<br>'}</div>" for x in fwd_body.rstrip("\n").split("\n"))
    lines = new.rstrip("\n").split("\n")
    top = linkify(esc(lines[0])) + "".join(f"<div>{linkify(esc(x)) if x else '<br>'}</div>" for x in lines[1:])
    htm = (
        '<html aria-label="message body"><head><meta http-equiv="content-type" '
        'content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; '
        '-webkit-nbsp-mode: space; line-break: after-white-space;">'
        + top
        + '<div><br><div><br><blockquote type="cite"><div>Anfang der weitergeleiteten '
        'Nachricht:</div><br class="Apple-interchange-newline">'
        + hdr_html
        + "<br><div>"
        + inner
        + "</div></blockquote></div><br></div></body></html>"
    )
    bnd = "Apple-Mail=_B8D0F2A4-6C1E-4735-9F0B-3D5A7C9E1F24"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(
                plain, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/plain;\n\tcharset=utf-8"
            ),
            text_part(htm, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/html;\n\tcharset=utf-8"),
        ],
    )
    hs = transport(frm, "198.51.100.96", when)
    hs += [f"Content-Type: {root.ctype}"] + apple_headers(
        f"Stefan Kaiser <{frm}>",
        SUPPORT,
        "Fwd: Mein Testkonto",
        when,
        "A7C9E1F3-5B2D-4084-96A8-C0E2F4B6D819@kaiser-physio.example",
        extra=["References: <E3F5A7B9-1C2D-4E6F-8A0B-2C4D6E8F0A13@kaiser-physio.example>"],
    )
    raw = ("\n".join(hs) + "\n\n").encode() + root.body
    mail(
        "036-link-ready-de-apple-mail-forward.eml",
        raw,
        intent="link",
        requests=[(frm, "emma.schulte@kaiser-physio.example", "ready_to_link")],
        why="The forwarded message ('Anfang der weitergeleiteten Nachricht:') is part of the "
        "request and supplies T emma.schulte; dr.kaiser in it is the sender (P). P pro, active, "
        "0 linked; T registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "emma.schulte@kaiser-physio.example")],
    )


# --- 037: Gmail EN forward ("---------- Forwarded message ---------")
def _m037():
    frm = "joel.martin@martin-roofing.example"
    when = datetime(2025, 6, 27, 8, 3, 19, tzinfo=EDT)
    fwd_when = datetime(2025, 6, 26, 17, 2, tzinfo=EDT)
    new = dedent("""
Hi,

Forwarding Ava's note below. Please add her to our account as a team member.

Thanks,
Joel
""")
    fwd_fields = [
        ("From:", "Ava Reyes <ava.reyes@webpost.test>"),
        (
            "Date:",
            f"{EN_WD_SHORT[fwd_when.weekday()]}, {EN_MON_SHORT[fwd_when.month - 1]} "
            f"{fwd_when.day}, {fwd_when.year} at {h12(fwd_when)}",
        ),
        ("Subject:", "Trial account"),
        ("To:", f"Joel Martin <{frm}>"),
    ]
    fwd_body = dedent("""
Hi Joel,

I've signed up for the free trial with my personal email, ava.reyes@webpost.test. Let me know once it's connected to the company account!

Ava
""")
    plain = (
        new
        + "\n---------- Forwarded message ---------\n"
        + "\n".join(f"{k} {v}" for k, v in fwd_fields)
        + "\n\n\n"
        + fwd_body
    )
    htm = (
        f'<div dir="ltr">{divs(new.rstrip(chr(10)))}<br><div class="gmail_quote '
        'gmail_quote_container"><div dir="ltr" class="gmail_attr">---------- Forwarded message '
        "---------<br>"
        + "<br>".join(f"{k} {linkify(esc(v))}" for k, v in fwd_fields)
        + "<br></div><br><br>"
        + f'<div dir="ltr">{divs(fwd_body.rstrip(chr(10)))}</div>'
        + "</div></div>\n"
    ).replace("'", "&#39;")
    bnd = "000000000000c5e8f30639012a7b"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            Leaf('text/plain; charset="UTF-8"', plain.encode()),
            text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"'),
        ],
    )
    hs = transport(frm, "209.85.220.44", when, helo="mail-sor-f44.google.com", selector="google") + [
        "MIME-Version: 1.0",
        "References: <CAB3xLq7Vn2tRw9Kc0mYz4pGd8eJs1hFu5aT6oNq2@mail.gmail.com>",
        "In-Reply-To: <CAB3xLq7Vn2tRw9Kc0mYz4pGd8eJs1hFu5aT6oNq2@mail.gmail.com>",
        f"From: Joel Martin <{frm}>",
        date_hdr(when),
        "Message-ID: <CAE9kWp4Rz1vXq6Lm3cY8tNb5eH2sGd0jUo7aF4iP1@mail.gmail.com>",
        "Subject: Fwd: Trial account",
        f"To: {SUPPORT}",
    ]
    mail(
        "037-link-ready-en-gmail-forward.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "ava.reyes@webpost.test", "ready_to_link")],
        why="The forwarded message (---------- Forwarded message ---------) is part of the "
        "request and supplies T ava.reyes; joel.martin in it is the sender (P). P team, "
        "active, 0 linked; T registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "ava.reyes@webpost.test")],
    )


# --- 038: multipart/alternative where only the HTML has the address (a mailto: on a name)
def _m038():
    frm = "isabel.cruz@cruz-photo.example"
    when = datetime(2025, 6, 27, 14, 36, 52, tzinfo=PDT)
    plain = dedent("""
Hi there,

Could you please connect Theo Grant’s account to mine as a team member? He signed up for the trial yesterday and will be editing for me from now on.

Thanks!
Isabel Cruz
Cruz Photography
""")
    htm = (
        '<html aria-label="message body"><head><meta http-equiv="content-type" '
        'content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; '
        '-webkit-nbsp-mode: space; line-break: after-white-space;">Hi there,<div><br></div>'
        '<div>Could you please connect <a href="mailto:theo.grant@cruz-photo.example">Theo '
        "Grant</a>’s account to mine as a team member? He signed up for the trial yesterday "
        "and will be editing for me from now on.</div><div><br></div><div>Thanks!</div>"
        "<div>Isabel Cruz</div><div>Cruz Photography</div></body></html>"
    )
    bnd = "Apple-Mail=_0E2A4C6E-8F1B-4D3A-A5C7-E9B1D3F5A7C0"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(
                plain, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/plain;\n\tcharset=utf-8"
            ),
            text_part(htm, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/html;\n\tcharset=utf-8"),
        ],
    )
    hs = transport(frm, "198.51.100.98", when)
    hs += [f"Content-Type: {root.ctype}"] + apple_headers(
        f"Isabel Cruz <{frm}>",
        SUPPORT,
        "Team member for Cruz Photography",
        when,
        "5D7F9B1D-3E4F-4A6B-8C0D-2E4F6A8B0C12@cruz-photo.example",
    )
    raw = ("\n".join(hs) + "\n\n").encode() + root.body
    mail(
        "038-link-ready-en-mailto-only-in-html.eml",
        raw,
        intent="link",
        requests=[(frm, "theo.grant@cruz-photo.example", "ready_to_link")],
        why="multipart/alternative: the text/plain part names only 'Theo Grant'; the text/html "
        "part links that name to mailto:theo.grant@... and mailto: links count as addresses. "
        "P = sender isabel.cruz (pro, active, 0 linked); T registered, unlinked -> link #12 "
        "ready_to_link.",
        sender=frm,
        pairs=[(frm, "theo.grant@cruz-photo.example")],
    )


# --- 039: Outlook plain text, '-----Ursprüngliche Nachricht-----', X-Auto-Response-Suppress
#          and Auto-Submitted: no (a normal mail, not machine mail)
def _m039():
    frm = "m.lorenz@lorenz-gartenbau.example"
    when = datetime(2025, 6, 30, 7, 15, 33, tzinfo=CEST)
    prev = datetime(2025, 6, 27, 10, 5, tzinfo=CEST)
    first = datetime(2025, 6, 26, 16, 44, tzinfo=CEST)
    body = dedent(f"""
Guten Morgen,

Frau Weiß hat sich am Wochenende registriert: k.weiss@lorenz-gartenbau.example
Bitte verbinden Sie ihr Konto mit meinem Hauptkonto.

Mit freundlichen Grüßen
Michael Lorenz
Lorenz Gartenbau

-----Ursprüngliche Nachricht-----
Von: Kundenservice <{SUPPORT}> 
Gesendet: {outlook_de_sent(prev)}
An: m.lorenz@lorenz-gartenbau.example
Betreff: AW: Mitarbeiterkonto

Guten Tag Herr Lorenz,

gerne verknüpfen wir ein weiteres Teammitglied mit Ihrem Konto. Bitte lassen Sie Ihre Mitarbeiterin zuerst ein eigenes Testkonto anlegen und senden Sie uns dann die Adresse.

Freundliche Grüße
Ihr Kundenservice

-----Ursprüngliche Nachricht-----
Von: Michael Lorenz <{frm}> 
Gesendet: {outlook_de_sent(first)}
An: {SUPPORT}
Betreff: Mitarbeiterkonto

Hallo,

unsere Gärtnerin Frau Weiß soll auch mit dem Programm arbeiten. Mein Bruder (p.lorenz@lorenz-gartenbau.example) meinte, das geht über ein Teammitglied-Konto?

Michael Lorenz
""")
    hs = transport(frm, "198.51.100.99", when) + [
        f'From: "Michael Lorenz" <{frm}>',
        f"To: \"'Kundenservice'\" <{SUPPORT}>",
        "References: <reply.5a0e3c8f1d7b9246@mailbot.test>",
        "In-Reply-To: <reply.5a0e3c8f1d7b9246@mailbot.test>",
        "Subject: AW: Mitarbeiterkonto",
        date_hdr(when),
        "Message-ID: <000c01dbe97a$2d4f6b80$87ee4280$@lorenz-gartenbau.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AQJ5c8Zp3kq0eW2bVn4YtLm1xR7sgQGc9aBz",
        "Content-Language: de",
        "X-Auto-Response-Suppress: All",
        "Auto-Submitted: no",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "iso-8859-1", "quoted-printable")
    mail(
        "039-link-ready-de-outlook-urspruengliche-nachricht-not-auto.eml",
        raw,
        intent="link",
        requests=[(frm, "k.weiss@lorenz-gartenbau.example", "ready_to_link")],
        why="X-Auto-Response-Suppress: All alone is not machine mail and Auto-Submitted: no is "
        "explicitly not automatic, so the mail is processed. Only the text above "
        "'-----Ursprüngliche Nachricht-----' is read (p.lorenz@ is quoted). P = sender "
        "m.lorenz (pro, active, 0 linked); T k.weiss registered, unlinked -> link #12 "
        "ready_to_link.",
        sender=frm,
        pairs=[(frm, "k.weiss@lorenz-gartenbau.example")],
    )


# --- 040: Outlook classic EN reply with a From:/Sent:/To:/Subject: block, X-Auto-Response-Suppress
def _m040():
    frm = "j.harper@harper-events.example"
    when = datetime(2025, 6, 30, 11, 58, 4, tzinfo=BST)
    prev = datetime(2025, 6, 27, 16, 20, tzinfo=BST)
    new = dedent("""
Hi,

Nina has now registered with nina.cho@harper-events.example. Please link her account to our main account.

Kind regards,
James Harper
Harper Events Ltd
""")
    quoted = dedent("""
Hi James,

Thanks for your message. To link your event coordinator as a team member, we need the address she registered with - we can't use events@harper-events.example, as that is a shared mailbox without an account.

Kind regards,
Customer Support
""")
    fields = [
        ("From:", f"Customer Support <{SUPPORT}>"),
        ("Sent:", outlook_en_sent(prev)),
        ("To:", f"James Harper <{frm}>"),
        ("Subject:", "RE: Event coordinator access"),
    ]
    plain, htm = outlook_reply(new, fields, quoted, cs="us-ascii", lang="EN-GB")
    bnd = "----=_NextPart_000_0055_01DBE9A1.8B3C5D70"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="us-ascii", cte="7bit", ctype='text/plain;\n\tcharset="us-ascii"'),
            text_part(htm, charset="us-ascii", cte="quoted-printable", ctype='text/html;\n\tcharset="us-ascii"'),
        ],
        preamble="This is a multipart message in MIME format.\n\n",
    )
    hs = transport(frm, "198.51.100.100", when) + [
        f'From: "James Harper" <{frm}>',
        f"To: \"'Customer Support'\" <{SUPPORT}>",
        "References: <reply.e3b9a1c5f7d20468@mailbot.test>",
        "In-Reply-To: <reply.e3b9a1c5f7d20468@mailbot.test>",
        "Subject: RE: Event coordinator access",
        date_hdr(when),
        "Message-ID: <005401dbe9a1$8b3c5d70$a1b51850$@harper-events.example>",
        "MIME-Version: 1.0",
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AQKf3a9Xc2vT0mLqUeWbN1sD4yRz7gI8kPaE",
        "Content-Language: en-gb",
        "X-Auto-Response-Suppress: All",
    ]
    mail(
        "040-link-ready-en-outlook-from-sent-block.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "nina.cho@harper-events.example", "ready_to_link")],
        why="Outlook classic reply: only the text above the 'From:/Sent:/To:/Subject:' block is "
        "read (events@ is quoted). X-Auto-Response-Suppress alone is not machine mail. "
        "P = sender j.harper (pro, active, 0 linked); T nina.cho registered, unlinked -> "
        "link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "nina.cho@harper-events.example")],
    )


# --- 041: Reply-To differs from From (the draft goes to Reply-To; rules use From)
def _m041():
    frm = "daniela.frank@frank-kosmetik.example"
    when = datetime(2025, 7, 1, 12, 20, 45, tzinfo=CEST)
    body = dedent("""
Hallo,

bitte verknüpfen Sie das Konto unserer neuen Kosmetikerin Lara Nowak (lara.nowak@frank-kosmetik.example) mit meinem Konto.

Ihre Antwort geht automatisch an unser Studio-Postfach, da schaue ich täglich rein.

Liebe Grüße
Daniela Frank
Kosmetikstudio Frank
""")
    hs = transport(frm, "198.51.100.101", when) + [
        "Message-ID: <0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6@frank-kosmetik.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: Daniela Frank <{frm}>",
        "Reply-To: Kosmetikstudio Frank <studio@frank-kosmetik.example>",
        "Subject: Neue Kosmetikerin",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "041-link-ready-de-reply-to-differs.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, "lara.nowak@frank-kosmetik.example", "ready_to_link")],
        why="Reply-To (studio@) differs from From: the draft is addressed to Reply-To, but the "
        "rules use From as the sender. P = sender daniela.frank (pro, active, 0 linked); "
        "T lara.nowak registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "lara.nowak@frank-kosmetik.example")],
    )


# --- 042: SPF fails but DKIM passes for the From domain -> verified
def _m042():
    frm = "ethan.hale@hale-carpentry.example"
    when = datetime(2025, 7, 1, 15, 9, 12, tzinfo=EDT)
    ar = (
        f"{MX}; dkim=pass (2048-bit key; unprotected) header.d=hale-carpentry.example "
        f"header.i=@hale-carpentry.example header.s=mail header.b={digest('dk', frm, n=8)}; "
        f"spf=fail ({MX}: domain of {frm} does not designate 192.0.2.130 as permitted sender) "
        f"smtp.mailfrom={frm}; dmarc=none header.from=hale-carpentry.example"
    )
    body = dedent("""
Hi,

Please link Mason Reid's account to mine. He's our new apprentice and registered as mason.reid@hale-carpentry.example.

(I'm sending this through my university alias, in case it looks odd.)

Thanks,
Ethan Hale
Hale Carpentry
""")
    hs = transport(frm, "192.0.2.130", when, auth=ar, helo="smtp-fwd.uni-alumni.test") + [
        f"From: Ethan Hale <{frm}>",
        f"To: {SUPPORT}",
        "Subject: New apprentice",
        date_hdr(when),
        "Message-ID: <a9b8c7d6e5f4@hale-carpentry.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: 7bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "042-link-ready-en-spf-fail-dkim-pass.eml",
        raw,
        intent="link",
        requests=[(frm, "mason.reid@hale-carpentry.example", "ready_to_link")],
        why="spf=fail but dkim=pass for hale-carpentry.example (the From domain), no DMARC "
        "failure -> sender verified (not both DKIM and SPF fail). P = sender ethan.hale (pro, "
        "active, 0 linked); T mason.reid registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "mason.reid@hale-carpentry.example")],
    )


# --- 043: no Authentication-Results at all -> unknown, outcome unaffected
def _m043():
    frm = "petra.gross@gross-werbetechnik.example"
    when = datetime(2025, 7, 2, 9, 0, 31, tzinfo=CEST)
    body = dedent("""
Guten Morgen,

bitte fügen Sie unseren neuen Mediengestalter Timo Eck als Teammitglied zu meinem Konto hinzu. Er hat sich mit timo.eck@gross-werbetechnik.example angemeldet.

Danke und viele Grüße
Petra Groß
Groß Werbetechnik
""")
    hs = [
        f"Return-Path: <{frm}>",
        f"Delivered-To: {SUPPORT}",
        fold("Received", received("mail.gross-werbetechnik.example", "198.51.100.103", when)),
        "Message-ID: <7c6b5a49-3827-4160-b5a4-f3e2d1c0b9a8@gross-werbetechnik.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: {q2047('Petra Groß', 'UTF-8', upper=True)} <{frm}>",
        "Subject: Neuer Mediengestalter",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "043-link-ready-de-no-authentication-results.eml",
        message(hs, root, mime_version=None),
        intent="link",
        auth="unknown",
        requests=[(frm, "timo.eck@gross-werbetechnik.example", "ready_to_link")],
        why="No Authentication-Results header: sender verification is unknown (a warning for the "
        "agent, no effect on the outcome). P = sender petra.gross (pro, active, 0 linked); "
        "T timo.eck registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "timo.eck@gross-werbetechnik.example")],
    )


# --- 044: support and own addresses in the text are never customer addresses
def _m044():
    frm = "olivia.bennett@bennett-hr.example"
    when = datetime(2025, 7, 2, 13, 27, 50, tzinfo=BST)
    body = dedent("""
Hello,

I first asked billing@mailbot.test about this and they pointed me to support@mailbot.test, so here I am. Lucas Gray on my team has registered (the confirmation came from noreply@mailbot.test) with lucas.gray@bennett-hr.example.

Please add Lucas as a team member on my account.

Thank you,
Olivia Bennett
Bennett HR Consulting
""")
    hs = transport(frm, "198.51.100.104", when) + [
        f"From: Olivia Bennett <{frm}>",
        f"To: {SUPPORT}",
        "Cc: Billing <billing@mailbot.test>",
        "Subject: Adding Lucas to our account",
        date_hdr(when),
        "Message-ID: <f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b@bennett-hr.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
        "User-Agent: Roundcube Webmail/1.6.10",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, flowed=True).encode("ascii")
    mail(
        "044-link-ready-en-own-addresses-in-text.eml",
        raw,
        intent="link",
        requests=[(frm, "lucas.gray@bennett-hr.example", "ready_to_link")],
        why="support@mailbot.test, billing@ and noreply@mailbot.test (our support and own "
        "addresses) are never customer addresses. P = sender olivia.bennett (pro, active, 0 "
        "linked); T lucas.gray registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "lucas.gray@bennett-hr.example")],
    )


# --- 045: mixed case, angle brackets, quotes, trailing period, the same T twice
def _m045():
    frm = "tobias.reuter@reuter-fahrschule.example"
    when = datetime(2025, 7, 3, 18, 45, 2, tzinfo=CEST)
    body = dedent("""
Hallo,

für die Verknüpfung hier unsere Daten:

Hauptkonto: <Tobias.Reuter@Reuter-Fahrschule.example>
Neue Fahrlehrerin: "Svenja.Marx@Reuter-Fahrschule.example"

Bitte verknüpfen Sie das Konto von Frau Marx mit meinem Hauptkonto. Zur Sicherheit noch einmal ihre Adresse, wie sie sie bei der Anmeldung eingegeben hat: SVENJA.MARX@REUTER-FAHRSCHULE.EXAMPLE.

Gruß
Tobias Reuter
Fahrschule Reuter
""")
    hs = transport(frm, "198.51.100.105", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: Tobias Reuter <{frm}>",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.600.51.1.1\\))",
        f"Subject: {q2047('Verknüpfung Fahrlehrerin', 'utf-8')}",
        date_hdr(when),
        "Message-Id: <D1F3A5C7-E9B2-4D46-8F0A-1B3C5D7E9F20@reuter-fahrschule.example>",
        f"To: {SUPPORT}",
        "X-Mailer: Apple Mail (2.3826.600.51.1.1)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "045-link-ready-de-mixed-case-brackets-quotes.eml",
        raw,
        intent="link",
        requests=[(frm, "svenja.marx@reuter-fahrschule.example", "ready_to_link")],
        why="Addresses compare lower-cased with surrounding <>, quotes and the trailing period "
        "removed: the Hauptkonto is the sender, and the two spellings of Svenja's address are "
        "one team member (one pair, one request). P tobias.reuter (pro, active, 0 linked); "
        "T svenja.marx registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "svenja.marx@reuter-fahrschule.example")],
    )


# --- 046: RFC 2047 B-encoded subject and display name (Gmail), base64-free QP body
def _m046():
    frm = "juergen.mueller@mueller-steuern.example"
    when = datetime(2025, 7, 3, 10, 31, 9, tzinfo=CEST)
    new = dedent("""
Sehr geehrte Damen und Herren,

unsere neue Steuerfachangestellte Frau Anja Baumann hat sich mit a.baumann@mueller-steuern.example bei Ihnen registriert. Bitte verknüpfen Sie ihr Konto als Teammitglied mit meinem Hauptkonto.

Mit freundlichen Grüßen
Jürgen Müller
Steuerberater
""")
    bnd = "0000000000009d4b170639151c3e"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(new, charset="UTF-8", cte="quoted-printable", ctype='text/plain; charset="UTF-8"'),
            text_part(
                f'<div dir="ltr">{divs(new.rstrip(chr(10)))}</div>\n',
                charset="UTF-8",
                cte="quoted-printable",
                ctype='text/html; charset="UTF-8"',
            ),
        ],
    )
    hs = transport(frm, "209.85.220.52", when, helo="mail-sor-f52.google.com", selector="google") + [
        "MIME-Version: 1.0",
        f"From: {b2047('Jürgen Müller')} <{frm}>",
        date_hdr(when),
        "Message-ID: <CAK1pQw8Zt3vRn6Lx9cY2bMe4sH7dGf0jUa5oT8iW6@mail.gmail.com>",
        f"Subject: {b2047('Teammitglied für unsere Kanzlei verknüpfen')}",
        f"To: {SUPPORT}",
    ]
    mail(
        "046-link-ready-de-rfc2047-base64-headers.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "a.baumann@mueller-steuern.example", "ready_to_link")],
        why="Subject and display name are RFC 2047 B-encoded UTF-8 ('Teammitglied für unsere "
        "Kanzlei verknüpfen', 'Jürgen Müller'). P = sender juergen.mueller (pro, active, 0 "
        "linked); T a.baumann registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "a.baumann@mueller-steuern.example")],
    )


# --- 047: charset=unknown-8bit with Latin-1 umlauts (must be read with a fallback)
def _m047():
    frm = "g.schaefer@schaefer-bau.example"
    when = datetime(2025, 7, 4, 6, 48, 15, tzinfo=CEST)
    body = dedent("""
Guten Tag,

bitte verknüpfen Sie das Konto unseres Poliers Thomas Köhler
(t.koehler@schaefer-bau.example) als Teammitglied mit meinem Konto.
Er hat sich gestern Abend registriert.

Mit freundlichen Grüßen
Gerhard Schäfer
Schäfer Bau GmbH
""")
    hs = [
        f"Return-Path: <{frm}>",
        f"Delivered-To: {SUPPORT}",
        fold("Authentication-Results", ar_pass(frm, "198.51.100.107")),
        fold("Received", received("mail.schaefer-bau.example", "198.51.100.107", when)),
        fold(
            "Received",
            "from pc-buero2 (pc-buero2.intern [10.1.1.22]) by "
            "mail.schaefer-bau.example (8.17.1/8.17.1) with SMTP id 56446m0F004411 for "
            f"<{SUPPORT}>; {format_datetime(when)}",
        ),
        f"Date: {format_datetime(when)}",
        f"From: Gerhard Schaefer <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Teammitglied Polier",
        "Message-Id: <202507040448.56446m0F004411@mail.schaefer-bau.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=unknown-8bit",
        "Content-Transfer-Encoding: 8bit",
        "X-Mailer: Pegasus Mail for Windows (4.80.1028)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + body.encode("latin-1")
    mail(
        "047-link-ready-de-unknown-8bit-latin1.eml",
        raw,
        intent="link",
        requests=[(frm, "t.koehler@schaefer-bau.example", "ready_to_link")],
        why="charset=unknown-8bit with Latin-1 bytes (verknüpfen, Grüßen): decoded with the "
        "fallback (UTF-8 fails, cp1252 reads it). P = sender g.schaefer (pro, active, 0 "
        "linked); T t.koehler registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "t.koehler@schaefer-bau.example")],
    )


# --- 048: a garbage charset name (x-unknown) over UTF-8 bytes
def _m048():
    frm = "ruth.adams@adams-bakery.example"
    when = datetime(2025, 7, 4, 16, 2, 44, tzinfo=BST)
    body = dedent("""
Hello,

My nephew Cole is helping out at the bakery this summer — he’s registered as cole.adams@adams-bakery.example. Please link his account to mine as a team member.

Many thanks,
Ruth Adams
Adams Family Bakery
""")
    hs = transport(frm, "198.51.100.108", when, helo="smtp.adams-bakery.example") + [
        f'From: "Ruth Adams" <{frm}>',
        f"To: <{SUPPORT}>",
        "Subject: Cole's account",
        date_hdr(when),
        "Message-ID: <20250704150244.2F1A3B4C5D@adams-bakery.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="x-unknown"',
        "Content-Transfer-Encoding: 8bit",
        "X-Mailer: ShopMailer 2.4 (PHP/7.4.33)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(wrap(body, 76), "x-unknown", "8bit")
    mail(
        "048-link-ready-en-garbage-charset.eml",
        raw,
        intent="link",
        requests=[(frm, "cole.adams@adams-bakery.example", "ready_to_link")],
        why='charset="x-unknown" is not a real charset; the UTF-8 bytes are read with the '
        "fallback. P = sender ruth.adams (pro, active, 0 linked); T cole.adams registered, "
        "unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "cole.adams@adams-bakery.example")],
    )


# --- 049: new Outlook DE reply (HTML #divRplyFwdMsg with Von:/Gesendet:/An:/Betreff:)
def _m049():
    frm = "j.winter@winter-gartenplanung.example"
    when = datetime(2025, 7, 7, 8, 11, 37, tzinfo=CEST)
    prev = datetime(2025, 7, 4, 14, 26, tzinfo=CEST)
    new = dedent("""
Guten Morgen,

Frau Kraft hat sich inzwischen registriert: p.kraft@winter-gartenplanung.example. Bitte fügen Sie sie als Teammitglied zu unserem Konto hinzu.

Viele Grüße
Johanna Winter
Winter Gartenplanung
""")
    quoted = dedent("""
Guten Tag Frau Winter,

damit wir Ihre Mitarbeiterin hinzufügen können, muss sie sich zuerst selbst registrieren. Die Adresse planung@winter-gartenplanung.example ist bei uns nicht als Konto angelegt.

Freundliche Grüße
Ihr Kundenservice
""")
    fields = [
        ("Von:", f"Kundenservice <{SUPPORT}>"),
        ("Gesendet:", outlook_de_sent(prev)),
        ("An:", f"Johanna Winter <{frm}>"),
        ("Betreff:", "Re: Neue Planerin"),
    ]
    plain, htm = new_outlook_reply(new, fields, quoted, lang="de")
    bnd = "_000_FR2P281MB2734A1C3E5F7B9D0E2A4C6B8D0F2FR2P281MB2734DEUP_"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="iso-8859-1", cte="quoted-printable", ctype='text/plain; charset="iso-8859-1"'),
            text_part(
                htm.replace("charset=utf-8", "charset=iso-8859-1"),
                charset="iso-8859-1",
                cte="quoted-printable",
                ctype='text/html; charset="iso-8859-1"',
            ),
        ],
    )
    msgid = "FR2P281MB2734A1C3E5F7B9D0E2A4C6B8D0F2@FR2P281MB2734.DEUP281.PROD.OUTLOOK.COM"
    hs = transport(
        frm, "40.107.135.91", when, helo="DEU01-FR2-obe.outbound.protection.outlook.com", selector="selector1"
    ) + ms365_headers(
        f"Johanna Winter <{frm}>",
        f"Kundenservice <{SUPPORT}>",
        "AW: Neue Planerin",
        when,
        msgid,
        lang="de-DE",
        extra=[
            "References: <reply.61d0f8b3a5c2e497@mailbot.test>",
            "In-Reply-To: <reply.61d0f8b3a5c2e497@mailbot.test>",
        ],
    )
    mail(
        "049-link-ready-de-new-outlook-reply.eml",
        serialize_top(hs, root),
        intent="link",
        requests=[(frm, "p.kraft@winter-gartenplanung.example", "ready_to_link")],
        why="New Outlook DE reply: only the text above the '____ / Von: / Gesendet:' block "
        "(#divRplyFwdMsg) is read; planung@ is quoted. P = sender j.winter (team, active, 0 "
        "linked); T p.kraft registered, unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "p.kraft@winter-gartenplanung.example")],
    )


# --- 050: EN signature (after '-- ') naming an assistant's address that must be ignored
def _m050():
    frm = "ben.rowe@rowe-analytics.example"
    when = datetime(2025, 7, 7, 17, 55, 21, tzinfo=BST)
    body = dedent("""
Hi,

Please add Kai Mertens to our account as a team member. He registered this afternoon as kai.mertens@rowe-analytics.example.

Best,
Ben

-- 
Ben Rowe | Founder, Rowe Analytics
Executive assistant: pa@rowe-analytics.example
Team inbox: team@rowe-analytics.example
""")
    hs = transport(frm, "198.51.100.110", when) + [
        "Message-ID: <6e5d4c3b-2a19-4807-b6f5-e4d3c2b1a098@rowe-analytics.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-GB",
        f"To: Customer Support <{SUPPORT}>",
        f"From: Ben Rowe <{frm}>",
        "Subject: New team member",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="7bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "050-link-ready-en-signature-with-assistant-address.eml",
        message(hs, root, mime_version=None),
        intent="link",
        requests=[(frm, "kai.mertens@rowe-analytics.example", "ready_to_link")],
        why="pa@ ('Executive assistant') and team@ are in the signature after '-- ' and are not "
        "read. P = sender ben.rowe (team, active, 0 linked); T kai.mertens registered, "
        "unlinked -> link #12 ready_to_link.",
        sender=frm,
        pairs=[(frm, "kai.mertens@rowe-analytics.example")],
    )


# ===========================================================================
# REACTIVATE
# ===========================================================================


# --- 051: inline '>' quoting (no attribution line), both addresses in the new text
def _m051():
    frm = "gerd.paulsen@paulsen-segel.example"
    when = datetime(2025, 7, 8, 19, 20, 3, tzinfo=CEST)
    body = dedent("""
Moin,

> Damit wir das Konto Ihres Teammitglieds wieder aktivieren können,
> benötigen wir beide Adressen: die des Hauptkontos und die des
> Teammitglieds.

Hauptkonto: gerd.paulsen@paulsen-segel.example
Teammitglied: ole.paulsen@paulsen-segel.example

> Bitte beachten Sie: Das geht erst, wenn Ihr Abonnement verlängert ist.
> Die Rechnung wurde an buchhaltung@paulsen-segel.example geschickt.

Ist bezahlt, das Abo wurde gestern verlängert. Bitte reaktivieren Sie
Oles Konto.

Gruß
Gerd Paulsen
Segelschule Paulsen
""")
    hs = transport(frm, "198.51.100.111", when) + [
        f"Date: {format_datetime(when)}",
        f"From: Gerd Paulsen <{frm}>",
        f"To: Kundenservice <{SUPPORT}>",
        "Subject: Re: Teammitglied abgelaufen",
        "Message-ID: <20250708172003.GB12093@paulsen-segel.example>",
        "References: <reply.84c2e0a6f1b3d597@mailbot.test>",
        "In-Reply-To: <reply.84c2e0a6f1b3d597@mailbot.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Disposition: inline",
        "Content-Transfer-Encoding: 8bit",
        "User-Agent: Mutt/2.2.13 (2024-03-09)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + body.encode()
    mail(
        "051-reactivate-ready-de-inline-quoting.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "ole.paulsen@paulsen-segel.example", "ready_to_reactivate")],
        why="Inline reply: the '>' lines (with buchhaltung@) are quoted, the lines between them are "
        "the customer's. Reactivate #9: P = sender gerd.paulsen (pro, active, 2099-06-30); "
        "T ole.paulsen linked to P, expired 2021-05-31 -> ready_to_reactivate.",
        sender=frm,
        pairs=[(frm, "ole.paulsen@paulsen-segel.example")],
    )


# --- 052: iOS Mail EN reply ("Sent from my iPhone" then quote); T filled in from records
def _m052():
    frm = "sarah.lindqvist@nordlys-design.example"
    when = datetime(2025, 7, 8, 8, 2, 40, tzinfo=BST)
    prev = datetime(2025, 7, 7, 16, 12, tzinfo=BST)
    body = dedent(f"""
Morning,

We renewed our plan first thing today. Could you please re-enable my assistant's access now?

Thanks,
Sarah

Sent from my iPhone

> {ios_en(prev, "Customer Support", SUPPORT)}
> 
> \ufeffHi Sarah,
> 
> Team member accounts aren't renewed automatically. Once your own subscription has been renewed, just write to us again and we'll reactivate your assistant. If the payment fails, billing@mailbot.test can help.
> 
> Kind regards,
> Customer Support
""")
    hs = transport(frm, "198.51.100.112", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: Sarah Lindqvist <{frm}>",
        "Mime-Version: 1.0 (1.0)",
        date_hdr(when),
        "Subject: Re: Assistant access expired",
        "Message-Id: <9F1B3D5F-7A2C-4E4D-B6F8-0A2C4E6A8B1D@nordlys-design.example>",
        "References: <reply.1d7f3b9e5c0a2864@mailbot.test>",
        "In-Reply-To: <reply.1d7f3b9e5c0a2864@mailbot.test>",
        f"To: Customer Support <{SUPPORT}>",
        "X-Mailer: iPhone Mail (22F76)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "052-reactivate-ready-en-iphone-fill-in-team-member.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "felix.berg@nordlys-design.example", "ready_to_reactivate")],
        why="'re-enable my assistant's access' after renewal; no address in the new text "
        "(everything after 'Sent from my iPhone' is quoted). P = sender sarah.lindqvist; T is "
        "filled in from the records because P has exactly one linked member (felix.berg). "
        "#9: P pro, active, 2099-06-30; T expired 2021-06-30 -> ready_to_reactivate.",
        sender=frm,
        pairs=[(frm, None)],
    )


# --- 053: iOS Mail DE ("Von meinem iPhone gesendet" then quote); T filled in from records
def _m053():
    frm = "horst.kugler@kugler-metallbau.example"
    when = datetime(2025, 7, 9, 6, 31, 5, tzinfo=CEST)
    prev = datetime(2025, 7, 8, 15, 47, tzinfo=CEST)
    body = dedent(f"""
Guten Morgen,

die Verlängerung ist jetzt bezahlt. Bitte schalten Sie den Zugang meines Sohnes wieder frei.

Gruß Horst Kugler

Von meinem iPhone gesendet

> {apple_de(prev, "Kundenservice", SUPPORT)}
> 
> \ufeffGuten Tag Herr Kugler,
> 
> Ihr Abonnement ist abgelaufen. Die offene Rechnung haben wir an buchhaltung@kugler-metallbau.example geschickt. Nach der Zahlung melden Sie sich bitte wieder bei uns.
> 
> Freundliche Grüße
> Ihr Kundenservice
""")
    hs = transport(frm, "198.51.100.113", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: Horst Kugler <{frm}>",
        "Mime-Version: 1.0 (1.0)",
        date_hdr(when),
        "Subject: Re: Abonnement abgelaufen",
        "Message-Id: <2C4E6A8C-0B1D-4F3E-A5C7-9E1B3D5F7A26@kugler-metallbau.example>",
        "References: <reply.f20c8a4e6b1d3975@mailbot.test>",
        "In-Reply-To: <reply.f20c8a4e6b1d3975@mailbot.test>",
        f"To: Kundenservice <{SUPPORT}>",
        "X-Mailer: iPhone Mail (22F76)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "053-reactivate-ready-de-iphone-fill-in-team-member.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "d.kugler@kugler-metallbau.example", "ready_to_reactivate")],
        why="'Verlängerung ... wieder freischalten'; the quote after 'Von meinem iPhone gesendet' "
        "(buchhaltung@) is not read. P = sender horst.kugler; T filled in from the records "
        "(P has exactly one linked member, d.kugler). #9: P pro, active, 2099-06-30; T "
        "expired 2021-03-31 -> ready_to_reactivate.",
        sender=frm,
        pairs=[(frm, None)],
    )


# --- 054: EN, the team member writes and names only herself; P filled in from records
def _m054():
    frm = "ivy.park@freemail.test"
    when = datetime(2025, 7, 9, 11, 14, 58, tzinfo=PDT)
    body = dedent("""
Hi,

I'm a team member on my boss's account at Evergreen Florals. She renewed the subscription on Monday, but my account (ivy.park@freemail.test) still shows "subscription expired". Could you please reactivate my account?

Thank you!
Ivy Park
""")
    hs = transport(frm, "203.0.113.90", when, helo="smtp.freemail.test") + [
        "Message-ID: <1752084898.417233.ivy.park@freemail.test>",
        date_hdr(when),
        f"From: Ivy Park <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Please reactivate my account",
        "X-Mailer: Freemail Webmail 9.1",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 7bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "054-reactivate-ready-en-team-member-writes-fill-in-primary.eml",
        raw,
        intent="reactivate",
        requests=[("studio@evergreen-florals.example", frm, "ready_to_reactivate")],
        why="The sender is clearly the team member ('a team member on my boss's account ... "
        "my account') and names only herself: T = ivy.park. P is filled in from the records "
        "(T has exactly one primary, studio@evergreen-florals). #4 passes (sender is T). #9: P "
        "pro, active, 2099-06-30; T expired 2021-08-31 -> ready_to_reactivate.",
        sender=frm,
        pairs=[(None, frm)],
    )


# --- 055: DE, base64 UTF-8 body (Android), the team member writes; P filled in from records
def _m055():
    frm = "lena.hartwig@webpost.test"
    when = datetime(2025, 7, 10, 20, 3, 27, tzinfo=CEST)
    body = dedent("""
Hallo,

mein Konto als Teammitglied ist seit einiger Zeit gesperrt. Meine Chefin hat das Abo von Hartwig Immobilien inzwischen verlängert. Könnten Sie mein Konto bitte wieder aktivieren?

Vielen Dank
Lena Hartwig

Von meinem Samsung Galaxy Smartphone gesendet.
""")
    bnd = "--_com.samsung.android.email_1752170607123456"
    htm = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>'
        '<body><div dir="auto">'
        + "".join(f'<div dir="auto">{esc(x) if x else "<br>"}</div>' for x in body.rstrip("\n").split("\n"))
        + "</div></body></html>"
    )
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(body, charset="UTF-8", cte="base64", ctype="text/plain; charset=UTF-8"),
            text_part(htm, charset="UTF-8", cte="base64", ctype="text/html; charset=UTF-8"),
        ],
    )
    hs = transport(frm, "203.0.113.91", when, helo="out3.webpost.test") + [
        "Date: " + format_datetime(when),
        "Message-ID: <i2ktd7w0cx9yqf4ab6rvnh3j.1752170607123@email.android.com>",
        "Subject: Konto wieder aktivieren",
        f"From: Lena Hartwig <{frm}>",
        f"To: {SUPPORT}",
        "MIME-Version: 1.0",
    ]
    mail(
        "055-reactivate-ready-de-base64-team-member-writes-fill-in-primary.eml",
        serialize_top(hs, root),
        intent="reactivate",
        requests=[("info@hartwig-immobilien.example", frm, "ready_to_reactivate")],
        why="base64 UTF-8 body. The sender is clearly the team member ('mein Konto als "
        "Teammitglied ... Meine Chefin'); no address named, so T = sender lena.hartwig and P "
        "is filled in from the records (her one primary, info@hartwig-immobilien). #4 passes "
        "(sender is T). #9: P team, active, 2099-06-30; T expired 2021-04-30 -> "
        "ready_to_reactivate.",
        sender=frm,
        pairs=[(None, frm)],
    )


# --- 056: P has two linked members and names none -> need_info
def _m056():
    frm = "kontakt@baeckerei-schmitz.example"
    when = datetime(2025, 7, 10, 5, 44, 12, tzinfo=CEST)
    body = dedent("""
Guten Morgen,

unser Abo ist verlängert. Bitte aktivieren Sie das Konto unserer Filiale wieder, die Kolleginnen kommen seit gestern nicht mehr rein.

Danke
Bäckerei Schmitz
""")
    hs = transport(frm, "198.51.100.116", when) + [
        f"From: {q2047('Bäckerei Schmitz', 'UTF-8', upper=True)} <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Filiale gesperrt",
        date_hdr(when),
        "Message-ID: <3b8f1e6a9c2d4075e0a1@baeckerei-schmitz.example>",
        "X-Sender: kontakt@baeckerei-schmitz.example",
        "User-Agent: Roundcube Webmail/1.6.10",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8;\n format=flowed",
        "Content-Transfer-Encoding: 8bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, flowed=True).encode()
    mail(
        "056-reactivate-need-info-de-two-linked-members.eml",
        raw,
        intent="reactivate",
        requests=[(frm, None, "need_info")],
        why="'Abo ist verlängert ... wieder aktivieren', no team-member address. P = sender; the "
        "records cannot fill T in because P has two linked members (verkauf.altstadt, "
        "verkauf.bahnhof) -> reactivate #1 need_info.",
        sender=frm,
        pairs=[(frm, None)],
    )


# --- 057: EN, the team member writes but has no primary in the records -> need_info
def _m057():
    frm = "leo.fontaine@freemail.test"
    when = datetime(2025, 7, 11, 13, 9, 30, tzinfo=BST)
    body = dedent("""
Hello,

Could you please reactivate my team member account? My boss renewed the subscription last week, but I still can't get in.

Best regards,
Léo Fontaine
""")
    hs = transport(frm, "203.0.113.92", when, helo="smtp.freemail.test") + [
        "Message-ID: <1752235770.520144.leo.fontaine@freemail.test>",
        date_hdr(when),
        f"From: {q2047('Léo Fontaine', 'UTF-8', upper=True)} <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Team member account",
        "X-Mailer: Freemail Webmail 9.1",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode()
    mail(
        "057-reactivate-need-info-en-team-member-without-primary.eml",
        raw,
        intent="reactivate",
        requests=[(None, frm, "need_info")],
        why="The sender is clearly the team member ('my team member account ... My boss "
        "renewed'), so T = sender leo.fontaine. P is not stated and cannot be filled in: "
        "leo.fontaine has no primary in the records -> reactivate #1 need_info.",
        sender=frm,
        pairs=[(None, frm)],
    )


# --- 058: reactivate, DKIM and SPF both fail -> sender_unverified
def _m058():
    frm = "rosa.delgado@delgado-bakery.example"
    when = datetime(2025, 7, 11, 9, 51, 3, tzinfo=EDT)
    ar = (
        f"{MX}; dkim=fail (body hash did not verify) header.d=delgado-bakery.example "
        f"header.s=mail header.b={digest('x', frm, n=8)}; spf=fail ({MX}: domain of {frm} does "
        f"not designate 192.0.2.201 as permitted sender) smtp.mailfrom={frm}; dmarc=none "
        f"header.from=delgado-bakery.example"
    )
    body = dedent("""
Hi,

We renewed our subscription. Please reactivate Miguel's team member account:

main account: rosa.delgado@delgado-bakery.example
team member: miguel.delgado@delgado-bakery.example

Thanks,
Rosa Delgado
""")
    hs = transport(frm, "192.0.2.201", when, auth=ar, helo="mx-out.bulkrelay.test") + [
        f"From: Rosa Delgado <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Reactivate Miguel",
        date_hdr(when),
        "Message-ID: <7e1c4a9b-2f5d-4b8e-a3c6-0d9f8e7a6b5c@delgado-bakery.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + body.encode("ascii")
    mail(
        "058-reactivate-sender-unverified-en-dkim-and-spf-fail.eml",
        raw,
        intent="reactivate",
        auth="fail",
        requests=[(frm, "miguel.delgado@delgado-bakery.example", "sender_unverified")],
        why="dkim=fail and spf=fail for delgado-bakery.example -> unverified. Both addresses "
        "given -> reactivate #2 sender_unverified.",
        sender=frm,
        pairs=[(frm, "miguel.delgado@delgado-bakery.example")],
    )


# --- 059: reactivate, DMARC fails -> sender_unverified
def _m059():
    frm = "k.hansen@hansen-fisch.example"
    when = datetime(2025, 7, 14, 10, 37, 18, tzinfo=CEST)
    ar = (
        f"{MX}; dkim=none; spf=softfail ({MX}: domain of transitioning {frm} does not designate "
        f"203.0.113.150 as permitted sender) smtp.mailfrom={frm}; dmarc=fail (p=quarantine "
        f"dis=quarantine) header.from=hansen-fisch.example"
    )
    body = dedent("""
Moin,

unser Abo ist verlängert. Bitte reaktivieren Sie das Teammitglied-Konto j.hansen@hansen-fisch.example, das an meinem Hauptkonto k.hansen@hansen-fisch.example hängt.

Gruß
Knut Hansen
Hansen Fischhandel
""")
    hs = transport(frm, "203.0.113.150", when, auth=ar, helo="static-150.dsl-provider.test") + [
        f"From: Knut Hansen <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Reaktivierung Teammitglied",
        date_hdr(when),
        "Message-ID: <000001dbf4a2$6c1d3e50$44579af0$@hansen-fisch.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
        "X-Mailer: Microsoft Outlook 16.0",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode()
    mail(
        "059-reactivate-sender-unverified-de-dmarc-fail.eml",
        raw,
        intent="reactivate",
        auth="fail",
        requests=[(frm, "j.hansen@hansen-fisch.example", "sender_unverified")],
        why="dmarc=fail in our MX's Authentication-Results -> unverified. Both addresses given "
        "-> reactivate #2 sender_unverified.",
        sender=frm,
        pairs=[(frm, "j.hansen@hansen-fisch.example")],
    )


# --- 060: HTML-only DE; stated primary (the sender) unknown; T is a mailto: link on a name
def _m060():
    frm = "verwaltung@kita-sonnenschein.example"
    when = datetime(2025, 7, 14, 14, 2, 56, tzinfo=CEST)
    htm = dedent("""
<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body style="font-family: Arial, sans-serif; font-size: 10pt;">
<p>Sehr geehrte Damen und Herren,</p>
<p>unser Abonnement wurde zum 1. Juli verlängert. Bitte reaktivieren Sie das Konto unserer Erzieherin <a href="mailto:j.mueller@kita-sonnenschein.example">Julia Müller</a>.</p>
<p>Unser Hauptkonto ist verwaltung@kita-sonnenschein.example.</p>
<p>Mit freundlichen Grüßen<br>
Birgit Sander<br>
Verwaltung, Kita Sonnenschein e.&nbsp;V.</p>
</body></html>
""")
    hs = transport(frm, "198.51.100.120", when) + [
        f"From: Kita Sonnenschein Verwaltung <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Konto Erzieherin reaktivieren",
        date_hdr(when),
        "Message-ID: <8a2f6c0e4b1d4d39b7e5@kita-sonnenschein.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=UTF-8",
        "Content-Transfer-Encoding: quoted-printable",
        "X-Mailer: Open-Xchange Mailer v7.10.6-Rev62",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(htm, "UTF-8", "quoted-printable")
    mail(
        "060-reactivate-primary-not-found-de-html-only.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "j.mueller@kita-sonnenschein.example", "primary_not_found")],
        why="HTML-only; T comes from the mailto: link on the name 'Julia Müller'. The Hauptkonto "
        "is stated (verwaltung@, also the sender), so nothing is filled in from the records "
        "even though j.mueller is linked to leitung@; verwaltung@ is not in accounts -> "
        "reactivate #3 primary_not_found.",
        sender=frm,
        pairs=[(frm, "j.mueller@kita-sonnenschein.example")],
    )


# --- 061: Outlook EN plain text with '-----Original Message-----'; sender as P is unknown
def _m061():
    frm = "admin@pinecrest-vets.example"
    when = datetime(2025, 7, 15, 9, 26, 41, tzinfo=EDT)
    prev = datetime(2025, 7, 14, 15, 3, tzinfo=EDT)
    body = dedent(f"""
Hello,

I'm writing from our main account. We renewed yesterday, so please reactivate our vet tech's account: holly.chen@pinecrest-vets.example

Regards,
Pinecrest Vets Admin

-----Original Message-----
From: Customer Support <{SUPPORT}> 
Sent: {outlook_en_sent(prev)}
To: {frm}
Subject: RE: Holly's login

Hello,

Team member accounts have to be reactivated after each renewal. Please contact us again once the renewal has gone through and give us both addresses. Dr. Wells (dr.wells@pinecrest-vets.example) can also do this for you.

Kind regards,
Customer Support
""")
    hs = transport(frm, "198.51.100.121", when) + [
        f"From: Pinecrest Vets Admin <{frm}>",
        f"To: \"'Customer Support'\" <{SUPPORT}>",
        "References: <reply.a0c6e2f84b1d9735@mailbot.test>",
        "In-Reply-To: <reply.a0c6e2f84b1d9735@mailbot.test>",
        "Subject: RE: Holly's login",
        date_hdr(when),
        "Message-ID: <002301dbf584$17a9c4e0$46fd4ea0$@pinecrest-vets.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: Microsoft Outlook 16.0",
        "Thread-Index: AQGz8pXk1cW3n0yTqRbVe4Ls9MdA2g==",
        "Content-Language: en-us",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + body.encode("ascii")
    mail(
        "061-reactivate-primary-not-found-en-outlook-original-message.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "holly.chen@pinecrest-vets.example", "primary_not_found")],
        why="Only the text above '-----Original Message-----' is read (dr.wells@ is quoted). "
        "'I'm writing from our main account': P = sender admin@pinecrest-vets, so P is not "
        "missing and nothing is filled in; admin@ is not in accounts -> reactivate #3 "
        "primary_not_found.",
        sender=frm,
        pairs=[(frm, "holly.chen@pinecrest-vets.example")],
    )


# --- 062: bookkeeping writes for the owner -> confirm_from_primary
def _m062():
    frm = "buchhaltung@fahrradladen-speiche.example"
    when = datetime(2025, 7, 15, 16, 40, 9, tzinfo=CEST)
    body = dedent("""
Hallo,

ich mache die Buchhaltung für den Fahrradladen Speiche. Die Jahresrechnung ist bezahlt, das Abo also erneuert. Bitte aktivieren Sie den Zugang unseres Azubis wieder:

Hauptkonto (Inhaber): inhaber@fahrradladen-speiche.example
Azubi: azubi@fahrradladen-speiche.example

Danke und Gruß
Monika Rausch
""")
    hs = transport(frm, "198.51.100.122", when) + [
        "Message-ID: <4d6f8a0c-2e4b-4c6d-8e0f-a1c3e5b7d9f1@fahrradladen-speiche.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: Monika Rausch <{frm}>",
        "Subject: Zugang Azubi",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "062-reactivate-confirm-from-primary-de-bookkeeper-writes.eml",
        message(hs, root, mime_version=None),
        intent="reactivate",
        requests=[
            ("inhaber@fahrradladen-speiche.example", "azubi@fahrradladen-speiche.example", "confirm_from_primary")
        ],
        why="P (Hauptkonto/Inhaber) and T (Azubi) are stated; P is in accounts. The sender "
        "buchhaltung@ is neither P nor T -> reactivate #4 confirm_from_primary.",
        sender=frm,
        pairs=[("inhaber@fahrradladen-speiche.example", "azubi@fahrradladen-speiche.example")],
    )


# --- 063: EN new Outlook (HTML), finance writes for the owner -> confirm_from_primary
def _m063():
    frm = "accounts@ridgeline-surveying.example"
    when = datetime(2025, 7, 16, 10, 5, 55, tzinfo=BST)
    new = dedent("""
Hello,

Our annual subscription was renewed this morning. Please reactivate Amy Cho's team member account (amy.cho@ridgeline-surveying.example). The primary account belongs to our director, mark.ellis@ridgeline-surveying.example.

Kind regards,
Accounts Team
Ridgeline Surveying
""")
    style = (
        "font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, "
        "sans-serif; font-size: 12pt; color: rgb(0, 0, 0);"
    )
    body_html = "".join(
        f'<div class="elementToProof" style="{style}">{linkify(esc(line)) if line else "<br>"}</div>\n'
        for line in new.rstrip("\n").split("\n")
    )
    htm = (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} '
        '</style>\n</head>\n<body dir="ltr">\n' + body_html + "</body>\n</html>\n"
    )
    bnd = "_000_LO2P265MB5123E4F6A8C0B2D4F6A8C0E2B4D6LO2P265MB5123GBRP_"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(new, charset="us-ascii", cte="quoted-printable", ctype='text/plain; charset="us-ascii"'),
            text_part(htm, charset="us-ascii", cte="quoted-printable", ctype='text/html; charset="us-ascii"'),
        ],
    )
    msgid = "LO2P265MB5123E4F6A8C0B2D4F6A8C0E2B4D6@LO2P265MB5123.GBRP265.PROD.OUTLOOK.COM"
    hs = transport(
        frm, "40.107.20.64", when, helo="GBR01-LO2-obe.outbound.protection.outlook.com", selector="selector1"
    ) + ms365_headers(
        f"Ridgeline Accounts <{frm}>",
        f"Customer Support <{SUPPORT}>",
        "Reactivation - Amy Cho",
        when,
        msgid,
        lang="en-GB",
    )
    mail(
        "063-reactivate-confirm-from-primary-en-finance-writes.eml",
        serialize_top(hs, root),
        intent="reactivate",
        requests=[
            ("mark.ellis@ridgeline-surveying.example", "amy.cho@ridgeline-surveying.example", "confirm_from_primary")
        ],
        why="P (primary account, the director) and T (team member) are stated; P is in accounts. "
        "The sender accounts@ is neither P nor T -> reactivate #4 confirm_from_primary.",
        sender=frm,
        pairs=[("mark.ellis@ridgeline-surveying.example", "amy.cho@ridgeline-surveying.example")],
    )


# --- 064: agency plan DE
def _m064():
    frm = "kontakt@agentur-funkel.example"
    when = datetime(2025, 7, 16, 13, 13, 13, tzinfo=CEST)
    body = dedent("""
Hallo Support,

wir haben unseren Agenturtarif gerade verlängert. Bitte reaktiviert das Konto von Jonas Lindner (j.lindner@agentur-funkel.example).

Danke & beste Grüße
Team Funkel
""")
    hs = transport(frm, "198.51.100.124", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: Agentur Funkel <{frm}>",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.600.51.1.1\\))",
        f"Subject: {q2047('Verlängerung – Konto Jonas', 'utf-8')}",
        date_hdr(when),
        "Message-Id: <B3D5F7A9-C1E2-4F40-8B6D-2F4A6C8E0B37@agentur-funkel.example>",
        f"To: {SUPPORT}",
        "X-Mailer: Apple Mail (2.3826.600.51.1.1)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "064-reactivate-agency-plan-de.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "j.lindner@agentur-funkel.example", "agency_plan")],
        why="P = sender kontakt@agentur-funkel (in accounts, sender is P); plan agency -> reactivate #5 agency_plan.",
        sender=frm,
        pairs=[(frm, "j.lindner@agentur-funkel.example")],
    )


# --- 065: agency plan EN
def _m065():
    frm = "hq@pixelforge-agency.example"
    when = datetime(2025, 7, 17, 9, 2, 46, tzinfo=EDT)
    body = dedent("""
Hey,

Renewal went through on our side. Can you reactivate Sam Hughes (sam.hughes@pixelforge-agency.example)? The main account is this one, hq@pixelforge-agency.example.

Cheers,
Pixelforge HQ
""")
    hs = transport(frm, "209.85.220.33", when, helo="mail-sor-f33.google.com", selector="google") + [
        f"From: Pixelforge HQ <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Reactivate Sam",
        date_hdr(when),
        "Message-ID: <CAPf0rG3wXk8Ym2Lq5cT1vNb7eR4sJd6hUo9aZ3iK0@mail.gmail.com>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="UTF-8"',
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + body.encode("ascii")
    mail(
        "065-reactivate-agency-plan-en.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "sam.hughes@pixelforge-agency.example", "agency_plan")],
        why="P = hq@ (stated main account, and the sender); agency plan -> reactivate #5 agency_plan.",
        sender=frm,
        pairs=[(frm, "sam.hughes@pixelforge-agency.example")],
    )


# --- 066: T not in accounts -> not_linked
def _m066():
    frm = "carla.mendes@mendes-architecture.example"
    when = datetime(2025, 7, 17, 15, 30, 2, tzinfo=BST)
    body = dedent("""
Hello,

We've renewed our Pro plan. Please re-enable the team member account of our architect Ana Silva, ana.silva@mendes-architecture.example.

Best regards,
Carla Mendes
Mendes Architecture
""")
    hs = transport(frm, "198.51.100.126", when) + [
        "Message-ID: <0e2c4a6b-8d1f-4e3a-b5c7-d9e1f3a5b7c9@mendes-architecture.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-GB",
        f"To: {SUPPORT}",
        f"From: Carla Mendes <{frm}>",
        "Subject: Re-enable team member",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="7bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "066-reactivate-not-linked-en-team-member-unknown.eml",
        message(hs, root, mime_version=None),
        intent="reactivate",
        requests=[(frm, "ana.silva@mendes-architecture.example", "not_linked")],
        why="P = sender carla.mendes (pro, active, not agency); T ana.silva is not in accounts "
        "-> reactivate #6 not_linked.",
        sender=frm,
        pairs=[(frm, "ana.silva@mendes-architecture.example")],
    )


# --- 067: T linked to another primary -> not_linked
def _m067():
    frm = "m.kessler@kessler-bedachungen.example"
    when = datetime(2025, 7, 18, 7, 55, 38, tzinfo=CEST)
    body = dedent("""
Guten Tag,

wir haben unser Abonnement erneuert. Bitte reaktivieren Sie das Konto von Herrn Arndt, sebastian.arndt@freemail.test, er arbeitet seit Juni bei uns.

Mit freundlichen Grüßen
Markus Kessler
Kessler Bedachungen
""")
    hs = transport(frm, "198.51.100.127", when) + [
        f'From: "Kessler, Markus" <{frm}>',
        f'To: "Kundenservice" <{SUPPORT}>',
        "Subject: Konto Herr Arndt",
        date_hdr(when),
        "Message-ID: <001b01dbf7a9$5e8c2f40$1ba48dc0$@kessler-bedachungen.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
        "X-Mailer: Microsoft Outlook 16.0",
        "Content-Language: de",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "iso-8859-1", "quoted-printable")
    mail(
        "067-reactivate-not-linked-de-linked-to-another-primary.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "sebastian.arndt@freemail.test", "not_linked")],
        why="P = sender m.kessler (pro, active). T sebastian.arndt is in accounts but linked to "
        "another primary (info@arndt-dach) -> reactivate #6 not_linked.",
        sender=frm,
        pairs=[(frm, "sebastian.arndt@freemail.test")],
    )


# --- 068: P cancelled (paid_until still in the future) -> primary_not_renewed
def _m068():
    frm = "claudia.seitz@seitz-moden.example"
    when = datetime(2025, 7, 18, 12, 20, 16, tzinfo=CEST)
    prev = datetime(2025, 7, 17, 9, 40, tzinfo=CEST)
    new = dedent("""
Hallo,

ich habe unser Abo erneuert, bitte aktivieren Sie das Konto meiner Mitarbeiterin n.busch@seitz-moden.example wieder.

Liebe Grüße
Claudia Seitz
""")
    quoted = dedent("""
Guten Tag Frau Seitz,

Ihre Kündigung zum Monatsende haben wir erhalten. Bei Fragen zur Rechnung wenden Sie sich bitte an billing@mailbot.test.

Freundliche Grüße
Ihr Kundenservice
""")
    attr = apple_de(prev, "Kundenservice", SUPPORT)
    plain = new + "\n" + apple_quote(attr, quoted)
    bnd = "Apple-Mail=_D5F7B9D1-E3A4-4C62-AF8D-4B6C8E0A2D59"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(
                plain, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/plain;\n\tcharset=utf-8"
            ),
            text_part(
                apple_html(new, attr, quoted),
                charset="utf-8",
                cte="quoted-printable",
                order="cte",
                ctype="text/html;\n\tcharset=utf-8",
            ),
        ],
    )
    hs = transport(frm, "198.51.100.128", when)
    hs += [f"Content-Type: {root.ctype}"] + apple_headers(
        f"Claudia Seitz <{frm}>",
        f"Kundenservice <{SUPPORT}>",
        f"Re: {q2047('Kündigung', 'utf-8')}",
        when,
        "E7A9C1E3-F5B6-4E84-C1AF-6D8E0A2C4F71@seitz-moden.example",
        extra=[
            "In-Reply-To: <reply.b5d1f7c39e0a4862@mailbot.test>",
            "References: <reply.b5d1f7c39e0a4862@mailbot.test>",
        ],
    )
    raw = ("\n".join(hs) + "\n\n").encode() + root.body
    mail(
        "068-reactivate-primary-not-renewed-de-status-cancelled.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "n.busch@seitz-moden.example", "primary_not_renewed")],
        why="P = sender claudia.seitz (pro), T n.busch linked to P. P's status is cancelled (its "
        "paid_until is 2099-06-30, so only the status decides); the quoted Apple Mail part is "
        "not read -> reactivate #7 primary_not_renewed.",
        sender=frm,
        pairs=[(frm, "n.busch@seitz-moden.example")],
    )


# --- 069: P 'active' but paid_until in 2021 -> primary_not_renewed
def _m069():
    frm = "tom.harris@harris-fitness.example"
    when = datetime(2025, 7, 21, 6, 58, 27, tzinfo=BST)
    body = dedent("""
Morning,

Our membership renewed over the weekend, so could you reactivate Lily's team member login? Her address is lily.harris@harris-fitness.example.

Cheers,
Tom Harris
Harris Fitness
""")
    hs = transport(frm, "198.51.100.129", when) + [
        f"From: Tom Harris <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Lily's login",
        date_hdr(when),
        "Message-ID: <b2d4f6a8-c0e1-4a3b-8d5f-7a9c1e3b5d70@harris-fitness.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
        "User-Agent: Roundcube Webmail/1.6.10",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, flowed=True).encode("ascii")
    mail(
        "069-reactivate-primary-not-renewed-en-paid-until-past.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "lily.harris@harris-fitness.example", "primary_not_renewed")],
        why="P = sender tom.harris (pro, status active) but paid_until 2021-10-31 < today; T "
        "lily.harris linked to P -> reactivate #7 primary_not_renewed.",
        sender=frm,
        pairs=[(frm, "lily.harris@harris-fitness.example")],
    )


# --- 070: P expired and paid_until in 2021 -> primary_not_renewed (Gmail DE, quoted history)
def _m070():
    frm = "e.vogel@vogel-dachdecker.example"
    when = datetime(2025, 7, 21, 19, 10, 4, tzinfo=CEST)
    prev = datetime(2025, 7, 18, 8, 35, tzinfo=CEST)
    new = dedent("""
Hallo,

wir haben jetzt verlängert. Bitte aktivieren Sie das Konto von meinem Mann (r.vogel@vogel-dachdecker.example) wieder.

Gruß
Elke Vogel
""")
    quoted = dedent("""
Guten Tag Frau Vogel,

Ihr Abonnement ist seit längerer Zeit abgelaufen. Sobald Sie es verlängert haben, reaktivieren wir gern auch das Konto Ihres Teammitglieds. Für die Verlängerung ist billing@mailbot.test zuständig.

Freundliche Grüße
Ihr Kundenservice
""")
    plain, htm = gmail_reply(new, gmail_de(prev, "Kundenservice", SUPPORT), quoted)
    bnd = "0000000000004e7f2a06396b1d8c"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="UTF-8", cte="quoted-printable", ctype='text/plain; charset="UTF-8"'),
            text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"'),
        ],
    )
    hs = transport(frm, "209.85.220.47", when, helo="mail-sor-f47.google.com", selector="google") + [
        "MIME-Version: 1.0",
        "References: <reply.c9e5a1d7f3b20846@mailbot.test>",
        "In-Reply-To: <reply.c9e5a1d7f3b20846@mailbot.test>",
        f"From: Elke Vogel <{frm}>",
        date_hdr(when),
        "Message-ID: <CAD2vNx6Yq0wTz4Km8bR3pLc1eG7sHd5jUo2aW9iF3@mail.gmail.com>",
        "Subject: Re: Konto abgelaufen",
        f"To: {SUPPORT_DE}",
    ]
    mail(
        "070-reactivate-primary-not-renewed-de-expired-gmail-reply.eml",
        serialize_top(hs, root),
        intent="reactivate",
        requests=[(frm, "r.vogel@vogel-dachdecker.example", "primary_not_renewed")],
        why="P = sender e.vogel (pro, status expired, paid_until 2021-04-30) - the customer says "
        "she renewed, but the records do not show it; T r.vogel linked to P -> reactivate #7 "
        "primary_not_renewed.",
        sender=frm,
        pairs=[(frm, "r.vogel@vogel-dachdecker.example")],
    )


# --- 071: T already active -> already_active DE
def _m071():
    frm = "w.brandl@brandl-schreinerei.example"
    when = datetime(2025, 7, 22, 8, 44, 50, tzinfo=CEST)
    body = dedent("""
Grüß Gott,

unser Abo wurde gestern verlängert. Bitte schalten Sie das Konto meines Sohnes Florian (f.brandl@brandl-schreinerei.example) wieder frei.

Mit freundlichen Grüßen
Wolfgang Brandl
Schreinerei Brandl
""")
    hs = transport(frm, "198.51.100.131", when) + [
        "Message-ID: <5c7e9a1b-3d5f-4a7c-9e1b-3d5f7a9c1e3b@brandl-schreinerei.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-AT",
        f"To: {SUPPORT}",
        f"From: Wolfgang Brandl <{frm}>",
        "Subject: Konto Florian",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "071-reactivate-already-active-de.eml",
        message(hs, root, mime_version=None),
        intent="reactivate",
        requests=[(frm, "f.brandl@brandl-schreinerei.example", "already_active")],
        why="'verlängert ... wieder freischalten'. P = sender w.brandl (pro, active, 2099-06-30); "
        "T f.brandl linked to P, active, paid_until 2099-06-30 >= P's -> reactivate #8 "
        "already_active.",
        sender=frm,
        pairs=[(frm, "f.brandl@brandl-schreinerei.example")],
    )


# --- 072: T already active -> already_active EN
def _m072():
    frm = "dana.white@white-pr.example"
    when = datetime(2025, 7, 22, 16, 37, 1, tzinfo=EDT)
    body = dedent("""
Hi Support,

We just renewed our Team plan. Please reactivate Kim Lowe (kim.lowe@white-pr.example) as well - she mentioned she had trouble logging in yesterday.

Best,
Dana White
White PR
""")
    hs = transport(frm, "198.51.100.132", when) + [
        f"From: Dana White <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Reactivate Kim",
        date_hdr(when),
        "Message-ID: <01b801dbfb52$3f6a8d10$be9fa730$@white-pr.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: Microsoft Outlook 16.0",
        "Content-Language: en-us",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "072-reactivate-already-active-en.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "kim.lowe@white-pr.example", "already_active")],
        why="P = sender dana.white (team, active, 2099-06-30); T kim.lowe linked to P, active, "
        "paid_until 2099-06-30 >= P's -> reactivate #8 already_active.",
        sender=frm,
        pairs=[(frm, "kim.lowe@white-pr.example")],
    )


# --- 073: two team members: one to reactivate, one already active
def _m073():
    frm = "frontdesk@bayside-physio.example"
    when = datetime(2025, 7, 23, 8, 20, 39, tzinfo=PDT)
    body = dedent("""
Hello,

Our subscription renewed yesterday. Please reactivate these two team member accounts:

1) alex.moore@bayside-physio.example
2) jess.tran@bayside-physio.example

Thank you,
Front Desk
Bayside Physiotherapy
""")
    hs = transport(frm, "198.51.100.133", when) + [
        f"From: Bayside Physio Front Desk <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Reactivate two team members",
        date_hdr(when),
        "Message-ID: <a4c6e8f0-1b3d-4f5a-9c7e-0b2d4f6a8c1e@bayside-physio.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
        "User-Agent: Mozilla Thunderbird",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, flowed=True).encode("ascii")
    mail(
        "073-reactivate-two-members-en.eml",
        raw,
        intent="reactivate",
        requests=[
            (frm, "alex.moore@bayside-physio.example", "ready_to_reactivate"),
            (frm, "jess.tran@bayside-physio.example", "already_active"),
        ],
        why="Two requests. P = sender frontdesk@ (team, active, 2099-06-30). alex.moore: linked to "
        "P, expired 2021-11-30 -> #9 ready_to_reactivate. jess.tran: linked to P, active, "
        "paid_until 2099-06-30 >= P's -> #8 already_active.",
        sender=frm,
        pairs=[(frm, "alex.moore@bayside-physio.example"), (frm, "jess.tran@bayside-physio.example")],
    )


# --- 074: T's status says active but its paid_until is behind P's -> ready_to_reactivate
def _m074():
    frm = "apotheke@apotheke-am-markt.example"
    when = datetime(2025, 7, 23, 13, 5, 22, tzinfo=CEST)
    body = dedent("""
Sehr geehrte Damen und Herren,

nach der Verlängerung unseres Abonnements bitten wir Sie, das Teammitglied-Konto unserer PTA Frau Jung wieder zu aktivieren.

Hauptkonto: apotheke@apotheke-am-markt.example
Teammitglied: pta.jung@apotheke-am-markt.example

Mit freundlichen Grüßen
Apotheke am Markt
""")
    hs = transport(frm, "198.51.100.134", when) + [
        f"From: Apotheke am Markt <{frm}>",
        f"To: Kundenservice <{SUPPORT}>",
        "Subject: Reaktivierung Teammitglied",
        date_hdr(when),
        "Message-ID: <20250723110522.7c1e3a5b@apotheke-am-markt.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "X-Mailer: Open-Xchange Mailer v7.10.6-Rev62",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "074-reactivate-ready-de-team-member-active-but-lapsed.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "pta.jung@apotheke-am-markt.example", "ready_to_reactivate")],
        why="P = apotheke@ (stated, and the sender; pro, active, 2099-06-30). T pta.jung is linked "
        "to P with status 'active' but paid_until 2021-12-31 < P's, so #8 does not apply -> "
        "reactivate #9 ready_to_reactivate.",
        sender=frm,
        pairs=[(frm, "pta.jung@apotheke-am-markt.example")],
    )


# --- 075: DE, the team member writes and names the primary -> sender is T, allowed
def _m075():
    frm = "tanja.reich@physio-lindenhof.example"
    when = datetime(2025, 7, 24, 7, 33, 8, tzinfo=CEST)
    body = dedent("""
Guten Morgen,

mein Konto ist seit der Verlängerung noch gesperrt. Meine Chefin hat das Abo für das Hauptkonto praxis@physio-lindenhof.example letzte Woche verlängert. Könnten Sie mein Konto (tanja.reich@physio-lindenhof.example) bitte wieder aktivieren?

Viele Grüße
Tanja Reich
Physiotherapie Lindenhof
""")
    hs = transport(frm, "198.51.100.135", when) + [
        "Message-ID: <6b8d0f2a-4c6e-4a8b-9d1f-3a5c7e9b1d3f@physio-lindenhof.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: Tanja Reich <{frm}>",
        "Subject: Mein Konto wieder aktivieren",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "075-reactivate-ready-de-team-member-writes-names-primary.eml",
        message(hs, root, mime_version=None),
        intent="reactivate",
        requests=[("praxis@physio-lindenhof.example", frm, "ready_to_reactivate")],
        why="The sender is clearly the team member ('mein Konto ... Meine Chefin ... Hauptkonto'): "
        "T = tanja.reich, P = praxis@. #4 passes because the sender is T. #9: P pro, active, "
        "2099-06-30; T linked to P, expired 2021-01-31 -> ready_to_reactivate.",
        sender=frm,
        pairs=[("praxis@physio-lindenhof.example", frm)],
    )


# --- 076: Apple Mail EN, both addresses, no quote
def _m076():
    frm = "nora.blum@blum-grafik.example"
    when = datetime(2025, 7, 24, 11, 49, 31, tzinfo=BST)
    new = dedent("""
Hi,

We renewed our subscription today. Could you please reactivate my colleague Yuki’s account? She’s yuki.sato@blum-grafik.example, and my (main) account is nora.blum@blum-grafik.example.

Thanks a lot,
Nora
""")
    bnd = "Apple-Mail=_F9B1D3F5-A7C8-4EA4-D3B1-8F0A2C4E6B93"
    root = Multi(
        f'multipart/alternative;\n\tboundary="{bnd}"',
        bnd,
        [
            text_part(new, charset="utf-8", cte="quoted-printable", order="cte", ctype="text/plain;\n\tcharset=utf-8"),
            text_part(
                apple_html(new),
                charset="utf-8",
                cte="quoted-printable",
                order="cte",
                ctype="text/html;\n\tcharset=utf-8",
            ),
        ],
    )
    hs = transport(frm, "198.51.100.136", when)
    hs += [f"Content-Type: {root.ctype}"] + apple_headers(
        f"Nora Blum <{frm}>",
        SUPPORT,
        "Reactivate Yuki’s account".replace("’", "'"),
        when,
        "1A3C5E7A-9B0C-4D2E-8F4A-6B8C0D2E4F65@blum-grafik.example",
    )
    raw = ("\n".join(hs) + "\n\n").encode() + root.body
    mail(
        "076-reactivate-ready-en-apple-mail.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "yuki.sato@blum-grafik.example", "ready_to_reactivate")],
        why="P = nora.blum ('my (main) account', the sender; pro, active, 2099-06-30); T "
        "yuki.sato linked to P, expired 2021-06-30 -> reactivate #9 ready_to_reactivate.",
        sender=frm,
        pairs=[(frm, "yuki.sato@blum-grafik.example")],
    )


# --- 077: Gmail EN reply; the quoted history is about *linking* and names other addresses
def _m077():
    frm = "ava.lindgren@lindgren-studio.example"
    when = datetime(2025, 7, 25, 9, 3, 17, tzinfo=BST)
    prev = datetime(2021, 5, 3, 14, 22, tzinfo=BST)
    new = dedent("""
Hello again,

It's been a while! We've just renewed after a long break. Could you please reactivate Max's team member account (max.holm@lindgren-studio.example)?

Best,
Ava
""")
    quoted = dedent("""
Hi Ava,

Done: we have linked max.holm@lindgren-studio.example to your account as a team member. If you'd like to link another colleague (for example studio@lindgren-studio.example), just let us know.

Best regards,
Customer Support
""")
    plain, htm = gmail_reply(new, gmail_en(prev, "Customer Support", SUPPORT), quoted, wrap_attr=True)
    htm = htm.replace("'", "&#39;")
    bnd = "000000000000f1a3c506397c2e9d"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="UTF-8", cte="quoted-printable", ctype='text/plain; charset="UTF-8"'),
            text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"'),
        ],
    )
    hs = transport(frm, "209.85.220.49", when, helo="mail-sor-f49.google.com", selector="google") + [
        "MIME-Version: 1.0",
        "References: <reply.0b4d8f2a6c1e3597@mailbot.test>",
        "In-Reply-To: <reply.0b4d8f2a6c1e3597@mailbot.test>",
        f"From: Ava Lindgren <{frm}>",
        date_hdr(when),
        "Message-ID: <CAL7bXr1Tq5wMz9Yk3cN0pVd8eF2sGh6jUo4aR1iB7@mail.gmail.com>",
        "Subject: Re: Team member linked",
        f"To: {SUPPORT_EN}",
    ]
    mail(
        "077-reactivate-ready-en-gmail-reply-quoted-link-talk.eml",
        serialize_top(hs, root),
        intent="reactivate",
        requests=[(frm, "max.holm@lindgren-studio.example", "ready_to_reactivate")],
        why="The new text asks to reactivate after renewal; the quoted history (two-line 'On ... "
        "wrote:') talks about linking and names studio@, which decide nothing. P = sender "
        "ava.lindgren (pro, active, 2099-06-30); T max.holm linked to P, expired 2021-05-31 "
        "-> reactivate #9 ready_to_reactivate.",
        sender=frm,
        pairs=[(frm, "max.holm@lindgren-studio.example")],
    )


# --- 078: EN, windows-1252 body (Outlook), 're-enable' after 'renewed'
def _m078():
    frm = "office@quinn-legal.example"
    when = datetime(2025, 7, 25, 15, 41, 59, tzinfo=BST)
    body = dedent("""
Dear Support,

Our annual plan renewed today, but our PA’s account (pa.hughes@quinn-legal.example) still shows as expired. Could you re-enable it, please?

Kind regards,
Quinn Legal – Office
""")
    hs = transport(frm, "198.51.100.138", when) + [
        f"From: Quinn Legal Office <{frm}>",
        f'To: "Customer Support" <{SUPPORT}>',
        "Subject: PA account after renewal",
        date_hdr(when),
        "Message-ID: <00c901dbfd6e$4a2b8c30$de829490$@quinn-legal.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="windows-1252"',
        "Content-Transfer-Encoding: quoted-printable",
        "X-Mailer: Microsoft Outlook 16.0",
        "Content-Language: en-gb",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "windows-1252", "quoted-printable")
    mail(
        "078-reactivate-ready-en-windows-1252.eml",
        raw,
        intent="reactivate",
        requests=[(frm, "pa.hughes@quinn-legal.example", "ready_to_reactivate")],
        why="windows-1252 quoted-printable ('’', '–'). P = sender office@ (pro, active, "
        "2099-06-30); T pa.hughes linked to P, expired 2021-08-31 -> reactivate #9 "
        "ready_to_reactivate.",
        sender=frm,
        pairs=[(frm, "pa.hughes@quinn-legal.example")],
    )


# ===========================================================================
# AUTO (machine mail) - each carries one machine-mail signal
# ===========================================================================


# --- 079: Auto-Submitted: auto-replied (Sieve vacation), DE
def _m079():
    frm = "r.kraemer@kraemer-gmbh.example"
    when = datetime(2025, 7, 28, 9, 0, 4, tzinfo=CEST)
    body = dedent("""
Vielen Dank für Ihre Nachricht.

Ich bin bis einschließlich 8. August im Urlaub und lese meine E-Mails nur unregelmäßig.

In dringenden Fällen wenden Sie sich bitte an Frau Vogl (sabine.vogl@kraemer-gmbh.example). Anfragen zum Verknüpfen oder Reaktivieren unserer Teamkonten bearbeite ich nach meiner Rückkehr.

Mit freundlichen Grüßen
Rainer Krämer
""")
    hs = transport(frm, "198.51.100.140", when) + [
        "Message-ID: <dovecot-sieve-1753686004-582113-0@mail.kraemer-gmbh.example>",
        date_hdr(when),
        "X-Sieve: Pigeonhole Sieve 0.5.21",
        f"From: {q2047('Rainer Krämer', 'utf-8')} <{frm}>",
        f"To: <{SUPPORT}>",
        f"Subject: Automatische Antwort: Re: Teammitglied {q2047('verknüpfen', 'utf-8')}",
        "In-Reply-To: <reply.73a9c1e5f0b2d468@mailbot.test>",
        "References: <reply.73a9c1e5f0b2d468@mailbot.test>",
        "Auto-Submitted: auto-replied (vacation)",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode()
    mail(
        "079-auto-de-auto-submitted-vacation.eml",
        raw,
        intent="auto",
        why="Auto-Submitted: auto-replied (vacation) -> auto (RFC 3834), ignored and never "
        "answered; the address and the words 'Verknüpfen'/'Reaktivieren' in the body are "
        "not a request.",
    )


# --- 080: Precedence: bulk (a customer's helpdesk acknowledging our mail), EN
def _m080():
    frm = "help@orbit-supplies.example"
    when = datetime(2025, 7, 28, 14, 12, 40, tzinfo=EDT)
    body = dedent("""
Hello,

Thank you for contacting Orbit Supplies. This is a confirmation that we have received your message and created ticket #48213. One of our agents will get back to you within two business days.

Your message:
"Please link the account j.ortega@orbit-supplies.example as a team member to the main account purchasing@orbit-supplies.example."

Please do not reply to this message.

Orbit Supplies Help Center
""")
    hs = transport(frm, "198.51.100.141", when, helo="mailer.orbit-supplies.example") + [
        f"From: Orbit Supplies Help Center <{frm}>",
        f"To: {SUPPORT}",
        "Subject: [Ticket #48213] Re: Link team member account",
        date_hdr(when),
        "Message-ID: <ticket-48213-ack.1753726360@orbit-supplies.example>",
        "Precedence: bulk",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: OrbitDesk 3.2",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "080-auto-en-precedence-bulk.eml",
        raw,
        intent="auto",
        why="Precedence: bulk -> auto, ignored. The quoted link request with two addresses is "
        "the helpdesk echoing a message, not a request to us.",
    )


# --- 081: a mailing-list post (List-Id), DE
def _m081():
    frm = "kunden-forum@lists.coworking-nord.test"
    when = datetime(2025, 7, 29, 10, 25, 11, tzinfo=CEST)
    body = dedent("""
Hallo zusammen,

hat jemand Erfahrung damit, wie lange das Verknüpfen eines Teammitglieds beim Support dauert? Ich habe gestern geschrieben: "Bitte verknüpfen Sie das Konto lisa@peters-werkstatt.example mit meinem Hauptkonto jan.peters@peters-werkstatt.example" - bisher keine Antwort.

Grüße
Jan

_______________________________________________
Kunden-Forum mailing list -- kunden-forum@lists.coworking-nord.test
To unsubscribe send an email to kunden-forum-leave@lists.coworking-nord.test
""")
    ar = (
        f"{MX}; dkim=pass (2048-bit key; unprotected) header.d=lists.coworking-nord.test "
        f"header.i=@lists.coworking-nord.test header.s=mail header.b=7Kp2sQ9x; spf=pass ({MX}: "
        f"domain of kunden-forum-bounces@lists.coworking-nord.test designates 198.51.100.142 as "
        f"permitted sender) smtp.mailfrom=kunden-forum-bounces@lists.coworking-nord.test; "
        f"dmarc=pass (p=none dis=none) header.from=lists.coworking-nord.test"
    )
    hs = transport(
        frm,
        "198.51.100.142",
        when,
        auth=ar,
        helo="lists.coworking-nord.test",
        return_path="kunden-forum-bounces@lists.coworking-nord.test",
    ) + [
        f"From: Jan Peters via Kunden-Forum <{frm}>",
        "Reply-To: Jan Peters <jan.peters@peters-werkstatt.example>",
        f"To: {frm}",
        f"Subject: [Kunden-Forum] Teammitglied {q2047('verknüpfen – wie lange dauert das?', 'utf-8')}",
        date_hdr(when),
        "Message-ID: <c81f3e5a-7b9d-4c2e-a4f6-8b0d2f4a6c8e@peters-werkstatt.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
        "Message-ID-Hash: 3RZKQ7WF2M5XN4TBYC6PVJDGHA8LSE1U",
        "X-Message-ID-Hash: 3RZKQ7WF2M5XN4TBYC6PVJDGHA8LSE1U",
        "X-Mailman-Version: 3.3.10",
        "List-Id: Austausch unter Kundinnen und Kunden <kunden-forum.lists.coworking-nord.test>",
        "Archived-At: <https://lists.coworking-nord.test/archives/list/kunden-forum@lists.coworking-nord.test/message/3RZKQ7WF2M5XN4TBYC6PVJDGHA8LSE1U/>",
        "List-Archive: <https://lists.coworking-nord.test/archives/list/kunden-forum@lists.coworking-nord.test/>",
        "List-Help: <mailto:kunden-forum-request@lists.coworking-nord.test?subject=help>",
        "List-Owner: <mailto:kunden-forum-owner@lists.coworking-nord.test>",
        "List-Post: <mailto:kunden-forum@lists.coworking-nord.test>",
        "List-Subscribe: <mailto:kunden-forum-join@lists.coworking-nord.test>",
        "List-Unsubscribe: <mailto:kunden-forum-leave@lists.coworking-nord.test>",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, flowed=True).encode()
    mail(
        "081-auto-de-mailing-list-post.eml",
        raw,
        intent="auto",
        why="A mailing-list post (List-Id, List-Unsubscribe) -> auto, ignored, even though its "
        "text quotes a link request with two addresses.",
    )


# --- 082: empty Return-Path <> only (an old vacation responder without Auto-Submitted), DE
def _m082():
    frm = "m.frey@frey-partner.example"
    when = datetime(2025, 7, 29, 16, 48, 2, tzinfo=CEST)
    ar = (
        f"{MX}; dkim=pass (2048-bit key; unprotected) header.d=frey-partner.example "
        f"header.i=@frey-partner.example header.s=mail header.b=pQ4rS8tU; spf=pass ({MX}: "
        f"domain of mail.frey-partner.example designates 198.51.100.143 as permitted sender) "
        f"smtp.helo=mail.frey-partner.example; dmarc=pass (p=none dis=none) "
        f"header.from=frey-partner.example"
    )
    body = dedent("""
Sehr geehrte Damen und Herren,

ich bin vom 28.07. bis 15.08.2025 nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.

Bitte wenden Sie sich in dringenden Fällen an meinen Kollegen Tim Kunze, t.kunze@frey-partner.example, der auch die Freischaltung neuer Teammitglieder übernimmt.

Mit freundlichen Grüßen
Martina Frey
Frey & Partner Steuerberatung
""")
    hs = transport(frm, "198.51.100.143", when, auth=ar, return_path="") + [
        f"From: Martina Frey <{frm}>",
        f"To: {SUPPORT}",
        f"Subject: Abwesenheitsnotiz: Re: {q2047('Ihre Anfrage zur Verknüpfung', 'iso-8859-1')}",
        date_hdr(when),
        "Message-ID: <vacation.20250729144802.1d3f@frey-partner.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(wrap(body, 76), "iso-8859-1", "quoted-printable")
    mail(
        "082-auto-de-empty-return-path.eml",
        raw,
        intent="auto",
        why="Return-Path: <> (null envelope sender, as automatic replies use) -> auto, ignored; "
        "the colleague's address and 'Freischaltung neuer Teammitglieder' are not a request.",
    )


# --- 083: MAILER-DAEMON sender (qmail-style plain-text bounce)
def _m083():
    when = datetime(2025, 7, 30, 8, 14, 55, tzinfo=UTC)
    body = dedent("""
Hi. This is the qmail-send program at mail.hostbox.test.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nadine.ott@hostbox.test>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <support@mailbot.test>
Received: from mx.mailbot.test (mx.mailbot.test [198.51.100.2])
  by mail.hostbox.test with ESMTPS; 30 Jul 2025 08:14:53 -0000
From: Customer Support <support@mailbot.test>
To: nadine.ott@hostbox.test
Subject: Re: Please link my assistant
Date: Wed, 30 Jul 2025 10:14:50 +0200
Message-ID: <reply.5c3e1a9f7d0b2846@mailbot.test>

Hello Nadine,

we could not link the account of your assistant: the address
assistant.ott@hostbox.test is not registered yet. Please ask her to
sign up for the free trial first and send us the address.

Kind regards,
Customer Support
""")
    hs = [
        fold(
            "Authentication-Results",
            "mx.mailbot.test; dkim=none; spf=pass (mx.mailbot.test: domain of "
            "mail.hostbox.test designates 203.0.113.60 as permitted sender) "
            "smtp.helo=mail.hostbox.test; dmarc=none",
        ),
        fold("Received", received("mail.hostbox.test", "203.0.113.60", when)),
        "Date: 30 Jul 2025 08:14:55 -0000",
        "From: MAILER-DAEMON@mail.hostbox.test",
        f"To: {SUPPORT}",
        "Subject: failure notice",
        "Message-ID: <20250730081455.41822.qmail@mail.hostbox.test>",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + body.encode("ascii")
    mail(
        "083-auto-en-mailer-daemon-bounce.eml",
        raw,
        intent="auto",
        why="From: MAILER-DAEMON@ -> auto (a bounce), ignored. The returned copy of our reply "
        "(assistant.ott@, 'link') is not a request.",
    )


# --- 084: postmaster sender (a quarantine notice), DE
def _m084():
    frm = "postmaster@stadtwerke-elsdorf.example"
    when = datetime(2025, 7, 30, 11, 2, 30, tzinfo=CEST)
    body = dedent("""
Diese Nachricht wurde automatisch erzeugt.

Eine an j.peters@stadtwerke-elsdorf.example gerichtete Nachricht wurde von unserem E-Mail-Gateway in Quarantäne verschoben:

  Absender:  support@mailbot.test
  Betreff:   Re: Teammitglied reaktivieren
  Grund:     Richtlinie "Externe Links"

Der Empfänger wurde informiert. Falls die Nachricht erwünscht ist, kann sie der Empfänger über das Quarantäne-Portal freigeben. Bitte antworten Sie nicht auf diese Nachricht.

--
IT-Service Stadtwerke Elsdorf
""")
    hs = transport(frm, "198.51.100.144", when, helo="gw1.stadtwerke-elsdorf.example") + [
        f"From: Postmaster Stadtwerke Elsdorf <{frm}>",
        f"To: {SUPPORT}",
        f"Subject: Nachricht {q2047('zurückgehalten', 'utf-8')}: Re: Teammitglied reaktivieren",
        date_hdr(when),
        "Message-ID: <quarantine.8f31c2@gw1.stadtwerke-elsdorf.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode()
    mail(
        "084-auto-de-postmaster-notice.eml",
        raw,
        intent="auto",
        why="From: postmaster@ -> auto, ignored; the address and 'reaktivieren' in the notice are not a request.",
    )


# --- 085: X-Autoreply (an out-of-office without Auto-Submitted), EN
def _m085():
    frm = "greg@tanaka-studio.example"
    when = datetime(2025, 7, 31, 9, 30, 0, tzinfo=PDT)
    body = dedent("""
Thanks for your email. I'm out of the office until August 11 with limited access to email.

For anything urgent, including account changes such as reactivating our team member accounts, please contact my assistant at assistant@tanaka-studio.example.

Greg Tanaka
Tanaka Studio
""")
    hs = transport(frm, "198.51.100.145", when) + [
        f"From: Greg Tanaka <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Out of office: Re: Reactivate team member",
        date_hdr(when),
        "Message-ID: <autoreply.1753979400.77@tanaka-studio.example>",
        "In-Reply-To: <reply.9e7c5a3f1b0d2468@mailbot.test>",
        "X-Autoreply: yes",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "085-auto-en-x-autoreply.eml",
        raw,
        intent="auto",
        why="X-Autoreply: yes -> auto, ignored; 'reactivating our team member accounts' and the "
        "assistant's address in the out-of-office text are not a request.",
    )


# --- 086: multipart/report delivery-status notification (a delay warning)
def _m086():
    when = datetime(2025, 7, 31, 14, 0, 12, tzinfo=UTC)
    bnd = "DSN.1753970412.relay7/hostcloud"
    notice = dedent("""
This is an automatically generated Delivery Status Notification.

THIS IS A WARNING MESSAGE ONLY.
YOU DO NOT NEED TO RESEND YOUR MESSAGE.

Delivery to the following recipient has been delayed:

     felix.braun@braun-metall.example

The server for the domain braun-metall.example is not responding. We will keep trying for another 44 hours.
""")
    status = dedent("""
Reporting-MTA: dns; relay7.smtp-relay.hostcloud.test
Arrival-Date: Thu, 31 Jul 2025 10:00:05 +0000

Final-Recipient: rfc822; felix.braun@braun-metall.example
Action: delayed
Status: 4.4.1
Remote-MTA: dns; mx.braun-metall.example
Diagnostic-Code: smtp; 421 4.4.1 Connection timed out
Will-Retry-Until: Sat, 2 Aug 2025 10:00:05 +0000
""")
    orig = dedent("""
From: Customer Support <support@mailbot.test>
To: Felix Braun <felix.braun@braun-metall.example>
Subject: Re: Teammitglied verknuepfen
Date: Thu, 31 Jul 2025 12:00:01 +0200
Message-ID: <reply.2d4f6a8c0e1b3579@mailbot.test>
""")
    root = Multi(
        f'multipart/report; report-type=delivery-status;\n\tboundary="{bnd}"',
        bnd,
        [
            Leaf(
                "text/plain; charset=us-ascii", wrap(notice, 76).encode(), extra=["Content-Description: Notification"]
            ),
            Leaf("message/delivery-status", status.encode(), extra=["Content-Description: Delivery report"]),
            Leaf("text/rfc822-headers", orig.encode(), extra=["Content-Description: Undelivered Message Headers"]),
        ],
    )
    hs = [
        fold(
            "Authentication-Results",
            f"{MX}; dkim=none; spf=pass ({MX}: domain of "
            f"relay7.smtp-relay.hostcloud.test designates 203.0.113.170 as permitted sender) "
            f"smtp.helo=relay7.smtp-relay.hostcloud.test; dmarc=none",
        ),
        fold("Received", received("relay7.smtp-relay.hostcloud.test", "203.0.113.170", when)),
        "From: Mail Delivery Service <dsn-notify@smtp-relay.hostcloud.test>",
        f"To: {SUPPORT}",
        "Subject: Delivery Status Notification (Delay)",
        date_hdr(when),
        "Message-ID: <dsn.1753970412.4471@relay7.smtp-relay.hostcloud.test>",
        "MIME-Version: 1.0",
    ]
    mail(
        "086-auto-en-delivery-status-report.eml",
        serialize_top(hs, root),
        intent="auto",
        why="Content-Type multipart/report; report-type=delivery-status (a delay DSN) -> auto, "
        "ignored; the headers of our own returned reply are not a request.",
    )


# ===========================================================================
# OTHER (a human must read; no request)
# ===========================================================================


# --- 087: billing question DE
def _m087():
    frm = "c.fiedler@fiedler-optik.example"
    when = datetime(2025, 8, 1, 9, 12, 44, tzinfo=CEST)
    body = dedent("""
Guten Tag,

auf unserer Rechnung für Juli fehlt unsere Umsatzsteuer-Identifikationsnummer (DE000000000). Können Sie die Rechnung bitte korrigieren und die neue Rechnung direkt an buchhaltung@fiedler-optik.example schicken?

Außerdem die Frage: Können wir von monatlicher auf jährliche Zahlung umstellen?

Mit freundlichen Grüßen
Christine Fiedler
Fiedler Optik
""")
    hs = transport(frm, "198.51.100.150", when) + [
        f"From: Christine Fiedler <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Rechnung Juli / USt-IdNr.",
        date_hdr(when),
        "Message-ID: <003a01dc02a7$1c5e9b20$5519d160$@fiedler-optik.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain;\n\tcharset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
        "X-Mailer: Microsoft Outlook 16.0",
        "Content-Language: de",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "iso-8859-1", "quoted-printable")
    mail(
        "087-other-de-billing-question.eml",
        raw,
        intent="other",
        why="Billing question (invoice correction, payment interval); the invoice address is "
        "not a request -> other (needs_human, no draft).",
    )


# --- 088: feature question EN (mentions team members, requests nothing)
def _m088():
    frm = "peter.wong@wong-architects.example"
    when = datetime(2025, 8, 1, 15, 3, 9, tzinfo=EDT)
    body = dedent("""
Hi,

We're on Basic and are considering an upgrade. A few questions before we decide:

1. How many team members are included in the Pro and Team plans?
2. Do team members see all of the primary account's projects, or can access be limited?
3. If someone leaves, can we swap their seat for a new person?

Nobody on the team has registered yet - I just want to understand how it works.

Thanks,
Peter Wong
""")
    hs = transport(frm, "209.85.220.37", when, helo="mail-sor-f37.google.com", selector="google") + [
        f"From: Peter Wong <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Questions about team members",
        date_hdr(when),
        "Message-ID: <CAN4eQz8Ws1vTx7Lk0cY3bRp9mH2sFd5jUo6aG8iE4@mail.gmail.com>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="UTF-8"',
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + body.encode("ascii")
    mail(
        "088-other-en-feature-question.eml",
        raw,
        intent="other",
        why="Pre-sales questions about team members on other plans; nothing to link or "
        "reactivate, no address -> other.",
    )


# --- 089: VA question without wanting an account, EN
def _m089():
    frm = "jo.mercer@mercer-coaching.example"
    when = datetime(2025, 8, 4, 10, 44, 18, tzinfo=BST)
    body = dedent("""
Hello,

I've just hired a virtual assistant for a few hours a week. I'd rather not set up a separate account for her - is it OK for her to use my login, or is there another way to give her access to my calendar exports?

Many thanks,
Jo Mercer
""")
    hs = transport(frm, "198.51.100.152", when) + [
        "Content-Type: text/plain;\n\tcharset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        f"From: Jo Mercer <{frm}>",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.600.51.1.1\\))",
        "Subject: VA access question",
        date_hdr(when),
        "Message-Id: <3E5A7C9E-B0D1-4F2A-A6C8-E0B2D4F6A8C3@mercer-coaching.example>",
        f"To: {SUPPORT}",
        "X-Mailer: Apple Mail (2.3826.600.51.1.1)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, 76).encode("ascii")
    mail(
        "089-other-en-va-without-account.eml",
        raw,
        intent="other",
        why="A question about a VA who should NOT get a separate account; no link or "
        "reactivation is requested -> other.",
    )


# --- 090: VA question without wanting an account, DE
def _m090():
    frm = "sabrina.vogt@vogt-lektorat.example"
    when = datetime(2025, 8, 4, 13, 20, 37, tzinfo=CEST)
    body = dedent("""
Hallo,

ich überlege, mir stundenweise eine virtuelle Assistenz für die Terminabstimmung zu holen. Ein eigenes Konto möchte ich dafür eigentlich nicht anlegen lassen – welche Möglichkeiten gibt es da in meinem Basic-Tarif?

Danke und viele Grüße
Sabrina Vogt
""")
    hs = transport(frm, "198.51.100.153", when) + [
        "Message-ID: <7a9c1e3b-5d7f-4b9d-a1c3-e5f7a9b1c3d5@vogt-lektorat.example>",
        date_hdr(when),
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        f"To: {SUPPORT}",
        f"From: Sabrina Vogt <{frm}>",
        "Subject: Virtuelle Assistenz ohne eigenes Konto?",
    ]
    root = text_part(
        wrap(body, flowed=True), charset="UTF-8", cte="8bit", ctype="text/plain; charset=UTF-8; format=flowed"
    )
    mail(
        "090-other-de-va-without-account.eml",
        message(hs, root, mime_version=None),
        intent="other",
        why="Frage zu einer virtuellen Assistenz ohne eigenes Konto; nichts zu verknüpfen oder "
        "zu reaktivieren -> other.",
    )


# --- 091: unclear text, DE
def _m091():
    frm = "b.stein@stein-sanitaer.example"
    when = datetime(2025, 8, 5, 7, 2, 11, tzinfo=CEST)
    body = dedent("""
Hallo,

wegen der Sache von letzter Woche: Können Sie da bitte noch mal draufschauen? Bei uns ist immer noch alles wie vorher.

Gruß
B. Stein

Von meinem iPhone gesendet
""")
    hs = transport(frm, "198.51.100.154", when) + [
        "Content-Type: text/plain;\n\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: Bernd Stein <{frm}>",
        "Mime-Version: 1.0 (1.0)",
        date_hdr(when),
        "Subject: Nochmal",
        "Message-Id: <5F7B9D1F-3A4B-4C6D-8E0F-2A4C6E8A0B25@stein-sanitaer.example>",
        f"To: {SUPPORT}",
        "X-Mailer: iPhone Mail (22F76)",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + encode_body(body, "utf-8", "quoted-printable")
    mail(
        "091-other-de-unclear.eml",
        raw,
        intent="other",
        why="Unclear text ('die Sache von letzter Woche') with no recognisable request -> other.",
    )


# --- 092: refund request that mentions addresses, EN
def _m092():
    frm = "accounts@clarke-joinery.example"
    when = datetime(2025, 8, 5, 11, 37, 50, tzinfo=BST)
    body = dedent("""
Hello,

We were charged twice for our July subscription (two payments of GBP 29.00 on 1 July). Please refund the duplicate payment.

The receipts went to accounts@clarke-joinery.example; please copy our finance manager, d.clarke@clarke-joinery.example, on your reply.

Regards,
Clarke Joinery Accounts
""")
    hs = transport(frm, "198.51.100.155", when) + [
        f"From: Clarke Joinery Accounts <{frm}>",
        f"To: {SUPPORT}",
        "Subject: Duplicate charge - refund please",
        date_hdr(when),
        "Message-ID: <e9b1d3f5-a7c9-4e1b-83d5-f7a9c1e3b5d7@clarke-joinery.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
        "User-Agent: Mozilla Thunderbird",
    ]
    raw = ("\n".join(hs) + "\n\n").encode() + wrap(body, flowed=True).encode("ascii")
    mail(
        "092-other-en-refund-with-addresses.eml",
        raw,
        intent="other",
        why="Refund request; the two addresses (receipts, finance manager to copy) are not a "
        "team member -> other (needs_human, no draft).",
    )


# --- 093: a thank-you reply whose quoted history holds a link request, DE (Gmail)
def _m093():
    frm = "katharina.loewe@steuerbuero-loewe.example"
    when = datetime(2025, 8, 6, 8, 30, 12, tzinfo=CEST)
    prev = datetime(2025, 8, 5, 16, 5, tzinfo=CEST)
    new = dedent("""
Hallo,

vielen Dank, hat alles geklappt! Frau Yildiz kann jetzt arbeiten.

Viele Grüße
Katharina Löwe
""")
    quoted = dedent("""
Guten Tag Frau Löwe,

wir haben das Konto m.yildiz@steuerbuero-loewe.example wie gewünscht mit Ihrem Hauptkonto verknüpft. Falls Sie ein weiteres Teammitglied verknüpfen möchten, schreiben Sie uns einfach.

Freundliche Grüße
Ihr Kundenservice
""")
    plain, htm = gmail_reply(new, gmail_de(prev, "Kundenservice", SUPPORT), quoted)
    bnd = "000000000000a7c9e10639a4f2b6"
    root = Multi(
        f'multipart/alternative; boundary="{bnd}"',
        bnd,
        [
            text_part(plain, charset="UTF-8", cte="quoted-printable", ctype='text/plain; charset="UTF-8"'),
            text_part(htm, charset="UTF-8", cte="quoted-printable", ctype='text/html; charset="UTF-8"'),
        ],
    )
    hs = transport(frm, "209.85.220.58", when, helo="mail-sor-f58.google.com", selector="google") + [
        "MIME-Version: 1.0",
        "References: <reply.6f8a0c2e4b1d3957@mailbot.test>",
        "In-Reply-To: <reply.6f8a0c2e4b1d3957@mailbot.test>",
        f"From: {q2047('Katharina Löwe', 'UTF-8', upper=True)} <{frm}>",
        date_hdr(when),
        "Message-ID: <CAM8dRt5Xw2vQz0Lp6cY9bNk3eJ1sHf4jUo7aT2iD5@mail.gmail.com>",
        "Subject: Re: Neue Mitarbeiterin als Teammitglied",
        f"To: {SUPPORT_DE}",
    ]
    mail(
        "093-other-de-thanks-with-quoted-link-request.eml",
        serialize_top(hs, root),
        intent="other",
        why="The new text only says thank you; 'verknüpft/verknüpfen' and the address are in "
        "the quoted history below 'Am ... schrieb ...:' and are not read -> other.",
    )


# ===========================================================================
# Checks and output
# ===========================================================================


def build_all():
    MAILS.clear()
    for name in sorted(n for n in globals() if re.fullmatch(r"_m\d{3}", n)):
        globals()[name]()
    files = [m["file"] for m in MAILS]
    assert len(files) == len(set(files)), "duplicate file names"
    for n, m in enumerate(MAILS, 1):
        assert m["file"].startswith(f"{n:03d}-"), (n, m["file"])
    return MAILS


def is_paid(row, today):
    return bool(row["paid_until"]) and date.fromisoformat(row["paid_until"]) >= today


def decide(m, table, today):
    """The SPEC decision tables, first matching rule wins; used to check the hand labels."""
    out, taken = [], {}

    def linked(p):
        return [e for e, r in table.items() if r["primary"] == p]

    for p, t in m["pairs"]:
        if m["intent"] == "reactivate":
            if p is None and t is not None and t in table and table[t]["primary"]:
                p = table[t]["primary"]
            if t is None and p is not None and p in table and len(linked(p)) == 1:
                t = linked(p)[0]
        sender, unverified = m["sender"], m["auth"] == "fail"
        P, T = table.get(p), table.get(t)
        if m["intent"] == "link":
            if p is None or t is None or p == t:
                r = "need_info"
            elif unverified:
                r = "sender_unverified"
            elif P is None:
                r = "primary_not_found"
            elif sender != p:
                r = "confirm_from_primary"
            elif PLANS[P["plan"]]["agency"]:
                r = "agency_plan"
            elif PLANS[P["plan"]]["team_seats"] == 0:
                r = "plan_excludes_team_members"
            elif P["status"] != "active" or not is_paid(P, today):
                r = "primary_inactive"
            elif T is None:
                r = "team_member_not_registered"
            elif T["primary"] == p:
                r = "already_linked"
            elif T["primary"]:
                r = "linked_elsewhere"
            elif len(linked(p)) + taken.get(p, 0) >= PLANS[P["plan"]]["team_seats"]:
                r = "no_free_seat"
            else:
                r = "ready_to_link"
                taken[p] = taken.get(p, 0) + 1
        else:
            if p is None or t is None or p == t:
                r = "need_info"
            elif unverified:
                r = "sender_unverified"
            elif P is None:
                r = "primary_not_found"
            elif sender not in (p, t):
                r = "confirm_from_primary"
            elif PLANS[P["plan"]]["agency"]:
                r = "agency_plan"
            elif T is None or T["primary"] != p:
                r = "not_linked"
            elif P["status"] != "active" or not is_paid(P, today):
                r = "primary_not_renewed"
            elif T["status"] == "active" and T["paid_until"] and T["paid_until"] >= P["paid_until"]:
                r = "already_active"
            else:
                r = "ready_to_reactivate"
        out.append((p, t, r))
    return out


def decode_part(part) -> str:
    payload = part.get_payload(decode=True) or b""
    cs = part.get_content_charset() or "us-ascii"
    for codec in (cs, "utf-8"):
        try:
            return payload.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("cp1252", errors="replace")


def all_text(msg) -> str:
    return "\n".join(decode_part(p) for p in msg.walk() if p.get_content_maintype() == "text")


def auth_verdict(msg, from_domain) -> str:
    results = [str(v) for k, v in msg.raw_items() if k.lower() == "authentication-results"]
    ours = [r for r in results if r.split(";", 1)[0].strip() == MX]
    if not ours:
        return "unknown"
    res = re.sub(r"\([^)]*\)", "", re.sub(r"\s+", " ", ours[0]))  # drop RFC 5322 comments

    def get(method):
        found = re.search(rf"\b{method}=(\w+)", res)
        return found.group(1) if found else None

    dkim_d = re.search(r"dkim=\w+[^;]*header\.d=([\w.-]+)", res)
    dkim = get("dkim") if dkim_d and dkim_d.group(1) == from_domain else "fail"
    if get("dmarc") == "fail" or (dkim in ("fail", "none", None) and get("spf") == "fail"):
        return "fail"
    return "pass"


def verify_labels(table):
    problems = []
    parser = BytesParser(policy=policy.default)
    ids = set()
    for m in MAILS:
        msg = parser.parsebytes(m["raw"])
        defects = [d for part in msg.walk() for d in part.defects]
        if defects:
            problems.append(f"{m['file']}: MIME defects {defects}")
        mid = msg["Message-ID"]
        if not mid or mid in ids:
            problems.append(f"{m['file']}: missing or duplicate Message-ID")
        ids.add(mid)
        sender = parseaddr(str(msg["From"]))[1].lower()
        text = all_text(msg)
        norm = re.sub(r"\s*[\(\[]at[\)\]]\s*", "@", text, flags=re.I)
        norm = re.sub(r"\s*\(dot\)\s*", ".", norm, flags=re.I).lower()
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                norm += " ".join(re.findall(r'mailto:([^"?]+)', decode_part(part))).lower()
        if m["intent"] in ("auto", "other"):
            if m["requests"]:
                problems.append(f"{m['file']}: {m['intent']} with requests")
            continue
        if sender != m["sender"]:
            problems.append(f"{m['file']}: From {sender} != stated sender {m['sender']}")
        verdict = auth_verdict(msg, domain_of(sender))
        if verdict != m["auth"]:
            problems.append(f"{m['file']}: Authentication-Results say {verdict}, label {m['auth']}")
        for p, t in m["pairs"]:
            for a in (p, t):
                if a and a != sender and a not in norm:
                    problems.append(f"{m['file']}: {a} does not occur in the text")
        for today in (date(2022, 1, 1), date(2025, 7, 1), date(2060, 1, 1), date(2099, 6, 30)):
            got = decide(m, table, today)
            if sorted(got, key=str) != sorted(m["requests"], key=str):
                problems.append(f"{m['file']} @ {today}: rules give {got}, label {m['requests']}")
    return problems


def expected_line(m) -> str:
    return json.dumps(
        {
            "file": m["file"],
            "intent": m["intent"],
            "requests": [{"primary": p, "team_member": t, "outcome": o} for p, t, o in m["requests"]],
            "why": m["why"],
        },
        ensure_ascii=False,
    )


def outputs() -> dict[Path, bytes]:
    table = account_table()
    build_all()
    problems = verify_labels(table)
    if problems:
        sys.exit("label check failed:\n  " + "\n  ".join(problems))
    files = {
        HERE / "accounts.csv": accounts_csv(table).encode(),
        HERE / "expected.jsonl": ("\n".join(expected_line(m) for m in MAILS) + "\n").encode(),
    }
    for m in MAILS:
        files[MAIL_DIR / m["file"]] = m["raw"]
    return files


def main(argv: list[str]) -> int:
    files = outputs()
    if "--check" in argv:
        stale = [str(p.relative_to(HERE)) for p, data in files.items() if not p.exists() or p.read_bytes() != data]
        extra = sorted(set(MAIL_DIR.glob("*.eml")) - set(files))
        if stale or extra:
            print("out of date:", *stale, *(str(e.relative_to(HERE)) for e in extra), sep="\n  ")
            return 1
        print(f"ok: {len(MAILS)} mails, labels agree with the SPEC tables")
        return 0
    MAIL_DIR.mkdir(exist_ok=True)
    for old in MAIL_DIR.glob("*.eml"):
        if old not in files:
            old.unlink()
    for path, data in files.items():
        path.write_bytes(data)
    print(f"wrote {len(MAILS)} mails, accounts.csv ({len(ACCOUNT_ROWS)} accounts), expected.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
