"""Run the real ``felles test`` against a server in another process and read its report."""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from felles.reference.auth import mint_dev_token
from felles.runner.reference_target import role_scopes, wait_until_answering
from felles.runner.reference_target import server_process as start_with_socket
from felles.standard import default_catalogue

ROOT = Path(__file__).resolve().parents[2]
HOME = "3201"  # Bærum: not the reference's own default, so a hard-coded owner shows
OTHER = "4601"  # Bergen
CI_EXAMPLES = 5


@dataclass(frozen=True)
class SuiteRun:
    exit_code: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None
    report_dir: Path

    def requirement_status(self, requirement_id: str) -> str:
        assert self.report is not None, self.stdout + self.stderr
        for cls in self.report["classes"]:
            for requirement in cls["requirements"]:
                if requirement["id"] == requirement_id:
                    return str(requirement["status"])
        raise KeyError(requirement_id)

    def statuses(self) -> dict[str, str]:
        assert self.report is not None, self.stdout + self.stderr
        return {r["id"]: r["status"] for c in self.report["classes"] for r in c["requirements"]}

    def assert_killed(self, name: str, fault: str, requirement_id: str) -> None:
        """The mutant failed its own requirement, and the suite itself raised no error."""
        status = self.requirement_status(requirement_id)
        assert status == "failed", f"{name} ({fault}) survived: {requirement_id} is {status}\n{self.stdout}"
        errors = [rid for rid, s in self.statuses().items() if s == "error"]
        assert not errors, f"suite errors (never the vendor's fault) against {name}: {errors}\n{self.stdout}"


@contextmanager
def server_process(command: list[str], secret: str) -> Iterator[str]:
    """Start ``command`` with an inherited listening socket; yield its root URL."""
    env = {"FELLES_REFERENCE_JWT_SECRET": secret, "PYTHONPATH": _pythonpath()}
    with start_with_socket(command, env, cwd=str(ROOT)) as root:
        yield root


@contextmanager
def mutant_server(name: str, secret: str) -> Iterator[str]:
    if _forking():
        with _forked_server(name, {"FELLES_REFERENCE_JWT_SECRET": secret}) as root:
            yield root
        return
    with server_process([sys.executable, "-m", "tests.mutants.serve", name], secret) as root:
        yield root


def token_env(
    secret: str, component: str = "application@1.0", *, prefix: str = "FELLES_T_"
) -> dict[str, str]:
    """One token per role, as environment variables named ``<prefix><ROLE>``."""
    env = {}
    for role, (kommune, scopes) in role_scopes(default_catalogue().get(component)).items():
        tenant = OTHER if role == "other-tenant" else HOME
        del kommune
        env[prefix + role.upper().replace("-", "_")] = mint_dev_token(secret, scopes, tenant)
    return env


def role_of(variable: str) -> str:
    """The role a ``token_env`` variable holds the token of (``FELLES_T_READ_ONLY`` -> ``read-only``)."""
    return variable.removeprefix("FELLES_T_").lower().replace("_", "-")


def run_suite(
    base_url: str,
    tmp_path: Path,
    *,
    secret: str,
    classes: list[str] | None = None,
    examples: int = CI_EXAMPLES,
    seed: int = 7,
    extra_args: list[str] | None = None,
    env_extra: dict[str, str] | None = None,
    component: str = "application@1.0",
) -> SuiteRun:
    tokens = token_env(secret, component)
    args = [
        sys.executable,
        "-m",
        "felles",
        "test",
        base_url,
        "--component",
        component,
        "--seed",
        str(seed),
        "--examples",
        str(examples),
        "--report-dir",
        str(tmp_path / "reports"),
        "--municipality",
        HOME,
    ]
    for variable in tokens:
        args += ["--token-env", f"{role_of(variable)}={variable}"]
    for cls in classes or []:
        args += ["--class", cls]
    args += extra_args or []
    if _forking():
        done = _fork_server().run(args[3:], {**tokens, **(env_extra or {})}, tmp_path)
    else:
        env = {**os.environ, **tokens, **(env_extra or {}), "PYTHONPATH": _pythonpath()}
        done = subprocess.run(
            args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, check=False
        )
    report_path = tmp_path / "reports" / component.replace("@", "-") / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    return SuiteRun(done.returncode, done.stdout, done.stderr, report, tmp_path / "reports")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _pythonpath() -> str:
    parts = [str(ROOT), str(ROOT / "conformance"), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


# ------------------------------------------------------------------ fork server (see forkserver.py)

MAX_MESSAGE = 1 << 20
RUN_TIMEOUT_S = 600.0


class ForkServer:
    """Client of one ``tests.mutants.forkserver`` process (one per pytest worker)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.mutants.forkserver", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env={**os.environ, "PYTHONPATH": _pythonpath()},
            cwd=ROOT,
        )
        theirs.close()
        self._control = ours

    def _ask(self, request: dict[str, Any], fds: Sequence[int] = ()) -> dict[str, Any]:
        socket.send_fds(self._control, [json.dumps(request).encode()], list(fds))
        reply = self._control.recv(MAX_MESSAGE)
        if not reply:
            raise RuntimeError(f"the mutant fork server exited ({self._process.poll()})")
        answer: dict[str, Any] = json.loads(reply)
        return answer

    def start(self, request: dict[str, Any], fds: Sequence[int]) -> int:
        return int(self._ask(request, fds)["pid"])

    def wait(self, pid: int, timeout_s: float) -> int:
        """Exit code of child ``pid``; killed first if it is still running after ``timeout_s``."""
        if not _exits_within(pid, timeout_s):
            os.kill(pid, signal.SIGKILL)
        return int(self._ask({"op": "wait", "pid": pid})["status"])

    def run(self, argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """``felles ARGV`` in a forked child, like ``subprocess.run(capture_output=True)``."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            request = {"op": "test", "argv": argv, "env": env, "cwd": str(cwd)}
            pid = self.start(request, [out.fileno(), err.fileno()])
            code = self.wait(pid, RUN_TIMEOUT_S)
            out.seek(0)
            err.seek(0)
            stdout, stderr = (f.read().decode(errors="replace") for f in (out, err))
        return subprocess.CompletedProcess(argv, code, stdout, stderr)

    def close(self) -> None:
        self._control.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()


_SERVER: list[ForkServer] = []


def _forking() -> bool:
    """Fork only where SCM_RIGHTS and fork exist; FELLES_MUTANTS_NO_FORK=1 forces fresh processes."""
    return sys.platform == "linux" and not os.environ.get("FELLES_MUTANTS_NO_FORK")


def _fork_server() -> ForkServer:
    if not _SERVER:
        _SERVER.append(ForkServer())
        atexit.register(_SERVER[0].close)
    return _SERVER[0]


def _exits_within(pid: int, timeout_s: float) -> bool:
    """True once child ``pid`` of the fork server has exited (a zombie awaiting its ``wait``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _is_done(pid):
            return True
        time.sleep(0.02)
    return _is_done(pid)


def _exit_message(pid: int) -> str | None:
    return f"the mutant server {pid} exited before answering" if _is_done(pid) else None


def _is_done(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}


@contextmanager
def _forked_server(name: str, env: dict[str, str]) -> Iterator[str]:
    """Mutant ``name`` forked from the fork server, on a socket bound here; yield its root URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    root = f"http://127.0.0.1:{listener.getsockname()[1]}"
    server = _fork_server()
    pid = server.start({"op": "serve", "mutant": name, "env": env}, [listener.fileno()])
    listener.close()
    try:
        wait_until_answering(root, lambda: _exit_message(pid), 30.0)
        yield root
    finally:
        os.kill(pid, signal.SIGTERM)
        server.wait(pid, 10.0)
