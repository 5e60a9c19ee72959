"""The HTML report and the register page in a real headless Chromium.

No JavaScript runs in what is rendered: both pages carry a Content-Security-Policy
without script-src (so scripts are forbidden) and no script elements (checked in
test_report_html.py and test_cert_register.py). Chromium's own JavaScript
switch cannot be used, because --dump-dom and --print-to-pdf rely on it.

Three views of each page: the DOM Chromium built (`--dump-dom`), a screenshot
(checked for the verdict's colour near the top, where a reader looks first) and
a PDF print (`--print-to-pdf`, read back with poppler's `pdftotext`/`pdfinfo`):
what comes out of the printer is what a procurement officer files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.report.certification.support import PRODUCT, VENDOR, Bundle

from felles.report.html import STRINGS, Lang, write_html
from felles.report.model import RunReport
from felles.report.register import build_register
from felles.report.signing import load_public_key

pytestmark = pytest.mark.slow

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))),
    None,
)
WIDTH = 1280

# Verdict colours of the report template (border and word of the verdict box).
GREEN = (0x1A, 0x7F, 0x37)
RED = (0xB4, 0x23, 0x18)
BADGE_GREEN = (0x2E, 0x7D, 0x32)


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed here (CI installs it: apt-get install chromium)")
    return CHROMIUM


def _needs(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed here (CI installs it: apt-get install poppler-utils)")
    return path


@pytest.fixture
def browse(chromium: str, tmp_path: Path) -> Any:
    def run(page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(dir=tmp_path) as profile:
            done = subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={profile}",
                    *mode,
                    page.resolve().as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    return run


def _text(dom: str) -> str:
    body = dom[dom.index("<body") :]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split()).replace("&amp;", "&")


def _dom_text(browse: Any, page: Path) -> str:
    return _text(browse(page, "--dump-dom").stdout)


def _screenshot(browse: Any, page: Path, height: int = 1600) -> Image.Image:
    target = page.with_suffix(".png")
    browse(page, f"--screenshot={target}", f"--window-size={WIDTH},{height}", "--hide-scrollbars")
    image = Image.open(target).convert("RGB")
    assert image.size == (WIDTH, height)
    return image


def _count(image: Image.Image, colour: tuple[int, int, int], box: tuple[int, int, int, int]) -> int:
    region = image.crop(box)
    return sum(
        count
        for count, pixel in region.getcolors(maxcolors=region.width * region.height) or []
        if all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))
    )


def _non_white_share(image: Image.Image) -> float:
    grey = image.convert("L")
    histogram = grey.histogram()
    return sum(histogram[:240]) / (grey.width * grey.height)


def _pdf(browse: Any, page: Path) -> tuple[str, str, str]:
    pdftotext, pdfinfo = _needs("pdftotext"), _needs("pdfinfo")
    target = page.with_suffix(".pdf")
    browse(page, f"--print-to-pdf={target}", "--no-pdf-header-footer")
    info = subprocess.run([pdfinfo, target], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(
        [pdftotext, "-layout", target, "-"], capture_output=True, text=True, check=True
    ).stdout
    first = subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", target, "-"], capture_output=True, text=True, check=True
    ).stdout
    return info, " ".join(text.split()), " ".join(first.split())


def _pages(info: str) -> int:
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


@pytest.fixture
def certified(build: Any) -> RunReport:
    report: RunReport = build.with_info(build.certified(), vendor=VENDOR, product=PRODUCT)
    return report


SIGNER = "sha256:" + "ab" * 32


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_certified_report_shows_the_key_facts(
    browse: Any, certified: RunReport, tmp_path: Path, lang: Lang
) -> None:
    page = write_html(certified, tmp_path / f"report.{lang}.html", lang, signer=SIGNER)
    s = STRINGS[lang]
    text = _dom_text(browse, page)
    for fact in (s["certified"], "application@1.0", VENDOR, PRODUCT, "core", "lifecycle", "2025-03-01",
                 "0.1.0", SIGNER, s["MUST"], "/req/application/core/create"):  # fmt: skip
        assert fact in text, fact
    # Summary first: the verdict, component and classes come before the requirement table.
    assert text.index(s["certified"]) < text.index(s["requirements"] + " " + s["requirement"])

    image = _screenshot(browse, page)
    assert _non_white_share(image) > 0.03
    top = (0, 0, WIDTH, 400)
    assert _count(image, GREEN, top) > 3000  # the green verdict box is at the top
    assert _count(image, RED, top) < 200


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_failed_report_is_red_and_shows_reproduction(
    browse: Any, mixed_report: RunReport, tmp_path: Path, lang: Lang
) -> None:
    page = write_html(mixed_report, tmp_path / f"mixed.{lang}.html", lang)
    s = STRINGS[lang]
    text = _dom_text(browse, page)
    assert s["not_certified"] in text
    assert s["unsigned"] in text
    assert text.index(s["not_certified"]) < text.index(s["failures"])
    assert "curl -X POST 'https://sut.example/api/applications'" in text
    assert "424242" in text  # the seed that reproduces the failure
    image = _screenshot(browse, page)
    top = (0, 0, WIDTH, 400)
    assert _count(image, RED, top) > 3000
    assert _count(image, GREEN, top) < 500


def test_certified_report_prints_to_a_sensible_pdf(browse: Any, certified: RunReport, tmp_path: Path) -> None:
    page = write_html(certified, tmp_path / "report.html", "nb", signer=SIGNER)
    info, text, first_page = _pdf(browse, page)
    assert "(A4)" in info
    assert 1 <= _pages(info) <= 3
    for fact in ("Sertifisert", "application@1.0", VENDOR, PRODUCT, "core", "lifecycle"):
        assert fact in first_page, fact  # the verdict is on page one
    for fact in ("/req/application/core/create", "SKAL (MUST)", SIGNER, "felles report verify"):
        assert fact in text, fact


def test_failed_report_pdf_keeps_the_failure_details(
    browse: Any, mixed_report: RunReport, tmp_path: Path
) -> None:
    page = write_html(mixed_report, tmp_path / "report.html", "en")
    info, text, first_page = _pdf(browse, page)
    assert "Not certified" in first_page
    assert "Failure details" in text
    assert "curl -X POST" in text
    assert _pages(info) <= 6


def test_the_real_reference_report_renders(browse: Any, real_bundle: Bundle, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    shutil.copy(real_bundle.html, page)
    text = _dom_text(browse, page)
    assert "Sertifisert" in text
    assert f"Leverandør: {VENDOR} · Produkt: {PRODUCT}" in text
    assert "Konformitetsklasser: core, lifecycle, security" in text
    image = _screenshot(browse, page)
    assert _count(image, GREEN, (0, 0, WIDTH, 400)) > 3000
    _info, _, first_page = _pdf(browse, page)
    assert "Sertifisert" in first_page
    assert "application@1.0" in first_page


def test_the_register_page_renders_with_its_badges(browse: Any, real_bundle: Bundle, tmp_path: Path) -> None:
    real_bundle.copy_to(tmp_path / "in")
    result = build_register(
        tmp_path / "in",
        tmp_path / "register",
        public_keys=[load_public_key(real_bundle.public_key)],
        known_versions={"application": ["1.0"]},
    )
    assert len(result.certificates) == 1
    text = _dom_text(browse, result.index)
    for fact in ("Register over Felles-sertifikater", VENDOR, PRODUCT, "application@1.0",
                 "core, lifecycle, security", "Sertifisert / Certified", "Rapport (norsk)"):  # fmt: skip
        assert fact in text, fact
    image = _screenshot(browse, result.index, height=1000)
    # The inline SVG badge (data: URI, allowed by the page's CSP) was drawn.
    assert _count(image, BADGE_GREEN, (0, 0, WIDTH, 1000)) > 300
    # The linked report opens too.
    linked = _dom_text(browse, result.index.parent / result.certificates[0].report_path)
    assert "Sertifisert" in linked
    assert VENDOR in linked
    info, _, first_page = _pdf(browse, result.index)
    # Table cells wrap in print; each word of the listing is on the first page.
    for word in ("Kommune-IT", "Søknadsmottak", "application@1.0", "Sertifisert"):
        assert word in first_page, word
    assert _pages(info) <= 2
