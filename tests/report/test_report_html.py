"""The HTML report: verdict first, both languages, self-contained, hostile-safe."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from felles.errors import ReportError
from felles.report import html as html_module
from felles.report.html import STRINGS, Lang, render_html, write_html
from felles.report.model import RunReport, Status

LANGS: list[Lang] = ["nb", "en"]

STATUS_WORDS = {
    "nb": ["Bestått", "Ikke bestått", "Feil i testverktøyet", "Hoppet over", "Ikke relevant"],
    "en": ["Passed", "Failed", "Test suite error", "Skipped", "Not applicable"],
}


class _Tags(HTMLParser):
    """Collects start tags and their attributes as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(document: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(document)
    parser.close()
    return parser.tags


def _verdict(document: str) -> str:
    match = re.search(r'<p class="word">([^<]*)</p>', document)
    assert match, "no verdict in the report"
    return match.group(1)


@pytest.mark.parametrize("lang", LANGS)
def test_summary_shows_verdict_component_and_classes(certified_report: RunReport, lang: Lang) -> None:
    document = render_html(certified_report, lang)
    assert f'<html lang="{lang}">' in document
    assert _verdict(document) == STRINGS[lang]["certified"]
    assert "application@1.0" in document
    for name in ("core", "lifecycle", "attachments"):
        assert f"<td>{name}</td>" in document
    assert "2025-03-01" in document
    assert "0.1.0" in document
    assert "https://sut.example/api" in document
    assert "1234567" in document  # run seed


@pytest.mark.parametrize("lang", LANGS)
def test_not_certified_verdict(mixed_report: RunReport, lang: Lang) -> None:
    document = render_html(mixed_report, lang)
    assert _verdict(document) == STRINGS[lang]["not_certified"]
    assert STRINGS[lang]["reason_must"].format(count=5) in document


def test_norwegian_verdict_words(certified_report: RunReport, mixed_report: RunReport) -> None:
    assert _verdict(render_html(certified_report, "nb")) == "Sertifisert"
    assert _verdict(render_html(mixed_report, "nb")) == "Ikke sertifisert"
    assert _verdict(render_html(mixed_report, "en")) == "Not certified"


def test_incomplete_run_says_why(build: Any, certified_report: RunReport) -> None:
    document = render_html(build.with_info(certified_report, incomplete=True), "nb")
    assert _verdict(document) == "Ikke sertifisert"
    assert STRINGS["nb"]["reason_incomplete"] in document


@pytest.mark.parametrize("lang", LANGS)
def test_every_status_has_text_not_only_colour(mixed_report: RunReport, lang: Lang) -> None:
    document = render_html(mixed_report, lang)
    for word in STATUS_WORDS[lang]:
        assert word in document
    for status in ("passed", "failed", "error", "skipped", "not-applicable"):
        assert f'class="badge status-{status}"' in document


def test_verdict_comes_before_the_requirement_table(mixed_report: RunReport) -> None:
    document = render_html(mixed_report, "en")
    verdict = document.index('class="verdict')
    table = document.index("<h2>Requirements</h2>")
    details = document.index("<h2>Failure details</h2>")
    assert verdict < table < details


def test_requirement_table_lists_every_requirement(mixed_report: RunReport) -> None:
    document = render_html(mixed_report, "nb")
    for req in mixed_report.requirements:
        assert req.requirement.requirement_id in document
    assert "SKAL (MUST)" in document
    assert "BØR (SHOULD)" in document
    assert "fewer than 2 items" in document  # skip reason shown


def test_failure_details_have_reproduction(mixed_report: RunReport) -> None:
    document = render_html(mixed_report, "en")
    details = document[document.index("<h2>Failure details</h2>") :]
    assert '<pre class="curl">curl -X POST &#39;https://sut.example/api/applications&#39;' in details
    assert "424242" in details  # check seed
    assert "Internal Server Error" in details
    assert "POST https://sut.example/api/applications" in details
    # Errors of the suite say plainly that they are not the vendor's fault.
    assert str(escape(STRINGS["en"]["error_note"])) in details


def test_long_response_bodies_are_truncated(build: Any) -> None:
    req_id = build.req_id("core", "big")
    exchange = build.exchange(response_body="x" * 10_000)
    check = build.check(req_id, Status.FAILED, exchanges=(exchange,))
    report = build.report(
        [build.cls("core", [build.requirement("core", "big", Status.FAILED, checks=(check,))])]
    )
    document = render_html(report, "nb")
    assert "x" * 4000 in document
    assert "x" * 4001 not in document
    assert "6000 tegn til er utelatt" in document


@pytest.mark.parametrize("lang", LANGS)
def test_self_contained_without_external_assets_or_scripts(any_report: RunReport, lang: Lang) -> None:
    document = render_html(any_report, lang)
    tags = _tags(document)
    names = {tag for tag, _ in tags}
    assert "script" not in names
    assert "link" not in names
    assert "iframe" not in names
    for tag, attrs in tags:
        for attribute in ("src", "href"):
            value = attrs.get(attribute) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
    assert not re.search(r"url\(", document)
    assert not re.search(r"@import", document)
    assert not re.search(r"<(link|script|img)[^>]+(src|href)=[\"']?https?://", document)


def test_hostile_response_is_escaped(hostile_report: RunReport) -> None:
    document = render_html(hostile_report, "en")
    assert "<script>alert(1)</script>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    tags = _tags(document)
    assert not any(tag in {"script", "img"} for tag, _ in tags)
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)


def test_hostile_control_characters_are_made_visible(hostile_report: RunReport) -> None:
    document = render_html(hostile_report, "en")
    assert "\x00" not in document
    assert "\x1b" not in document
    assert "\\x1b[2J" in document


def test_content_security_policy_forbids_scripts(mixed_report: RunReport) -> None:
    document = render_html(mixed_report, "en")
    assert "Content-Security-Policy" in document
    assert "default-src 'none'" in document


def test_print_friendly_css(mixed_report: RunReport) -> None:
    document = render_html(mixed_report, "nb")
    print_css = document[document.index("@media print") :]
    assert "break-inside: avoid" in print_css
    assert ".failure" in print_css
    assert "background: none" in print_css


def test_both_languages_have_the_same_strings() -> None:
    assert STRINGS["nb"].keys() == STRINGS["en"].keys()
    assert all(value.strip() for strings in STRINGS.values() for value in strings.values())


def test_unknown_language_is_refused(mixed_report: RunReport) -> None:
    with pytest.raises(ReportError, match="nb, en"):
        render_html(mixed_report, "de")  # type: ignore[arg-type]


def test_write_html(tmp_path: Path, mixed_report: RunReport) -> None:
    target = write_html(mixed_report, tmp_path / "report.en.html", "en")
    assert target.read_text(encoding="utf-8") == render_html(mixed_report, "en")
    assert os.listdir(tmp_path) == ["report.en.html"]


def test_existing_file_survives_a_rendering_error(
    tmp_path: Path, mixed_report: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")

    def explode(report: RunReport, lang: Lang) -> str:
        raise KeyError("missing template string")

    monkeypatch.setattr(html_module, "render_html", explode)
    with pytest.raises(KeyError):
        write_html(mixed_report, target, "nb")
    assert target.read_text(encoding="utf-8") == "previous report"
    assert os.listdir(tmp_path) == ["report.html"]
