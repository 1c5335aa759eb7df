"""Load the operator-editable rules (``rules/*.toml``) into compiled patterns.

The bundled rules live in the top-level ``rules/`` folder of a checkout and in
``mailbot/rules`` of an installed wheel; ``triage.rules_path`` may point at an
operator's own copy.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

from mailbot.errors import ConfigError
from mailbot.resources import bundled_dir
from mailbot.triage.phrases import PhraseSet

_P = TypeVar("_P", re.Pattern[str], PhraseSet)


@dataclass(frozen=True)
class HeaderRule:
    name: str
    pattern: re.Pattern[str] | None  # None: present at all


@dataclass(frozen=True)
class Rules:
    reactivate: PhraseSet
    link: PhraseSet
    renewal: PhraseSet
    lapse: PhraseSet
    negation: re.Pattern[str]
    negation_window: int
    account_context: re.Pattern[str]
    not_a_request: PhraseSet  # searched in the sentence of each request phrase
    ask: re.Pattern[str]
    primary_cues: re.Pattern[str]
    my_account_cues: re.Pattern[str]
    team_cues: re.Pattern[str]
    team_member_of: re.Pattern[str]
    link_target: re.Pattern[str]
    not_account_cues: re.Pattern[str]
    sender_is_team_member: re.Pattern[str]
    auto_headers: tuple[HeaderRule, ...]
    auto_sender_local_parts: frozenset[str]
    auto_sender_patterns: re.Pattern[str] | None = None
    auto_subject: re.Pattern[str] | None = None  # matched from the subject's start
    auto_body: PhraseSet | None = None
    # rules/conversations.toml: how a follow-up says "thanks" or "yes, please" (mailbot.conversations.phrases).
    acknowledgement: re.Pattern[str] | None = None
    acknowledgement_unless: re.Pattern[str] | None = None
    acknowledgement_max_words: int = 40
    confirmation: re.Pattern[str] | None = None
    confirmation_unless: re.Pattern[str] | None = None


def _phrases(file: Path, table: dict, key: str, lists: tuple[str, ...]) -> list[str]:
    section = table.get(key)
    if not isinstance(section, dict):
        raise ConfigError(f"{file}: missing table [{key}]")
    phrases = [p for name in lists for p in section.get(name, [])]
    if not phrases or not all(isinstance(p, str) for p in phrases):
        raise ConfigError(f"{file}: [{key}] needs {'/'.join(lists)} lists of phrases")
    for phrase in phrases:
        if re.sub(r"\\[A-Za-z]", "", phrase) != re.sub(r"\\[A-Za-z]", "", phrase).lower():
            raise ConfigError(f"{file}: [{key}] phrase {phrase!r} must be lower case (text is lower-cased)")
    return phrases


def _compiled(file: Path, key: str, phrases: list[str], build: Callable[[list[str]], _P]) -> _P:
    try:
        return build(phrases)
    except re.error:  # name the phrase that is wrong
        for phrase in phrases:
            try:
                re.compile(phrase)
            except re.error as exc:
                raise ConfigError(f"{file}: [{key}] phrase {phrase!r} is not a valid pattern: {exc}") from None
        raise


def _alternation(phrases: list[str]) -> re.Pattern[str]:
    # Matched against lower-cased text without re.IGNORECASE: the same result, and
    # Python's engine is markedly faster on case-sensitive alternations.
    return re.compile("|".join(f"(?:{p})" for p in phrases))


def _union(file: Path, table: dict, key: str, lists: tuple[str, ...] = ("de", "en")) -> re.Pattern[str]:
    return _compiled(file, key, _phrases(file, table, key, lists), _alternation)


def _phrase_set(file: Path, table: dict, key: str, lists: tuple[str, ...] = ("de", "en")) -> PhraseSet:
    """The same alternation as ``_union``, for the long lists searched over a whole mail."""
    return _compiled(file, key, _phrases(file, table, key, lists), PhraseSet)


def _optional_phrases(file: Path, table: dict, key: str) -> list[str]:
    """A top-level list of patterns (rules/auto.toml); empty when the operator has none."""
    phrases = table.get(key, [])
    if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
        raise ConfigError(f"{file}: {key} must be a list of patterns")
    return phrases


def _optional_union(file: Path, table: dict, key: str) -> re.Pattern[str] | None:
    """A top-level list of patterns (rules/auto.toml), or None when the operator has none."""
    if not _optional_phrases(file, table, key):
        return None
    return _union(file, {key: {"all": table[key]}}, key, ("all",))


def _optional_phrase_set(file: Path, table: dict, key: str) -> PhraseSet | None:
    if not _optional_phrases(file, table, key):
        return None
    return _phrase_set(file, {key: {"all": table[key]}}, key, ("all",))


def _read(file: Path) -> dict:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"rules file {file} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file {file} is not valid TOML: {exc}") from None


@cache
def load_rules(folder: str = "") -> Rules:
    base = Path(folder) if folder else bundled_dir("rules")
    intents_file, roles_file, auto_file = base / "intents.toml", base / "roles.toml", base / "auto.toml"
    intents, roles, auto = _read(intents_file), _read(roles_file), _read(auto_file)
    # An operator's rules folder from before conversations has no such file: the bundled one stands in.
    conversations_file = base / "conversations.toml"
    if not conversations_file.exists():
        conversations_file = bundled_dir("rules") / "conversations.toml"
    conversations = _read(conversations_file)
    headers = []
    for rule in auto.get("headers", []):
        pattern = rule.get("pattern", "")
        headers.append(HeaderRule(rule["name"].lower(), re.compile(pattern, re.I) if pattern else None))
    return Rules(
        reactivate=_phrase_set(intents_file, intents, "reactivate"),
        link=_phrase_set(intents_file, intents, "link"),
        renewal=_phrase_set(intents_file, intents, "lapsed_after_renewal", ("renewal",)),
        lapse=_phrase_set(intents_file, intents, "lapsed_after_renewal", ("lapse",)),
        negation=_union(intents_file, intents, "negation"),
        negation_window=int(intents.get("negation", {}).get("window_words", 3)),
        account_context=_union(intents_file, intents, "account_context"),
        not_a_request=_phrase_set(intents_file, intents, "not_a_request"),
        ask=_union(intents_file, intents, "ask"),
        primary_cues=_union(roles_file, roles, "primary"),
        # "my account" counts only right before the address: "my account (boss@x)", "mein Konto: …"
        my_account_cues=re.compile(
            f"(?:{_union(roles_file, roles, 'my_account').pattern})" + r"\s*(?:\(|:|-|–|is|ist|lautet)?\s*$"
        ),
        team_cues=_union(roles_file, roles, "team_member"),
        # "assistant of Dr. Berg (", "Teammitglied-Konto unter ": a team-member cue, then one of
        # these words, right before the address.
        team_member_of=re.compile(
            f"(?:{_union(roles_file, roles, 'team_member').pattern})(?:[ -]?(?:account|konto|zugang)\\w*)?"
            f" (?:{_union(roles_file, roles, 'team_member_of').pattern})" + r"[\s,;:(<\[\"'-]*$"
        ),
        # The whole text between two addresses: "A to B", "A bitte zum Konto B", "A (that's me) to B".
        link_target=re.compile(
            r"[\s,;)\]>\"']*(?:\([^()\n]{0,40}\)\s*)?(?:(?:'s account|'s konto|bitte|please|also|auch|doch|gerne?) )*"
            f"(?:{_union(roles_file, roles, 'link_target').pattern})"
            r"(?: (?:the|an?|dem|den|das|der|die|ein\w*|account|accounts|konto|kontos|of|von|des))*[\s(<\[\"':]*"
        ),
        not_account_cues=_union(roles_file, roles, "not_an_account"),
        # These phrases start at a word ("mein Chef", "my boss"): anchoring them there
        # lets the engine skip mid-word positions, several times faster on long text.
        sender_is_team_member=re.compile(
            r"(?<!\w)(?:" + _union(roles_file, roles, "sender_is_team_member").pattern + ")"
        ),
        auto_headers=tuple(headers),
        auto_sender_local_parts=frozenset(p.lower() for p in auto.get("sender_local_parts", [])),
        auto_sender_patterns=_optional_union(auto_file, auto, "sender_local_patterns"),
        auto_subject=_optional_union(auto_file, auto, "subject_patterns"),
        auto_body=_optional_phrase_set(auto_file, auto, "body_patterns"),
        acknowledgement=_union(conversations_file, conversations, "acknowledgement"),
        acknowledgement_unless=_union(conversations_file, conversations, "acknowledgement_unless"),
        acknowledgement_max_words=int(conversations.get("acknowledgement_words", {}).get("max", 40)),
        confirmation=_union(conversations_file, conversations, "confirmation"),
        confirmation_unless=_union(conversations_file, conversations, "confirmation_unless"),
    )
