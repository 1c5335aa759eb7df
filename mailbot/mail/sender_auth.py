"""Sender verification from ``Authentication-Results`` (RFC 8601).

The ``From`` address is trusted only as far as our receiving server vouched for
it. We read the header from a configured trusted ``authserv-id`` or else the
topmost one (the one our own server added last); lower ones can be forged by
the sender. Parsing is lenient (Office 365 writes headers strict parsers
reject); the decision is strict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_COMMENT = re.compile(r"\([^()]*\)")
_METHOD = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)\b(.*)$", re.I | re.S)
_PROP = re.compile(r"([a-z]+\.[a-z0-9_-]+)\s*=\s*\"?([^\s;\"]+)\"?", re.I)


@dataclass(frozen=True)
class AuthResult:
    method: str  # dkim | spf | dmarc | ...
    result: str  # pass | fail | none | ...
    props: dict[str, str]


def parse_authentication_results(value: str) -> tuple[str, list[AuthResult]]:
    """(authserv-id, results) of one header value."""
    text = value
    for _ in range(3):  # nested comments
        text = _COMMENT.sub(" ", text)
    parts = [p.strip() for p in text.split(";")]
    authserv = parts[0].split()[0].lower() if parts and parts[0].split() else ""
    if "=" in authserv:  # Office 365 omits the authserv-id: the first part is a result
        authserv, parts = "", ["", *parts]
    results = []
    for part in parts[1:]:
        match = _METHOD.match(part)
        if not match:
            continue
        props = {k.lower(): v.lower() for k, v in _PROP.findall(match.group(3))}
        results.append(AuthResult(match.group(1).lower(), match.group(2).lower(), props))
    return authserv, results


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same organisational domain, approximated by suffix."""
    domain = domain.lstrip("@").split("@")[-1]
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def choose_header(values: Sequence[str], trusted_ids: Iterable[str]) -> str | None:
    trusted = {t.lower() for t in trusted_ids}
    if trusted:
        for value in values:
            if parse_authentication_results(value)[0] in trusted:
                return value
        return None  # only headers from servers we do not trust: nothing vouched
    return values[0] if values else None


def verify_sender(*, auth_headers: Sequence[str], sender: str | None, trusted_ids: Iterable[str] = ()) -> str:
    """``pass``, ``fail`` or ``unknown`` for the From address."""
    if not sender or "@" not in sender:
        return "fail"
    header = choose_header(auth_headers, trusted_ids)
    if header is None:
        return "unknown"
    from_domain = sender.rsplit("@", 1)[1].lower()
    _, results = parse_authentication_results(header)
    dmarc = [r for r in results if r.method == "dmarc"]
    dkim = [r for r in results if r.method == "dkim"]
    spf = [r for r in results if r.method == "spf"]
    if any(r.result == "fail" for r in dmarc):
        return "fail"
    if any(r.result == "pass" for r in dmarc):
        return "pass"
    dkim_for_from = [r for r in dkim if _aligned(r.props.get("header.d", r.props.get("header.i", "")), from_domain)]
    if any(r.result == "pass" for r in dkim_for_from):
        return "pass"
    dkim_failed = any(r.result in ("fail", "permerror") for r in dkim_for_from) or (
        dkim and all(r.result in ("fail", "permerror", "neutral", "policy") for r in dkim)
    )
    spf_failed = any(r.result in ("fail", "softfail") for r in spf)
    if dkim_failed and spf_failed:
        return "fail"
    # SPF alone does not authenticate From; nothing else vouched either way.
    return "unknown"
