r"""Cheap strategies for the simple regular expressions the standard's schemas use.

Hypothesis's ``from_regex`` draws every character as its own choice (plus a
"one more?" choice), which made pattern strings ~40 % of the time spent
generating an ``ApplicationSubmission``. The schemas' patterns are small:
anchored sequences of literals, character classes, groups, alternations and
repeats. For those, :func:`sized_regex_strategy` builds the string from a few
draws, a repeated character class being a single ``st.text`` draw, and pushes
the schema's ``minLength``/``maxLength`` into the one variable-length repeat so
nothing has to be filtered away.

Anything outside that subset (backreferences, lookarounds, ``\b``, possessive
repeats, anchors in the middle) returns ``None`` and the caller falls back to
``from_regex``. The caller still filters every string by the compiled pattern,
so a mistake here can only cost rejected examples, never a non-matching string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = ["sized_regex_strategy", "text_with_edges"]

#: Upper bound for an unbounded repeat of a group (``(?:...)*``) inside a pattern.
GROUP_REPEAT_CAP: Final = 8

_WIDE_POOL: Final = "".join(
    chr(code) for code in range(0x20, 0x300) if unicodedata.category(chr(code)) not in ("Cc", "Cs")
)
_CLASS_ESCAPES: Final = frozenset("dDsSwW")
_LITERAL_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}


class _OutsideSubsetError(Exception):
    """The pattern leaves the subset; the caller uses ``from_regex``."""


@dataclass(frozen=True)
class _Literal:
    text: str


@dataclass(frozen=True)
class _Class:
    chars: str


@dataclass(frozen=True)
class _Repeat:
    item: _Node
    low: int
    high: int | None


@dataclass(frozen=True)
class _Sequence:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alternation:
    options: tuple[_Node, ...]


_Node = _Literal | _Class | _Repeat | _Sequence | _Alternation


def sized_regex_strategy(
    pattern: str, alphabet: str, min_length: int = 0, max_length: int = 40
) -> tuple[SearchStrategy[str], bool] | None:
    r"""Strings that fully match ``pattern`` (Python ``re``, ``$`` already made ``\Z``), and
    whether every one's length is within ``min_length`` and ``max_length``.

    Characters come from ``alphabet`` where a class allows one of them, else
    from printable Latin and IPA letters. ``max_length`` also caps unbounded
    repeats. ``None`` when the pattern is outside the supported subset.
    """
    try:
        tree = _capped(_parse(pattern, alphabet), min_length, max_length)
    except _OutsideSubsetError:
        return None
    shortest, longest = _length(tree)
    fits = min_length <= shortest and longest is not None and longest <= max_length
    return _strategy(tree), fits


# --- parsing --------------------------------------------------------------------------------


def _parse(pattern: str, alphabet: str) -> _Node:
    body = pattern.removeprefix("^")
    if body.endswith(r"\Z") and not body.endswith(r"\\Z"):
        body = body[:-2]
    parser = _Parser(body, alphabet)
    node = parser.alternation()
    if parser.index != len(body):
        raise _OutsideSubsetError(f"unexpected {body[parser.index]!r}")
    return node


class _Parser:
    def __init__(self, text: str, alphabet: str) -> None:
        self.text = text
        self.alphabet = alphabet
        self.index = 0

    def peek(self) -> str:
        return self.text[self.index] if self.index < len(self.text) else ""

    def alternation(self) -> _Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.index += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else _Alternation(tuple(options))

    def sequence(self) -> _Node:
        items: list[_Node] = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom()))
        merged: list[_Node] = []
        for item in items:
            if merged and isinstance(item, _Literal) and isinstance(merged[-1], _Literal):
                merged[-1] = _Literal(merged[-1].text + item.text)
            else:
                merged.append(item)
        return merged[0] if len(merged) == 1 else _Sequence(tuple(merged))

    def atom(self) -> _Node:
        char = self.peek()
        if char == "(":
            self.index += 1
            if self.text.startswith("?:", self.index):
                self.index += 2
            elif self.peek() == "?":
                raise _OutsideSubsetError("group extension")
            inner = self.alternation()
            if self.peek() != ")":
                raise _OutsideSubsetError("unclosed group")
            self.index += 1
            return inner
        if char == "[":
            return self.char_class()
        if char == "\\":
            return self.escape()
        if char == ".":
            self.index += 1
            return self.class_of(".")
        if char in "*+?{^$":
            raise _OutsideSubsetError(f"{char!r} here")
        self.index += 1
        return _Literal(char)

    def escape(self) -> _Node:
        start = self.index
        letter = self.text[self.index + 1 : self.index + 2]
        if letter in _CLASS_ESCAPES:
            self.index += 2
            return self.class_of(self.text[start : self.index])
        if letter == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", self.text[start + 2 : start + 6]):
            self.index += 6
            return _Literal(chr(int(self.text[start + 2 : start + 6], 16)))
        if letter in _LITERAL_ESCAPES:
            self.index += 2
            return _Literal(_LITERAL_ESCAPES[letter])
        if letter and not letter.isalnum():
            self.index += 2
            return _Literal(letter)
        raise _OutsideSubsetError(f"escape \\{letter}")

    def char_class(self) -> _Node:
        start = self.index
        index = start + 1
        if self.text[index : index + 1] == "^":
            index += 1
        if self.text[index : index + 1] == "]":
            index += 1
        while index < len(self.text) and self.text[index] != "]":
            if self.text[index] == "[":
                raise _OutsideSubsetError("nested set")
            index += 2 if self.text[index] == "\\" else 1
        if index >= len(self.text):
            raise _OutsideSubsetError("unclosed class")
        self.index = index + 1
        return self.class_of(self.text[start : self.index])

    def class_of(self, source: str) -> _Class:
        chars = _class_chars(source, self.alphabet)
        if not chars:
            raise _OutsideSubsetError(f"no printable character matches {source}")
        return _Class(chars)

    def quantified(self, node: _Node) -> _Node:
        char = self.peek()
        if char in ("*", "+", "?"):
            self.index += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{":
            found = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.text, self.index)
            if not found:
                raise _OutsideSubsetError("malformed repeat")
            self.index = found.end()
            low = int(found.group(1))
            high = low if found.group(2) is None else (int(found.group(3)) if found.group(3) else None)
        else:
            return node
        if self.peek() == "?":  # lazy: the same strings
            self.index += 1
        elif self.peek() == "+":
            raise _OutsideSubsetError("possessive repeat")
        return _Repeat(node, low, high)


@lru_cache(maxsize=256)
def _class_chars(source: str, alphabet: str) -> str:
    """The characters of ``alphabet`` (else of the wide pool) the class ``source`` matches."""
    try:
        matcher = re.compile(source)
    except re.error as exc:
        raise _OutsideSubsetError(str(exc)) from exc
    for pool in (alphabet, _WIDE_POOL):
        chars = "".join(char for char in pool if matcher.fullmatch(char))
        if chars:
            return chars
    return ""


# --- strategies -----------------------------------------------------------------------------


def _length(node: _Node) -> tuple[int, int | None]:
    """(shortest, longest) string the node produces; ``None`` when unbounded."""
    if isinstance(node, _Literal):
        return len(node.text), len(node.text)
    if isinstance(node, _Class):
        return 1, 1
    if isinstance(node, _Repeat):
        low, high = _length(node.item)
        longest = None if node.high is None or high is None else high * node.high
        return low * node.low, longest
    parts = [_length(item) for item in (node.items if isinstance(node, _Sequence) else node.options)]
    if isinstance(node, _Sequence):
        highs = [high for _, high in parts]
        return sum(low for low, _ in parts), None if None in highs else sum(h for h in highs if h is not None)
    highs = [high for _, high in parts]
    return min(low for low, _ in parts), None if None in highs else max(h for h in highs if h is not None)


def _capped(node: _Node, min_length: int, max_length: int) -> _Node:
    """The tree with every repeat bounded, and the string's length bounds pushed into its one free repeat."""
    items = node.items if isinstance(node, _Sequence) else (node,)
    free = [i for i, item in enumerate(items) if _length(item)[0] != _length(item)[1]]
    share = max(1, max_length // max(1, len(free)))  # several free repeats split the length
    capped = [_bound_repeats(item, share) for item in items]
    if len(free) == 1:
        index = free[0]
        repeat = items[index]
        if isinstance(repeat, _Repeat) and isinstance(repeat.item, _Class):
            fixed = sum(_length(item)[0] for i, item in enumerate(items) if i != index)
            low = max(repeat.low, min_length - fixed)
            high = max_length - fixed if repeat.high is None else min(repeat.high, max_length - fixed)
            if low > high:
                raise _OutsideSubsetError("length bounds exclude the pattern")
            capped[index] = _Repeat(repeat.item, low, high)
    return capped[0] if len(capped) == 1 else _Sequence(tuple(capped))


def _bound_repeats(node: _Node, cap: int) -> _Node:
    """Every unbounded repeat given an upper bound (``cap`` characters, or a few groups)."""
    if isinstance(node, _Sequence):
        return _Sequence(tuple(_bound_repeats(item, cap) for item in node.items))
    if isinstance(node, _Alternation):
        return _Alternation(tuple(_bound_repeats(option, cap) for option in node.options))
    if not isinstance(node, _Repeat):
        return node
    item = _bound_repeats(node.item, cap)
    if node.high is not None:
        return _Repeat(item, node.low, node.high)
    if isinstance(item, _Class):
        return _Repeat(item, node.low, max(node.low, cap))
    return _Repeat(item, node.low, node.low + GROUP_REPEAT_CAP)


def _strategy(node: _Node) -> SearchStrategy[str]:
    if isinstance(node, _Literal):
        return st.just(node.text)
    if isinstance(node, _Class):
        return st.sampled_from(node.chars)
    if isinstance(node, _Sequence):
        return _join([_strategy(item) for item in node.items])
    if isinstance(node, _Alternation):
        return st.one_of([_strategy(option) for option in node.options])
    if isinstance(node.item, _Class):
        return text_with_edges(node.item.chars, node.low, node.high if node.high is not None else node.low)
    return st.lists(_strategy(node.item), min_size=node.low, max_size=node.high).map("".join)


def text_with_edges(chars: str, min_size: int, max_size: int) -> SearchStrategy[str]:
    """``st.text`` over ``chars``; where a space is allowed, often one with a space at each end.

    Trimming what was sent is a classic fault of a system under test, and a
    space at both ends is rare in uniformly drawn text (one character in ~70).
    """
    plain = st.text(chars, min_size=min_size, max_size=max_size)
    if " " not in chars or len(chars) == 1 or max_size < 2:
        return plain
    inner = st.text(chars, min_size=max(0, min_size - 2), max_size=max_size - 2)
    return st.one_of(plain, inner.map(lambda text: f" {text} "))


def _join(parts: list[SearchStrategy[str]]) -> SearchStrategy[str]:
    if len(parts) == 1:
        return parts[0]
    return st.tuples(*parts).map("".join)
