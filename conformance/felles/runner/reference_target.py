"""Start the embedded reference implementation as the target of a run.

The one place where the runner touches the reference implementation, and
even here only as a separate process through ``felles serve``: the suite
must treat it exactly like a vendor's system. A listening socket is bound
here on a free loopback port and handed to the child, so there is no race
for the port.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx
import jwt

from felles.errors import FellesError
from felles.runner.secrets import register_secret
from felles.runner.tokens import TokenSpec
from felles.standard import Component

ISSUER = "felles-reference"
AUDIENCE = "felles"
HOME_KOMMUNE = "0301"  # Oslo
OTHER_KOMMUNE = "4601"  # Bergen
SECRET_ENV = "FELLES_REFERENCE_JWT_SECRET"


@dataclass(frozen=True)
class ReferenceTarget:
    root_url: str
    tokens: tuple[TokenSpec, ...]
    municipality: str

    def base_url(self, component: Component) -> str:
        return f"{self.root_url}/{component.name}/{component.version}"


def role_scopes(component: Component) -> dict[str, tuple[str, list[str]]]:
    """Each role's kommune and scopes, derived from the OpenAPI security scheme."""
    scopes = sorted(_declared_scopes(component))
    return {
        "default": (HOME_KOMMUNE, scopes),
        "other-tenant": (OTHER_KOMMUNE, scopes),
        "read-only": (HOME_KOMMUNE, [s for s in scopes if s.endswith(":read")]),
        "write-only": (HOME_KOMMUNE, [s for s in scopes if s.endswith(":write")]),
        "no-decide": (HOME_KOMMUNE, [s for s in scopes if not s.endswith(":decide")]),
        "unscreened": (HOME_KOMMUNE, [s for s in scopes if not s.endswith(":screened")]),
    }


def _declared_scopes(component: Component) -> set[str]:
    found: set[str] = set()
    schemes = component.openapi().get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        for flow in scheme.get("flows", {}).values():
            found.update(flow.get("scopes", {}))
    return found


def mint_tokens(secret: str, component: Component, *, ttl_s: int = 6 * 3600) -> tuple[TokenSpec, ...]:
    """Sign one token per role and put it in this process's environment.

    Environment, not config files: pytest-xdist workers inherit it and
    nothing with a token in it is ever written to disk.
    """
    now = int(time.time())
    specs = []
    for role, (kommune, scopes) in role_scopes(component).items():
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ttl_s,
            "scope": " ".join(scopes),
            "kommunenummer": kommune,
            "client_id": f"felles-suite-{role}",
        }
        token = jwt.encode(claims, secret, algorithm="HS256")
        register_secret(token)
        variable = "FELLES_REFERENCE_TOKEN_" + role.upper().replace("-", "_")
        os.environ[variable] = token
        specs.append(TokenSpec(role=role, env=variable))
    return tuple(specs)


@contextmanager
def reference_target(component: Component, *, startup_timeout_s: float = 30.0) -> Iterator[ReferenceTarget]:
    secret = secrets.token_urlsafe(32)
    register_secret(secret)
    command = [sys.executable, "-m", "felles", "serve", "--log-level", "warning", "--fd"]
    with server_process(command, {SECRET_ENV: secret}, startup_timeout_s=startup_timeout_s) as root:
        yield ReferenceTarget(root_url=root, tokens=mint_tokens(secret, component), municipality=HOME_KOMMUNE)


@contextmanager
def server_process(
    command: list[str], env: dict[str, str], *, startup_timeout_s: float = 30.0, cwd: str | None = None
) -> Iterator[str]:
    """Run ``command + [FD]`` serving on a listening socket bound here; yield its root URL.

    Binding in the parent means the port is known before the child starts and
    no other process can take it in between.
    """
    # IPPROTO_TCP explicitly: with protocol 0 asyncio leaves Nagle on for accepted
    # connections and every keep-alive request stalls ~40 ms.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    # A file, not a pipe: nobody reads a pipe while the run goes on, and a server that
    # logs more than the pipe buffer (64 KiB) would block on its next log line.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [*command, str(listener.fileno())],
            pass_fds=(listener.fileno(),),
            env={**os.environ, **env},
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        listener.close()
        root = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(root, lambda: _exit_message(process, log), startup_timeout_s)
            yield root
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _tail(log: IO[bytes], limit: int = 2000) -> str:
    log.seek(0, os.SEEK_END)
    log.seek(max(0, log.tell() - limit))
    return log.read().decode(errors="replace")


def _exit_message(process: subprocess.Popen[bytes], log: IO[bytes]) -> str | None:
    if process.poll() is None:
        return None
    return f"the server process exited with code {process.returncode}: {_tail(log)}"


def wait_until_answering(root: str, exited: Callable[[], str | None], timeout_s: float) -> None:
    """Poll ``{root}/conformance`` until it answers 200; ``exited()`` names a server that died."""
    deadline = time.monotonic() + timeout_s
    # One client for every poll: a new one per poll loads the CA bundle each time (plain HTTP here).
    with httpx.Client(timeout=1.0, trust_env=False, verify=False) as client:
        while time.monotonic() < deadline:
            if (message := exited()) is not None:
                raise FellesError(message)
            try:
                if client.get(f"{root}/conformance").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    raise FellesError(f"the server process did not answer within {timeout_s:.0f} s")
