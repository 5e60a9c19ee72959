"""Serving the reference with uvicorn: as a process (``felles serve``) or in-process for tests.

:class:`ReferenceServer` binds its socket *before* starting uvicorn, so the
port is known and owned at once (port 0 = a free one, no race with another
process grabbing it between "find a free port" and "listen").
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from felles.errors import FellesError
from felles.reference.app import create_app
from felles.reference.protocol import problem_protocol
from felles.reference.settings import Settings


class ServerStartError(FellesError):
    """The reference server did not come up."""


def _config(app: Starlette, settings: Settings, **kwargs: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=problem_protocol(),  # even a request that is not HTTP gets a problem body
        log_level=settings.log_level,
        lifespan="on",
        access_log=settings.log_level in ("debug", "trace"),
        server_header=False,
        **kwargs,
    )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, fd: int | None = None) -> None:
    """Run the reference in the foreground until interrupted.

    ``fd`` is an already-bound listening socket inherited from a parent
    (which then knows the port before the child even starts); ``host`` and
    ``port`` are ignored when it is given.
    """
    app = create_app(settings)
    if fd is None:
        uvicorn.Server(_config(app, settings, host=host, port=port)).run()
        return
    # Adopt the inherited socket with its real family (uvicorn's own fd path assumes AF_UNIX).
    sock = socket.socket(fileno=fd)
    try:
        uvicorn.Server(_config(app, settings)).run(sockets=[sock])
    finally:
        sock.close()


class ReferenceServer:
    """The reference on a free loopback port in a background thread.

    >>> with ReferenceServer(Settings()) as server:
    ...     httpx.get(server.base_url + "/conformance")
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        app: Starlette | None = None,
        host: str = "127.0.0.1",
        startup_timeout: float = 10.0,
    ) -> None:
        self.settings = settings or Settings()
        self.app = app if app is not None else create_app(self.settings)
        self.host = host
        self.startup_timeout = startup_timeout
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise ServerStartError("the reference server is not running")
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> ReferenceServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto must be IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets
        # whose proto says TCP, and without it every keep-alive request waits ~40 ms (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(128)
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        server = uvicorn.Server(_config(self.app, self.settings))
        self._server = server

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # reported to the starting thread, not lost in this one
                self._failure = exc

        self._thread = threading.Thread(target=run, name=f"felles-reference-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if self._failure is not None or not self._thread.is_alive():
                self.stop()
                raise ServerStartError(f"the reference server failed to start: {self._failure!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"the reference server did not start within {self.startup_timeout}s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to finish in-flight requests and exit; idempotent."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
