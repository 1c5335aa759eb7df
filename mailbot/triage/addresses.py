"""Addresses in free text: plain, ``mailto:`` targets (already text) and obfuscated forms.

Shared by intent classification (an address stands for an account) and role
extraction (which address is whose). Anchored on each ``@``: scanning every
position for a local part is the slow way to find a few addresses.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

_ADDRESS = re.compile(r"[a-z0-9][a-z0-9._%+'-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+", re.I)
# "name (at) domain (dot) com", "name [at] domain.com", "name(ät)domain[punkt]de"
_AT = r"\s*[\(\[\{<]\s*(?:at|ät|@)\s*[\)\]\}>]\s*"
_DOT = r"(?:\s*[\(\[\{<]\s*(?:dot|punkt|\.)\s*[\)\]\}>]\s*|\.)"
_OBFUSCATED = re.compile(rf"([a-z0-9][a-z0-9._%+-]*){_AT}([a-z0-9-]+(?:{_DOT}[a-z0-9-]+)+)", re.I)
_DOT_TOKEN = re.compile(_DOT, re.I)
_AT_WORD = re.compile(r"[\(\[\{<]\s*(?:at|ät|@)\s*[\)\]\}>]", re.I)
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+'-")


def normalize_address(value: str) -> str:
    return value.strip().strip(".,;:!?'\"()[]{}<>").lower()


def is_address(value: str) -> bool:
    """Whether ``value`` is exactly one address of the shape triage recognises in mail.

    Config checks its own addresses with this, so an address that triage could never
    match (and so never exclude as ours) is refused at start-up.
    """
    return _ADDRESS.fullmatch(value) is not None


def find_addresses(text: str) -> list[tuple[str, int, int]]:
    """Every address in text with its span: plain, mailto (already text) and obfuscated forms."""
    return list(_addresses_in(text))


@lru_cache(maxsize=4)
def _addresses_in(text: str) -> tuple[tuple[str, int, int], ...]:
    # Cached for the mail at hand: classification and then role extraction read the same own text.
    found: dict[int, tuple[str, int, int]] = {}
    if _AT_WORD.search(text):  # the obfuscated pattern is slow to scan; most mail has none
        for hit in _OBFUSCATED.finditer(text):
            domain = _DOT_TOKEN.sub(".", hit.group(2))
            found[hit.start()] = (f"{hit.group(1)}@{domain}".lower(), hit.start(), hit.end())
    # Obfuscated spans, sorted and disjoint: bisect them (scanning all was quadratic).
    spans = [(s, e) for _a, s, e in found.values()]
    starts = [s for s, _e in spans]

    def in_obfuscated(position: int) -> bool:
        index = bisect.bisect_right(starts, position) - 1
        return index >= 0 and position < spans[index][1]

    at = text.find("@")
    while at >= 0:
        # Anchor on each "@" instead of scanning every position for a local part.
        begin = at
        while begin > 0 and at - begin < 64 and text[begin - 1] in _LOCAL_CHARS:
            begin -= 1  # walk back over the local part (RFC 5321: at most 64 characters)
        while begin < at and not text[begin].isalnum():
            begin += 1
        match = _ADDRESS.match(text, begin) if begin < at else None
        if match and not in_obfuscated(match.start()):
            address = normalize_address(match.group(0))
            if "@" in address:
                found[match.start()] = (address, match.start(), match.end())
        at = text.find("@", match.end() if match else at + 1)
    return tuple(found[k] for k in sorted(found))


def canonical_address(value: str) -> str:
    """The mailbox an address delivers to, for "is this ours?": lower-case, ``+tag`` dropped
    (``Support+Billing@Vendor.example`` reaches ``support@vendor.example``)."""
    local, at, domain = normalize_address(value).rpartition("@")
    if not at:
        return local + domain
    return f"{local.split('+', 1)[0]}@{domain}"


class OwnAddresses:
    """Our support address and ``own_addresses``, matched with case and ``+tag`` variants.

    A collection for ``in`` checks: extraction never takes one of these for a
    customer's address, and mail from them (or asking replies to go to them) is
    never answered — answering ourselves starts a loop.
    """

    def __init__(self, addresses: Iterable[str]) -> None:
        self._canonical = frozenset(canonical_address(a) for a in addresses if a)
        self.domains = frozenset(a.rpartition("@")[2] for a in self._canonical)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and canonical_address(value) in self._canonical

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._canonical))

    def __len__(self) -> int:
        return len(self._canonical)
