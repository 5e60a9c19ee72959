"""A real certification bundle (keys + signed reference run), made once per test session.

`felles test --reference --certify` takes a few seconds; all xdist workers of one
session share one run through a lock file, and every test copies the bundle
before touching it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.report.certification.support import PRODUCT, SEED, VENDOR, Bundle, run_felles

from felles.report.json_report import write_json
from felles.report.model import RunReport
from felles.report.signing import generate_keypair, load_private_key, sign_report_file


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker has its own basetemp inside the session's directory.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def real_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    root = _shared_root(tmp_path_factory)
    shared = root / "felles-real-certification"
    with (root / "felles-real-certification.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "done"
        if not done.exists():
            shutil.rmtree(shared, ignore_errors=True)
            keys = shared / "keys"
            made = run_felles("keygen", "--out", keys)
            assert made.returncode == 0, made.stderr
            run = run_felles(
                "test",
                "--reference",
                "--component",
                "application@1.0",
                "--certify",
                "--key",
                keys / "felles-signing.key",
                "--vendor",
                VENDOR,
                "--product",
                PRODUCT,
                "--seed",
                str(SEED),
                "--examples",
                "5",
                "--report-dir",
                shared / "reports",
            )
            assert run.returncode == 0, f"reference certification failed:\n{run.stdout}\n{run.stderr}"
            (shared / "run.out").write_text(run.stdout, encoding="utf-8")
            done.write_text("ok", encoding="utf-8")
    return Bundle(
        shared / "reports" / "application-1.0",
        shared / "keys" / "felles-signing.key",
        shared / "keys" / "felles-signing.pub",
    )


@pytest.fixture
def bundle(real_bundle: Bundle, tmp_path: Path) -> Bundle:
    """A private copy of the real bundle that a test may tamper with."""
    return real_bundle.copy_to(tmp_path)


@pytest.fixture(scope="session")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A second, unrelated key pair (the attacker's, or a wrong one)."""
    pair = generate_keypair(tmp_path_factory.mktemp("other-keys"))
    return pair.private_path, pair.public_path


SignedFactory = Callable[..., Path]


@pytest.fixture
def signed(tmp_path: Path) -> SignedFactory:
    """Write a builder report as a signed bundle: ``signed(report, key, name)`` -> report.json path."""

    def make(report: RunReport, key: Path | Ed25519PrivateKey, name: str = "run") -> Path:
        path = write_json(report, tmp_path / "reports" / name / "report.json")
        private = key if isinstance(key, Ed25519PrivateKey) else load_private_key(key)
        sign_report_file(path, private)
        return path

    return make
