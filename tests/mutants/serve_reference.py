"""Serve the unmodified reference like a mutant (same start-up path), as the control."""

from __future__ import annotations

import socket
import sys

import uvicorn

from felles.reference.app import create_app
from felles.reference.settings import Settings

if __name__ == "__main__":
    sock = socket.socket(fileno=int(sys.argv[1]))
    config = uvicorn.Config(create_app(Settings.from_env()), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
