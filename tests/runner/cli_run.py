"""Run the real ``felles test`` in a subprocess with a hard timeout, measuring what it used."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOKEN_VAR = "FELLES_HOSTILE_TOKEN"
# Recognisable, so that any leak shows up in a grep of the artefacts.
TOKEN = "felles-TOKEN-SECRET-8d1f0c2b7e4a49f6"


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str
    elapsed_s: float
    peak_rss_mb: float
    report_dir: Path
    signalled_at: float | None = None  # time.monotonic() when a signal was sent
    ended_at: float = 0.0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def report(self) -> dict[str, Any] | None:
        path = self.report_dir / "application-1.0" / "report.json"
        return dict(json.loads(path.read_text())) if path.is_file() else None

    def checks(self) -> list[dict[str, Any]]:
        report = self.report
        assert report is not None, self.output
        return [
            check
            for cls in report["classes"]
            for requirement in cls["requirements"]
            for check in requirement["checks"]
        ]

    def check(self, check_id: str) -> dict[str, Any]:
        found = [c for c in self.checks() if c["id"] == check_id]
        assert found, f"no result for {check_id}: {self.output}"
        return found[0]


def pythonpath() -> str:
    parts = [str(ROOT), str(ROOT / "conformance"), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def felles_test(
    base_url: str,
    tmp_path: Path,
    *extra: str,
    timeout_s: float = 60,
    env: dict[str, str] | None = None,
    token: bool = True,
    interrupt: Callable[[subprocess.Popen[bytes]], float | None] | None = None,
) -> CliRun:
    """``felles test BASE_URL --component application@1.0 ...``; fails the test if it hangs.

    ``interrupt`` is called once the process runs; it may signal it and
    return when it did (time.monotonic()).
    """
    args = [sys.executable, "-m", "felles", "test"]
    args += [base_url] if base_url else []
    args += ["--component", "application@1.0", "--seed", "1", "--examples", "2"]
    args += ["--report-dir", str(tmp_path / "reports")]
    if token:
        args += ["--token-env", TOKEN_VAR]
    args += list(extra)
    full_env = {
        **os.environ,
        TOKEN_VAR: TOKEN,
        "PYTHONPATH": pythonpath(),
        "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "hypothesis"),
        **(env or {}),
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    started = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=err,
            env=full_env,
            cwd=tmp_path,
            start_new_session=True,
            # A test runner started in the background ignores SIGINT; the CLI must not.
            preexec_fn=_default_sigint,  # noqa: PLW1509 - only resets a signal disposition
        )
    killer = threading.Timer(timeout_s, _kill_group, args=(process.pid,))
    killer.start()
    signalled_at = interrupt(process) if interrupt is not None else None
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
    ended = time.monotonic()
    process.returncode = os.waitstatus_to_exitcode(status)
    _kill_group(process.pid)  # whatever it left behind (a reference server, workers)
    assert ended - started < timeout_s, f"felles test did not finish within {timeout_s} s"
    return CliRun(
        code=process.returncode,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        elapsed_s=ended - started,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        report_dir=tmp_path / "reports",
        signalled_at=signalled_at,
        ended_at=ended,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def wait_for_output(path: Path, needle: str, timeout_s: float) -> bool:
    """Poll ``path`` until it contains ``needle``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.is_file() and needle in path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False
