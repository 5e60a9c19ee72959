"""Configuration of the reference implementation: one immutable value, no globals.

Everything the app needs from its environment is here, so tests, ``felles
serve`` and ``felles test --reference`` each build exactly the app they mean.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from felles.errors import UsageError

#: Default request body limit: large enough for any valid submission, small enough to stop abuse.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: JSON nesting deeper than this is refused before parsing (no schema in Felles nests this deep).
DEFAULT_MAX_JSON_DEPTH = 64

_ENV_PREFIX = "FELLES_REFERENCE_"


def _random_secret() -> str:
    """A fresh HS256 secret, so a forgotten setting never means a guessable key."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Settings:
    """How one reference server behaves.

    ``jwt_secret`` is random per instance unless given: whoever mints tokens
    (tests, the runner's ``--reference`` mode) reads it from the same value.
    """

    database: str = ":memory:"
    jwt_secret: str = field(default_factory=_random_secret, repr=False)
    issuer: str = "felles-reference"
    audience: str = "felles"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    log_level: str = "warning"
    #: Seconds of clock skew tolerated on ``exp``/``nbf``/``iat``.
    token_leeway_seconds: int = 30

    def __post_init__(self) -> None:
        if not self.database:
            raise UsageError("database path must not be empty", hint='use ":memory:" or a file path')
        if len(self.jwt_secret.encode("utf-8")) < 32:
            raise UsageError(
                "jwt_secret must be at least 32 bytes (HS256, RFC 7518 section 3.2)",
                hint="generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        if self.max_body_bytes < 1:
            raise UsageError(f"max_body_bytes must be positive, got {self.max_body_bytes}")
        if self.max_json_depth < 1:
            raise UsageError(f"max_json_depth must be positive, got {self.max_json_depth}")
        if self.token_leeway_seconds < 0:
            raise UsageError("token_leeway_seconds must not be negative")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``FELLES_REFERENCE_*`` variables (DATABASE, JWT_SECRET, ISSUER, AUDIENCE,
        MAX_BODY_BYTES, LOG_LEVEL); unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in ("database", "jwt_secret", "issuer", "audience", "log_level"):
            raw = env.get(_ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = raw
        for name in ("max_body_bytes", "max_json_depth"):
            raw = env.get(_ENV_PREFIX + name.upper())
            if raw is not None:
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise UsageError(f"{_ENV_PREFIX}{name.upper()} must be an integer, got {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]
