"""Reproduce a request as a curl command a vendor can paste into a shell.

The bearer token is never written out: the command reads it from
``$FELLES_TOKEN`` so the line is safe to put in a report or a ticket.
"""

from __future__ import annotations

import shlex

from felles.runner.secrets import SECRET_HEADERS, redact

TOKEN_PLACEHOLDER = "$FELLES_TOKEN"
# A body larger than this is not inlined: a 6 MB base64 PDF in every failure line
# would bury the report. The seed regenerates the request exactly.
MAX_INLINE_BODY_CHARS = 64 * 1024


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
    if body is not None and len(body) > MAX_INLINE_BODY_CHARS:
        parts += ["--data-binary", "@request-body.json"]
        return " ".join(parts) + (
            f"  # the {len(body.encode('utf-8'))}-byte body is not shown; "
            "rerun with the same --seed to regenerate it"
        )
    if body is not None:
        parts += ["--data-binary", shlex.quote(redact(body))]
    return " ".join(parts)
