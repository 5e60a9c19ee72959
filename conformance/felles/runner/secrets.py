"""Keep secrets out of every artefact: terminal, reports, curl lines, logs.

Every token value the run obtains is registered here; all text that leaves
the process passes through :func:`redact`. Headers that carry credentials
are masked by name whatever their value.
"""

from __future__ import annotations

import threading

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
PLACEHOLDER = "[REDACTED]"

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a secret so that it is masked wherever it would appear."""
    if len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, PLACEHOLDER)
    return text


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: (PLACEHOLDER if name.lower() in SECRET_HEADERS else redact(value))
        for name, value in headers.items()
    }
