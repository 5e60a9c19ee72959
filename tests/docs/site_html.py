"""Read a built site's HTML the way a link checker does: ids, links, loaded resources, main text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

#: Elements and attributes whose URL the browser loads by itself (not a link the reader follows).
_LOADED = {
    ("script", "src"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("use", "href"),
    ("image", "href"),
}
#: ``<link rel=...>`` values that make the browser fetch the URL.
_LOADED_RELS = {
    "stylesheet",
    "icon",
    "preload",
    "prefetch",
    "modulepreload",
    "manifest",
    "preconnect",
    "dns-prefetch",
    "apple-touch-icon",
}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")
_CSS_IMPORT = re.compile(r"""@import\s+['"]([^'"]+)""")


@dataclass
class ParsedPage:
    """One HTML file: its element ids, the links in it, the URLs it loads and its main text."""

    path: Path
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    main_text: str = ""


class _Reader(HTMLParser):
    def __init__(self, page: ParsedPage) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self._article_depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.page.ids.add(values[key])
        if tag == "a" and "href" in values:
            self.page.links.append(values["href"])
        if tag == "link" and set(values.get("rel", "").split()) & _LOADED_RELS:
            self.page.loaded.append(values.get("href", ""))
        elif tag == "link" and values.get("href"):
            self.page.links.append(values["href"])
        for element, attribute in _LOADED:
            if tag == element and values.get(attribute):
                self.page.loaded.append(values[attribute])
        if "style" in values:
            self.page.loaded.extend(_CSS_URL.findall(values["style"]))
        if tag == "article" or self._article_depth:
            self._article_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._article_depth:
            self._article_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._article_depth:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self.page.main_text = " ".join(" ".join(self._text).split())


def parse_page(path: Path) -> ParsedPage:
    page = ParsedPage(path)
    reader = _Reader(page)
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return page


def css_urls(text: str) -> list[str]:
    """URLs a stylesheet makes the browser load (``url(...)`` and ``@import``)."""
    return _CSS_URL.findall(text) + _CSS_IMPORT.findall(text)


def is_external(url: str) -> bool:
    """True for a URL on another host (``https://...``, ``//host/...``); data: and relative URLs are local."""
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme in ("http", "https", "ftp", "ws", "wss")


def resolve(site: Path, page: Path, url: str) -> tuple[Path, str] | None:
    """The file a local URL points at (a directory: its index.html) and its fragment; None if not local."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return page, unquote(parts.fragment)
    base = (
        PurePosixPath("/")
        if parts.path.startswith("/")
        else PurePosixPath("/" + page.parent.relative_to(site).as_posix())
    )
    joined = PurePosixPath(*(base / unquote(parts.path)).parts)
    normal: list[str] = []
    for part in joined.parts[1:]:
        if part == ".." and not normal:
            return site.parent / "above-the-site-root" / parts.path, unquote(parts.fragment)
        if part == "..":
            normal.pop()
        elif part != ".":
            normal.append(part)
    target = site.joinpath(*normal)
    if parts.path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)
