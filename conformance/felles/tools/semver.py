"""Version bumps: which one a set of changes needs, and which one two versions show.

Felles component versions are ``MAJOR.MINOR`` (a ``.PATCH`` part is accepted
for directories of drafts). The rule (DESIGN.md, "Versioning"):

- a breaking change needs a new MAJOR version;
- an additive (non-breaking) change needs at least a new MINOR version;
- editorial changes (descriptions, examples) need no new version.

Before 1.0 (MAJOR 0) a breaking change needs only a new MINOR version, as
in Semantic Versioning's initial-development rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from felles.errors import UsageError

_VERSION: Final = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$")


class Level(IntEnum):
    """How much a change matters to existing clients; ordered, so ``max`` is the worst."""

    NONE = 0
    PATCH = 1  # editorial: descriptions, titles, examples
    NON_BREAKING = 2  # additive: new optional things, deprecations
    BREAKING = 3

    @property
    def label(self) -> str:
        return {0: "none", 1: "patch", 2: "non-breaking", 3: "breaking"}[self.value]


class Bump(IntEnum):
    """A version step, ordered from none to major; DOWNGRADE sorts below NONE."""

    DOWNGRADE = -1
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.match(text)
        if not match:
            raise UsageError(f"version {text!r} is not MAJOR.MINOR", hint="for example 1.0 or 2.1")
        major, minor, patch = match.groups()
        return cls(int(major), int(minor), int(patch or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" + (f".{self.patch}" if self.patch else "")


def actual_bump(old: Version, new: Version) -> Bump:
    """The step from ``old`` to ``new``."""
    if new < old:
        return Bump.DOWNGRADE
    if new.major > old.major:
        return Bump.MAJOR
    if new.minor > old.minor:
        return Bump.MINOR
    if new.patch > old.patch:
        return Bump.PATCH
    return Bump.NONE


def required_bump(level: Level, old: Version) -> Bump:
    """The smallest step a change of ``level`` needs, starting from ``old``."""
    if level is Level.BREAKING:
        return Bump.MINOR if old.major == 0 else Bump.MAJOR
    if level is Level.NON_BREAKING:
        return Bump.MINOR
    return Bump.NONE


def next_version(old: Version, bump: Bump) -> Version:
    """The smallest version after ``old`` that makes the step ``bump``."""
    if bump is Bump.MAJOR:
        return Version(old.major + 1, 0)
    if bump is Bump.MINOR:
        return Version(old.major, old.minor + 1)
    if bump is Bump.PATCH:
        return Version(old.major, old.minor, old.patch + 1)
    return old
