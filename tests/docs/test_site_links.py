"""Every page of the built site, read as HTML: links resolve, nothing is loaded from elsewhere.

The static half of the offline proof (test_site_browser.py is the other):
no element, inline style or stylesheet of the site makes a browser load a
URL on another host, so the site works where there is no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.conftest import BuiltSite
from tests.docs.site_html import ParsedPage, css_urls, is_external, parse_page, resolve

# Scanned for hosts the theme could load from if a setting slipped (fonts, CDNs).
FORBIDDEN_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net", "unpkg.com", "cdnjs.")


@pytest.fixture(scope="module")
def pages(site: BuiltSite) -> dict[Path, ParsedPage]:
    return {path: parse_page(path) for path in sorted(site.root.rglob("*.html"))}


def test_the_site_has_pages_in_both_languages(site: BuiltSite, pages: dict[Path, ParsedPage]) -> None:
    english = {p.relative_to(site.root / "en") for p in pages if p.is_relative_to(site.root / "en")}
    bokmal = {p.relative_to(site.root) for p in pages if not p.is_relative_to(site.root / "en")}
    bokmal.discard(Path("404.html"))
    assert len(bokmal) > 20
    assert bokmal == english, (
        f"only bokmål: {sorted(bokmal - english)}; only English: {sorted(english - bokmal)}"
    )


def test_every_page_has_main_content(site: BuiltSite, pages: dict[Path, ParsedPage]) -> None:
    not_found = site.root / "404.html"
    assert "404" in pages[not_found].main_text
    empty = [
        str(p.relative_to(site.root))
        for p, page in pages.items()
        if p != not_found and len(page.main_text) < 40
    ]
    assert not empty, f"pages without main content: {empty}"


def test_every_internal_link_and_anchor_resolves(site: BuiltSite, pages: dict[Path, ParsedPage]) -> None:
    broken = []
    for path, page in pages.items():
        for url in page.links + page.loaded:
            target = resolve(site.root, path, url)
            if target is None:
                continue
            file, fragment = target
            where = f"{path.relative_to(site.root)}: {url}"
            if not file.is_file():
                broken.append(f"{where} (no file {file})")
            elif fragment and file.suffix == ".html":
                ids = pages[file].ids if file in pages else parse_page(file).ids
                if fragment not in ids:
                    broken.append(f"{where} (no id {fragment!r} there)")
    assert not broken, f"{len(broken)} broken link(s):\n" + "\n".join(broken[:40])


def test_no_page_loads_anything_from_another_host(site: BuiltSite, pages: dict[Path, ParsedPage]) -> None:
    external = [
        f"{path.relative_to(site.root)}: {url}"
        for path, page in pages.items()
        for url in page.loaded
        if is_external(url)
    ]
    assert not external, "\n".join(external[:20])


def test_no_stylesheet_loads_anything_from_another_host(site: BuiltSite) -> None:
    sheets = sorted(site.root.rglob("*.css"))
    assert sheets
    external = [
        f"{sheet.relative_to(site.root)}: {url}"
        for sheet in sheets
        for url in css_urls(sheet.read_text(encoding="utf-8"))
        if is_external(url)
    ]
    assert not external, "\n".join(external)


def test_no_cdn_or_web_font_host_appears_in_pages_or_styles(site: BuiltSite) -> None:
    # The theme's script bundle names unpkg.com: it loads Mermaid from there for pages with a
    # Mermaid diagram. No page has one, so that code never runs (the browser test proves what runs).
    hits = []
    for path in site.root.rglob("*"):
        if path.suffix in (".html", ".css", ".json", ".xml"):
            text = path.read_text(encoding="utf-8", errors="replace")
            hits += [f"{path.relative_to(site.root)}: {host}" for host in FORBIDDEN_HOSTS if host in text]
            if path.suffix == ".html" and 'class="mermaid"' in text:
                hits.append(f"{path.relative_to(site.root)}: a Mermaid diagram (loaded from unpkg.com)")
    assert not hits, "\n".join(hits)


def test_the_search_index_is_built_offline_for_both_languages(site: BuiltSite) -> None:
    import json

    index = json.loads((site.root / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = [doc["location"] for doc in index["docs"]]
    assert any(loc.startswith("en/reference/") for loc in locations)
    assert any(loc.startswith("reference/") for loc in locations)
    assert {"en", "no"} <= set(index["config"]["lang"])
    assert (site.root / "assets" / "javascripts" / "lunr" / "min" / "lunr.no.min.js").is_file()


def test_the_offline_guard_of_the_build_refuses_the_network() -> None:
    """The guard the site is built under (conftest.py) stops a download before it starts."""
    import subprocess

    from tests.docs.offline import offline_python

    done = subprocess.run(
        offline_python("import urllib.request\nurllib.request.urlopen('https://fonts.googleapis.com/css')"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert (
        "the docs build tried to use the network: socket.getaddrinfo ('fonts.googleapis.com'" in done.stderr
    )
