"""``felles lint`` on the command line: output formats and exit codes (0 clean, 1 findings, 2 usage)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from felles.cli import main
from felles.tools.lint import DEFAULT_CHECKS_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def standard(tmp_path: Path) -> Path:
    for folder in ("spec", "schemas", "examples"):
        for component in ("common", "application"):
            shutil.copytree(ROOT / folder / component, tmp_path / folder / component)
    (tmp_path / "checks").mkdir()
    shutil.copy(DEFAULT_CHECKS_DIR / "application.py", tmp_path / "checks" / "application.py")
    return tmp_path


def _plant_version_drift(root: Path) -> None:
    spec = root / "spec/application/1.0/index.md"
    spec.write_text(spec.read_text(encoding="utf-8").replace("| Version | 1.0 |", "| Version | 2.0 |"))


def test_clean_standard_exits_0(standard: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lint", "--root", str(standard), "--checks-dir", str(standard / "checks")])
    out, err = capsys.readouterr()
    assert code == 0
    assert out == ""
    assert "clean" in err


def test_findings_exit_1_one_line_each(standard: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _plant_version_drift(standard)
    code = main(["lint", "--root", str(standard), "--checks-dir", str(standard / "checks")])
    out, err = capsys.readouterr()
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith("spec/application/1.0/index.md:")
    assert ": version-mismatch: the header says version '2.0'" in line
    assert "1 finding(s)" in err
    assert "Traceback" not in out + err


def test_json_format(standard: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _plant_version_drift(standard)
    code = main(
        ["lint", "--root", str(standard), "--checks-dir", str(standard / "checks"), "--format", "json"]
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["counts"] == {"version-mismatch": 1}
    (finding,) = document["findings"]
    assert finding["path"] == "spec/application/1.0/index.md"
    assert isinstance(finding["line"], int)


def test_standard_root_env_var_is_honoured(
    standard: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant_version_drift(standard)
    monkeypatch.setenv("FELLES_STANDARD_ROOT", str(standard))
    assert main(["lint", "--checks-dir", str(standard / "checks")]) == 1
    assert "version-mismatch" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["lint", "--root", "/nonexistent/felles"], "is not a directory"),
        (["lint", "--root", "."], "no schemas/ folder"),
        (["lint", "--checks-dir", "/nonexistent/checks"], "--checks-dir"),
        (["lint", "--format", "xml"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str],
    needle: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err


def test_the_repository_lints_clean_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--root", str(ROOT)]) == 0, capsys.readouterr().out
