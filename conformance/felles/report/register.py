"""The public register of certificates: a static site built from signed reports.

``build_register(report_dir, out_dir, ...)`` finds every ``report.json`` under
``report_dir``, verifies it with :mod:`felles.report.signing` and lists it only
if it is genuine, signed by a trusted key (when keys are given), certified and
names its vendor and product. Anything else is refused with a reason and never
appears. The output directory holds:

``index.html``
    the register page (Norwegian bokmål with English), self-contained;
``register.json``
    the same list, machine-readable;
``badges/<vendor>-<product>-<component>-<version>.svg``
    one badge per certificate ("certified", or "outdated" once the standard
    has a newer minor or major version of the component);
``reports/<slug>-<hash>/``
    the signed ``report.json`` and ``report.json.sig`` as received, and
    ``report.html`` (nb) and ``report.en.html`` (en) rendered from the *verified*
    JSON, so an edited HTML file can never be published.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

import felles
from felles.errors import ReportError, UsageError
from felles.report.badge import BadgeState, render_badge
from felles.report.certificate import (
    claimed_classes,
    newer_version,
    not_certified_reasons,
    procurement_clause,
)
from felles.report.html import TEMPLATE_DIR, write_html
from felles.report.json_report import atomic_write
from felles.report.signing import (
    SIGNATURE_SUFFIX,
    UntrustedKeyError,
    VerificationError,
    VerifiedReport,
    fingerprint,
    verify_report_file,
)

__all__ = ["Certificate", "Refusal", "RegisterResult", "build_register", "slugify"]

REPORT_NAME = "report.json"
MARKER = ".felles-register"
_OWN_ENTRIES = ("index.html", "register.json", "badges", "reports", MARKER)


@dataclass(frozen=True)
class Certificate:
    """One listed certificate, as the register page shows it."""

    vendor: str
    product: str
    component: str
    version: str
    classes: tuple[str, ...]
    date: str  # YYYY-MM-DD of the run
    started_at: str
    suite_version: str
    signer: str  # key fingerprint
    signer_trusted: bool
    newer_version: str | None  # set when outdated
    warnings: tuple[str, ...]
    slug: str
    report_path: str  # relative to the register root
    badge_path: str
    source: Path

    @property
    def outdated(self) -> bool:
        return self.newer_version is not None

    @property
    def state(self) -> BadgeState:
        return "outdated" if self.outdated else "certified"

    @property
    def key(self) -> str:
        return f"{self.component}@{self.version}"

    @property
    def clause_nb(self) -> str:
        return procurement_clause(self.component, self.version, list(self.classes), "nb")

    @property
    def clause_en(self) -> str:
        return procurement_clause(self.component, self.version, list(self.classes), "en")


@dataclass(frozen=True)
class Refusal:
    source: Path
    reason: str


@dataclass(frozen=True)
class RegisterResult:
    out_dir: Path
    certificates: tuple[Certificate, ...]
    refused: tuple[Refusal, ...]
    trusted_keys: tuple[str, ...] = field(default=())

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"


# --------------------------------------------------------------------------- names

_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a", "ß": "ss"})


def slugify(text: str) -> str:
    """A file-name-safe, lower-case ASCII form: "Acos AS" -> "acos-as", "Søknad 2" -> "soknad-2"."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9.]+", "-", ascii_text).strip("-.")
    return re.sub(r"-{2,}", "-", slug) or "x"


# --------------------------------------------------------------------------- building


def _find_reports(report_dir: Path, out_dir: Path) -> list[Path]:
    out = out_dir.resolve()
    found = []
    for path in sorted(report_dir.rglob(REPORT_NAME)):
        resolved = path.resolve()
        if resolved.is_relative_to(out) or not path.is_file():
            continue  # never list the register's own copies
        found.append(path)
    return found


def _verify(path: Path, keys: Sequence[Ed25519PublicKey]) -> VerifiedReport:
    if not keys:
        return verify_report_file(path)
    signer = ""
    for key in keys:
        try:
            return verify_report_file(path, public_key=key)
        except UntrustedKeyError as exc:
            signer = exc.signer
    raise VerificationError(
        f"signed with key {signer}, which this register does not trust",
        hint="pass the certifier's public key with --public-key",
    )


def _examine(path: Path, keys: Sequence[Ed25519PublicKey]) -> VerifiedReport | Refusal:
    try:
        verified = _verify(path, keys)
    except ReportError as exc:
        return Refusal(path, str(exc))
    report = verified.report
    reasons = not_certified_reasons(report)
    if reasons:
        return Refusal(path, "not certified: " + "; ".join(reasons))
    subject = (("vendor", report.info.vendor), ("product", report.info.product))
    missing = [name for name, value in subject if not value]
    if missing:
        return Refusal(
            path,
            f"the report names no {' and no '.join(missing)} (certify with --vendor and --product)",
        )
    return verified


def _entries_to_clear(out_dir: Path) -> list[Path]:
    if not out_dir.exists():
        return []
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir} exists and is not a directory")
    contents = list(out_dir.iterdir())
    if contents and not (out_dir / MARKER).exists():
        raise UsageError(
            f"{out_dir} is not empty and is not a Felles register",
            hint="give an empty or new directory, or one a previous `felles register build` wrote",
        )
    return [path for path in contents if path.name in _OWN_ENTRIES]


def build_register(
    report_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    public_keys: Sequence[Ed25519PublicKey] = (),
    known_versions: Mapping[str, Iterable[str]],
    generated_at: datetime | None = None,
) -> RegisterResult:
    """Verify every report under ``report_dir`` and write the register to ``out_dir``.

    ``known_versions`` maps component names to the versions the standard defines
    (see :func:`newer_version`). Without ``public_keys`` each report is checked
    against the key embedded in its own signature file only, which the page says.
    """
    source_dir, target = Path(report_dir), Path(out_dir)
    if not source_dir.is_dir():
        raise UsageError(f"report directory {source_dir} does not exist or is not a directory")
    stale = _entries_to_clear(target)
    known = {name: list(versions) for name, versions in known_versions.items()}

    verified: list[VerifiedReport] = []
    refused: list[Refusal] = []
    for path in _find_reports(source_dir, target):
        outcome = _examine(path, public_keys)
        if isinstance(outcome, Refusal):
            refused.append(outcome)
        else:
            verified.append(outcome)

    for path in stale:
        try:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError as exc:
            raise ReportError(f"cannot clear the old register entry {path}: {exc.strerror or exc}") from None

    certificates = _write_certificates(verified, target, known, trusted=bool(public_keys))
    trusted = tuple(fingerprint(key) for key in public_keys)
    result = RegisterResult(target, tuple(certificates), tuple(refused), trusted)
    moment = generated_at or datetime.now(UTC)
    atomic_write(target / "index.html", _render_index(result, moment).encode("utf-8"))
    atomic_write(target / "register.json", _register_json(result, moment).encode("utf-8"))
    atomic_write(target / MARKER, b"written by felles register build\n")
    return result


def _write_certificates(
    verified: list[VerifiedReport], target: Path, known: Mapping[str, Iterable[str]], *, trusted: bool
) -> list[Certificate]:
    # Newest first within one vendor/product/component version: the badge shows the newest.
    ordered = sorted(verified, key=lambda v: v.report.info.started_at, reverse=True)
    ordered.sort(
        key=lambda v: (
            (v.report.info.vendor or "").casefold(),
            (v.report.info.product or "").casefold(),
            v.report.info.component,
            v.report.info.version,
        )
    )
    certificates: list[Certificate] = []
    badge_owner: dict[str, tuple[str, str]] = {}
    for item in ordered:
        info = item.report.info
        vendor, product = info.vendor or "", info.product or ""
        slug = "-".join(slugify(part) for part in (vendor, product, info.component, info.version))
        owner = badge_owner.setdefault(slug, (vendor, product))
        if owner != (vendor, product):  # two different names that slugify alike
            slug = f"{slug}-{item.canonical_sha256[:8]}"
            badge_owner[slug] = (vendor, product)
        newer = newer_version(info.component, info.version, known)
        state: BadgeState = "outdated" if newer else "certified"
        badge_rel = f"badges/{slug}.svg"
        if not (target / badge_rel).exists():  # the newest certificate of this slug owns the badge
            badge = render_badge(f"Felles {info.component}@{info.version}", state)
            atomic_write(target / badge_rel, badge.encode("utf-8"))
        report_rel = f"reports/{slug}-{item.canonical_sha256[:12]}"
        _publish_report(item, target / report_rel)
        certificates.append(
            Certificate(
                vendor=vendor,
                product=product,
                component=info.component,
                version=info.version,
                classes=tuple(claimed_classes(item.report)),
                date=info.started_at[:10],
                started_at=info.started_at,
                suite_version=info.suite_version,
                signer=item.fingerprint,
                signer_trusted=trusted,
                newer_version=newer,
                warnings=tuple(req.requirement.requirement_id for req in item.report.warnings),
                slug=slug,
                report_path=f"{report_rel}/report.html",
                badge_path=badge_rel,
                source=item.signature_path.with_name(item.signature_path.name.removesuffix(SIGNATURE_SUFFIX)),
            )
        )
    return certificates


def _publish_report(item: VerifiedReport, directory: Path) -> None:
    # The bytes that were verified, not a fresh read that could race an editor.
    atomic_write(directory / REPORT_NAME, item.report_bytes)
    atomic_write(directory / (REPORT_NAME + SIGNATURE_SUFFIX), item.signature_bytes)
    # Rendered from the verified model, never copied: an edited report.html cannot slip in.
    write_html(item.report, directory / "report.html", "nb", signer=item.fingerprint)
    write_html(item.report, directory / "report.en.html", "en", signer=item.fingerprint)


# --------------------------------------------------------------------------- rendering


@cache
def _template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("register.html.j2")


def _badge_data_uri(certificate: Certificate) -> str:
    svg = render_badge(f"Felles {certificate.key}", certificate.state)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _render_index(result: RegisterResult, moment: datetime) -> str:
    clauses: dict[str, str] = {}
    for certificate in result.certificates:
        clauses.setdefault(certificate.clause_nb, certificate.clause_en)
    return _template().render(
        certificates=result.certificates,
        trusted_keys=result.trusted_keys,
        clauses=sorted(clauses.items()),
        badge_uri=_badge_data_uri,
        generated=moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        suite_version=felles.__version__,
    )


def _register_json(result: RegisterResult, moment: datetime) -> str:
    data = {
        "generatedAt": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "suiteVersion": felles.__version__,
        "trustedKeys": list(result.trusted_keys),
        "certificates": [
            {
                "vendor": c.vendor,
                "product": c.product,
                "component": c.component,
                "version": c.version,
                "classes": list(c.classes),
                "date": c.date,
                "suiteVersion": c.suite_version,
                "status": c.state,
                "newerVersion": c.newer_version,
                "signer": c.signer,
                "signerTrusted": c.signer_trusted,
                "report": c.report_path,
                "badge": c.badge_path,
            }
            for c in result.certificates
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
