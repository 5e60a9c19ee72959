"""Parse the numbered requirements out of the spec's Markdown.

A requirement is an admonition block::

    !!! requirement "/req/<component>/<class>/<name>"
        **Title.** Text with its RFC 2119 keyword (MUST, SHOULD, MAY ...).

The block is the single source of a requirement's ID, class, keyword and
title: the runner, the reports and the linter all read it from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from felles.errors import StandardError

REQUIREMENT_ID = re.compile(
    r"^/req/(?P<component>[a-z][a-z0-9-]*)/(?P<cls>[a-z][a-z0-9-]*)/(?P<name>[a-z][a-z0-9-]*)$"
)
_BLOCK_START = re.compile(r'^!!! requirement "(?P<id>[^"]*)"\s*$')
_TITLE = re.compile(r"^\*\*(?P<title>.+?)\*\*")
# Longest first, so "MUST NOT" is not read as "MUST". Normalised to three levels.
_KEYWORDS = [
    ("MUST NOT", "MUST"),
    ("SHALL NOT", "MUST"),
    ("SHOULD NOT", "SHOULD"),
    ("NOT RECOMMENDED", "SHOULD"),
    ("REQUIRED", "MUST"),
    ("MUST", "MUST"),
    ("SHALL", "MUST"),
    ("SHOULD", "SHOULD"),
    ("RECOMMENDED", "SHOULD"),
    ("MAY", "MAY"),
    ("OPTIONAL", "MAY"),
]


@dataclass(frozen=True)
class SpecRequirement:
    """One requirement block as written in the spec."""

    requirement_id: str
    component: str
    conformance_class: str
    keyword: str | None  # None when the block has no RFC 2119 keyword (a lint error)
    title: str
    text: str
    source: Path
    line: int


def _keyword(text: str) -> str | None:
    """The strongest RFC 2119 keyword in ``text`` (MUST beats SHOULD beats MAY)."""
    found = {level for word, level in _KEYWORDS if re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", text)}
    for level in ("MUST", "SHOULD", "MAY"):
        if level in found:
            return level
    return None


def parse_requirements(path: Path) -> list[SpecRequirement]:
    """All requirement blocks of one spec file, in document order."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise StandardError(f"{path}: cannot read spec: {exc.strerror}") from exc
    found: list[SpecRequirement] = []
    index = 0
    while index < len(lines):
        start = _BLOCK_START.match(lines[index])
        if not start:
            index += 1
            continue
        body: list[str] = []
        cursor = index + 1
        while cursor < len(lines) and (lines[cursor].startswith("    ") or not lines[cursor].strip()):
            if (
                not lines[cursor].strip()
                and cursor + 1 < len(lines)
                and not lines[cursor + 1].startswith("    ")
            ):
                break
            body.append(lines[cursor].strip())
            cursor += 1
        text = " ".join(part for part in body if part)
        requirement_id = start.group("id")
        match = REQUIREMENT_ID.match(requirement_id)
        if not match:
            raise StandardError(
                f"{path}:{index + 1}: malformed requirement ID {requirement_id!r}",
                hint="use /req/<component>/<class>/<name> in lower-case kebab-case",
            )
        title_match = _TITLE.match(text)
        title = title_match.group("title").rstrip(".") if title_match else text[:80]
        found.append(
            SpecRequirement(
                requirement_id=requirement_id,
                component=match.group("component"),
                conformance_class=match.group("cls"),
                keyword=_keyword(text),
                title=title,
                text=text,
                source=path,
                line=index + 1,
            )
        )
        index = cursor
    return found
