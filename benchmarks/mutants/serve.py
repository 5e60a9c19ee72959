"""Serve any mutant (catalogue or vendor-style): ``python -m benchmarks.mutants.serve NAME FD``.

Same start-up as ``tests/mutants/serve.py`` (inherited listening socket,
``FELLES_REFERENCE_*`` settings), but looks the name up in both catalogues.
"""

from __future__ import annotations

import socket
import sys

import uvicorn

from benchmarks.mutants import find
from felles.reference.settings import Settings


def main() -> None:
    name, fd = sys.argv[1], int(sys.argv[2])
    app = find(name).build(Settings.from_env())
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


if __name__ == "__main__":
    main()
