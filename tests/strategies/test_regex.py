"""The few-draw regex strategies: every string matches, lengths stay in bounds, the rest falls back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from felles.strategies.from_schema import TEXT_ALPHABET, strict_pattern
from felles.strategies.regex import sized_regex_strategy, text_with_edges

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _patterns(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                found.add(value)
            found |= _patterns(value)
    elif isinstance(node, list):
        for value in node:
            found |= _patterns(value)
    return found


SCHEMA_PATTERNS = sorted(
    {p for path in SCHEMAS.rglob("*.schema.json") for p in _patterns(json.loads(path.read_text("utf-8")))}
)


def _drawn(strategy: st.SearchStrategy[str], count: int = 150) -> list[str]:
    found: list[str] = []

    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: str) -> None:
        found.append(value)

    collect()
    return found


def _strategy(pattern: str) -> st.SearchStrategy[str]:
    sized = sized_regex_strategy(pattern, TEXT_ALPHABET)
    assert sized is not None, pattern
    return sized[0]


def test_the_standard_has_patterns() -> None:
    assert len(SCHEMA_PATTERNS) >= 20


@pytest.mark.parametrize("pattern", SCHEMA_PATTERNS)
def test_every_schema_pattern_is_in_the_subset_and_matched(pattern: str) -> None:
    strict = strict_pattern(pattern)
    sized = sized_regex_strategy(strict, TEXT_ALPHABET, 0, 40)
    assert sized is not None, f"{pattern} fell back to from_regex"
    strategy, fits = sized
    compiled = re.compile(strict)
    for value in _drawn(strategy):
        assert compiled.search(value), (pattern, value)
        if fits:
            assert len(value) <= 40


@pytest.mark.parametrize(
    ("pattern", "low", "high"),
    [(r"^[a-z]+\Z", 5, 7), (r"^[0-9]{4}/[1-9][0-9]*\Z", 6, 9), (r"^\+[1-9][0-9]{7,14}\Z", 0, 12)],
)
def test_length_bounds_go_into_the_one_free_repeat(pattern: str, low: int, high: int) -> None:
    sized = sized_regex_strategy(pattern, TEXT_ALPHABET, low, high)
    assert sized is not None
    strategy, fits = sized
    assert fits
    lengths = {len(value) for value in _drawn(strategy)}
    assert min(lengths) >= low
    assert max(lengths) <= high
    assert len(lengths) > 1  # still varied


def test_bounds_the_pattern_cannot_meet_fall_back() -> None:
    assert sized_regex_strategy(r"^[0-9]{4}\Z", TEXT_ALPHABET, 5, 10) is not None  # fixed: caller filters
    assert sized_regex_strategy(r"^[0-9]{4}\Z", TEXT_ALPHABET, 5, 10)[1] is False  # type: ignore[index]
    assert sized_regex_strategy(r"^a[0-9]{0,3}\Z", TEXT_ALPHABET, 6, 10) is None


def test_two_free_repeats_are_not_promised_to_fit() -> None:
    sized = sized_regex_strategy(r"^[a-z]+-[a-z]+\Z", TEXT_ALPHABET, 10, 12)
    assert sized is not None
    assert sized[1] is False


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", r"a(?=b)", r"\bword", r"a^b", r"a\Zb", r"a++", r"(?P<x>a)", r"[[:alpha:]]", r"[\x00-\x1f]"],
)
def test_outside_the_subset_returns_none(pattern: str) -> None:
    assert sized_regex_strategy(pattern, TEXT_ALPHABET) is None


def test_classes_prefer_the_alphabet_and_widen_only_when_needed() -> None:
    latin = _drawn(_strategy(r"^[^\u0000-\u001f]{3}\Z"))
    assert all(char in TEXT_ALPHABET for value in latin for char in value)
    greek = _drawn(_strategy(r"^[\u0250-\u02af]\Z"))
    assert all("\u0250" <= value <= "\u02af" for value in greek)


# Random patterns from the subset's grammar: whatever the shape, every string must fully match.
_CLASSES = st.sampled_from([r"[a-z]", r"[0-9]", r"[^\s]", r"\d", r"[A-ZÆØÅ]", r"[^/\\\u0000-\u001f]", r"."])
_LITERALS = st.sampled_from(["a", r"\.", r"\+", "/", "-", r"\u00e6", "=="])
_QUANTIFIERS = st.sampled_from(["", "*", "+", "?", "{2}", "{0,3}", "{1,}", "*?"])
#: Inside groups only bounded repeats: nested unbounded ones make Python's ``re`` backtrack for
#: hours while checking a string, in C, where no test timeout can stop it.
_BOUNDED_QUANTIFIERS = st.sampled_from(["", "?", "{2}", "{0,3}"])


def _patterns_of(depth: int, quantifiers: st.SearchStrategy[str] = _QUANTIFIERS) -> st.SearchStrategy[str]:
    piece = st.builds(lambda a, q: a + q, st.one_of(_CLASSES, _LITERALS), quantifiers)
    if depth > 0:
        inner = _patterns_of(depth - 1, _BOUNDED_QUANTIFIERS)
        group = st.one_of(st.builds("(?:{})".format, inner), st.builds("({}|{})".format, inner, inner))
        piece = st.one_of(piece, st.builds(lambda g, q: g + q, group, _BOUNDED_QUANTIFIERS))
    return st.lists(piece, min_size=1, max_size=4).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_patterns_of(2), data=st.data())
def test_random_subset_patterns_always_match(pattern: str, data: st.DataObject) -> None:
    anchored = f"^{pattern}\\Z"
    sized = sized_regex_strategy(anchored, TEXT_ALPHABET, 0, 30)
    assert sized is not None, anchored
    strategy, fits = sized
    value = data.draw(strategy)
    assert re.search(anchored, value), (anchored, value)
    if fits:
        assert len(value) <= 30


def test_text_where_spaces_are_allowed_often_has_them_at_both_ends() -> None:
    values = _drawn(text_with_edges("ab ", 3, 6), count=200)
    assert all(3 <= len(v) <= 6 and set(v) <= set("ab ") for v in values)
    assert sum(v.startswith(" ") and v.endswith(" ") for v in values) >= 20
    assert all(" " not in v for v in _drawn(text_with_edges("ab", 0, 6), count=50))
