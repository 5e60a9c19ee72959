"""Serving: the in-process ReferenceServer, serve() on an inherited socket, settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from felles.errors import UsageError
from felles.reference import ReferenceServer, Settings
from felles.reference.server import ServerStartError

CONFORMANCE_SRC = str(Path(__file__).resolve().parents[2] / "conformance")


def test_reference_server_starts_on_a_free_port_and_stops() -> None:
    server = ReferenceServer(Settings())
    with pytest.raises(ServerStartError):
        _ = server.base_url
    with server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.port > 0
        assert httpx.get(server.url("/conformance")).status_code == 200
        with ReferenceServer(Settings()) as second:
            assert second.port != server.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.port}/conformance", timeout=2)
    server.stop()  # idempotent


def test_keep_alive_requests_are_fast() -> None:
    """Guards TCP_NODELAY: without it each keep-alive request stalls ~40 ms (Nagle, delayed ACK)."""
    with ReferenceServer(Settings()) as server, httpx.Client(base_url=server.base_url) as client:
        client.get("/conformance")
        started = time.perf_counter()
        for _ in range(10):
            client.get("/conformance")
        assert (time.perf_counter() - started) / 10 < 0.03


def test_serve_on_an_inherited_socket(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    code = (
        "from felles.reference import Settings, serve\n"
        f"serve(Settings(database={str(tmp_path / 'served.db')!r}), fd={fd})\n"
    )
    env = {**os.environ, "PYTHONPATH": CONFORMANCE_SRC}
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        pass_fds=[fd],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    listener.close()  # the child owns it now; the port stays bound
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/conformance", timeout=2)
                break
            except httpx.TransportError:
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.05)
        assert response.status_code == 200
        assert response.json()["components"][0]["name"] == "application"
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    # uvicorn shuts down gracefully, then re-raises the signal it caught: exit by SIGTERM is clean.
    _, stderr = child.communicate()
    assert child.returncode in (0, -signal.SIGTERM), stderr
    assert b"Traceback" not in stderr
    assert (tmp_path / "served.db").exists()


def test_settings_validation() -> None:
    with pytest.raises(UsageError, match="32 bytes"):
        Settings(jwt_secret="short")
    with pytest.raises(UsageError):
        Settings(max_body_bytes=0)
    with pytest.raises(UsageError):
        Settings(database="")
    assert Settings().jwt_secret != Settings().jwt_secret  # random unless configured
    assert "jwt_secret" not in repr(Settings())


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "FELLES_REFERENCE_DATABASE": "/tmp/x.db",
            "FELLES_REFERENCE_JWT_SECRET": "k" * 40,
            "FELLES_REFERENCE_MAX_BODY_BYTES": "2048",
            "FELLES_REFERENCE_AUDIENCE": "kommune-api",
        }
    )
    assert (settings.database, settings.jwt_secret, settings.max_body_bytes, settings.audience) == (
        "/tmp/x.db",
        "k" * 40,
        2048,
        "kommune-api",
    )
    with pytest.raises(UsageError, match="integer"):
        Settings.from_env({"FELLES_REFERENCE_MAX_BODY_BYTES": "lots"})
