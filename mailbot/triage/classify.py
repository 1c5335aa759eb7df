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
from mailbot.triage.phrases import PhraseSet
from mailbot.triage.rules import Rules
from mailbot.vocabulary import Intent

_WORD = re.compile(r"[\w']+|n't", re.U)


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
    names = mail.header_names
    for rule in rules.auto_headers:
        if rule.name not in names:  # most of the two dozen are absent: skip them cheaply
            continue
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


_SENTENCE_END = re.compile(r"[.!?;](?:\s|$)")
_CONTEXT_CHARS = 150  # how far an account word or address may stand from a request phrase


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence around text[start:end] (text is whitespace-collapsed)."""
    begin = max((m.end() for m in _SENTENCE_END.finditer(text, max(0, start - 300), start)), default=0)
    stop = _SENTENCE_END.search(text, end)
    return begin, stop.start() if stop else len(text)


def _counts(match: re.Match[str], text: str, rules: Rules) -> bool:
    """A request phrase counts when nothing cancels it: no negation just before it, no
    other request in its sentence (unlink, reset, how-to, refund, …: SPEC "Only requests
    to act count"), and an account or address near it ("Verbinden Sie Ihre Ohrhörer")."""
    if _negated(text, match.start(), rules):
        return False
    begin, stop = _sentence(text, match.start(), match.end())
    if rules.not_a_request.search(text, begin, stop):
        return False
    low, high = max(0, match.start() - _CONTEXT_CHARS), match.end() + _CONTEXT_CHARS
    near = text[low:high]
    return "<addr>" in near or bool(rules.account_context.search(near))


def _affirmed(pattern: PhraseSet, text: str, rules: Rules) -> re.Match[str] | None:
    """The first match of pattern that nothing cancels."""
    for match in pattern.finditer(text):
        if _counts(match, text, rules):
            return match
    return None


def _addresses_as_tokens(text: str, *, sender: str | None = None) -> str:
    """Every address (plain or obfuscated) as "<addr>", so phrases span them; the
    sender's own address as "<sender>" (it names no one else)."""
    parts, last = [], 0
    for address, start, end in find_addresses(text):
        parts.append(text[last:start])
        parts.append("<sender>" if address == sender else "<addr>")
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _asks(own: str, pattern: PhraseSet, rules: Rules) -> bool:
    """The customer's own text asks for it: an ask cue ("bitte", "could you"), or a
    request that opens its sentence as an imperative ("Reactivate my VA's account")."""
    if rules.ask.search(own):
        return True
    for match in pattern.finditer(own):
        begin, _stop = _sentence(own, match.start(), match.end())
        if not own[begin : match.start()].strip(" ,:-") and _counts(match, own, rules):
            return True
    return False


def classify_intent(*, own_text: str, subject: str, rules: Rules, sender: str | None = None) -> tuple[Intent, str]:
    """(intent, reason) for a person's mail: link, reactivate or other."""
    # Replies keep "Re:/AW:" subjects of the original thread; the subject still names the topic.
    # Rule phrases are lower case; wrapped lines and addresses must not break a phrase.
    # " ".join(s.split()) is re.sub(r"\s+", " ", s).strip() (both split on str.isspace), in C.
    own = " ".join(_addresses_as_tokens(own_text, sender=sender).lower().split())
    text = " ".join(_addresses_as_tokens(subject, sender=sender).lower().split()) + ". " + own
    if not (rules.account_context.search(text) or "<addr>" in text or "<sender>" in text):
        return Intent.OTHER, "no account is mentioned"
    intent, why = Intent.OTHER, "no link or reactivation request found"
    phrases: PhraseSet | None = None  # the phrases that made the request
    if found := _affirmed(rules.reactivate, text, rules):
        intent, why, phrases = Intent.REACTIVATE, f"reactivation phrase {found.group(0)!r}", rules.reactivate
    else:
        link = _affirmed(rules.link, text, rules)
        renewal, lapse = rules.renewal.search(text), rules.lapse.search(text)
        if renewal and lapse and (link or rules.team_cues.search(text)):
            intent = Intent.REACTIVATE
            why = f"renewal {renewal.group(0)!r} with a lapsed login {lapse.group(0)!r}"
            phrases = rules.link if link else rules.renewal
        elif link:
            intent, why, phrases = Intent.LINK, f"link phrase {link.group(0)!r}", rules.link
    if phrases is None:
        return intent, why
    # SPEC "Only requests to act count": a text that names no one but the sender and
    # asks for nothing (a thank-you, a complaint about a past reactivation) is no
    # request, and records must not make one up for it.
    if "<addr>" not in own and not _asks(own, phrases, rules):
        return Intent.OTHER, "names no account and asks for nothing"
    return intent, why
