"""The suite must fail every mutant on the requirement it breaks, and pass the reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from felles.standard import default_catalogue
from tests.mutants.catalogue import MUTANTS, Mutant
from tests.mutants.harness import mutant_server, new_secret, run_suite, server_process

pytestmark = pytest.mark.slow


def test_every_requirement_has_a_mutant() -> None:
    """Each requirement ID, in whichever versions it holds, is broken by a mutant tested as one
    of those versions (the same check runs against every version that has the requirement)."""
    versions: dict[str, set[str]] = {}
    for component in default_catalogue().testable():
        for requirement in component.requirements:
            versions.setdefault(requirement.requirement_id, set()).add(component.key)
    covered = {m.kills for m in MUTANTS}
    assert set(versions) - covered == set(), "requirements no mutant breaks"
    assert covered - set(versions) == set(), "mutants naming unknown requirements"
    misplaced = {m.name: m.component for m in MUTANTS if m.component not in versions[m.kills]}
    assert not misplaced, f"mutants tested as a version that lacks their requirement: {misplaced}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_suite_kills_mutant_on_its_requirement(mutant: Mutant, tmp_path: Path) -> None:
    secret = new_secret()
    conformance_class = mutant.kills.split("/")[3]
    with mutant_server(mutant.name, secret) as root:
        run = run_suite(
            f"{root}/{mutant.component.replace('@', '/')}",
            tmp_path,
            secret=secret,
            component=mutant.component,
            classes=[conformance_class],
            extra_args=["--requirement", mutant.kills],
        )
    run.assert_killed(mutant.name, mutant.fault, mutant.kills)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "curl " in run.stdout, "a failure must show a curl reproduction"


def test_should_failure_is_a_warning_not_a_refusal(tmp_path: Path) -> None:
    """A failed SHOULD is listed as a warning; the certificate still depends on MUSTs only."""
    secret = new_secret()
    with mutant_server("no-etag-on-create", secret) as root:
        run = run_suite(f"{root}/application/1.0", tmp_path, secret=secret, classes=["core"])
    assert run.requirement_status("/req/application/core/etag-on-create") == "failed"
    assert run.report is not None
    assert run.report["certified"] is True
    assert "/req/application/core/etag-on-create" in run.report["warnings"]
    assert run.exit_code == 0, run.stdout + run.stderr


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_reference_passes_everything(tmp_path: Path, version: str) -> None:
    secret = new_secret()
    with server_process(
        [__import__("sys").executable, "-m", "tests.mutants.serve_reference"], secret
    ) as root:
        run = run_suite(
            f"{root}/application/{version}", tmp_path, secret=secret, component=f"application@{version}"
        )
    assert run.exit_code == 0, run.stdout + run.stderr
    assert set(run.statuses().values()) == {"passed"}, run.statuses()
    assert run.report is not None
    assert run.report["certified"] is True
