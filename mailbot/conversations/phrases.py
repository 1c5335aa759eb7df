"""A follow-up's "thank you" and the primary's "yes, please", by the phrases of ``rules/conversations.toml``.

Both are read from the customer's own new text only (quoted history is ours or
theirs from before), lower-cased, line breaks as spaces and every address as
``<addr>``, like the intent phrases.
"""

from __future__ import annotations

import re

from mailbot.triage.addresses import find_addresses
from mailbot.triage.rules import Rules

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[\w']+")
# A greeting or a closing line carries no meaning of its own in a two-line mail.
_GREETING = re.compile(
    r"^(hallo|hi|hey|liebe[rs]?|sehr geehrte\w*|guten (tag|morgen|abend)|dear|hello|good (morning|afternoon))\b[^\n]*$",
    re.I | re.M,
)


def _flat(own_text: str, *, sender: str | None) -> str:
    parts, last = [], 0
    for address, start, end in find_addresses(own_text):
        parts.append(own_text[last:start])
        parts.append("" if address == sender else "<addr>")
        last = end
    parts.append(own_text[last:])
    return _SPACE.sub(" ", "".join(parts).lower()).strip()


def is_acknowledgement(own_text: str, *, rules: Rules, sender: str | None = None) -> bool:
    """The text only thanks or says it works: short, a thank-you phrase, and nothing that asks or objects."""
    if rules.acknowledgement is None:
        return False
    text = _flat(_GREETING.sub("", own_text), sender=sender)
    if not text or len(_WORD.findall(text)) > rules.acknowledgement_max_words:
        return False
    if rules.acknowledgement_unless is not None and rules.acknowledgement_unless.search(text):
        return False
    return bool(rules.acknowledgement.search(text))


def confirms(own_text: str, *, rules: Rules, sender: str | None = None) -> bool:
    """A plain "yes, please" ("Ja, bitte", "confirmed") without a "no" in the text."""
    if rules.confirmation is None:
        return False
    text = _flat(own_text, sender=sender)
    if rules.confirmation_unless is not None and rules.confirmation_unless.search(text):
        return False
    return bool(rules.confirmation.search(text))
