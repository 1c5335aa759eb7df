"""A long list of phrases matched like one alternation, but only the phrases that can match.

The operators' request phrases (``rules/intents.toml``) are joined into one
regular expression ``(?:p1)|(?:p2)|…``. Python's engine tries every alternative
at every position of the text, and most of these phrases start with ``\\b``, a
group or an optional part, for which it has no fast scan: the link phrases cost
over 100 µs per mail, more than parsing it. Yet almost every phrase needs some
literal text (``verknüpf``, ``hook``, ``again``), and a phrase whose literal text
is not in the mail cannot match there.

``PhraseSet`` reads each phrase's required literals from its parsed form, checks
them with ``in`` (fast, in C), and searches with the alternation of the
phrases that are left, in their order. The matches are exactly those of the full
alternation (the same spans, and the full pattern's own match object, groups and
all): a phrase without a required literal is always kept, and a set with a
back-reference or a phrase that can match the empty string uses the full
alternation only. Anything the parser cannot tell just keeps the phrase: the
worst case is the old speed, never a different match.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

try:  # the standard library's own regex parser; private, so its absence costs only speed
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - other Pythons
    _parser = None

#: Shorter literals are in almost every text: checking them filters nothing.
MIN_NEEDLE = 2
#: Each phrase is kept when its best (longest) required literals are all in the text.
CLAUSES_PER_PHRASE = 2
#: Compiled reduced alternations kept per set (one per combination of phrases left).
CACHE_SIZE = 256

Clause = frozenset[str]  # the text holds at least one of these strings


def _clauses(items: Any) -> list[Clause]:
    """Requirements of a parsed sequence: every match contains a member of each clause."""
    out: list[Clause] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is _parser.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is _parser.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if not add_flags & re.IGNORECASE:
                out.extend(_clauses(sub.data))
        elif op is _parser.ATOMIC_GROUP:
            out.extend(_clauses(av.data))
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
            low, _high, sub = av
            if low >= 1:
                out.extend(_clauses(sub.data))
        elif op is _parser.BRANCH:
            either: set[str] = set()
            for branch in av[1]:
                best = _best(_clauses(branch.data), 1)
                if not best:  # one way through needs no literal: the branch requires none
                    break
                either |= best[0]
            else:
                out.append(frozenset(either))
        # anything else (\b, classes, ., look-arounds, back-references) requires no literal
    flush()
    return out


def _best(clauses: list[Clause], keep: int) -> list[Clause]:
    """The ``keep`` clauses whose shortest member is longest: the rarest text to find."""
    useful = [c for c in clauses if min(map(len, c)) >= MIN_NEEDLE]
    useful.sort(key=lambda c: (min(map(len, c)), -len(c)), reverse=True)
    return useful[:keep]


def _walk(tree: Any) -> Iterator[tuple[Any, Any]]:
    for op, av in tree.data if hasattr(tree, "data") else tree:
        yield op, av
        for part in av if isinstance(av, tuple | list) else (av,):
            if hasattr(part, "data"):
                yield from _walk(part)
            elif isinstance(part, list) and part and hasattr(part[0], "data"):
                for branch in part:
                    yield from _walk(branch)


def required_literals(phrase: str) -> list[Clause] | None:
    """The phrase's best clauses ([] when it needs no literal), or None when the set must
    not be reduced at all (a back-reference, an empty match, a parser we do not know)."""
    if _parser is None:
        return None
    try:
        tree = _parser.parse(phrase)
        if tree.getwidth()[0] == 0:
            return None
        if any(op in (_parser.GROUPREF, _parser.GROUPREF_EXISTS) for op, _av in _walk(tree)):
            return None
        if tree.state.flags & re.IGNORECASE:
            return []
        return _best(_clauses(tree.data), CLAUSES_PER_PHRASE)
    except Exception:  # an odd phrase, a changed parser: keep it, use the full alternation
        return None


class PhraseSet:
    """``re.compile("|".join(f"(?:{p})" for p in phrases))``, searched faster.

    ``search`` and ``finditer`` return the full pattern's matches; ``pattern`` is its
    text. Only a match's ``pos`` may differ (it is where that match was tried).
    """

    def __init__(self, phrases: Sequence[str]) -> None:
        self.phrases = tuple(phrases)
        self.pattern = "|".join(f"(?:{p})" for p in self.phrases)
        self.full = re.compile(self.pattern)
        self._all = (1 << len(self.phrases)) - 1
        needs = [required_literals(p) for p in self.phrases]
        self._reducible = len(self.phrases) > 1 and all(n is not None for n in needs)
        needles = sorted({s for n in needs if n for clause in n for s in clause})
        bit = {s: 1 << i for i, s in enumerate(needles)}
        self._always = 0  # phrases without a required literal
        # Each phrase's first (rarest) clause is checked for every text, its second only
        # when the first is there: most phrases fail the first, so few texts pay for both.
        firsts: set[str] = set()
        # (phrase bit, needles of its first clause, the (needle, bit)s of its second or None)
        checks: list[tuple[int, int, tuple[tuple[str, int], ...] | None]] = []
        for index, clauses in enumerate(needs):
            if not clauses:
                self._always |= 1 << index
                continue
            firsts |= clauses[0]
            second = tuple((s, bit[s]) for s in sorted(clauses[1])) if len(clauses) > 1 else None
            checks.append((1 << index, sum(bit[s] for s in clauses[0]), second))
        self._firsts = tuple((s, bit[s]) for s in sorted(firsts))
        self._checked_first = sum(bit[s] for s in firsts)
        self._checks = tuple(checks)
        self._reduced: dict[int, re.Pattern[str]] = {}

    def __repr__(self) -> str:
        return f"PhraseSet({len(self.phrases)} phrases)"

    def __reduce__(self) -> tuple[type[PhraseSet], tuple[tuple[str, ...]]]:
        return PhraseSet, (self.phrases,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PhraseSet) and other.phrases == self.phrases

    def __hash__(self) -> int:
        return hash(self.phrases)

    def _alive(self, text: str, pos: int, endpos: int) -> int:
        """The phrases (one bit each) that can match in ``text[pos:endpos]``."""
        if not self._reducible:
            return self._all
        # A match lies inside text[pos:endpos], and so does every literal it needs (the
        # bounds clamped as the engine clamps them).
        start, stop = min(max(pos, 0), len(text)), min(max(endpos, 0), len(text))
        has = (text if start == 0 and stop == len(text) else text[start:stop]).__contains__
        present = 0
        for needle, bit in self._firsts:
            if has(needle):
                present |= bit
        alive = self._always
        if not present:
            return alive
        checked = self._checked_first
        for phrase, first, second in self._checks:
            if not present & first:
                continue
            if second is None:
                alive |= phrase
                continue
            for needle, bit in second:
                if not bit & checked:
                    checked |= bit
                    if has(needle):
                        present |= bit
                if bit & present:
                    alive |= phrase
                    break
        return alive

    def _pattern_for(self, alive: int) -> re.Pattern[str]:
        if alive == self._all:
            return self.full
        pattern = self._reduced.get(alive)
        if pattern is None:
            if len(self._reduced) >= CACHE_SIZE:
                self._reduced.clear()
            kept = (p for i, p in enumerate(self.phrases) if alive >> i & 1)
            pattern = self._reduced[alive] = re.compile("|".join(f"(?:{p})" for p in kept))
        return pattern

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        alive = self._alive(text, pos, endpos)
        if not alive:
            return None
        pattern = self._pattern_for(alive)
        found = pattern.search(text, pos, endpos)
        if found is None or pattern is self.full:
            return found
        # The same span; the full pattern's match carries its own groups.
        return self.full.match(text, found.start(), endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        alive = self._alive(text, pos, endpos)
        if not alive:
            return
        pattern = self._pattern_for(alive)
        if pattern is self.full:
            yield from pattern.finditer(text, pos, endpos)
            return
        for found in pattern.finditer(text, pos, endpos):
            match = self.full.match(text, found.start(), endpos)
            assert match is not None and match.end() == found.end()
            yield match
