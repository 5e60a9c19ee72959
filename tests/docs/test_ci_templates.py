"""The CI templates for vendors (examples/ci/) are pipelines that would run: structure and commands.

Each ``felles test`` command in them, the commented ``--certify`` variant
included, is parsed by the real command-line parser, so a renamed option
breaks this test before it breaks a vendor's pipeline.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from felles.cli import build_parser
from felles.runner.tokens import ROLES
from felles.standard.catalogue import Catalogue

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"


def _load(name: str) -> tuple[str, dict[Any, Any]]:
    text = (CI / name).read_text(encoding="utf-8")
    return text, yaml.safe_load(text)


def _commands(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if line.strip().startswith("felles test")]


def _commented_commands(text: str) -> list[str]:
    lines = [re.sub(r"^\s*#\s?", "", line) for line in text.splitlines() if line.lstrip().startswith("#")]
    commands = [re.sub(r"^(-\s+|run:\s*>-\s*)", "", line.strip()) for line in lines]
    return [c for c in commands if c.startswith("felles test")]


def _check_command(command: str, env: dict[str, str], certify: bool = False) -> Any:
    literal = {k: str(v) for k, v in env.items() if "${{" not in str(v)}  # settings, not secrets
    words = [
        re.sub(r"^\$(\w+)$", lambda m: literal.get(m.group(1), m.group(0)), w) for w in shlex.split(command)
    ]
    assert words[:2] == ["felles", "test"], command
    args = build_parser().parse_args(words[1:])
    assert args.base_url == "$FELLES_BASE_URL"  # the target comes from the pipeline's settings
    (component,) = args.component
    Catalogue(ROOT).get(component)
    roles = [t.partition("=")[0] if "=" in t else "default" for t in args.token_env]
    assert set(roles) <= set(ROLES)
    assert {"default", "other-tenant"} <= set(roles)
    assert (str(args.report_dir), str(args.junit)) == ("felles-report", "felles-report/junit.xml")
    if certify:
        assert args.certify
        assert all((args.key, args.vendor, args.product))
    return args


def test_github_actions_workflow() -> None:
    text, workflow = _load("github-actions.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    assert job["runs-on"]
    assert job["timeout-minutes"]
    steps = job["steps"]
    assert all(("uses" in s) != ("run" in s) and "name" in s for s in steps), (
        "each step runs or uses, and is named"
    )
    assert any(s.get("uses", "").startswith("actions/setup-python@") for s in steps)
    assert any(re.search(r'pip install "felles==\d', s.get("run", "")) for s in steps)
    commands = [c for s in steps for c in _commands(s.get("run", ""))]
    assert len(commands) == 1
    _check_command(commands[0], job["env"])
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"].rstrip("/") == "felles-report"
    junit = next(s for s in steps if "junit" in s.get("uses", ""))
    assert junit["if"] == "always()"
    assert junit["with"]["report_paths"] == "felles-report/junit.xml"
    (certify,) = _commented_commands(text)
    _check_command(certify, job["env"], certify=True)


def test_gitlab_ci_job() -> None:
    text, pipeline = _load("gitlab-ci.yml")
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}
    (job,) = jobs.values()
    assert job["stage"] in pipeline["stages"]
    assert job["image"].startswith("python:3")
    assert any(re.search(r'pip install "felles==\d', line) for line in job["script"])
    commands = [c for line in job["script"] for c in _commands(line)]
    assert len(commands) == 1
    _check_command(commands[0], job["variables"])
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == "felles-report/junit.xml"
    assert "felles-report/" in artifacts["paths"]
    (certify,) = _commented_commands(text)
    _check_command(certify, job["variables"], certify=True)


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_templates_name_their_secrets_and_never_hold_one(name: str) -> None:
    text = (CI / name).read_text(encoding="utf-8")
    for variable in ("FELLES_BASE_URL", "FELLES_TOKEN", "FELLES_TOKEN_B"):
        assert variable in text
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}", text), "a JWT in a template"
    assert "BEGIN PRIVATE KEY" not in text
