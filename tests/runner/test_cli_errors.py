"""Bad input never crashes: one-line message, no traceback, the documented exit code."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from felles.cli import main

ROOT = Path(__file__).resolve().parents[2]
VALID = next((ROOT / "examples/application/1.0/valid/ApplicationSubmission").glob("*.json"))
INVALID = next(
    (ROOT / "examples/application/1.0/invalid/ApplicationSubmission").glob(
        "child.nationalIdentityNumber_*.json"
    )
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        ([], 2, ""),
        (["test"], 2, "no system to test"),
        (["test", "http://127.0.0.1:9", "--reference"], 2, "either a base URL or --reference"),
        (["test", "http://127.0.0.1:9"], 2, "--component is required"),
        (["test", "http://127.0.0.1:9", "--component", "nope@1.0"], 2, "unknown component 'nope'"),
        (["test", "http://127.0.0.1:9", "--component", "application@9.9"], 2, "has no version 9.9"),
        (["test", "http://127.0.0.1:9", "--component", "application@one"], 2, "not MAJOR.MINOR"),
        (
            ["test", "http://127.0.0.1:9", "--component", "application@1.0", "--class", "gold"],
            2,
            "no conformance class gold",
        ),
        (["test", "http://127.0.0.1:9", "--component", "application@1.0", "--seed", "abc"], 2, "seed 'abc'"),
        (["test", "http://127.0.0.1:9", "--component", "application@1.0", "--seed", "-1"], 2, "seed '-1'"),
        (
            ["test", "http://127.0.0.1:9", "--component", "application@1.0", "--examples", "0"],
            2,
            "at least 1",
        ),
        (["test", "ftp://example.org", "--component", "application@1.0"], 2, "not an http(s) URL"),
        (["test", "not a url", "--component", "application@1.0"], 2, "not an http(s) URL"),
        (["test", "http://[::1", "--component", "application@1.0"], 2, "is not a valid URL"),
        (["test", "http://127.0.0.1:99999", "--component", "application@1.0"], 2, "is not a valid URL"),
        (["test", "http://127.0.0.1:0", "--component", "application@1.0"], 2, "port 0"),
        (["test", "http://h.example/a?b=1", "--component", "application@1.0"], 2, "no query or fragment"),
        (["test", "http://h.example", "--component", "application@1.0", "--timeout", "nan"], 2, "--timeout"),
        (["test", "http://h.example", "--component", "application@1.0", "--rate", "0"], 2, "--rate"),
        (["test", "http://h.example", "--component", "application@1.0", "--deadline", "-5"], 2, "--deadline"),
        (
            ["test", "http://h.example", "--component", "application@1.0", "--max-body-bytes", "12"],
            2,
            "less than 1K",
        ),
        (
            ["test", "http://h.example", "--component", "application@1.0", "--max-body-bytes", "lots"],
            2,
            "not a size in bytes",
        ),
        (
            [
                "test",
                "http://127.0.0.1:9",
                "--component",
                "application@1.0",
                "--token-env",
                "FELLES_TEST_UNSET_VAR",
            ],
            2,
            "FELLES_TEST_UNSET_VAR",
        ),
        (
            [
                "test",
                "http://127.0.0.1:9",
                "--component",
                "application@1.0",
                "--requirement",
                "/req/application/core/nope",
            ],
            2,
            "no requirement /req/application/core/nope",
        ),
        (["test", "--reference", "--municipality", "0219"], 2, "not a kommunenummer"),
        (["validate", str(VALID), "--schema", "application@1.0"], 2, "names no schema"),
        (["validate", str(VALID), "--schema", "application@1.0/Nope"], 2, "has no schema 'Nope'"),
        (
            ["validate", "/nonexistent.json", "--schema", "application@1.0/ApplicationSubmission"],
            2,
            "cannot read",
        ),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_usage_errors(argv: list[str], code: int, needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if needle:
        assert needle in err
        assert len(err.strip().splitlines()) == 1, err


def test_unreachable_target_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    port = _closed_port()
    assert main(["test", f"http://127.0.0.1:{port}", "--component", "application@1.0"]) == 3
    err = capsys.readouterr().err
    assert "cannot reach" in err
    assert "refused the connection" in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_dns_failure_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "http://felles-no-such-host.invalid", "--component", "application@1.0"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "cannot resolve the host name 'felles-no-such-host.invalid'" in err
    assert "(check the URL, your DNS and network)" in err
    assert len(err.strip().splitlines()) == 1, err


def test_validate_valid_and_invalid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(VALID), "--schema", "application@1.0/ApplicationSubmission"]) == 0
    assert main(["validate", str(INVALID), "--schema", "application@1.0/ApplicationSubmission"]) == 1
    assert "/child/nationalIdentityNumber" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["validate", str(broken), "--schema", "application@1.0/ApplicationSubmission"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_components_lists_the_standard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["components"]) == 0
    out = capsys.readouterr().out
    assert "application@1.0" in out
    assert "core, lifecycle, security" in out
    assert json.dumps("common@1.0")[1:-1] in out
