"""Tokens and the signing secret never appear in any output or artefact of a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.mutants.harness import mutant_server, new_secret, run_suite, token_env

pytestmark = pytest.mark.slow


def test_no_secret_in_output_or_reports(tmp_path: Path) -> None:
    secret = new_secret()
    tokens = token_env(secret)
    junit = tmp_path / "ci-junit.xml"
    # A mutant that fails checks, so reports carry requests, responses and curl lines.
    with mutant_server("alters-name", secret) as root:
        run = run_suite(
            f"{root}/application/1.0",
            tmp_path,
            secret=secret,
            classes=["core"],
            extra_args=["--junit", str(junit)],
        )
    assert run.exit_code == 1
    assert "curl " in run.stdout
    assert "$FELLES_TOKEN" in run.stdout
    artefacts = {"stdout": run.stdout, "stderr": run.stderr}
    artefacts.update(
        {str(p): p.read_text(errors="replace") for p in run.report_dir.rglob("*") if p.is_file()}
    )
    artefacts[str(junit)] = junit.read_text()
    assert len(artefacts) >= 5
    for name, text in artefacts.items():
        assert secret not in text, f"signing secret in {name}"
        for variable, token in tokens.items():
            assert token not in text, f"token {variable} in {name}"
            # A JWT's signature alone is secret enough to matter.
            assert token.rsplit(".", 1)[1] not in text, f"token signature of {variable} in {name}"
    assert not list(tmp_path.glob(".hypothesis")), "no Hypothesis example database may be written"
