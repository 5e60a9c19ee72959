"""The built site in a real headless Chromium, served from a local HTTP server, with no network.

Chromium resolves no host but 127.0.0.1 (``--host-resolver-rules``), so a
request to anywhere else cannot succeed; and it is recorded anyway – by the
DevTools protocol for each page, and in Chromium's net log for everything,
workers included. The tests assert that every request the site makes goes
to the local server, that pages render without a JavaScript error, and that
search finds pages with the bundled lunr index and worker.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docs.cdp import Chromium
from tests.docs.conftest import BuiltSite

pytestmark = pytest.mark.slow

CHROMIUM = next(
    (p for name in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(name))), None
)

# A sample of every kind of page, in both languages, with the heading each must show;
# test_every_page_renders opens every page, and test_site_links.py reads every page.
PAGES = [
    ("", "Felles"),
    ("guides/vendors/", "Veiledning for leverandører"),
    ("guides/procurement/", "Veiledning for innkjøpere"),
    ("guides/editors/", "Veiledning for redaktører"),
    ("glossary/", "Ordliste"),
    ("reference/", "Komponentversjoner i denne utgaven"),
    ("reference/application/1.0/", "application 1.0"),
    ("reference/application/1.0/requirements/", "Krav: application@1.0"),
    ("reference/application/1.0/schemas/", "Skjemaer: application@1.0"),
    ("reference/application/1.0/api/", "API: application@1.0"),
    ("reference/application/changelog/", "Endringslogg: application"),
    ("reference/coverage/", "Dekning: krav og tester"),
    ("en/", "Felles"),
    ("en/guides/vendors/", "Guide for vendors"),
    ("en/guides/procurement/", "Guide for procurement officers"),
    ("en/guides/editors/", "Guide for editors"),
    ("en/glossary/", "Glossary"),
    ("en/reference/", "Component versions in this build"),
    ("en/reference/common/1.0/", "common 1.0"),
    ("en/reference/application/1.0/requirements/", "Requirements: application@1.0"),
    ("en/reference/case-archive/1.0/schemas/", "Schemas: case-archive@1.0"),
    ("en/reference/application/1.0/api/", "API: application@1.0"),
    ("en/reference/application/changelog/", "Changelog: application"),
    ("en/reference/coverage/", "Coverage: requirements and checks"),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: BuiltSite) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(site.root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _start(tmp: Path) -> Chromium:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed here (CI installs it: apt-get install chromium)")
    browser = Chromium(CHROMIUM, tmp / "profile", tmp / "net-log.json")
    browser.start()
    browser.open()
    return browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    started = _start(tmp_path_factory.mktemp("chromium"))
    yield started
    started.close()


# Types a query into the theme's search box and waits for the results its worker renders.
_SEARCH = """(async () => {
  const input = document.querySelector('[data-md-component="search-query"]');
  input.focus();
  input.value = QUERY;
  for (const kind of ['input', 'keyup']) input.dispatchEvent(new Event(kind, {bubbles: true}));
  for (let i = 0; i < 150; i++) {
    const items = [...document.querySelectorAll('.md-search-result__item')];
    if (items.length) return items.map(item => item.innerText);
    await new Promise(done => setTimeout(done, 100));
  }
  return [];
})()"""


def _search(browser: Chromium, query: str) -> list[str]:
    found: list[str] = browser.evaluate(_SEARCH.replace("QUERY", json.dumps(query)), timeout=30)
    return found


def _outside(urls: list[str], base: str) -> list[str]:
    return [u for u in urls if not u.startswith((base, "data:", "blob:", "about:"))]


_SHOWN = (
    "(() => { const a = document.querySelector('article.md-content__inner');"
    " return {h1: a && a.querySelector('h1') ? a.querySelector('h1').innerText : '',"
    " text: a ? a.innerText : '', lang: document.documentElement.lang,"
    " nav: document.querySelectorAll('.md-nav__link').length}; })()"
)


def test_every_page_renders(browser: Chromium, server: str, site: BuiltSite) -> None:
    """Every HTML page of the build, both languages: a heading, content, no JS error, nothing external."""
    folders = (page.relative_to(site.root).parent for page in site.root.rglob("index.html"))
    pages = sorted("" if folder == Path() else f"{folder.as_posix()}/" for folder in folders)
    assert len(pages) > 2 * len(PAGES)
    problems = []
    for path in pages:
        browser.events.clear()
        browser.navigate(server + path)
        shown = browser.evaluate(_SHOWN)
        if not shown["h1"] or len(shown["text"]) < 40:
            problems.append(f"{path or '/'}: no heading or no content ({shown['text'][:80]!r})")
        if browser.errors():
            problems.append(f"{path or '/'}: {browser.errors()}")
        if outside := _outside(browser.requested_urls(), server):
            problems.append(f"{path or '/'}: requests leaving the site: {outside}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("path", "heading"), PAGES, ids=[p or "home" for p, _ in PAGES])
def test_page_renders_without_errors_or_outside_requests(
    browser: Chromium, server: str, path: str, heading: str
) -> None:
    browser.events.clear()
    browser.navigate(server + path)
    shown = browser.evaluate(_SHOWN)
    assert shown["h1"], f"{path}: no heading"
    assert heading in shown["text"], shown["text"][:300]
    assert len(shown["text"]) > 200
    assert shown["nav"] > 5
    assert shown["lang"] == ("en" if path.startswith("en/") else "nb")
    assert not browser.errors(), browser.errors()
    assert not _outside(browser.requested_urls(), server)


@pytest.mark.parametrize(
    ("path", "query", "expected"), [("", "barnehageplass", "barnehage"), ("en/", "certificate", "certif")]
)
def test_search_finds_pages_offline(
    browser: Chromium, server: str, path: str, query: str, expected: str
) -> None:
    browser.events.clear()
    browser.navigate(server + path)
    results = _search(browser, query)
    assert results, f"no search result for {query!r}"
    assert any(expected in r.lower() for r in results), results[:3]
    assert not browser.errors(), browser.errors()


def test_the_language_switcher_opens_the_same_page_in_english(browser: Chromium, server: str) -> None:
    browser.navigate(server + "reference/application/1.0/requirements/")
    target = browser.evaluate("document.querySelector('a.md-select__link[hreflang=en]').href")
    assert target == server + "en/reference/application/1.0/requirements/"
    browser.navigate(target)
    assert browser.evaluate("document.querySelector('article h1').innerText").startswith("Requirements")


def test_net_log_shows_no_request_leaving_the_machine(site: BuiltSite, server: str, tmp_path: Path) -> None:
    """A fresh browser visits pages of both languages and searches; its net log (flushed when it
    closes) holds every request, the search worker's included. Chromium's own background
    requests (initiator "not an origin") are not the site's and are blocked by the resolver rules."""
    browser = _start(tmp_path)
    try:
        for path in ("reference/application/1.0/schemas/", "en/"):
            browser.navigate(server + path)
        _search(browser, "kommunenummer")
    finally:
        browser.close()
    log = json.loads((tmp_path / "net-log.json").read_text(encoding="utf-8"))
    kinds = {value: name for name, value in log["constants"]["logEventTypes"].items()}
    origin = server.rstrip("/")
    site_requests = [
        event["params"]["url"]
        for event in log["events"]
        if kinds.get(event["type"]) == "URL_REQUEST_START_JOB"
        and "url" in event.get("params", {})
        and (event["params"].get("initiator") == origin or event["params"]["url"].startswith(origin))
    ]
    assert any(url.endswith("/search/search_index.json") for url in site_requests), (
        "search never loaded its index"
    )
    assert len(site_requests) > 10
    outside = [url for url in site_requests if not url.startswith(origin)]
    assert not outside, outside
