"""benchmarks/effectiveness.py still runs end to end (two quick mutants, no Schemathesis),
and its catalogue lists every mutant. Not a timing test: figures live in benchmarks/README.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.mutants import VENDOR_MUTANTS, all_mutants

from tests.mutants.catalogue import MUTANTS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "effectiveness.py"


def test_runs_on_two_mutants() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--only", "ca-created-200", "created-200",
         "--no-schemathesis", "--seeds", "0", "--examples", "3"],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "felles kill rate:        2/2 = 100.0 %" in done.stdout, done.stdout
    assert "survivors: none" in done.stdout


def test_catalogue_lists_every_mutant_once() -> None:
    every = all_mutants()
    assert len(every) == len(MUTANTS) + len(VENDOR_MUTANTS)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--catalogue"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    for mutant in every:
        assert f"| `{mutant.name}` |" in done.stdout
