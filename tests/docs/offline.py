"""Run Python with every network call refused: how the tests prove the docs build is offline.

An audit hook (PEP 578) in the child process raises on every DNS lookup and
socket connection before it happens, so a build step that tried to download
anything (a font, a plugin's asset, a remote ``$ref``) fails the build with
the address it wanted.
"""

from __future__ import annotations

import sys

_GUARD = """
import sys
def _refuse_network(event, args):
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.connect",
                 "socket.sendto", "socket.sendmsg"):
        raise RuntimeError(f"the docs build tried to use the network: {event} {args!r}")
sys.addaudithook(_refuse_network)
"""

#: ``mkdocs`` with its arguments from the command line (``python -c ... build --strict``).
MKDOCS = "from mkdocs.__main__ import cli\ncli(prog_name='mkdocs')\n"


def offline_python(code: str, *args: str) -> list[str]:
    """A command line running ``code`` (with ``args`` in ``sys.argv[1:]``) with the network refused."""
    return [sys.executable, "-c", _GUARD + code, *args]
