"""Vendor-style mutants (benchmarks/mutants) that once survived: the checks added for them
must keep failing them on their requirement."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from benchmarks.mutants import find

from tests.mutants.harness import new_secret, run_suite, server_process

pytestmark = pytest.mark.slow

# Each needed a check added (the requirement is the mutant's `kills`).
ONCE_SURVIVED = (
    "app-history-local-time",
    "app-updated-at-frozen",
    "app-next-link-drops-filter",
    "app-keys-across-kommuner",
    "app-filtered-list-leaks",
    "ca-audit-local-time",
    "app-trims-strings",  # survived once generated text stopped starting or ending with a space
)


@pytest.mark.parametrize("name", ONCE_SURVIVED)
def test_suite_kills_vendor_mutant(name: str, tmp_path: Path) -> None:
    mutant = find(name)
    secret = new_secret()
    classes = ["core", mutant.kills.split("/")[3]]
    if mutant.kills.endswith("/core/timestamps"):
        classes.append("lifecycle")  # updatedAt is checked after a transition
    with server_process([sys.executable, "-m", "benchmarks.mutants.serve", name], secret) as root:
        run = run_suite(
            f"{root}/{mutant.component.replace('@', '/')}",
            tmp_path,
            secret=secret,
            component=mutant.component,
            classes=sorted(set(classes)),
            extra_args=["--requirement", mutant.kills],
        )
    status = run.requirement_status(mutant.kills)
    assert status == "failed", f"{name} ({mutant.fault}) survived: {mutant.kills} is {status}\n{run.stdout}"
