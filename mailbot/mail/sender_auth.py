"""Sender verification from ``Authentication-Results`` (RFC 8601).

The ``From`` address is trusted only as far as our receiving server vouched for
it. We read the header from a configured trusted ``authserv-id`` or else the
topmost one (the one our own server added last); lower ones can be forged by
the sender. Only results *about the From domain* count: a receiving server
checks whatever domain the mail names, and an attacker can make it check their
own (``dmarc=pass header.from=evil.example`` on a mail that shows another From).
A mail with two ``From`` headers or two addresses is never verified: which one
the server checked cannot be known.

The header is tokenised as RFC 8601 writes it — quoted strings, nested
comments, an optional version after the authserv-id — because the sender
controls parts of it (the envelope local part in ``smtp.mailfrom``): a ``;``
inside a quoted value must not start a forged result. Parsing stays lenient
where real servers deviate (Office 365 omits the authserv-id); the decision is
strict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mailbot.vocabulary import SenderVerification

#: The properties that name the domain a result is about, per method (first found wins).
_DOMAIN_PROPS = {
    "dmarc": ("header.from",),
    "dkim": ("header.d", "header.i"),
    "spf": ("smtp.mailfrom", "smtp.helo"),
}


@dataclass(frozen=True)
class AuthResult:
    method: str  # dkim | spf | dmarc | ...
    result: str  # pass | fail | none | ...
    props: dict[str, str]

    def domain(self) -> str:
        """The domain this result is about ("" when the server did not say)."""
        for name in _DOMAIN_PROPS.get(self.method, ()):
            value = self.props.get(name)
            if value:
                return value.rsplit("@", 1)[-1].strip().strip(".").lower()
        return ""


class _Tok(StrEnum):
    WORD = "word"
    SEMI = ";"
    EQ = "="


def _skip_comment(value: str, i: int) -> int:
    """The index after the comment that starts at ``value[i] == "("`` (comments nest)."""
    depth = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


# One lexical piece at a time: a quoted string (its closing quote may be missing), a run of
# plain word characters, white space, a separator, or the start of a comment.
_PIECE = re.compile(r'"((?:[^"\\]|\\[\s\S]?)*)"?|([^"(;=\s]+)|(\s+)|([;=])|\(')
_ESCAPED = re.compile(r"\\([\s\S])")


_INNER_COMMENT = re.compile(r'\([^()"\\]*\)')
_SEPARATORS = {";": _Tok.SEMI, "=": _Tok.EQ}  # a dict look-up: calling the enum per token is slow
_PLAIN_TOKEN = re.compile(r"[;=]|[^;=\s]+")


def _tokens(value: str) -> list[tuple[_Tok, str]]:
    """Words and the separators ``;`` and ``=``. Comments separate like white space;
    a quoted string is unescaped and glued to adjacent text (``"a;b"@x`` is one word).

    Every mail's header passes here, so the common case (no quotes, no escapes) is
    split by one regular expression after removing comments innermost first; only a
    header with quoted strings or escapes is scanned piece by piece."""
    if '"' not in value and "\\" not in value:
        flat = value
        while "(" in flat:
            flat, removed = _INNER_COMMENT.subn(" ", flat)
            if not removed:
                break  # an unterminated comment: the careful scan below knows where it ends
        else:
            return [(_SEPARATORS.get(t, _Tok.WORD), t) for t in _PLAIN_TOKEN.findall(flat)]
    return _scan_tokens(value)


def _scan_tokens(value: str) -> list[tuple[_Tok, str]]:
    """``_tokens`` for any header: quoted strings, escapes and unbalanced comments included."""
    out: list[tuple[_Tok, str]] = []
    word: list[str] = []
    in_word = False
    i, end = 0, len(value)
    while i < end:
        piece = _PIECE.match(value, i)
        assert piece is not None  # every character starts one of the alternatives
        quoted, plain, space, separator = piece.groups()
        if quoted is not None or plain is not None:
            word.append(_ESCAPED.sub(r"\1", quoted) if quoted is not None else plain)
            in_word = True
            i = piece.end()
            continue
        if in_word:
            out.append((_Tok.WORD, "".join(word)))
            word, in_word = [], False
        if separator:
            out.append((_Tok(separator), separator))
            i = piece.end()
        elif space:
            i = piece.end()
        else:
            i = _skip_comment(value, i)
    if in_word:
        out.append((_Tok.WORD, "".join(word)))
    return out


def _segments(tokens: list[tuple[_Tok, str]]) -> list[list[tuple[_Tok, str]]]:
    segments: list[list[tuple[_Tok, str]]] = [[]]
    for token in tokens:
        if token[0] is _Tok.SEMI:
            segments.append([])
        else:
            segments[-1].append(token)
    return segments


def _pairs(segment: list[tuple[_Tok, str]]) -> list[tuple[str, str]]:
    """The ``key = value`` pairs of one result, in order; stray words are skipped."""
    pairs = []
    i = 0
    while i + 2 < len(segment):
        (k_kind, key), (e_kind, _), (v_kind, val) = segment[i : i + 3]
        if k_kind is _Tok.WORD and e_kind is _Tok.EQ and v_kind is _Tok.WORD:
            pairs.append((key, val))
            i += 3
        else:
            i += 1
    return pairs


def parse_authentication_results(value: str) -> tuple[str, list[AuthResult]]:
    """(authserv-id, results) of one header value."""
    segments = _segments(_tokens(value))
    head = segments[0]
    if any(kind is _Tok.EQ for kind, _ in head):
        # Office 365 omits the authserv-id: the first part is already a result.
        authserv, results = "", segments
    else:
        # authserv-id, then an optional version number (RFC 8601 §2.2).
        authserv, results = (head[0][1].lower() if head else ""), segments[1:]
    parsed = []
    for segment in results:
        pairs = _pairs(segment)
        if not pairs:
            continue  # "none", or garbage
        (method, result), props = pairs[0], pairs[1:]
        method = method.split("/", 1)[0].lower()  # "dkim/1": a method version
        parsed.append(
            AuthResult(method, result.lower(), {k.lower(): v for k, v in props if "." in k or k.lower() == "reason"})
        )
    return authserv, parsed


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other (SPEC)."""
    if not domain:
        return False
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def choose_header(values: Sequence[str], trusted_ids: Iterable[str]) -> str | None:
    chosen = _chosen_results(values, trusted_ids)
    return chosen[0] if chosen else None


def _chosen_results(values: Sequence[str], trusted_ids: Iterable[str]) -> tuple[str, list[AuthResult]] | None:
    """The header to believe and its results, each header parsed once."""
    trusted = {t.lower() for t in trusted_ids}
    if not trusted:
        return (values[0], parse_authentication_results(values[0])[1]) if values else None
    for value in values:
        authserv, results = parse_authentication_results(value)
        if authserv in trusted:
            return value, results
    return None  # only headers from servers we do not trust: nothing vouched


def decide_verdict(results: Sequence[AuthResult], *, from_domain: str) -> SenderVerification:
    """SPEC's "Sender verification" table over the results about ``from_domain``."""
    about_from = [r for r in results if _aligned(r.domain(), from_domain)]
    dmarc = {r.result for r in about_from if r.method == "dmarc"}
    dkim = {r.result for r in about_from if r.method == "dkim"}
    spf = {r.result for r in about_from if r.method == "spf"}
    if "fail" in dmarc:
        return SenderVerification.FAIL
    if "pass" in dmarc or "pass" in dkim:
        return SenderVerification.PASS
    if spf & {"fail", "softfail"}:
        return SenderVerification.FAIL  # and no DKIM pass (checked above)
    # SPF pass alone does not authenticate From; nothing else vouched either way.
    return SenderVerification.UNKNOWN


def verify_sender(
    *,
    auth_headers: Sequence[str],
    sender: str | None,
    trusted_ids: Iterable[str] = (),
    from_headers: int = 1,
) -> SenderVerification:
    """``pass``, ``fail`` or ``unknown`` for the From address.

    ``from_headers`` is how many ``From`` headers the mail has: more than one is
    never verified (``fail``), like a From without exactly one address.
    """
    if not sender or "@" not in sender or from_headers > 1:
        return SenderVerification.FAIL
    chosen = _chosen_results(auth_headers, trusted_ids)
    if chosen is None:
        return SenderVerification.UNKNOWN
    return decide_verdict(chosen[1], from_domain=sender.rsplit("@", 1)[1].lower())
