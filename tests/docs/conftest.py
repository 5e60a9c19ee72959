"""The docs site, built once per test session into a temporary folder, shared by the xdist workers.

``mkdocs build --strict`` runs in a subprocess, as CI and editors run it, but
with every network call refused (:mod:`tests.docs.offline`): the build that
every docs test reads is the proof that building needs no network. The first
worker to take the lock builds; the others wait and reuse the result (and
its failure, which every test that needs the site then reports).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.offline import MKDOCS, offline_python

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BuiltSite:
    """The built site (``root``), how long ``mkdocs build --strict`` took and what it printed."""

    root: Path
    seconds: float
    log: str

    def page(self, url_path: str) -> Path:
        """The HTML file of a site-relative URL path (``en/guides/vendors/``)."""
        path = self.root / url_path
        return path / "index.html" if url_path.endswith("/") or not url_path else path


def _build(target: Path) -> dict[str, object]:
    started = time.monotonic()
    done = subprocess.run(
        offline_python(MKDOCS, "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(target)),
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    seconds = round(time.monotonic() - started, 1)
    return {"returncode": done.returncode, "seconds": seconds, "log": done.stdout + done.stderr}


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target, result = shared / "docs-site", shared / "docs-site.json"
    with (shared / "docs-site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            result.write_text(json.dumps(_build(target)), encoding="utf-8")
        outcome = json.loads(result.read_text(encoding="utf-8"))
    if outcome["returncode"] != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{outcome['log'][-4000:]}", pytrace=False)
    return BuiltSite(target, float(outcome["seconds"]), str(outcome["log"]))
