"""Reproduce a request as a curl command a vendor can paste into a shell.

The bearer token is never written out: the command reads it from
``$FELLES_TOKEN`` so the line is safe to put in a report or a ticket.
"""

from __future__ import annotations

import shlex

from felles.runner.secrets import SECRET_HEADERS, redact

TOKEN_PLACEHOLDER = "$FELLES_TOKEN"


def to_curl(method: str, url: str, headers: dict[str, str], body: str | None) -> str:
    parts = ["curl", "-sS", "-i", "-X", method, shlex.quote(url)]
    for name, value in headers.items():
        lower = name.lower()
        if lower in {"host", "content-length", "accept-encoding", "connection", "user-agent"}:
            continue
        if lower == "authorization":
            # Double quotes so the shell expands the variable.
            parts += ["-H", f'"Authorization: Bearer {TOKEN_PLACEHOLDER}"']
        elif lower in SECRET_HEADERS:
            continue
        else:
            parts += ["-H", shlex.quote(f"{name}: {redact(value)}")]
    if body is not None:
        parts += ["--data-binary", shlex.quote(redact(body))]
    return " ".join(parts)
