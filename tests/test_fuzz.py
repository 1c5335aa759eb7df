"""Thousands of malformed and random mails: triage never raises and always answers in shape.

Every result must be one the SPEC allows: a known intent and status, a JSON-serialisable
object, at least one request for link/reactivate, no draft for other/auto. A crash
inside the pipeline (caught and turned into "triage failed: ...") is a bug too.
"""

from __future__ import annotations

import base64
import json
import os
import random
import time
from datetime import date

import pytest
from factories import account, book, run_cli, triage_context, write_config
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mailbot.triage.pipeline import TriageResult, triage_message
from mailbot.vocabulary import REQUEST_OUTCOMES, InboundStatus, Intent

CTX = triage_context(
    book(
        account(77, "boss@y.org"),
        account(1042, "va@x.net", status="expired", paid_until=date(2026, 1, 31), primary=77),
        account(1043, "va2@x.net", plan="trial", status="trial", paid_until=None),
        account(88, "agency@z.com", plan="agency"),
        account(90, "basic@z.com", plan="basic"),
        account(91, "old@z.com", status="expired", paid_until=date(2020, 1, 1)),
    )
)

FUZZ = settings(
    max_examples=600,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

INTENTS = set(Intent)
STATUSES = set(InboundStatus)
OUTCOMES = set(REQUEST_OUTCOMES)


def check(result: TriageResult) -> dict:
    """The shape the SPEC promises for any input, however broken."""
    assert isinstance(result, TriageResult)
    assert result.intent in INTENTS
    assert result.status in STATUSES
    assert not (result.error or "").startswith("triage failed"), result.error
    obj = result.to_json(file="x.eml")
    text = json.dumps(obj, ensure_ascii=False)
    assert json.loads(text) == obj
    assert obj["intent"] == result.intent
    if result.intent in ("link", "reactivate"):
        assert result.status == "triaged"
        assert len(obj["requests"]) >= 1
        for request in obj["requests"]:
            assert request["outcome"] in OUTCOMES
            assert request["primary"] is None or "@" in request["primary"]
            assert request["team_member"] is None or "@" in request["team_member"]
        assert obj["draft"] is not None and obj["draft"]["subject"].startswith("Re: ")
        assert obj["draft"]["body"].strip()
    else:
        assert obj["requests"] == []
        assert obj["draft"] is None
        assert result.status == ("ignored" if result.intent == "auto" else "needs_human")
    if result.status == "ignored":
        assert result.intent == "auto"
    return obj


def observe(result: TriageResult) -> dict:
    """check() inside a hypothesis test, tallying intents (--hypothesis-show-statistics)."""
    event(f"intent {result.intent}, status {result.status}")
    return check(result)


# --- building blocks --------------------------------------------------------------

ADDRESSES = [
    "boss@y.org",
    "va@x.net",
    "va2@x.net",
    "agency@z.com",
    "basic@z.com",
    "old@z.com",
    "support@example.com",
    "nobody@nowhere.invalid",
    "BOSS@Y.ORG",
    "va (at) x (dot) net",
    "va2 [at] x.net",
    "<mailto:va@x.net>",
    '"Weird, Name" <boss@y.org>',
]
PHRASES = [
    "Bitte verknüpfen Sie das Konto meiner Assistentin",
    "please link my VA",
    "link",
    "reactivate my assistant",
    "Bitte reaktivieren Sie meinen Mitarbeiter",
    "team member",
    "Hauptkonto",
    "main account",
    "my boss",
    "nothing to link",
    "invoice",
    "Teammitglied",
    "-- \nSignature",
    "> quoted line va@x.net",
    "On Mon, 1 Jan 2026, boss wrote:",
    "-----Original Message-----",
    "---------- Forwarded message ---------",
    "Von: a\nGesendet: b",
    "\u200b",
    "\x00",
    "\ufeff",
    "😀",
    "ä ö ü ß",
    "\r",
    "\t",
    "=?utf-8?q?x?=",
]
CHARSETS = [
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "utf-16",
    "utf-7",
    "koi8-r",
    "gb2312",
    "unknown-8bit",
    "x-unknown",
    "bogus-charset",
    "utf-8\x00",
    '"utf-8',
    "",
    "ut f8",
    "x" * 300,
    "%%%",
    "iso-2022-jp",
    "latin1'",
    "cp65001",
]
ENCODINGS = [
    "7bit",
    "8bit",
    "binary",
    "base64",
    "quoted-printable",
    "x-uuencode",
    "BASE64",
    "gzip",
    "",
    "quoted-printable; x",
    "base64 base64",
]
CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "TEXT/PLAIN",
    "text/enriched",
    "application/octet-stream",
    "message/rfc822",
    "multipart/mixed",
    "multipart/alternative",
    "multipart/report",
    "text",
    "/",
    "text/plain/extra",
    "image/png",
]
HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "Content-Disposition",
    "Authentication-Results",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "Return-Path",
    "X-Autoreply",
    "X-Auto-Response-Suppress",
    "Received",
    "X-Weird",
]

header_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
REQUESTS = [
    "Bitte verknüpfen Sie das Konto meiner Assistentin",
    "please link my VA",
    "please reactivate my assistant",
    "Bitte reaktivieren Sie meinen Mitarbeiter",
    "Please add this team member to my account",
    "Mein Chef möchte mich verknüpfen, Hauptkonto",
]
body_text = st.lists(
    st.one_of(
        st.sampled_from(ADDRESSES),
        st.sampled_from(PHRASES),
        st.sampled_from(REQUESTS),
        st.text(max_size=40),
    ),
    max_size=25,
).map(" ".join)


encoded_word = st.builds(
    lambda charset, kind, text: f"=?{charset}?{kind}?{text}?=",
    st.sampled_from(CHARSETS),
    st.sampled_from(["q", "b", "Q", "B", "x", ""]),
    st.sampled_from(["hi", "w6TDtg==", "=E4=F6", "Team_member", "===", "", "?"]),
)
header_value = st.one_of(header_text, encoded_word, st.tuples(header_text, encoded_word, header_text).map(" ".join))
SENDERS = [*ADDRESSES[:9], ADDRESSES[-1], "=?utf-8?b?w6TDtg==?= <va@x.net>", "Fischer, J <boss@y.org>"]


@st.composite
def from_header(draw) -> str:
    """Mostly one sender (so mails get as far as the decisions); else 0, 2 or many addresses."""
    count = draw(st.sampled_from([1, 1, 1, 1, 1, 1, 0, 2, 5, 40]))
    if count == 1:
        sender = draw(st.sampled_from(SENDERS))
        return f"{draw(encoded_word)} <{sender}>" if draw(st.integers(0, 5)) == 0 else sender
    picks = draw(st.lists(st.sampled_from(ADDRESSES), min_size=count, max_size=count))
    return ", ".join(picks) if picks else draw(st.sampled_from(["", "<>", "undisclosed", ";;"]))


@st.composite
def auth_results(draw) -> str:
    verdicts = [
        f"{m}={draw(st.sampled_from(['pass', 'fail', 'none', 'softfail', '???']))}" for m in ("dmarc", "dkim", "spf")
    ]
    server = draw(st.sampled_from(["mx.example.com", "", ";", "mx"]))
    return f"{server}; " + "; ".join(verdicts) + " header.from=y.org"


def encode_body(data: bytes, cte: str, breakage: int) -> bytes:
    """Encode ``data`` as ``cte`` says, then break it in one of several ways."""
    kind = cte.lower().split(";")[0].strip()
    if kind == "base64":
        encoded = base64.encodebytes(data)
        if breakage == 1:
            encoded = encoded[: max(0, len(encoded) - 3)]  # truncated: bad padding
        elif breakage == 2:
            encoded = encoded.replace(b"A", b"*")  # characters outside the alphabet
        elif breakage == 3:
            encoded = data  # declared base64 but not encoded at all
        return encoded
    if kind == "quoted-printable":
        import quopri

        encoded = quopri.encodestring(data)
        if breakage == 1:
            encoded += b"=\r\n=4"  # dangling soft break and half an escape
        elif breakage == 2:
            encoded = encoded.replace(b"=", b"=ZZ")
        return encoded
    return data


@st.composite
def text_part(draw) -> bytes:
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(ENCODINGS))
    ctype = draw(st.sampled_from(["text/plain"] * 8 + ["text/html"] * 3 + CONTENT_TYPES))
    text = draw(body_text)
    if ctype.lower() == "text/html":
        text = draw(
            st.sampled_from(
                [
                    "<p>{}</p>",
                    "<html><body>{}",
                    "<a href='mailto:va@x.net'>{}</a>",
                    "<div><script>{}</script>",
                    "<<<{}>>>",
                    "<!--{}",
                ]
            )
        ).format(text)
    try:
        data = text.encode(charset.strip('"') or "utf-8", errors="replace")
    except (LookupError, ValueError):
        data = text.encode("utf-8", errors="surrogatepass")
    body = encode_body(data, cte, draw(st.integers(0, 3)))
    params = draw(
        st.sampled_from([f"; charset={charset}", f'; charset="{charset}"', "", ";;;", f"; charset*=utf-8''{charset}"])
    )
    head = f"Content-Type: {ctype}{params}\r\n"
    if cte:
        head += f"Content-Transfer-Encoding: {cte}\r\n"
    if draw(st.booleans()):
        head += f"Content-Disposition: {draw(st.sampled_from(['inline', 'attachment', '']))}\r\n"
    return head.encode("utf-8", "replace") + b"\r\n" + body


@st.composite
def mime_tree(draw, depth: int = 0) -> bytes:
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return draw(text_part())
    boundary = draw(st.sampled_from(["b1", "==b2==", "x" * 70, "", "a b", "b1"]))
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
    children = draw(st.lists(mime_tree(depth + 1), min_size=0, max_size=3))
    declared = draw(st.sampled_from(["ok", "missing", "other"]))
    param = {"ok": f'; boundary="{boundary}"', "missing": "", "other": '; boundary="never-used"'}[declared]
    head = f"Content-Type: multipart/{subtype}{param}\r\n\r\npreamble\r\n".encode()
    parts = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
    if draw(st.booleans()):
        parts += b"--" + boundary.encode() + b"--\r\n"  # else: the closing boundary is missing
    return head + parts


@st.composite
def envelope(draw) -> bytes:
    """Headers a person's mail has, each sometimes odd."""
    lines = [f"From: {draw(from_header())}"]
    if draw(st.booleans()):
        lines.append(
            f"Subject: {draw(st.sampled_from(['Team member', 'Re: AW: link', 'reactivate', '']))}{draw(header_value)}"
        )
    if draw(st.booleans()):
        lines.append(f"Message-ID: <{draw(st.text(max_size=20))}@fuzz>")
    if draw(st.booleans()):
        lines.append(f"Authentication-Results: {draw(auth_results())}")
    if draw(st.booleans()):
        lines.append(f"Reply-To: {draw(from_header())}")
    if draw(st.booleans()):
        lines.append(f"References: {draw(header_text)}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(f"X-Long: {'a' * draw(st.integers(1000, 120_000))}")  # huge header line
    if draw(st.integers(0, 9)) == 0:
        name = draw(st.sampled_from(["Auto-Submitted", "Precedence", "List-Id", "X-Autoreply"]))
        lines.append(f"{name}: {draw(st.sampled_from(['no', 'auto-replied', 'bulk', 'x', '']))}")
    lines.append("MIME-Version: 1.0")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogatepass")


# --- the fuzz tests -------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_never_crash_triage(raw):
    observe(triage_message(raw, CTX))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(HEADER_NAMES), st.text(max_size=15)),
            st.one_of(header_value, st.sampled_from(ADDRESSES), from_header(), auth_results()),
        ),
        max_size=30,
    ),
    st.sampled_from([b"\r\n", b"\n", b"\r", b"", b"\r\n\r\n", b"\x00"]),
    st.binary(max_size=500),
)
def test_header_soup_never_crashes_triage(headers, separator, body):
    raw = separator.join(f"{n}: {v}".encode("utf-8", "surrogatepass") for n, v in headers)
    observe(triage_message(raw + b"\r\n\r\n" + body, CTX))


@FUZZ
@given(envelope(), text_part())
def test_single_part_mail_with_any_charset_and_encoding_never_crashes(head, part):
    observe(triage_message(head + part, CTX))


@FUZZ
@given(envelope(), mime_tree())
def test_nested_multipart_with_broken_boundaries_never_crashes(head, tree):
    observe(triage_message(head + tree, CTX))


@FUZZ
@given(
    from_header(),
    st.text(max_size=2000),
    st.lists(st.sampled_from(ADDRESSES + PHRASES + REQUESTS), max_size=12),
    st.sampled_from(["pass", "fail", None]),
    st.booleans(),
)
def test_unicode_bodies_with_addresses_never_crash(sender, text, words, verdict, nul):
    body = text + " " + " ".join(words) + " " + text[::-1]
    if nul:
        body = body.replace(" ", "\x00 ", 3)
    head = f"From: {sender}\r\nSubject: Konto / account\r\n"
    if verdict:
        head += f"Authentication-Results: mx.example.com; dmarc={verdict}; dkim={verdict}; spf={verdict}\r\n"
    head += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    raw = head.encode("utf-8") + body.encode("utf-8", "surrogatepass")
    observe(triage_message(raw, CTX))


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(ADDRESSES[:6]), st.sampled_from(ADDRESSES[:6]), st.sampled_from(REQUESTS))
def test_plain_requests_between_known_accounts_are_decided(sender, other, phrase):
    """Well-formed link/reactivate mails reach the decisions and get a draft."""
    raw = (
        f"From: {sender}\r\nSubject: Team member\r\nMessage-ID: <ok@fuzz>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{phrase}: {other}\r\n"
    ).encode()
    obj = observe(triage_message(raw, CTX))
    assert obj["intent"] in ("link", "reactivate")


# --- huge bodies: the size cap must also bound the time ------------------------------

HUGE = {
    # one 200,000-character word: an unbounded address pattern searched it quadratically
    "one_long_word": "a" * 200_000,
    "one_long_word_in_a_request": "please link my VA va@x.net\n" + "a" * 200_000,
    # 22,000 addresses: each one was checked against every address found before it
    "many_addresses": "please link my VA " + "va@x.net " * 22_000,
    "many_obfuscated_and_plain": "please link " + "va (at) x (dot) net va2@x.net " * 6_000,
    "many_signature_marks": "please link va@x.net\n" + "-- \n" * 50_000,
    "many_quote_headers": "please link va@x.net\n" + "Von: a\nGesendet: b\n" * 10_000,
    "deep_html": None,
}


@pytest.mark.parametrize("name", sorted(HUGE))
def test_huge_pathological_body_is_triaged_within_seconds(name):
    body, ctype = HUGE[name], "text/plain"
    if body is None:
        body, ctype = "<div><a href='mailto:va@x.net'>link</a>" * 20_000, "text/html"
    raw = (f"From: boss@y.org\r\nSubject: Team\r\nContent-Type: {ctype}; charset=utf-8\r\n\r\n{body}").encode()
    started = time.perf_counter()
    result = triage_message(raw, CTX)
    elapsed = time.perf_counter() - started
    check(result)
    assert elapsed < 5, f"{name}: {elapsed:.1f} s"


# --- the real CLI over a folder of such files --------------------------------------


def random_mail(rng: random.Random) -> bytes:
    """One malformed mail of a random kind, without hypothesis (for files on disk)."""
    kind = rng.randrange(7)
    address = rng.choice(ADDRESSES)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 2000))
    if kind == 1:  # header soup without a body
        return b"\r\n".join(
            f"{rng.choice(HEADER_NAMES)}: {rng.choice(ADDRESSES + PHRASES)}".encode() for _ in range(20)
        )
    if kind == 2:  # declared charset and encoding that lie
        cte = rng.choice(ENCODINGS)
        body = encode_body(f"please link {address} ä".encode("latin-1", "replace"), cte, rng.randrange(4))
        return (
            f"From: boss@y.org\r\nSubject: link\r\nContent-Type: text/plain; "
            f"charset={rng.choice(CHARSETS)}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
        ).encode("utf-8", "replace") + body
    if kind == 3:  # multipart whose boundary is never closed or never declared
        return (
            b"From: boss@y.org\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
            b"--zz\r\nContent-Type: multipart/alternative\r\n\r\n--yy\r\n"
            b"Content-Type: text/plain\r\n\r\nlink " + address.encode() + b"\r\n--zz"
        )
    if kind == 4:  # huge header line and NUL bytes
        return (
            b"From: boss@y.org\r\nX-Big: "
            + b"x" * rng.randrange(10_000, 200_000)
            + b"\r\nSubject: \x00link\r\n\r\nreactivate my VA\x00 "
            + address.encode()
        )
    if kind == 5:  # From with several addresses
        many = ", ".join(rng.choices(ADDRESSES[:6], k=rng.randrange(2, 30)))
        return f"From: {many}\r\nSubject: link\r\n\r\nplease link va@x.net\r\n".encode()
    text = "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(200)))
    return (
        f"From: {address}\r\nSubject: Team\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text} bitte verknüpfen {rng.choice(ADDRESSES)} {text}"
    ).encode("utf-8", "surrogatepass")


def test_cli_triage_json_prints_one_line_per_file_and_exits_1_for_the_unreadable(tmp_path):
    rng = random.Random(20260615)
    mails = tmp_path / "mails"
    mails.mkdir()
    for index in range(50):
        (mails / f"m{index:02}.eml").write_bytes(random_mail(rng))
    os.symlink(tmp_path / "gone.eml", mails / "dangling.eml")  # listed, but cannot be read
    expected = {f"m{index:02}.eml" for index in range(50)} | {"dangling.eml", "missing.eml"}

    config = write_config(tmp_path, url=f"sqlite:///{tmp_path / 'fuzz.db'}")
    result = run_cli(
        "--config",
        str(config),
        "triage",
        "--json",
        str(mails),
        str(tmp_path / "missing.eml"),
        cwd=tmp_path,
        timeout=300,
    )
    # Every readable mail is triaged; the two unreadable paths are one stderr line each and exit 1.
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 2 and all(e.startswith("error: ") for e in result.stderr.splitlines())
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(line["file"] for line in lines) == sorted(expected)
    by_file = {line["file"]: line for line in lines}
    assert set(by_file["dangling.eml"]) == {"file", "error"}
    assert set(by_file["missing.eml"]) == {"file", "error"}
    for line in lines:
        if "intent" not in line:
            assert line["error"]
            continue
        assert line["intent"] in INTENTS
        assert line["status"] in STATUSES
        assert not (line.get("error") or "").startswith("triage failed"), line["error"]
        if line["intent"] in ("link", "reactivate"):
            assert len(line["requests"]) >= 1 and line["draft"] is not None
        else:
            assert line["requests"] == [] and line["draft"] is None
