"""Small Markdown builders shared by the changelog and the docs site.

Text from the standard (descriptions, change messages, requirement text)
goes into tables and lists; these helpers keep it from breaking the
Markdown around it (a ``|`` ending a table cell, a newline ending a row).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Final

_SPECIAL: Final = re.compile(r"([\\`*_\[\]{}>|])")
_ANCHOR_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]+")


def _literal(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


def _not_a_block(markdown: str) -> str:
    """No heading or list item made of a line that starts with ``#``, ``+`` or ``-``."""
    return "\\" + markdown if markdown.startswith(("#", "+", "-")) else markdown


def escape(text: str) -> str:
    """Plain text that Markdown shows as written (no emphasis, links, HTML or cell breaks)."""
    return _not_a_block(_literal(" ".join(text.split())))


def prose(text: str) -> str:
    """Plain text with its ``code spans`` kept as code and everything else shown as written:
    descriptions in schemas and OpenAPI documents quote member names in backticks."""
    parts = re.split(r"(`[^`]+`)", " ".join(text.split()))
    return _not_a_block(
        "".join(part if part.startswith("`") and len(part) > 1 else _literal(part) for part in parts)
    )


def cell(markdown: str) -> str:
    """Markdown on one line, as a table cell needs (text put through :func:`escape` has its ``|`` escaped;
    a ``|`` in a code span is kept by the tables extension)."""
    return " ".join(markdown.split())


def pipes_escaped(markdown: str) -> str:
    """Markdown with each ``|`` outside code spans escaped, so it can sit in a table cell."""
    parts = re.split(r"(`+[^`]*?`+)", markdown)
    return "".join(part if part.startswith("`") else re.sub(r"(?<!\\)\|", r"\\|", part) for part in parts)


def code(text: str) -> str:
    """An inline code span that survives backticks inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def anchor(*parts: str) -> str:
    """An HTML id built from ``parts``: letters, digits, ``-`` and ``_`` only."""
    return "-".join(p for p in (_ANCHOR_UNSAFE.sub("-", part).strip("-") for part in parts) if p)


def heading(level: int, text: str, anchor_id: str | None = None) -> str:
    """A heading with an explicit id (needs the attr_list extension), so links do not depend on slugs."""
    suffix = f" {{#{anchor_id}}}" if anchor_id else ""
    return f"{'#' * level} {text}{suffix}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A pipe table; every cell is passed through :func:`cell`."""
    lines = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines)


def badge(text: str, kind: str) -> str:
    """A small coloured label (styled by the site's ``felles-badge--<kind>`` CSS class)."""
    return f'<span class="felles-badge felles-badge--{anchor(kind)}">{html.escape(text)}</span>'
