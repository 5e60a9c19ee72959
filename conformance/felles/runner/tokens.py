"""Where bearer tokens come from, for each role a check may act in.

A role is who the suite pretends to be: ``default`` (all scopes, the
kommune under test), ``other-tenant`` (another kommune), ``read-only``,
``write-only`` ``no-decide`` and ``unscreened`` (scopes missing). A token is either read
from an environment variable or printed by a command, which is re-run when
the target answers 401 so that short-lived tokens last a whole run.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass

from felles.errors import UsageError
from felles.runner.secrets import register_secret

ROLES = ("default", "other-tenant", "read-only", "write-only", "no-decide", "unscreened")


@dataclass(frozen=True)
class TokenSpec:
    """How to obtain one role's token: exactly one of env var or command."""

    role: str
    env: str | None = None
    command: str | None = None

    def describe(self) -> str:
        return f"${self.env}" if self.env else f"command {self.command!r}"


def parse_token_option(value: str, *, kind: str) -> TokenSpec:
    """Parse ``[ROLE=]VALUE`` from ``--token-env`` / ``--token-command``."""
    role, sep, rest = value.partition("=")
    if not sep or role not in ROLES or (kind == "command" and " " in role):
        role, rest = "default", value
    if not rest:
        raise UsageError(f"--token-{kind} {value!r}: empty value", hint="use [ROLE=]VALUE")
    return TokenSpec(
        role=role, env=rest if kind == "env" else None, command=rest if kind == "command" else None
    )


class TokenSource:
    """A role's current token, refreshable when it came from a command."""

    def __init__(self, spec: TokenSpec, *, command_timeout_s: float = 30.0) -> None:
        self.spec = spec
        self._timeout = command_timeout_s
        self._lock = threading.Lock()
        self._token: str | None = None
        self._fetched_at = 0.0

    @property
    def refreshable(self) -> bool:
        return self.spec.command is not None

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._fetch()
            return self._token

    def refresh(self, *, min_age_s: float = 1.0) -> str:
        """Fetch a new token, unless one was fetched moments ago (avoid storms)."""
        with self._lock:
            if self._token is None or time.monotonic() - self._fetched_at >= min_age_s:
                self._token = self._fetch()
            return self._token

    def _fetch(self) -> str:
        if self.spec.env is not None:
            value = os.environ.get(self.spec.env, "").strip()
            if not value:
                raise UsageError(
                    f"environment variable {self.spec.env} (token for role {self.spec.role}) "
                    "is not set or empty",
                    hint=f"export {self.spec.env}=<access token>",
                )
        else:
            value = self._run_command()
        register_secret(value)
        self._fetched_at = time.monotonic()
        return value

    def _run_command(self) -> str:
        assert self.spec.command is not None
        try:
            done = subprocess.run(
                shlex.split(self.spec.command),
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"token command for role {self.spec.role} failed: {exc}") from None
        value = done.stdout.strip()
        if done.returncode != 0 or not value:
            raise UsageError(
                f"token command for role {self.spec.role} exited {done.returncode} without printing a token"
            )
        return value
