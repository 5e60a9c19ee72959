"""Helpers shared by the certification tests (imported, unlike conftest fixtures)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SEED = 20251123
VENDOR = "Kommune-IT Nord AS"
PRODUCT = "Søknadsmottak Pro"


def felles_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "conformance"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def run_felles(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`felles ARGS` in a real subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "felles", *map(str, args)],
        capture_output=True,
        text=True,
        env=felles_env(),
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class Bundle:
    """One signed reference report and the key pair that signed it."""

    directory: Path
    private_key: Path
    public_key: Path

    @property
    def report(self) -> Path:
        return self.directory / "report.json"

    @property
    def signature(self) -> Path:
        return self.directory / "report.json.sig"

    @property
    def html(self) -> Path:
        return self.directory / "report.html"

    def copy_to(self, target: Path) -> Bundle:
        shutil.copytree(self.directory, target / "application-1.0")
        return Bundle(target / "application-1.0", self.private_key, self.public_key)
