"""`--workers N` (pytest-xdist) gives the same results as a serial run, each check once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, *extra: str) -> dict[str, object]:
    reports = tmp_path / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "felles",
            "test",
            "--reference",
            "--component",
            "application@1.0",
            "--examples",
            "3",
            "--seed",
            "11",
            "--report-dir",
            str(reports),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return dict(json.loads((reports / "application-1.0" / "report.json").read_text()))


def _checks(report: dict[str, object]) -> list[tuple[str, str, str]]:
    return sorted(
        (requirement["id"], check["id"], check["status"])
        for cls in report["classes"]  # type: ignore[attr-defined]
        for requirement in cls["requirements"]
        for check in requirement["checks"]
    )


def test_parallel_run_equals_serial_run(tmp_path: Path) -> None:
    serial = _run(tmp_path / "serial")
    parallel = _run(tmp_path / "parallel", "--workers", "2")
    assert _checks(parallel) == _checks(serial)
    assert len(_checks(serial)) == len({(r, c) for r, c, _ in _checks(serial)}), "a check reported twice"
    assert parallel["certified"] is True
