"""Keys, signing and verification as a library, and the `felles keygen` / `--certify` options."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.report.certification.support import Bundle, run_felles

from felles.cli import main
from felles.errors import ReportError
from felles.report.json_report import write_json
from felles.report.model import RunReport
from felles.report.signing import (
    PRIVATE_KEY_NAME,
    PUBLIC_KEY_NAME,
    VerificationError,
    fingerprint,
    generate_keypair,
    load_private_key,
    load_public_key,
    sign_report_file,
    verify_report_file,
)
from felles.runner import run as run_module


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    pair = generate_keypair(tmp_path / "keys")
    assert pair.private_path == tmp_path / "keys" / PRIVATE_KEY_NAME
    assert stat.S_IMODE(pair.private_path.stat().st_mode) == 0o600
    assert pair.private_path.read_text().startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert pair.public_path.read_text().startswith("-----BEGIN PUBLIC KEY-----")  # SPKI
    private, public = load_private_key(pair.private_path), load_public_key(pair.public_path)
    assert fingerprint(private.public_key()) == fingerprint(public) == pair.fingerprint
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import hashlib

    assert pair.fingerprint == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_keygen_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen", "--out", str(tmp_path)]) == 0
    first = (tmp_path / PRIVATE_KEY_NAME).read_bytes()
    assert "Fingerprint: sha256:" in capsys.readouterr().out
    assert main(["keygen", "--out", str(tmp_path)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert (tmp_path / PRIVATE_KEY_NAME).read_bytes() == first
    assert main(["keygen", "--out", str(tmp_path), "--force"]) == 0
    assert (tmp_path / PRIVATE_KEY_NAME).read_bytes() != first
    assert stat.S_IMODE((tmp_path / PRIVATE_KEY_NAME).stat().st_mode) == 0o600


def _pem_private(key: Any, password: bytes | None = None) -> bytes:
    encryption: Any = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    data: bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return data


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "not a PEM private key"),
        (b"garbage", "not a PEM private key"),
        (_pem_private(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "not an Ed25519 key"),
        (_pem_private(ec.generate_private_key(ec.SECP256R1())), "not an Ed25519 key"),
        (_pem_private(Ed25519PrivateKey.generate(), b"secret"), "encrypted with a passphrase"),
        (b"x" * 100_000, "far too large"),
    ],
)
def test_bad_private_keys_are_refused_clearly(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(content)
    with pytest.raises(ReportError, match=needle):
        load_private_key(path)


def test_bad_public_keys_are_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "key.pub"
    path.write_text("not a key")
    with pytest.raises(ReportError, match="not a PEM public key"):
        load_public_key(path)
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    path.write_bytes(
        rsa_public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ReportError, match="not an Ed25519 key"):
        load_public_key(path)
    with pytest.raises(ReportError, match="cannot read public key"):
        load_public_key(tmp_path / "missing.pub")


def test_sign_and_verify_a_builder_report(tmp_path: Path, certified_report: RunReport) -> None:
    key = Ed25519PrivateKey.generate()
    path = write_json(certified_report, tmp_path / "report.json")
    signature_path, signed = sign_report_file(path, key)
    assert signature_path == tmp_path / "report.json.sig"
    verified = verify_report_file(path, public_key=key.public_key())
    assert verified.report == certified_report
    assert verified.key_source == "given"
    assert verified.fingerprint == fingerprint(key.public_key())
    assert verified.report_bytes == path.read_bytes()
    embedded = verify_report_file(path)
    assert embedded.key_source == "embedded"
    # The signature is over the canonical bytes: anyone can check it with plain Ed25519.
    from felles.report.canonical import canonicalize

    canonical = canonicalize(json.loads(path.read_text(encoding="utf-8")))
    key.public_key().verify(signed.signature, canonical)


def test_signing_refuses_an_invalid_report(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"certified": true}', encoding="utf-8")
    with pytest.raises(ReportError, match="not valid against"):
        sign_report_file(path, Ed25519PrivateKey.generate())
    assert not (tmp_path / "report.json.sig").exists()


def test_signing_refuses_a_seed_canonical_json_cannot_hold(tmp_path: Path, build: Any) -> None:
    report = build.with_info(build.certified(), seed=2**60)
    path = write_json(report, tmp_path / "report.json")
    with pytest.raises(ReportError, match="beyond"):
        sign_report_file(path, Ed25519PrivateKey.generate())


def test_a_correctly_signed_but_inconsistent_report_is_refused(
    tmp_path: Path, certified_report: RunReport
) -> None:
    # A broken writer signs a report whose verdict contradicts its results.
    key = Ed25519PrivateKey.generate()
    path = write_json(certified_report, tmp_path / "report.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["classes"][0]["requirements"][0]["status"] = "failed"
    path.write_text(json.dumps(data), encoding="utf-8")
    from felles.report.canonical import canonicalize
    from felles.report.signing import ReportSignature

    canonical = canonicalize(data)
    import hashlib

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = ReportSignature(raw, key.sign(canonical), hashlib.sha256(canonical).hexdigest())
    (tmp_path / "report.json.sig").write_text(json.dumps(signature.to_json()), encoding="utf-8")
    with pytest.raises(VerificationError, match="correctly signed but is not a valid Felles report"):
        verify_report_file(path, public_key=key.public_key())


def test_non_canonical_base64_is_refused(tmp_path: Path, certified_report: RunReport) -> None:
    key = Ed25519PrivateKey.generate()
    path = write_json(certified_report, tmp_path / "report.json")
    signature_path, _ = sign_report_file(path, key)
    data = json.loads(signature_path.read_text())
    raw = base64.b64decode(data["signature"])
    data["signature"] = base64.b64encode(raw).decode().rstrip("=")  # unpadded
    signature_path.write_text(json.dumps(data))
    with pytest.raises(VerificationError, match=r"signature is not base64|canonical base64"):
        verify_report_file(path)


def test_exit_code_of_verification_errors_is_1() -> None:
    assert VerificationError("x").exit_code == 1
    assert isinstance(VerificationError("x"), ReportError)
    assert str(VerificationError("x")).startswith("NOT GENUINE: ")


# --------------------------------------------------------------------------- felles test --certify


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--certify"], "--certify needs --key"),
        (["--key", "k.pem"], "--key is only used with --certify"),
        (["--vendor", "X"], "--vendor is only used with --certify"),
        (["--certify", "--key", "missing.pem"], "cannot read signing key"),
        (["--certify", "--key", "{public}"], "not a PEM private key"),
        (["--certify", "--key", "{private}", "--seed", str(2**60)], "below 2^53"),
        (
            ["--certify", "--key", "{private}", "--requirement", "/req/application/core/create"],
            "cannot be combined with --requirement",
        ),
    ],
)
def test_certify_usage_errors_come_before_any_run(
    real_bundle: Bundle, tmp_path: Path, extra: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    names = {"private": str(real_bundle.private_key), "public": str(real_bundle.public_key)}
    argv = ["test", "--reference", "--report-dir", str(tmp_path / "out"), *[e.format(**names) for e in extra]]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert needle in captured.err
    assert "Starting the reference" not in captured.out  # refused before any testing
    assert not (tmp_path / "out").exists()


def test_certifying_a_vendor_system_needs_vendor_and_product(
    real_bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["test", "http://127.0.0.1:9/app", "--component", "application@1.0", "--certify"]
    code = main([*base, "--key", str(real_bundle.private_key), "--product", "P"])
    assert code == 2
    assert "--certify needs --vendor" in capsys.readouterr().err
    code = main([*base, "--key", str(real_bundle.private_key), "--vendor", "V", "--product", " "])
    assert code == 2
    assert "--certify needs --product" in capsys.readouterr().err


def test_the_certified_run_says_so_and_the_html_names_the_key(real_bundle: Bundle) -> None:
    output = (real_bundle.directory.parent.parent / "run.out").read_text(encoding="utf-8")
    assert "Signed: " in output
    assert "Certificate: issued to Kommune-IT Nord AS, Søknadsmottak Pro for application@1.0" in output
    signature = json.loads(real_bundle.signature.read_text(encoding="utf-8"))
    html = real_bundle.html.read_text(encoding="utf-8")
    assert signature["keyFingerprint"] in html
    assert "felles report verify report.json --public-key" in html
    assert "Søknadsmottak Pro" in html
    assert (
        "Systemet skal være sertifisert mot Felles application@1.0, klassene core, lifecycle og security."
        in html
    )


def test_an_uncertified_run_is_signed_but_no_certificate_is_issued(
    tmp_path: Path, build: Any, real_bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    options = _options(tmp_path, certify=True, key=real_bundle.private_key, vendor="V", product="P")
    path = write_json(build.mixed(), tmp_path / "report.json")
    signer = run_module._sign(build.mixed(), options, path)
    output = capsys.readouterr().out
    assert signer is not None
    assert signer.startswith("sha256:")
    assert "Certificate: NOT issued: 5 MUST requirement(s)" in output
    assert verify_report_file(path).report.certified is False


def test_a_run_without_certify_removes_a_stale_signature(tmp_path: Path, build: Any) -> None:
    path = write_json(build.certified(), tmp_path / "report.json")
    sign_report_file(path, Ed25519PrivateKey.generate())
    assert run_module._sign(build.certified(), _options(tmp_path), path) is None
    assert not (tmp_path / "report.json.sig").exists()


def test_vendor_and_product_are_added_to_the_report(build: Any, tmp_path: Path) -> None:
    report = run_module._with_subject(build.certified(), _options(tmp_path, vendor="V", product="P"))
    assert (report.info.vendor, report.info.product) == ("V", "P")
    assert run_module._with_subject(build.certified(), _options(tmp_path)) == build.certified()


def _options(tmp_path: Path, **overrides: Any) -> run_module.TestOptions:
    from datetime import UTC, datetime

    values: dict[str, Any] = {
        "base_url": None,
        "reference": True,
        "components": [],
        "classes": [],
        "requirements": [],
        "token_env": [],
        "token_command": [],
        "municipality": None,
        "seed": 1,
        "examples": 1,
        "report_dir": tmp_path,
        "junit": None,
        "lang": "nb",
        "workers": None,
        "timeout_s": None,
        "insecure": False,
        "started_at": datetime.now(UTC),
    }
    values.update(overrides)
    return run_module.TestOptions(**values)


def test_keygen_in_a_real_subprocess(tmp_path: Path) -> None:
    made = run_felles("keygen", "--out", tmp_path / "k")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "k" / PUBLIC_KEY_NAME).is_file()
    assert stat.S_IMODE((tmp_path / "k" / PRIVATE_KEY_NAME).stat().st_mode) == 0o600


def test_vendor_and_product_round_trip_and_are_optional(build: Any) -> None:
    from felles.report.json_report import from_json_dict, to_json_dict
    from felles.report.json_report import validate_json_report as validate

    report = build.with_info(build.certified(), vendor="Acos AS", product="Søknad")
    data = to_json_dict(report)
    assert (data["vendor"], data["product"]) == ("Acos AS", "Søknad")
    assert from_json_dict(data) == report
    plain = to_json_dict(build.certified())
    assert "vendor" not in plain
    assert "product" not in plain
    with pytest.raises(ReportError, match="/vendor"):
        validate({**data, "vendor": ""})
