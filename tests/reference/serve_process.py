"""``python -m felles serve --db FILE --fd N`` in a process of its own, to load, kill and restart.

The listening socket is bound here and inherited by the child (as
``felles test --reference`` does), so the port is known before the child
starts. Standard error goes to a file, not a pipe: a server that logs a lot
must never block on a pipe nobody reads, and the log is checked afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE_SRC = str(ROOT / "conformance")


def pythonpath() -> str:
    """The package sources and the repository root (for ``tests.*`` server modules)."""
    parts = [CONFORMANCE_SRC, str(ROOT)]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


def felles_serve(db: Path | str) -> list[str]:
    """The command of the real server; ``--fd N`` is appended at start."""
    return [sys.executable, "-m", "felles", "serve", "--db", str(db), "--log-level", "warning", "--fd"]


@dataclass
class ServeProcess:
    """One running server process and where it listens."""

    process: subprocess.Popen[bytes]
    root: str
    log: Path
    started_at: float = field(default_factory=time.monotonic)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no rollback: what a power cut does to the process."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def start(
    command: Sequence[str],
    env: dict[str, str],
    log: Path,
    *,
    timeout_s: float = 60.0,
    wait: bool = True,
) -> ServeProcess:
    """Start ``command + [FD]`` on a fresh loopback port; wait until ``/conformance`` answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    port = listener.getsockname()[1]
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [*command, str(listener.fileno())],
            pass_fds=(listener.fileno(),),
            env={**os.environ, "PYTHONPATH": pythonpath(), **env},
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    listener.close()  # the child holds it now; the port stays bound
    running = ServeProcess(process, f"http://127.0.0.1:{port}", log)
    if wait:
        wait_ready(running, timeout_s)
    return running


def wait_ready(running: ServeProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if not running.alive():
            raise AssertionError(
                f"server exited with {running.process.returncode}:\n{running.log_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{running.root}/conformance", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            running.kill()
            raise AssertionError(f"server did not answer within {timeout_s} s:\n{running.log_text()[-3000:]}")
        time.sleep(0.02)
