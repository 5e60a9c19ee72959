"""`--workers N` (pytest-xdist) gives the same results as a serial run, each check once."""

from __future__ import annotations

import json
import os
import re
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
    report = dict(json.loads((reports / "application-1.0" / "report.json").read_text()))
    report["stdout"] = done.stdout
    return report


def _trace(report_dir: Path) -> list[dict[str, object]]:
    directory = report_dir / "reports" / "application-1.0"
    assert not list(directory.glob("trace-*.jsonl")), "worker traces left unmerged"
    return [json.loads(line) for line in (directory / "trace.jsonl").read_text("utf-8").splitlines()]


def _requests(report: dict[str, object]) -> int:
    found = re.search(r"(\d+) requests in", str(report["stdout"]))
    assert found, report["stdout"]
    return int(found.group(1))


def _checks(report: dict[str, object]) -> list[tuple[str, str, str]]:
    return sorted(
        (requirement["id"], check["id"], check["status"])
        for cls in report["classes"]  # type: ignore[attr-defined]
        for requirement in cls["requirements"]
        for check in requirement["checks"]
    )


def test_parallel_run_equals_serial_run(tmp_path: Path) -> None:
    serial = _run(tmp_path / "serial", "--trace")
    parallel = _run(tmp_path / "parallel", "--workers", "2", "--trace")
    assert _checks(parallel) == _checks(serial)
    # Every request in the trace, the workers' files merged in time order. (The counts of the two
    # runs may differ: a page walk's length depends on what other checks stored before it.)
    serial_trace, parallel_trace = _trace(tmp_path / "serial"), _trace(tmp_path / "parallel")
    assert len(serial_trace) == _requests(serial)
    assert len(parallel_trace) == _requests(parallel)
    assert [r["at"] for r in parallel_trace] == sorted(r["at"] for r in parallel_trace)  # type: ignore[type-var]
    assert len(_checks(serial)) == len({(r, c) for r, c, _ in _checks(serial)}), "a check reported twice"
    assert parallel["certified"] is True
