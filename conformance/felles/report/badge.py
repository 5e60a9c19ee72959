"""Shields-style SVG badges: "Felles application@1.0 | certified" (or "outdated").

A badge is a picture a vendor may put on its web site; it proves nothing by
itself, so it names the component version and links nowhere: the register
page and the signed report are the proof.
"""

from __future__ import annotations

from typing import Literal
from xml.sax.saxutils import escape, quoteattr

__all__ = ["BADGE_COLOURS", "BadgeState", "render_badge", "text_width"]

BadgeState = Literal["certified", "outdated"]

# Right-hand colours: green for a current certificate, amber for an outdated one.
BADGE_COLOURS: dict[BadgeState, str] = {"certified": "#2e7d32", "outdated": "#b26a00"}
_LABEL_COLOUR = "#555"

# Approximate advance widths (px) of 11px Verdana, the shields.io font; enough to
# size the badge so the text never overflows.
_NARROW = set("fijlrt.,:;|!'()[] ")
_WIDE = set("mwMW@%")


def _char_width(char: str) -> float:
    if char in _NARROW:
        return 4.0
    if char in _WIDE:
        return 10.5
    if char.isupper() or char.isdigit():
        return 7.5
    return 6.6


def text_width(text: str) -> int:
    return round(sum(_char_width(char) for char in text))


def render_badge(label: str, state: BadgeState) -> str:
    """A complete SVG document, e.g. ``render_badge("Felles application@1.0", "certified")``."""
    message = state
    padding = 6
    left = text_width(label) + 2 * padding
    right = text_width(message) + 2 * padding
    total = left + right
    title = f"{label}: {message}"
    colour = BADGE_COLOURS[state]

    def text(content: str, x_centre: float) -> str:
        x = f"{x_centre:.1f}"
        escaped = escape(content)
        return (
            f'<text x="{x}" y="15" fill="#010101" fill-opacity=".3">{escaped}</text>'
            f'<text x="{x}" y="14">{escaped}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" '
        f'role="img" aria-label={quoteattr(title)}>'
        f"<title>{escape(title)}</title>"
        '<linearGradient id="s" x2="0" y2="100%">'
        '<stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>'
        "</linearGradient>"
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        '<g clip-path="url(#r)">'
        f'<rect width="{left}" height="20" fill="{_LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/>'
        "</g>"
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f"{text(label, left / 2)}{text(message, left + right / 2)}"
        "</g></svg>\n"
    )
