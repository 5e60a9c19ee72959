"""`felles serve --port N --db PATH` and `felles token`: the reference on its own, data kept on disk."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
VALID = next((ROOT / "examples/application/1.0/valid/ApplicationSubmission").glob("*.json"))
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(port: int, db: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "felles",
            "serve",
            "--port",
            str(port),
            "--db",
            str(db),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/conformance", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("felles serve did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)
    assert process.stderr is not None
    assert b"Traceback" not in process.stderr.read()


def test_serve_keeps_data_in_its_database_file(tmp_path: Path) -> None:
    env = {**os.environ, "FELLES_REFERENCE_JWT_SECRET": secrets.token_urlsafe(32)}
    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "felles",
            "token",
            "--scope",
            "application:read",
            "--scope",
            "application:write",
            "--kommune",
            "3201",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    db = tmp_path / "felles.sqlite3"
    port = _free_port()
    process = _serve(port, db, env)
    try:
        base = f"http://127.0.0.1:{port}/application/1.0"
        created = httpx.post(f"{base}/applications", json=json.loads(VALID.read_text()), headers=headers)
        assert created.status_code == 201, created.text
        application_id = created.json()["id"]
    finally:
        _stop(process)
    process = _serve(port, db, env)
    try:
        again = httpx.get(f"{base}/applications/{application_id}", headers=headers)
        assert again.status_code == 200
        assert again.json()["submission"] == json.loads(VALID.read_text())
        assert again.json()["municipalityNumber"] == "3201"
    finally:
        _stop(process)


def test_token_needs_the_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FELLES_REFERENCE_JWT_SECRET"}
    done = subprocess.run(
        [sys.executable, "-m", "felles", "token", "--scope", "application:read"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "FELLES_REFERENCE_JWT_SECRET" in done.stderr
    assert "Traceback" not in done.stderr
