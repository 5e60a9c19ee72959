"""Serve the unmodified reference with a fixed delay before every answer: ``python -m
benchmarks.serve_with_latency MS FD``.

The reference answers in about a millisecond; a vendor's system behind a
network and a database does not. The throughput benchmark uses this to show
how much of a run is the runner's own time when the target is that slow.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any

import uvicorn

from felles.reference.app import create_app
from felles.reference.settings import Settings


class Delayed:
    """ASGI middleware: wait ``seconds`` before handing each HTTP request to the app."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


if __name__ == "__main__":
    delay_ms, fd = float(sys.argv[1]), int(sys.argv[2])
    app = Delayed(create_app(Settings.from_env()), delay_ms / 1000)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])
