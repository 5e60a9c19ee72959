"""Serve one mutant in a process of its own: ``python -m tests.mutants.serve NAME FD``.

The listening socket is inherited from the parent (as ``felles test
--reference`` does for the real reference), settings come from
``FELLES_REFERENCE_*`` variables.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from felles.reference.settings import Settings
from tests.mutants.catalogue import by_name


def serve_mutant(name: str, fd: int) -> None:
    """Serve mutant ``name`` on the inherited listening socket ``fd`` until terminated."""
    app = by_name(name).build(Settings.from_env())
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    serve_mutant(sys.argv[1], int(sys.argv[2]))


if __name__ == "__main__":
    main()
