"""Configuration of the reference implementation: one immutable value, no globals.

Everything the app needs from its environment is here, so tests, ``felles
serve`` and ``felles test --reference`` each build exactly the app they mean.

How bearer tokens are checked is chosen here, explicitly, by what is
configured (see :attr:`Settings.auth_mode`):

- ``jwt_public_key`` (a PEM public key or certificate) or ``jwks_file`` (a
  local JWKS document): asymmetric JWTs, RS256 or ES256, as Maskinporten
  issues them;
- otherwise a shared-secret HS256 key, ``jwt_secret`` (random unless given,
  so a forgotten setting never means a guessable key);
- and on top of either, a static development token, only when
  ``dev_mode`` is switched on *and* ``dev_token`` is set.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from felles.errors import UsageError
from felles.formats import is_municipality_number

#: Default request body limit: large enough for any valid submission, small enough to stop abuse.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: JSON nesting deeper than this is refused before parsing (no schema in Felles nests this deep).
DEFAULT_MAX_JSON_DEPTH = 64
#: Shortest static development token accepted: it is a password, not a label.
MIN_DEV_TOKEN_LENGTH = 16
#: ``PRAGMA synchronous`` for file databases: FULL makes every acknowledged write survive power
#: loss, not only a crash of the process (one fsync of the WAL per commit, ~0.3 ms here).
SYNCHRONOUS_MODES = ("FULL", "NORMAL")

AuthMode = Literal["hs256", "public-key", "jwks"]

ENV_PREFIX = "FELLES_REFERENCE_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


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
    #: PEM text of the token issuer's public key (or certificate): RS256/ES256 instead of HS256.
    jwt_public_key: str | None = field(default=None, repr=False)
    #: Path of a JWKS document with the issuer's public keys (selected by ``kid``).
    jwks_file: str | None = None
    issuer: str = "felles-reference"
    audience: str = "felles"
    #: The static development token is honoured only when this is switched on explicitly.
    dev_mode: bool = False
    dev_token: str | None = field(default=None, repr=False)
    dev_kommune: str = "0301"
    #: None: every scope any component of the standard declares.
    dev_scopes: tuple[str, ...] | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    log_level: str = "warning"
    #: Seconds of clock skew tolerated on ``exp``/``nbf``/``iat``.
    token_leeway_seconds: int = 30
    sqlite_synchronous: str = "FULL"

    def __post_init__(self) -> None:
        if not self.database:
            raise UsageError("database path must not be empty", hint='use ":memory:" or a file path')
        if len(self.jwt_secret.encode("utf-8")) < 32:
            raise UsageError(
                "jwt_secret must be at least 32 bytes (HS256, RFC 7518 section 3.2)",
                hint="generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        if self.jwt_public_key is not None and self.jwks_file is not None:
            raise UsageError("give either a JWT public key or a JWKS file, not both")
        if self.dev_token is not None and not self.dev_mode:
            raise UsageError(
                "a static development token is configured but development mode is off",
                hint=f"set {ENV_PREFIX}DEV_MODE=1 to accept it (never in production), "
                f"or unset {ENV_PREFIX}DEV_TOKEN",
            )
        if self.dev_mode:
            if self.dev_token is None or len(self.dev_token) < MIN_DEV_TOKEN_LENGTH:
                raise UsageError(
                    f"development mode needs a static token of at least {MIN_DEV_TOKEN_LENGTH} characters",
                    hint=f"set {ENV_PREFIX}DEV_TOKEN",
                )
            if not self.dev_token.isascii() or not self.dev_token.isprintable() or " " in self.dev_token:
                raise UsageError("the development token must be printable ASCII without spaces")
            if not is_municipality_number(self.dev_kommune):
                raise UsageError(f"dev_kommune {self.dev_kommune!r} is not a kommunenummer")
        if self.max_body_bytes < 1:
            raise UsageError(f"max_body_bytes must be positive, got {self.max_body_bytes}")
        if self.max_json_depth < 1:
            raise UsageError(f"max_json_depth must be positive, got {self.max_json_depth}")
        if self.token_leeway_seconds < 0:
            raise UsageError("token_leeway_seconds must not be negative")
        if self.sqlite_synchronous not in SYNCHRONOUS_MODES:
            raise UsageError(
                f"sqlite_synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, "
                f"got {self.sqlite_synchronous!r}"
            )

    @property
    def auth_mode(self) -> AuthMode:
        """Which signed tokens are accepted: chosen by what is configured, never guessed per token."""
        if self.jwks_file is not None:
            return "jwks"
        if self.jwt_public_key is not None:
            return "public-key"
        return "hs256"

    @property
    def auth_description(self) -> str:
        """One line for the operator: how tokens are verified (no secrets)."""
        if self.auth_mode == "jwks":
            how = f"RS256/ES256 JWTs, keys from JWKS file {self.jwks_file}"
        elif self.auth_mode == "public-key":
            how = "RS256/ES256 JWTs, verified with the configured public key"
        else:
            how = "HS256 JWTs with a shared secret"
        how += f"; iss={self.issuer!r}, aud={self.audience!r}"
        if self.dev_mode:
            how += f"; DEVELOPMENT MODE: a static token acts for kommune {self.dev_kommune}"
        return how

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``FELLES_REFERENCE_*`` variables; unset ones keep their defaults.

        DATABASE, JWT_SECRET, JWT_PUBLIC_KEY (PEM text or a file path), JWKS_FILE,
        ISSUER, AUDIENCE, DEV_MODE, DEV_TOKEN, DEV_KOMMUNE, DEV_SCOPES (space-separated),
        MAX_BODY_BYTES, MAX_JSON_DEPTH, TOKEN_LEEWAY_SECONDS, LOG_LEVEL, SQLITE_SYNCHRONOUS.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(ENV_PREFIX + name)

        values: dict[str, object] = {}
        for name in ("database", "jwt_secret", "issuer", "audience", "log_level", "dev_kommune"):
            raw = get(name.upper())
            if raw is not None:
                values[name] = raw
        for name in ("max_body_bytes", "max_json_depth", "token_leeway_seconds"):
            raw = get(name.upper())
            if raw is not None:
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise UsageError(f"{ENV_PREFIX}{name.upper()} must be an integer, got {raw!r}") from None
        public_key, jwks_file = get("JWT_PUBLIC_KEY"), get("JWKS_FILE")
        if (public_key is not None or jwks_file is not None) and get("JWT_SECRET") is not None:
            raise UsageError(
                f"{ENV_PREFIX}JWT_SECRET (HS256) and an asymmetric key "
                f"({ENV_PREFIX}JWT_PUBLIC_KEY or {ENV_PREFIX}JWKS_FILE) are both set",
                hint="choose one way to verify tokens",
            )
        if public_key is not None:
            values["jwt_public_key"] = _pem_text(public_key)
        if jwks_file is not None:
            values["jwks_file"] = jwks_file
        values["dev_mode"] = _flag("DEV_MODE", get("DEV_MODE"))
        dev_token = get("DEV_TOKEN")
        if dev_token is not None:
            values["dev_token"] = dev_token
        scopes = get("DEV_SCOPES")
        if scopes is not None:
            values["dev_scopes"] = tuple(scopes.split())
        synchronous = get("SQLITE_SYNCHRONOUS")
        if synchronous is not None:
            values["sqlite_synchronous"] = synchronous.upper()
        return cls(**values)  # type: ignore[arg-type]


def _flag(name: str, raw: str | None) -> bool:
    if raw is None or raw.strip().lower() in _FALSE:
        return False
    if raw.strip().lower() in _TRUE:
        return True
    raise UsageError(f"{ENV_PREFIX}{name} must be 1 or 0, got {raw!r}")


def _pem_text(value: str) -> str:
    """The PEM itself, or the contents of the file it names."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    try:
        return Path(value).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{ENV_PREFIX}JWT_PUBLIC_KEY is neither PEM text nor a readable PEM file: {exc}"
        ) from None
