"""Tampering with a real certified report: every change of meaning is caught, layout changes are not.

The bundle comes from a real `felles test --reference --certify` run (conftest).
The bulk of the cases call the CLI in-process (`felles.cli.main`, the very code
path of the `felles` command); a few run it as a real subprocess.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.report.certification.support import PRODUCT, VENDOR, Bundle, run_felles

from felles.cli import main
from felles.report.signing import load_private_key, sign_report_file

Path_ = tuple[str | int, ...]


def _leaves(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _containers(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict | list):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            yield from _containers(item, (*path, key))


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _changed(value: Any) -> Any:
    """A different value of the same JSON type (a value of another type for null)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 1.0
    assert isinstance(value, str)
    return value + "x" if value else "x"


def _write(path: Path, data: Any, **dumps: Any) -> None:
    options: dict[str, Any] = {"indent": 2, "ensure_ascii": False}
    options.update(dumps)
    path.write_text(json.dumps(data, **options) + "\n", encoding="utf-8")


def _verify(report: Path, public_key: Path | None, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    argv = ["report", "verify", str(report)]
    if public_key is not None:
        argv += ["--public-key", str(public_key)]
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _pointer(path: Path_) -> str:
    return "/" + "/".join(str(part) for part in path)


def _assert_refused(code: int, output: str, what: str) -> None:
    assert code == 1, f"{what}: verify exited {code}:\n{output}"
    assert "NOT GENUINE" in output, f"{what}: no clear message:\n{output}"
    assert "Traceback" not in output, output


def test_the_real_report_is_certified_and_names_vendor_and_product(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(bundle.report.read_text(encoding="utf-8"))
    assert data["certified"] is True
    assert (data["vendor"], data["product"]) == (VENDOR, PRODUCT)
    assert data["seed"] == 20251123
    assert data["examples"] == 5
    code, output = _verify(bundle.report, bundle.public_key, capsys)
    assert code == 0, output
    assert "GENUINE" in output
    assert "NOT GENUINE" not in output
    assert "Certificate: CERTIFIED" in output
    assert f"Vendor:      {VENDOR}" in output
    assert "Component:   application@1.0" in output
    assert "Claimed:     core, lifecycle, security" in output
    assert "Passed:      core, lifecycle, security" in output


def test_every_leaf_value_changed_fails_verification(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    original = json.loads(bundle.report.read_text(encoding="utf-8"))
    leaves = list(_leaves(original))
    assert len(leaves) > 200  # the whole report, down to each check's duration
    tampered_fields = set()
    for path, value in leaves:
        data = json.loads(json.dumps(original))
        _get(data, path[:-1])[path[-1]] = _changed(value)
        _write(bundle.report, data)
        for key in (bundle.public_key, None):
            code, output = _verify(bundle.report, key, capsys)
            _assert_refused(code, output, f"{_pointer(path)} changed (key {key})")
        assert "changed after it was signed" in output
        tampered_fields.add(path[-1] if isinstance(path[-1], str) else path[-2])
    # Every kind of field was tampered with: results, dates, versions, classes, vendor...
    for name in ("status", "startedAt", "finishedAt", "version", "suiteVersion", "component", "vendor",
                 "product", "name", "claimed", "seed", "examples", "target", "keyword", "certified",
                 "$schema", "durationSeconds", "python", "passed", "id"):  # fmt: skip
        assert name in tampered_fields, name


def test_every_member_removed_or_added_fails_verification(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    original = json.loads(bundle.report.read_text(encoding="utf-8"))
    cases = 0
    for path, container in _containers(original):
        if isinstance(container, dict):
            edits: list[Any] = [("del", key) for key in container] + [("add", "extra")]
        else:
            edits = [("pop", index) for index in range(len(container))]
            if len(container) > 1:
                edits.append(("reverse", None))
        for action, key in edits:
            data = json.loads(json.dumps(original))
            target = _get(data, path)
            if action in ("del", "pop"):
                del target[key]
            elif action == "add":
                target[key] = "injected"
            else:
                target.reverse()
            _write(bundle.report, data)
            code, output = _verify(bundle.report, bundle.public_key, capsys)
            _assert_refused(code, output, f"{action} {key} at {_pointer(path)}")
            cases += 1
    assert cases > 100


def _exponent(value: float) -> str:
    return f"{Decimal(repr(value)).normalize():E}"


def test_layout_changes_that_keep_the_meaning_still_verify(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    original = json.loads(bundle.report.read_text(encoding="utf-8"))

    def reversed_keys(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: reversed_keys(value[key]) for key in reversed(list(value))}
        if isinstance(value, list):
            return [reversed_keys(item) for item in value]
        return value

    variants = {
        "compact": json.dumps(original, separators=(",", ":"), ensure_ascii=False),
        "reversed member order": json.dumps(reversed_keys(original), indent=1, ensure_ascii=False),
        "ascii escapes": json.dumps(original, indent=4, ensure_ascii=True),
        "tabs and CRLF": json.dumps(original, indent="\t", ensure_ascii=False).replace("\n", "\r\n"),
    }
    # Numbers spelled differently: 0.0075 as 7.5E-3.
    text = json.dumps(original, indent=2, ensure_ascii=False)
    floats = sorted({v for _, v in _leaves(original) if isinstance(v, float)}, key=repr)
    assert floats
    for value in floats:
        # Whole numbers only: ": 0.1" must not rewrite the start of ": 0.12".
        text = re.sub(rf": {re.escape(repr(value))}(?=[,\s\]}}])", f": {_exponent(value)}", text)
    assert "E-" in text
    variants["exponent numbers"] = text
    assert "\\u00f8" in variants["ascii escapes"]  # ø in the product name, escaped

    for name, content in variants.items():
        bundle.report.write_text(content, encoding="utf-8")
        code, output = _verify(bundle.report, bundle.public_key, capsys)
        assert code == 0, f"{name}: {output}"
        assert "Certificate: CERTIFIED" in output


def test_a_wrong_public_key_fails(
    bundle: Bundle, other_keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = _verify(bundle.report, other_keys[1], capsys)
    _assert_refused(code, output, "wrong key")
    assert "signed with a different key" in output


def test_a_tampered_report_re_signed_by_someone_else(
    bundle: Bundle, other_keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(bundle.report.read_text(encoding="utf-8"))
    data["vendor"] = "Impostor AS"
    _write(bundle.report, data)
    sign_report_file(bundle.report, load_private_key(other_keys[0]))
    # Against the certifier's key: refused.
    code, output = _verify(bundle.report, bundle.public_key, capsys)
    _assert_refused(code, output, "re-signed")
    assert "different key" in output
    # Without a key the signature is intact, but the output says the signer is unknown
    # and shows the impostor's fingerprint, which differs from the certifier's.
    code, output = _verify(bundle.report, None, capsys)
    assert code == 0
    assert "identity is NOT established" in output
    impostor = json.loads(bundle.signature.read_text(encoding="utf-8"))["keyFingerprint"]
    assert f"Signed by:   {impostor}" in output
    genuine = main(["report", "verify", str(bundle.report), "--public-key", str(bundle.public_key)])
    assert genuine == 1
    assert impostor not in capsys.readouterr().out


def test_the_signer_fingerprint_is_printed_without_a_public_key(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = _verify(bundle.report, None, capsys)
    assert code == 0
    assert "WARNING: the signer's identity is NOT established" in output
    signature = json.loads(bundle.signature.read_text(encoding="utf-8"))
    assert signature["keyFingerprint"].startswith("sha256:")
    assert f"Signed by:   {signature['keyFingerprint']}" in output


@pytest.mark.parametrize(
    "field",
    ["type", "algorithm", "canonicalization", "publicKey", "keyFingerprint", "reportSha256", "signature"],
)
def test_every_signature_field_changed_fails(
    bundle: Bundle, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    original = json.loads(bundle.signature.read_text(encoding="utf-8"))
    value = original[field]
    # Change one character in the middle, keeping the length (and base64 validity).
    middle = len(value) // 2
    replacement = "A" if value[middle] != "A" else "B"
    for changed in (value[:middle] + replacement + value[middle + 1 :], "", None):
        data = dict(original, **{field: changed})
        bundle.signature.write_text(json.dumps(data), encoding="utf-8")
        for key in (bundle.public_key, None):
            code, output = _verify(bundle.report, key, capsys)
            _assert_refused(code, output, f"signature {field}={changed!r}")


def test_truncated_and_garbage_signature_files_fail_clearly(
    bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    genuine = bundle.signature.read_bytes()
    rng = random.Random(7)
    # Every truncation that removes more than the final newline.
    contents = [
        genuine[:length] for length in range(len(genuine)) if genuine[:length].strip() != genuine.strip()
    ]
    assert len(contents) > 300
    contents += [
        b"",
        b"\x00" * 64,
        bytes(rng.randrange(256) for _ in range(300)),
        b"[]",
        b'"signature"',
        b"null",
        b"{" * 10_000,
        genuine + b"trailing",
        genuine.replace(b"{", b'{"type": "x", ', 1),  # duplicate member
        b" " * 100_000,  # far too large
    ]
    for content in contents:
        bundle.signature.write_bytes(content)
        code, output = _verify(bundle.report, bundle.public_key, capsys)
        _assert_refused(code, output, f"signature file {content[:40]!r}")
        assert "signature file" in output
        assert output.count("\n") == 1, output  # one line, no traceback


def test_missing_signature_file(bundle: Bundle, capsys: pytest.CaptureFixture[str]) -> None:
    bundle.signature.unlink()
    code, output = _verify(bundle.report, bundle.public_key, capsys)
    _assert_refused(code, output, "no signature")
    assert "not signed" in output


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": 1, "a": 1}', "twice"),
        (b"[1, 2", "not valid JSON"),
    ],
)
def test_damaged_report_file_fails_clearly(
    bundle: Bundle, content: bytes, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle.report.write_bytes(content)
    code, output = _verify(bundle.report, bundle.public_key, capsys)
    _assert_refused(code, output, "damaged report")
    assert needle in output


def test_duplicate_member_smuggling_is_refused(bundle: Bundle, capsys: pytest.CaptureFixture[str]) -> None:
    # A second "certified" member: parsers differ on which one wins, so the file is refused.
    text = bundle.report.read_text(encoding="utf-8")
    bundle.report.write_text(text.replace('"certified": true,', '"certified": true, "certified": false,'))
    code, output = _verify(bundle.report, bundle.public_key, capsys)
    _assert_refused(code, output, "duplicate member")
    assert "twice" in output


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["report", "verify", "missing.json"], "cannot read report"),
        (["report", "verify", "{report}", "--public-key", "missing.pub"], "cannot read public key"),
        (["report", "verify", "{report}", "--public-key", "{private}"], "that is the private key"),
        (["report", "verify", "{report}", "--public-key", "{report}"], "not a PEM public key"),
        (["report"], "required"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    bundle: Bundle, argv: list[str], needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    names = {"report": str(bundle.report), "private": str(bundle.private_key)}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        code = main([part.format(**names) for part in argv])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert needle in captured.err
    assert "Traceback" not in captured.err


def test_real_subprocess_genuine_and_tampered(bundle: Bundle) -> None:
    genuine = run_felles("report", "verify", bundle.report, "--public-key", bundle.public_key)
    assert genuine.returncode == 0, genuine.stderr
    assert "GENUINE" in genuine.stdout
    assert "Certificate: CERTIFIED" in genuine.stdout

    data = json.loads(bundle.report.read_text(encoding="utf-8"))
    data["classes"][0]["requirements"][0]["status"] = "failed"
    _write(bundle.report, data)
    tampered = run_felles("report", "verify", bundle.report, "--public-key", bundle.public_key)
    assert tampered.returncode == 1
    assert tampered.stderr.startswith("felles: error: NOT GENUINE: the content of")
    assert "Traceback" not in tampered.stderr
    assert tampered.stdout == ""


def test_require_certified(
    signed: Any, build: Any, real_bundle: Bundle, capsys: pytest.CaptureFixture[str]
) -> None:
    path = signed(build.mixed(), real_bundle.private_key)
    code, output = _verify(path, real_bundle.public_key, capsys)
    assert code == 0
    assert "Certificate: NONE (not certified: 5 MUST requirement(s)" in output
    assert main(["report", "verify", str(path), "--require-certified"]) == 1
    capsys.readouterr()
