"""A pre-imported process that forks mutant servers and ``felles test`` runs.

Every mutant test starts a server and a suite run. As fresh interpreters
each costs ~1–1.5 s of CPU in imports (every component, shapely, pyproj,
uvicorn, pytest, Hypothesis), which for ~150 mutants was most of the
suite's wall time on 2 cores. One fork server per pytest worker pays the
imports once; each request is then a ``fork()``.

Protocol over an ``AF_UNIX``/``SOCK_SEQPACKET`` pair (one message per
request, file descriptors passed with ``SCM_RIGHTS``):

- ``{"op": "serve", "mutant": NAME, "env": {...}}`` + [listening socket] → ``{"pid": N}``
- ``{"op": "test", "argv": [...], "env": {...}, "cwd": DIR}`` + [stdout, stderr] → ``{"pid": N}``
- ``{"op": "wait", "pid": N}`` → ``{"status": EXIT_CODE}`` (blocks until the child exits)

The children are the same code the subprocess path runs (``tests.mutants.serve``
and ``felles.cli.main``), so a verdict cannot depend on which path ran it.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import traceback
from typing import Any

# Imported here, before the first fork, so no child pays for them again.
import felles.runner.plugin
import felles.runner.run
from felles.cli import main as felles_main
from tests.mutants.serve import serve_mutant

MAX_MESSAGE = 1 << 20
PRELOADED = (felles.runner.plugin, felles.runner.run)


def _serve(request: dict[str, Any], fds: list[int]) -> int:
    os.environ.update(request["env"])
    serve_mutant(request["mutant"], fds[0])
    return 0


def _test(request: dict[str, Any], fds: list[int]) -> int:
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    sys.argv = ["felles", *request["argv"]]
    try:
        return felles_main(request["argv"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """Run one request in the forked child and leave without running the parent's atexit hooks."""
    code = 70
    try:
        code = _serve(request, fds) if request["op"] == "serve" else _test(request, fds)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # report anything, then leave the child
        traceback.print_exc()
    finally:
        os._exit(code)


def _loop(control: socket.socket) -> None:
    while True:
        message, fds, _flags, _address = socket.recv_fds(control, MAX_MESSAGE, 4)
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "wait":
            _pid, status = os.waitpid(request["pid"], 0)
            control.send(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode())
            continue
        pid = os.fork()
        if pid == 0:
            control.close()
            _child(request, fds)
        for fd in fds:
            os.close(fd)
        control.send(json.dumps({"pid": pid}).encode())


def main() -> None:
    _loop(socket.socket(fileno=int(sys.argv[1])))


if __name__ == "__main__":
    main()
