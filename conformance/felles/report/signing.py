"""Ed25519 signatures over the canonical form of a JSON report, and their verification.

The bundle is two files side by side:

``report.json``
    the report, exactly as :mod:`felles.report.json_report` writes it;
``report.json.sig``
    a small JSON document (:data:`SIGNATURE_TYPE`) holding the Ed25519 signature
    over the RFC 8785 canonical bytes of the *whole* parsed ``report.json``
    (:mod:`felles.report.canonical`), the signer's raw public key, its
    fingerprint and the SHA-256 of the canonical bytes.

Anyone can check a bundle without Felles: canonicalise ``report.json`` with any
RFC 8785 implementation and verify the signature with the public key. Because
the canonical form ignores whitespace, member order and escaping, a re-indented
report still verifies; any change of a value (a result, a date, a version, a
class, the vendor) does not.

Key files are PEM: PKCS#8 for the private key, SubjectPublicKeyInfo for the
public key. A key fingerprint is ``sha256:`` and the hex SHA-256 of the 32 raw
public-key bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from felles.errors import ReportError
from felles.report.canonical import canonicalize, loads_strict
from felles.report.json_report import atomic_write, from_json_dict
from felles.report.model import RunReport

__all__ = [
    "PRIVATE_KEY_NAME",
    "PUBLIC_KEY_NAME",
    "SIGNATURE_SUFFIX",
    "SIGNATURE_TYPE",
    "KeyPair",
    "ReportSignature",
    "UntrustedKeyError",
    "VerificationError",
    "VerifiedReport",
    "fingerprint",
    "generate_keypair",
    "load_private_key",
    "load_public_key",
    "sign_report_file",
    "signature_path_for",
    "verify_report_file",
]

PRIVATE_KEY_NAME = "felles-signing.key"
PUBLIC_KEY_NAME = "felles-signing.pub"
SIGNATURE_SUFFIX = ".sig"
SIGNATURE_TYPE = "https://felles.example/signature/1.0"
ALGORITHM = "Ed25519"
CANONICALIZATION = "RFC8785"

# A signature file is a few hundred bytes; anything far larger is not one.
_MAX_SIGNATURE_FILE = 64 * 1024
_MAX_KEY_FILE = 64 * 1024
_SIGNATURE_FIELDS = (
    "type",
    "algorithm",
    "canonicalization",
    "publicKey",
    "keyFingerprint",
    "reportSha256",
    "signature",
)


class VerificationError(ReportError):
    """The report is not shown to be genuine: changed, wrongly signed, or not signed at all."""

    exit_code = 1

    def __str__(self) -> str:
        return "NOT GENUINE: " + super().__str__()


class UntrustedKeyError(VerificationError):
    """The report is signed, but by another key than the one the verifier trusts."""

    def __init__(self, message: str, *, signer: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.signer = signer


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_path: Path
    fingerprint: str


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey | bytes) -> str:
    """``sha256:<hex>`` of the 32 raw public-key bytes."""
    raw = key if isinstance(key, bytes) else raw_public_key(key)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def generate_keypair(directory: str | os.PathLike[str], *, force: bool = False) -> KeyPair:
    """Write a new Ed25519 key pair: the private key readable by its owner only (0600)."""
    out = Path(directory)
    private_path, public_path = out / PRIVATE_KEY_NAME, out / PUBLIC_KEY_NAME
    if not force:
        existing = [str(p) for p in (private_path, public_path) if p.exists()]
        if existing:
            raise ReportError(
                f"refusing to overwrite {', '.join(existing)}",
                hint="a lost signing key cannot be recovered; choose another --out or pass --force",
            )
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
        private_path.unlink(missing_ok=True)
        # Created 0600 from the start: never world-readable, not even for a moment.
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        os.chmod(private_path, 0o600)  # in case the umask removed owner bits
    except OSError as exc:
        raise ReportError(f"cannot write {private_path}: {exc.strerror or exc}") from None
    atomic_write(public_path, public_pem)
    return KeyPair(private_path, public_path, fingerprint(key.public_key()))


def _read_key_file(path: str | os.PathLike[str], what: str) -> bytes:
    source = Path(path)
    try:
        with source.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE + 1)
    except OSError as exc:
        raise ReportError(f"cannot read {what} {source}: {exc.strerror or exc}") from None
    if len(data) > _MAX_KEY_FILE:
        raise ReportError(f"{what} {source} is far too large to be a key file")
    return data


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load a PEM (PKCS#8) Ed25519 private key, with a clear error for anything else."""
    data = _read_key_file(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ReportError(
            f"signing key {path} is encrypted with a passphrase",
            hint="Felles reads unencrypted PKCS#8 keys; protect the file with permissions instead",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ReportError(
            f"{path} is not a PEM private key",
            hint=f"create one with `felles keygen --out DIR` ({PRIVATE_KEY_NAME})",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ReportError(f"signing key {path} is a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Load a PEM (SubjectPublicKeyInfo) Ed25519 public key."""
    data = _read_key_file(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        hint = (
            "that is the private key; pass the .pub file"
            if b"PRIVATE KEY" in data
            else f"pass the {PUBLIC_KEY_NAME} written by `felles keygen`"
        )
        raise ReportError(f"{path} is not a PEM public key", hint=hint) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ReportError(f"public key {path} is a {type(key).__name__}, not an Ed25519 key")
    return key


# --------------------------------------------------------------------------- signature files


@dataclass(frozen=True)
class ReportSignature:
    """The contents of a ``.sig`` file."""

    public_key: bytes  # 32 raw bytes
    signature: bytes  # 64 bytes
    report_sha256: str  # hex SHA-256 of the canonical report bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def to_json(self) -> dict[str, str]:
        return {
            "type": SIGNATURE_TYPE,
            "algorithm": ALGORITHM,
            "canonicalization": CANONICALIZATION,
            "publicKey": base64.b64encode(self.public_key).decode("ascii"),
            "keyFingerprint": self.fingerprint,
            "reportSha256": self.report_sha256,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: Any, source: str) -> ReportSignature:
        def damaged(problem: str) -> VerificationError:
            return VerificationError(
                f"signature file {source} is damaged or not a Felles signature: {problem}",
                hint="the report cannot be shown to be genuine",
            )

        if not isinstance(data, dict):
            raise damaged("it is not a JSON object")
        missing = [name for name in _SIGNATURE_FIELDS if name not in data]
        if missing:
            raise damaged(f"missing {', '.join(missing)}")
        unknown = sorted(set(data) - set(_SIGNATURE_FIELDS))
        if unknown:
            raise damaged(f"unknown member(s) {', '.join(unknown)}")
        for name in _SIGNATURE_FIELDS:
            if not isinstance(data[name], str):
                raise damaged(f"{name} is not a string")
        expected = {"type": SIGNATURE_TYPE, "algorithm": ALGORITHM, "canonicalization": CANONICALIZATION}
        for name, value in expected.items():
            if data[name] != value:
                raise damaged(f"{name} is {data[name]!r}, expected {value!r}")
        public_key = _base64(data["publicKey"], 32, "publicKey", damaged)
        signature = _base64(data["signature"], 64, "signature", damaged)
        if data["keyFingerprint"] != fingerprint(public_key):
            raise damaged("keyFingerprint does not belong to publicKey")
        digest = data["reportSha256"]
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise damaged("reportSha256 is not 64 lower-case hex digits")
        return cls(public_key, signature, digest)


def _base64(text: str, length: int, name: str, damaged: Callable[[str], VerificationError]) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise damaged(f"{name} is not base64") from None
    if len(raw) != length or base64.b64encode(raw).decode("ascii") != text:
        raise damaged(f"{name} is not {length} bytes in canonical base64")
    return raw


def signature_path_for(report_path: str | os.PathLike[str]) -> Path:
    path = Path(report_path)
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def _read_report_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReportError(f"cannot read report {path}: {exc.strerror or exc}") from None


def sign_report_file(
    report_path: str | os.PathLike[str],
    key: Ed25519PrivateKey,
    signature_path: str | os.PathLike[str] | None = None,
) -> tuple[Path, ReportSignature]:
    """Sign the report file as it is on disk (what a verifier will read) and write ``.sig``.

    The report is validated first: Felles never signs a report its own reader rejects.
    """
    source = Path(report_path)
    data = loads_strict(_read_report_bytes(source), what=f"report {source}")
    from_json_dict(data)
    canonical = canonicalize(data)
    signed = ReportSignature(
        public_key=raw_public_key(key.public_key()),
        signature=key.sign(canonical),
        report_sha256=hashlib.sha256(canonical).hexdigest(),
    )
    target = Path(signature_path) if signature_path is not None else signature_path_for(source)
    text = json.dumps(signed.to_json(), indent=2) + "\n"
    atomic_write(target, text.encode("ascii"))
    return target, signed


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerifiedReport:
    """A report whose signature checked out, with how far that proof goes."""

    report: RunReport
    data: dict[str, Any]
    fingerprint: str
    # "given": verified against the key the verifier trusts (signer established);
    # "embedded": only against the key inside the signature file (integrity only).
    key_source: Literal["given", "embedded"]
    canonical_sha256: str
    signature_path: Path
    # The exact bytes that were verified, for publishing without re-reading the files.
    report_bytes: bytes
    signature_bytes: bytes


def _read_signature(path: Path) -> tuple[ReportSignature, bytes]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_SIGNATURE_FILE + 1)
    except FileNotFoundError:
        raise VerificationError(
            f"the report is not signed: there is no signature file {path}",
            hint="a certified report comes with its .sig file; ask for both",
        ) from None
    except OSError as exc:
        raise ReportError(f"cannot read signature file {path}: {exc.strerror or exc}") from None
    if len(raw) > _MAX_SIGNATURE_FILE:
        raise VerificationError(f"signature file {path} is damaged or not a Felles signature: far too large")
    try:
        data = loads_strict(raw, what="its text")
    except ReportError as exc:
        raise VerificationError(
            f"signature file {path} is damaged or not a Felles signature: {exc.message}",
            hint="the report cannot be shown to be genuine",
        ) from None
    return ReportSignature.from_json(data, str(path)), raw


def verify_report_file(
    report_path: str | os.PathLike[str],
    *,
    signature_path: str | os.PathLike[str] | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> VerifiedReport:
    """Check that ``report_path`` is exactly what the holder of the key signed.

    With ``public_key`` the signer is established (the report must be signed by
    that key); without it only the key embedded in the signature file is used,
    which proves integrity but not who signed. Raises :class:`VerificationError`
    (exit code 1) for anything that is not a genuine, valid report.
    """
    source = Path(report_path)
    sig_path = Path(signature_path) if signature_path is not None else signature_path_for(source)
    report_bytes = _read_report_bytes(source)
    signed, signature_bytes = _read_signature(sig_path)
    try:
        data = loads_strict(report_bytes, what=f"report {source}")
        canonical = canonicalize(data)
    except ReportError as exc:
        raise VerificationError(
            f"report {source} cannot be verified: {exc.message}", hint="it is not a genuine Felles report"
        ) from None
    digest = hashlib.sha256(canonical).hexdigest()

    if public_key is not None:
        trusted = raw_public_key(public_key)
        if trusted != signed.public_key:
            raise UntrustedKeyError(
                f"{source} was signed with a different key ({signed.fingerprint}) "
                f"than the one given ({fingerprint(trusted)})",
                signer=signed.fingerprint,
                hint="the report was re-signed by someone else, or you were given the wrong public key",
            )
        key = public_key
        key_source: Literal["given", "embedded"] = "given"
    else:
        key = Ed25519PublicKey.from_public_bytes(signed.public_key)
        key_source = "embedded"

    if digest != signed.report_sha256:
        raise VerificationError(
            f"the content of {source} was changed after it was signed "
            f"(canonical SHA-256 is {digest}, the signature is for {signed.report_sha256})",
            hint="do not trust this report",
        )
    try:
        key.verify(signed.signature, canonical)
    except InvalidSignature:
        raise VerificationError(
            f"the signature in {sig_path} is not valid for {source} and key {signed.fingerprint}",
            hint="the signature file was altered or made for other content; do not trust this report",
        ) from None

    try:
        report = from_json_dict(data)
    except ReportError as exc:
        raise VerificationError(
            f"{source} is correctly signed but is not a valid Felles report: {exc.message}",
            hint="the signer's tool is broken; do not rely on this report",
        ) from None
    return VerifiedReport(
        report=report,
        data=data,
        fingerprint=signed.fingerprint,
        key_source=key_source,
        canonical_sha256=digest,
        signature_path=sig_path,
        report_bytes=report_bytes,
        signature_bytes=signature_bytes,
    )
