"""Run the real ``felles test`` against a server in another process and read its report."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from felles.reference.auth import mint_dev_token
from felles.runner.reference_target import role_scopes
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


@contextmanager
def server_process(command: list[str], secret: str) -> Iterator[str]:
    """Start ``command`` with an inherited listening socket; yield its root URL."""
    env = {"FELLES_REFERENCE_JWT_SECRET": secret, "PYTHONPATH": _pythonpath()}
    with start_with_socket(command, env, cwd=str(ROOT)) as root:
        yield root


@contextmanager
def mutant_server(name: str, secret: str) -> Iterator[str]:
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
        role = variable.removeprefix("FELLES_T_").lower().replace("_", "-")
        args += ["--token-env", f"{role}={variable}"]
    for cls in classes or []:
        args += ["--class", cls]
    args += extra_args or []
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
