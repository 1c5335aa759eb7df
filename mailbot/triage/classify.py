"""What a mail is: machine mail, a link or reactivate request, or something for a human.

Machine mail is recognised from headers alone (RFC 3834 and common practice);
the intent from phrases in ``rules/intents.toml`` found in the customer's own
text and the subject. A phrase with a negation just before it ("nothing to
link") does not count.
"""

from __future__ import annotations

import re

from mailbot.mail.parse import Mail
from mailbot.triage.addresses import find_addresses
from mailbot.triage.rules import Rules

_WORD = re.compile(r"[\w']+|n't", re.U)
_SPACE = re.compile(r"\s+")


# The address part of a raw From header: inside <…> when there is one, else the value.
_RAW_ADDRESS = re.compile(r"<([^<>]*)>\s*$")


def _raw_sender_local_part(mail: Mail) -> str | None:
    """The From header's local part read from the raw value, also where the parser
    found no address: bounces come "From: MAILER-DAEMON <>", "From: <>" or
    "From: <MAILER-DAEMON>" without a domain. "" is the null sender."""
    raw = mail.header("from")
    if raw is None:
        return None
    inside = _RAW_ADDRESS.search(raw)
    address = (inside.group(1) if inside else raw).strip().strip('"').lower()
    return address.split("@", 1)[0].strip()


def machine_mail_reason(mail: Mail, rules: Rules) -> str | None:
    """Why the mail is automatic (never to be answered), or None for a person's mail."""
    for rule in rules.auto_headers:
        for value in mail.header_all(rule.name):
            if rule.pattern is None or rule.pattern.search(value):
                return f"header {rule.name}: {value.strip()[:80]}"
    local = mail.sender.split("@", 1)[0] if mail.sender else _raw_sender_local_part(mail)
    if local == "" and mail.sender is None:
        return "the sender is empty (a bounce's null sender)"
    if local and (
        local in rules.auto_sender_local_parts
        or (rules.auto_sender_patterns and rules.auto_sender_patterns.search(local))
    ):
        return f"sender {mail.sender or local} is a machine address"
    if mail.is_delivery_report:
        return "delivery status, feedback or read-receipt report"
    if rules.auto_subject and (subject := rules.auto_subject.match(mail.subject.lower())):
        return f"machine subject {subject.group(0)!r}"
    if rules.auto_body and (line := rules.auto_body.search(mail.text.lower())):
        return f"mass-mail footer {line.group(0)[:80]!r}"
    return None


def _negated(text: str, start: int, rules: Rules) -> bool:
    before = _WORD.findall(text[max(0, start - 80) : start].lower())
    window = before[-rules.negation_window :] if rules.negation_window else []
    return any(rules.negation.fullmatch(word) for word in window)


def _affirmed(pattern: re.Pattern[str], text: str, rules: Rules) -> str | None:
    """The first match of pattern that no negation cancels."""
    for match in pattern.finditer(text):
        if not _negated(text, match.start(), rules):
            return match.group(0)
    return None


def _addresses_as_tokens(text: str) -> str:
    """Every address (plain or obfuscated) as "<addr>", so phrases span them."""
    parts, last = [], 0
    for _address, start, end in find_addresses(text):
        parts.append(text[last:start])
        parts.append("<addr>")
        last = end
    parts.append(text[last:])
    return "".join(parts)


def classify_intent(*, own_text: str, subject: str, rules: Rules) -> tuple[str, str]:
    """(intent, reason) for a person's mail: link, reactivate or other."""
    # Replies keep "Re:/AW:" subjects of the original thread; the subject still names the topic.
    # Rule phrases are lower case; wrapped lines and addresses must not break a phrase.
    text = _SPACE.sub(" ", _addresses_as_tokens(f"{subject}\n{own_text}").lower())
    if not (rules.account_context.search(text) or "<addr>" in text):
        return "other", "no account is mentioned"
    phrase = _affirmed(rules.reactivate, text, rules)
    if phrase:
        return "reactivate", f"reactivation phrase {phrase!r}"
    link = _affirmed(rules.link, text, rules)
    renewal, lapse = rules.renewal.search(text), rules.lapse.search(text)
    if renewal and lapse and (link or rules.team_cues.search(text)):
        return "reactivate", f"renewal {renewal.group(0)!r} with a lapsed login {lapse.group(0)!r}"
    if link:
        return "link", f"link phrase {link!r}"
    return "other", "no link or reactivation request found"
