"""Ctrl-C, --rate and links to other hosts, against the reference implementation."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.mutants.harness import new_secret, server_process, token_env
from tests.runner.cli_run import TOKEN_VAR, felles_test, wait_for_output
from tests.runner.hostile_server import HostileServer, Seen

from felles.report.json_report import read_json

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference() -> Iterator[tuple[str, str]]:
    """(root URL, default-role token) of a reference implementation in its own process."""
    secret = new_secret()
    with server_process([sys.executable, "-m", "tests.mutants.serve_reference"], secret) as root:
        yield root, token_env(secret)["FELLES_T_DEFAULT"]


# --------------------------------------------------------------- Ctrl-C


def _interrupt_after_first_check(stdout: Path) -> Callable[[subprocess.Popen[bytes]], float | None]:
    def interrupt(process: subprocess.Popen[bytes]) -> float | None:
        if not wait_for_output(stdout, "  PASS ", timeout_s=60):
            return None
        time.sleep(0.3)  # well inside the next check
        process.send_signal(signal.SIGINT)
        return time.monotonic()

    return interrupt


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["serial", "workers"])
def test_sigint_stops_fast_with_a_partial_report(workers: list[str], tmp_path: Path) -> None:
    """``kill -INT`` of the runner alone (as CI does): under xdist the workers are ended too."""
    run = felles_test(
        "",
        tmp_path,
        "--reference",
        "--examples",
        "200",
        *workers,
        token=False,
        interrupt=_interrupt_after_first_check(tmp_path / "stdout.txt"),
        timeout_s=120,
    )
    assert run.signalled_at is not None, run.output
    latency = run.ended_at - run.signalled_at
    print(f"SIGINT to exit ({'workers' if workers else 'serial'}): {latency:.2f} s")
    assert run.code == 130, run.output
    # Quiet machine: 0.27-0.38 s (serial and workers). Under load, a SIGINT that lands while an
    # xdist worker is still importing waits for it (4.8 s seen at load ~5): the bound asserts
    # that the run stops promptly, not a speed figure.
    assert latency < 10.0
    assert "Traceback" not in run.output
    assert "felles: error: interrupted; a partial report is in" in run.stderr
    path = run.report_dir / "application-1.0" / "report.json"
    report = read_json(path)  # validates against the report schema
    assert report.info.incomplete
    assert not report.certified
    assert report.info.environment["stopped"] == "the run was interrupted (Ctrl-C)"
    statuses = [r.status.value for r in report.requirements]
    assert "passed" in statuses
    not_run = [r for r in report.requirements if r.reason.startswith("not run: the run was interrupted")]
    assert not_run
    assert (run.report_dir / "application-1.0" / "junit.xml").is_file()
    assert (run.report_dir / "application-1.0" / "report.html").is_file()


# --------------------------------------------------------------- --rate


def _busiest_second(requests: list[Seen]) -> int:
    times = sorted(r.at for r in requests)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["serial", "workers"])
def test_rate_is_honoured_across_workers(
    workers: list[str], reference: tuple[str, str], tmp_path: Path
) -> None:
    root, token = reference
    rate = 25
    with HostileServer("proxy", upstream=root) as proxy:
        run = felles_test(
            proxy.url + "/application/1.0",
            tmp_path,
            "--class",
            "core",
            "--rate",
            str(rate),
            *workers,
            env={TOKEN_VAR: token},
        )
    assert run.code == 0, run.output
    busiest = _busiest_second(proxy.requests)
    span = proxy.requests[-1].at - proxy.requests[1].at  # after the probe
    average = (len(proxy.requests) - 2) / span
    print(
        f"--rate {rate} {' '.join(workers)}: {len(proxy.requests)} requests, busiest second {busiest}, "
        f"average {average:.1f}/s"
    )
    assert len(proxy.requests) > 2 * rate
    # One slot per 1/rate s per process; a little slack for arrival jitter and the worker phases.
    assert busiest <= rate + (2 if workers else 1)
    assert average <= rate * 1.05
    report = run.report
    assert report is not None
    assert report["environment"]["rateLimit"] == f"{rate} requests/s"


# --------------------------------------------------------------- links to other hosts


def test_location_on_another_host_is_never_requested(reference: tuple[str, str], tmp_path: Path) -> None:
    """A gateway that builds Location from an internal host name: no request, no token goes there."""
    root, token = reference
    with HostileServer("ok", host="127.0.0.2") as elsewhere:

        def to_elsewhere(location: str) -> str:
            return elsewhere.url + urlsplit(location).path

        with HostileServer("proxy", upstream=root, rewrite=to_elsewhere) as proxy:
            run = felles_test(
                proxy.url + "/application/1.0",
                tmp_path,
                "--requirement",
                "/req/application/core/location",
                env={TOKEN_VAR: token},
            )
    assert "Traceback" not in run.output
    assert run.code == 1, run.output
    check = run.check("check_location_header")
    assert check["status"] == "error"  # the suite cannot tell whose host name is wrong
    assert "another origin" in check["message"]
    assert "sends no requests (and no credentials) there" in check["message"]
    assert elsewhere.requests == []
    assert any("authorization" in r.headers for r in proxy.requests)
