"""The wheel bundles spec/, schemas/ and examples/ and works offline from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("felles-*.whl"))


def test_wheel_bundles_the_standard(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in ("spec", "schemas", "examples"):
        files = [p for p in (ROOT / source).rglob("*") if p.is_file()]
        assert files
        missing = [p for p in files if f"felles/_standard/{p.relative_to(ROOT)}" not in names]
        assert not missing, f"not in the wheel: {missing[:5]}"
    for data in (
        "felles/runner/runner.ini",
        "felles/report/report.schema.json",
        "felles/report/templates/report.html.j2",
    ):
        assert data in names


def test_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Only the installed copy and the dependencies: not the source checkout.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    env.pop("FELLES_STANDARD_ROOT", None)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import felles.locations as l, felles; print(felles.__file__); print(l.standard_root())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, root = probe.stdout.split()
    assert module_file.startswith(str(target))
    assert root == str(target / "felles" / "_standard")
    run = subprocess.run(
        [sys.executable, "-m", "felles", "test", "--reference", "--examples", "3", "--seed", "5"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "CERTIFIED" in run.stdout
    assert (elsewhere / "felles-report" / "application-1.0" / "report.html").is_file()
