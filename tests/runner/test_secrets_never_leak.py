"""Tokens, cookies and the signing secret never appear in any output or artefact of a run.

Every artefact a run produces is grepped: stdout and stderr, every file under
the working directory (JSON, HTML and JUnit reports, anything else written
there) and Hypothesis's storage directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.mutants.harness import mutant_server, new_secret, run_suite, token_env
from tests.runner.cli_run import TOKEN, CliRun, felles_test
from tests.runner.hostile_server import API_KEY_SECRET, COOKIE_SECRET, HostileServer

pytestmark = pytest.mark.slow


def _artefacts(stdout: str, stderr: str, *directories: Path) -> dict[str, str]:
    found = {"stdout": stdout, "stderr": stderr}
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file():
                found[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    return found


def _assert_absent(artefacts: dict[str, str], secrets: dict[str, str]) -> None:
    for name, text in artefacts.items():
        for what, secret in secrets.items():
            assert secret not in text, f"{what} in {name}"


def test_no_secret_in_output_or_reports(tmp_path: Path) -> None:
    """The whole suite, in two worker processes, against a mutant that fails checks."""
    secret = new_secret()
    tokens = token_env(secret)
    junit = tmp_path / "ci-junit.xml"
    hypothesis = tmp_path / "hypothesis"
    with mutant_server("alters-name", secret) as root:
        run = run_suite(
            f"{root}/application/1.0",
            tmp_path,
            secret=secret,
            examples=1,
            extra_args=["--junit", str(junit), "--workers", "2", "--trace"],
            env_extra={"HYPOTHESIS_STORAGE_DIRECTORY": str(hypothesis)},
        )
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "curl " in run.stdout
    assert "$FELLES_TOKEN" in run.stdout
    assert run.report is not None
    assert {c["name"] for c in run.report["classes"] if c["claimed"]} == {"core", "lifecycle", "security"}
    artefacts = _artefacts(run.stdout, run.stderr, tmp_path)
    assert str(junit) in artefacts
    assert str(tmp_path / "reports" / "application-1.0" / "trace.jsonl") in artefacts
    assert len(artefacts) >= 7
    secrets = {"signing secret": secret}
    for variable, token in tokens.items():
        secrets[f"token {variable}"] = token
        # A JWT's signature alone is secret enough to matter.
        secrets[f"token signature of {variable}"] = token.rsplit(".", 1)[1]
    _assert_absent(artefacts, secrets)
    assert not list(tmp_path.rglob(".hypothesis")), "no Hypothesis example database may be written"


def _echo_run(tmp_path: Path, *extra: str, token: str = TOKEN, env: dict[str, str] | None = None) -> CliRun:
    """Two deterministic checks against a server that echoes credentials back in bodies and headers."""
    with HostileServer("echo") as server:
        run = felles_test(
            server.url + "/felles/application/1.0",
            tmp_path,
            "--requirement",
            "/req/application/core/not-found",
            "--requirement",
            "/req/application/core/limit-bounds",
            "--timeout",
            "2",
            "--junit",
            str(tmp_path / "ci-junit.xml"),
            "--trace",
            *extra,
            env=env,
            token=token == TOKEN,
        )
    assert "Traceback" not in run.output
    assert run.code == 1, run.output
    assert any(r.headers.get("authorization") == f"Bearer {token}" for r in server.requests)
    if "--workers" not in extra:  # one process makes every request, so the cookie comes back
        assert any(COOKIE_SECRET in r.headers.get("cookie", "") for r in server.requests)
    return run


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["serial", "workers"])
def test_echoed_token_and_cookies_are_masked(workers: list[str], tmp_path: Path) -> None:
    run = _echo_run(tmp_path, *workers)
    failed = [c for c in run.checks() if c["status"] == "failed"]
    assert failed, run.output
    shown = " ".join(str(x["responseBody"]) for c in failed for x in c["exchanges"])
    assert "[REDACTED]" in shown  # the echoes were there, and masked
    trace = (run.report_dir / "application-1.0" / "trace.jsonl").read_text("utf-8")
    assert "[REDACTED]" in trace  # the trace holds the echoes too, masked
    artefacts = _artefacts(run.stdout, run.stderr, tmp_path)
    _assert_absent(artefacts, {"token": TOKEN, "cookie": COOKIE_SECRET, "API key": API_KEY_SECRET})


def test_token_command_token_is_masked(tmp_path: Path) -> None:
    script = tmp_path / "print_token.py"
    script.write_text("import os\nprint(os.environ['FELLES_CMD_SOURCE'])\n")
    command_token = TOKEN + "-from-command"
    run = _echo_run(
        tmp_path,
        "--token-command",
        f"{sys.executable} {script}",
        token=command_token,
        env={"FELLES_CMD_SOURCE": command_token},
    )
    artefacts = _artefacts(run.stdout, run.stderr, tmp_path)
    artefacts.pop(str(script))
    _assert_absent(artefacts, {"command token": command_token, "cookie": COOKIE_SECRET})


def test_password_in_the_base_url_is_masked(tmp_path: Path) -> None:
    password = "url-PASSWORD-SECRET-5f0e"
    with HostileServer("html-500") as server:
        url = server.url.replace("http://", f"http://vendor:{password}@") + "/felles/application/1.0"
        run = felles_test(url, tmp_path, "--requirement", "/req/application/core/not-found")
    assert run.code == 1, run.output
    assert any(r.headers.get("authorization", "").startswith("Basic ") for r in server.requests)
    report = run.report
    assert report is not None
    assert report["target"].startswith("http://vendor:[REDACTED]@127.0.0.1:")
    _assert_absent(_artefacts(run.stdout, run.stderr, tmp_path), {"password": password})
