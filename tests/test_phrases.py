"""PhraseSet finds exactly what the plain alternation of its phrases finds, only faster.

The request phrases are searched as a ``PhraseSet``; these tests hold it to the
plain ``(?:p1)|(?:p2)|…`` on every mail we have, on random text built from the
phrases' own words, and on the patterns it must not reduce.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.mail.parse import parse_mail
from mailbot.mail.quotes import strip_quoted_history
from mailbot.triage.phrases import PhraseSet, required_literals
from mailbot.triage.rules import load_rules

DATA = Path(__file__).parent / "data"
RULES = load_rules()
SETS = {
    "reactivate": RULES.reactivate,
    "link": RULES.link,
    "renewal": RULES.renewal,
    "lapse": RULES.lapse,
    "auto_body": RULES.auto_body,
    "not_a_request": RULES.not_a_request,
}


def _texts() -> list[str]:
    """Every test mail's lower-cased text, own text and subject: what triage searches."""
    texts = []
    for path in sorted(DATA.rglob("*.eml")):
        mail = parse_mail(path.read_bytes())
        own = strip_quoted_history(mail.text, subject=mail.subject).own
        texts += [mail.text.lower(), f"{mail.subject}. {own}".lower()]
    return texts


TEXTS = _texts()


def _spans(matches: object) -> list[tuple[tuple[int, int], tuple[str | None, ...], str]]:
    return [(m.span(), m.groups(), m.re.pattern) for m in matches]  # type: ignore[attr-defined]


def _same(phrases: PhraseSet, text: str) -> None:
    full = re.compile(phrases.pattern)
    assert _spans(phrases.finditer(text)) == _spans(full.finditer(text))
    for start in range(0, len(text) + 1, max(1, len(text) // 7)):
        for stop in (start + 40, start + 200, len(text)):
            expected, got = full.search(text, start, stop), phrases.search(text, start, stop)
            assert _spans([got] if got else []) == _spans([expected] if expected else []), (start, stop)


def test_the_test_mails_are_there() -> None:
    assert len(TEXTS) > 150
    assert all(isinstance(s, PhraseSet) for s in SETS.values())


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_test_mail_matches_as_with_the_plain_alternation(name: str) -> None:
    phrases = SETS[name]
    assert phrases is not None
    hits = 0
    for text in TEXTS:
        _same(phrases, text)
        hits += phrases.search(text) is not None
    assert hits, f"no test mail has a {name} phrase: the comparison proved nothing"


def _words(phrases: PhraseSet) -> list[str]:
    return sorted({w for p in phrases.phrases for w in re.findall(r"[a-zäöüß']+", p)} | {"<addr>", "again", "team"})


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data())
def test_random_text_of_the_phrases_own_words_matches_as_with_the_plain_alternation(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(SETS)))
    phrases = SETS[name]
    assert phrases is not None
    pieces = st.one_of(st.sampled_from(_words(phrases)), st.sampled_from([" ", " ", ", ", ". ", "\n", "-", "ü"]))
    text = "".join(data.draw(st.lists(pieces, max_size=40)))
    _same(phrases, text)


@pytest.mark.parametrize(
    "phrases",
    [
        [r"(a+)\1", "b"],  # a back-reference: numbered groups move in a smaller alternation
        [r"(?P<x>ab)(?P=x)", "cd"],
        ["(x)?(?(1)y|z)", "ab"],  # a conditional
        ["", "ab"],  # matches the empty string everywhere
        [r"\b", "ab"],
        ["(?:zz)?", "ab"],
    ],
)
def test_patterns_it_must_not_reduce_still_match_the_same(phrases: list[str]) -> None:
    phrase_set = PhraseSet(phrases)
    for text in ["", "ab", "aabb cd abab", "xy zab", "aaaa ab b", "cdcd  ab  ab"]:
        _same(phrase_set, text)


def test_required_literals_are_the_rarest_text_a_phrase_needs() -> None:
    assert required_literals(r"verknüpf\w*") == [frozenset({"verknüpf"})]
    assert required_literals(r"(zu)?zuordnen|zugeordnet") == [frozenset({"zuordnen", "zugeordnet"})]
    # The two longest, where several are needed; an optional part needs nothing.
    assert required_literals(r"\bhook\w* .{0,60}\bup(date)?\b") == [frozenset({"hook"}), frozenset({"up"})]
    # One way through without a literal: the branch needs none.
    assert required_literals(r"(foo|\w+) bar") == [frozenset({" bar"})]
    assert required_literals(r"(?i:abc)") == []
    assert required_literals(r"(?i)abc") == []
    assert required_literals(r"(a)\1") is None
    assert required_literals(r"x?") is None


def test_search_bounds_are_clamped_as_the_engine_clamps_them() -> None:
    phrases = PhraseSet([r"\bhook\w* up\b", "link", "missing"])
    full = re.compile(phrases.pattern)
    text = "link it, hook it up, link"
    for start, stop in [(-5, 4), (-100, 100), (5, -1), (3, 2), (0, 10**9), (len(text) + 3, len(text) + 9)]:
        got, expected = phrases.search(text, start, stop), full.search(text, start, stop)
        assert _spans([got] if got else []) == _spans([expected] if expected else []), (start, stop)


def test_phrases_whose_text_is_absent_are_not_searched_but_the_order_is_kept() -> None:
    # "hook up" is first in the list: where both could match at the same place, it wins.
    phrases = PhraseSet([r"\bhook\w* up\b", r"\bhook\w*", "link", "missing"])
    assert [m.group(0) for m in phrases.finditer("hook up, hooks, link")] == ["hook up", "hooks", "link"]
    assert phrases.search("a hook up").group(0) == "hook up"  # type: ignore[union-attr]
    assert [m.lastindex for m in phrases.finditer("link")] == [None]
    assert phrases.search("nothing here") is None


def test_a_phrase_set_pickles_and_compares_by_its_phrases() -> None:
    link = RULES.link
    copy = pickle.loads(pickle.dumps(link))
    assert copy == link and hash(copy) == hash(link)
    assert copy.pattern == link.pattern
    assert copy != PhraseSet(["link"])
