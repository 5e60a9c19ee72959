"""`felles register build`: only verified certificates are listed; everything else is refused."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from tests.report.certification.support import PRODUCT, VENDOR, Bundle, run_felles

import felles.standard
from felles.cli import main
from felles.errors import UsageError
from felles.report.badge import render_badge, text_width
from felles.report.certificate import newer_version, procurement_clause
from felles.report.json_report import write_json
from felles.report.register import build_register, slugify
from felles.report.signing import load_public_key
from felles.standard import Component

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE_VENDOR = "Acme & <Søn> AS"


@pytest.fixture
def report_dir(
    tmp_path: Path, real_bundle: Bundle, build: Any, signed: Any, other_keys: tuple[Path, Path]
) -> Path:
    """Two certificates that must be listed and six reports that must be refused."""
    reports = tmp_path / "reports"  # the `signed` factory writes here too
    real_bundle.copy_to(reports / "genuine")
    key = real_bundle.private_key
    certified = build.with_info(build.certified(), vendor=HOSTILE_VENDOR, product="Søknad 2")
    signed(certified, key, "acme")
    signed(build.with_info(build.mixed(), vendor="Failing AS", product="Half"), key, "uncertified")
    signed(build.with_info(build.certified(), vendor="Impostor AS", product="X"), other_keys[0], "impostor")
    signed(build.certified(), key, "anonymous")  # no vendor or product
    write_json(
        build.with_info(build.certified(), vendor="Unsigned AS", product="U"),
        reports / "unsigned" / "report.json",
    )
    tampered = real_bundle.copy_to(reports / "tampered").report
    data = json.loads(tampered.read_text(encoding="utf-8"))
    data["vendor"] = "Tampered AS"
    tampered.write_text(json.dumps(data), encoding="utf-8")
    (reports / "garbage").mkdir()
    (reports / "garbage" / "report.json").write_text("{ not json", encoding="utf-8")
    shutil.copy(real_bundle.signature, reports / "garbage" / "report.json.sig")
    return reports


REFUSED = {
    "uncertified": "not certified: 5 MUST requirement(s)",
    "impostor": "which this register does not trust",
    "anonymous": "names no vendor and no product",
    "unsigned": "not signed",
    "tampered": "changed after it was signed",
    "garbage": "not valid JSON",
}


def _text(html: str) -> str:
    """The page's text as a reader sees it: tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _build(report_dir: Path, out: Path, bundle: Bundle, versions: list[str] | None = None) -> Any:
    return build_register(
        report_dir,
        out,
        public_keys=[load_public_key(bundle.public_key)],
        known_versions={"application": versions or ["1.0"]},
    )


def test_only_verified_certificates_are_listed(report_dir: Path, tmp_path: Path, real_bundle: Bundle) -> None:
    out = tmp_path / "register"
    result = _build(report_dir, out, real_bundle)
    assert sorted(c.vendor for c in result.certificates) == sorted([HOSTILE_VENDOR, VENDOR])
    reasons = {refusal.source.relative_to(report_dir).parts[0]: refusal.reason for refusal in result.refused}
    assert reasons.keys() == REFUSED.keys()
    for name, needle in REFUSED.items():
        assert needle in reasons[name], (name, reasons[name])

    index = (out / "index.html").read_text(encoding="utf-8")
    for name in ("Failing AS", "Impostor AS", "Unsigned AS", "Tampered AS"):
        assert name not in index
        assert name not in (out / "register.json").read_text(encoding="utf-8")
    assert VENDOR in index
    assert PRODUCT in index
    assert "Acme &amp; &lt;Søn&gt; AS" in index  # escaped
    assert "<Søn>" not in index
    published = sorted(path.parent.name for path in out.glob("reports/*/report.json"))
    assert len(published) == 2
    assert not any("tampered" in name or "impostor" in name for name in published)


def test_each_listing_shows_what_a_procurement_officer_needs(
    report_dir: Path, tmp_path: Path, real_bundle: Bundle
) -> None:
    out = tmp_path / "register"
    result = _build(report_dir, out, real_bundle)
    index = _text((out / "index.html").read_text(encoding="utf-8"))
    genuine = next(c for c in result.certificates if c.vendor == VENDOR)
    assert genuine.classes == ("core", "lifecycle", "security")
    assert genuine.suite_version == "0.1.0"
    assert genuine.signer_trusted
    for fact in (
        "application@1.0",
        "core, lifecycle, security",
        genuine.date,
        "Sertifisert / Certified",
        genuine.signer[:19],
        "Systemet skal være sertifisert mot Felles application@1.0, klassene core, lifecycle og security.",
    ):
        assert fact in index, fact
    assert index.index("Register over Felles-sertifikater") < index.index("Register of Felles certificates")
    assert f'href="{genuine.report_path}"' in (out / "index.html").read_text(encoding="utf-8")
    # The linked report exists in both languages and verifies where it was published.
    report_html = out / genuine.report_path
    assert report_html.is_file()
    assert (report_html.parent / "report.en.html").is_file()
    assert (
        main(
            [
                "report",
                "verify",
                str(report_html.parent / "report.json"),
                "--public-key",
                str(real_bundle.public_key),
            ]
        )
        == 0
    )


def test_published_html_is_rendered_from_the_verified_json(
    report_dir: Path, tmp_path: Path, real_bundle: Bundle
) -> None:
    (report_dir / "genuine" / "application-1.0" / "report.html").write_text(
        "FAKE: Sertifisert", encoding="utf-8"
    )
    out = tmp_path / "register"
    result = _build(report_dir, out, real_bundle)
    genuine = next(c for c in result.certificates if c.vendor == VENDOR)
    html = (out / genuine.report_path).read_text(encoding="utf-8")
    assert "FAKE" not in html
    assert PRODUCT in html
    assert genuine.signer in html


def test_badges_are_valid_svg(report_dir: Path, tmp_path: Path, real_bundle: Bundle) -> None:
    out = tmp_path / "register"
    _build(report_dir, out, real_bundle)
    badges = sorted(path.name for path in (out / "badges").iterdir())
    assert badges == [
        "acme-son-as-soknad-2-application-1.0.svg",
        "kommune-it-nord-as-soknadsmottak-pro-application-1.0.svg",
    ]
    root = ET.parse(out / "badges" / badges[1]).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("aria-label") == "Felles application@1.0: certified"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "Felles application@1.0" in texts
    assert "certified" in texts
    assert "#2e7d32" in (out / "badges" / badges[1]).read_text()


def test_badge_width_fits_its_text() -> None:
    short = ET.fromstring(render_badge("Felles a@1.0", "certified"))
    long = ET.fromstring(render_badge("Felles building-permit@10.12", "outdated"))
    assert int(long.get("width", "0")) > int(short.get("width", "0"))
    assert int(long.get("width", "0")) >= text_width("Felles building-permit@10.12") + text_width("outdated")
    hostile = ET.fromstring(render_badge('Felles <x>&"', "certified"))
    assert 'Felles <x>&"' in [element.text for element in hostile.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("versions", "newer"),
    [
        (["1.0"], None),
        (["0.9", "1.0"], None),
        (["1.0", "1.1"], "1.1"),
        (["1.0", "1.1", "2.0"], "2.0"),
        ([], None),
    ],
)
def test_newer_version(versions: list[str], newer: str | None) -> None:
    assert newer_version("application", "1.0", {"application": versions}) == newer
    assert newer_version("other", "1.0", {"application": versions}) is None
    assert newer_version("application", "1.10", {"application": ["1.9"]}) is None  # numeric, not textual


def test_a_newer_component_version_makes_certificates_outdated(
    report_dir: Path, tmp_path: Path, real_bundle: Bundle
) -> None:
    out = tmp_path / "register"
    result = _build(report_dir, out, real_bundle, versions=["1.0", "1.1"])
    assert all(c.outdated and c.newer_version == "1.1" for c in result.certificates)
    index = _text((out / "index.html").read_text(encoding="utf-8"))
    assert "Utdatert / Outdated" in index
    assert "application@1.1 finnes" in index
    badge = ET.parse(next((out / "badges").iterdir())).getroot()
    assert badge.get("aria-label") == "Felles application@1.0: outdated"
    assert json.loads((out / "register.json").read_text())["certificates"][0]["status"] == "outdated"


def test_cli_exit_codes_and_refusal_messages(
    report_dir: Path, tmp_path: Path, real_bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "register"
    argv = ["register", "build", str(report_dir), str(out), "--public-key", str(real_bundle.public_key)]
    assert main(argv) == 1  # something was refused
    output = capsys.readouterr().out
    assert output.count("Listed:  ") == 2
    assert output.count("Refused: ") == 6
    assert "Register: " in output
    assert "(2 listed, 6 refused)" in output

    good = tmp_path / "good"
    real_bundle.copy_to(good)
    assert main(["register", "build", str(good), str(out), "--public-key", str(real_bundle.public_key)]) == 0
    output = capsys.readouterr().out
    assert "(1 listed, 0 refused)" in output
    # The rebuild replaced the register: the earlier listing of Acme is gone.
    assert HOSTILE_VENDOR not in (out / "index.html").read_text(encoding="utf-8")
    assert len(list((out / "reports").iterdir())) == 1
    assert len(list((out / "badges").iterdir())) == 1


def test_cli_flags_outdated_certificates_from_the_catalogue(
    tmp_path: Path, real_bundle: Bundle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Catalogue:
        def components(self) -> list[Component]:
            return [Component("application", version, tmp_path) for version in ("1.0", "1.1")]

    monkeypatch.setattr(felles.standard, "default_catalogue", Catalogue)
    real_bundle.copy_to(tmp_path / "in")
    argv = [
        "register",
        "build",
        str(tmp_path / "in"),
        str(tmp_path / "out"),
        "--public-key",
        str(real_bundle.public_key),
    ]
    assert main(argv) == 0
    assert "(outdated: application@1.1 exists)" in capsys.readouterr().out


def test_without_trusted_keys_the_page_says_signers_are_not_established(
    report_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "register"
    assert main(["register", "build", str(report_dir), str(out)]) == 1
    output = capsys.readouterr().out
    assert "signers are not established" in output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Signaturene er bare kontrollert mot nøkkelen i hver rapport" in index
    assert "Ukontrollert nøkkel" in index
    assert "Impostor AS" in index  # self-signed is all that can be said without a trusted key


def test_several_trusted_keys(
    report_dir: Path, tmp_path: Path, real_bundle: Bundle, other_keys: tuple[Path, Path]
) -> None:
    keys = [load_public_key(real_bundle.public_key), load_public_key(other_keys[1])]
    result = build_register(report_dir, tmp_path / "r", public_keys=keys, known_versions={})
    assert "Impostor AS" in {c.vendor for c in result.certificates}
    assert len(result.trusted_keys) == 2


def test_usage_errors(tmp_path: Path, real_bundle: Bundle, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "build", str(tmp_path / "missing"), str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    (tmp_path / "in").mkdir()
    assert main(["register", "build", str(tmp_path / "in"), str(foreign)]) == 2
    assert "is not a Felles register" in capsys.readouterr().err
    assert (foreign / "precious.txt").read_text() == "keep me"
    assert (
        main(["register", "build", str(tmp_path / "in"), str(tmp_path / "o"), "--public-key", "nope.pub"])
        == 2
    )
    assert main(["register"]) == 2
    with pytest.raises(UsageError, match="not a directory"):
        build_register(tmp_path / "in", foreign / "precious.txt", known_versions={})


def test_empty_register(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    result = build_register(tmp_path / "in", tmp_path / "out", known_versions={})
    assert result.certificates == ()
    assert result.refused == ()
    assert "Ingen sertifikater ennå" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_a_register_inside_the_report_dir_is_not_listed_twice(tmp_path: Path, real_bundle: Bundle) -> None:
    reports = tmp_path / "reports"
    real_bundle.copy_to(reports)
    for _ in range(2):
        result = _build(reports, reports / "register", real_bundle)
        assert len(result.certificates) == 1
        assert not result.refused


def test_register_page_is_self_contained(report_dir: Path, tmp_path: Path, real_bundle: Bundle) -> None:
    out = tmp_path / "register"
    _build(report_dir, out, real_bundle)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<script" not in index
    assert "<link" not in index
    assert "http://" not in index.replace("http://www.w3.org", "")
    assert "https://" not in index
    assert 'src="data:image/svg+xml;base64,' in index
    assert "default-src 'none'" in index


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Acos AS", "acos-as"),
        ("Søknad 2", "soknad-2"),
        ("Ærlig Øl & Å", "aerlig-ol-a"),
        ("../..", "x"),
        ("1.0", "1.0"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_procurement_clause() -> None:
    assert procurement_clause("application", "1.0", ["core"], "nb") == (
        "Systemet skal være sertifisert mot Felles application@1.0, klassen core."
    )
    assert procurement_clause("application", "1.0", ["core", "lifecycle"], "en") == (
        "The system shall be certified against Felles application@1.0, classes core and lifecycle."
    )


def test_register_build_in_a_real_subprocess(tmp_path: Path, real_bundle: Bundle) -> None:
    shutil.copytree(real_bundle.directory, tmp_path / "in" / "x")
    done = run_felles(
        "register", "build", tmp_path / "in", tmp_path / "out", "--public-key", real_bundle.public_key
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "index.html").is_file()
