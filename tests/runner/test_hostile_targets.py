"""Faulty and hostile targets: the runner never crashes, hangs, or follows them elsewhere.

Each test runs the real CLI against a misbehaving server on loopback
(``hostile_server.py``) with a hard timeout, and asserts the exit code, a
clear message, no traceback, and how long it took.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.runner.cli_run import TOKEN, CliRun, felles_test
from tests.runner.hostile_server import HostileServer, self_signed_tls

NOT_FOUND = "/req/application/core/not-found"
CHECK = "check_unknown_id_is_404"
BASE = "/felles/application/1.0"


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    with HostileServer(str(request.param)) as server:
        yield server


def _one_check(server: HostileServer, tmp_path: Path, *extra: str, timeout_s: float = 60) -> CliRun:
    run = felles_test(
        server.url + BASE, tmp_path, "--requirement", NOT_FOUND, "--timeout", "1", *extra, timeout_s=timeout_s
    )
    _no_traceback(run)
    return run


def _no_traceback(run: CliRun) -> None:
    assert "Traceback" not in run.output, run.output
    assert "internal error" not in run.output, run.output
    assert TOKEN not in run.output


def _one_line_error(run: CliRun) -> str:
    errors = [line for line in run.stderr.splitlines() if line.startswith("felles: error:")]
    assert len(errors) == 1, run.stderr
    return errors[0]


# --------------------------------------------------------------- bad answers: clear failures


@pytest.mark.parametrize(
    ("hostile", "needles"),
    [
        ("invalid-json", ["not JSON", "problem+json"]),
        ("html-500", ["expected status 404, got 500", "an HTML page", "502 Bad Gateway"]),
        ("text-plain", ["must be application/problem+json", "'text/plain'"]),
        ("empty", ["empty body"]),
    ],
    indirect=["hostile"],
)
def test_bad_bodies_fail_the_check_clearly(
    hostile: HostileServer, needles: list[str], tmp_path: Path
) -> None:
    run = _one_check(hostile, tmp_path)
    assert run.code == 1, run.output
    check = run.check(CHECK)
    assert check["status"] == "failed"
    for needle in needles:
        assert needle in check["message"], check["message"]
    assert check["exchanges"][0]["curl"].startswith("curl ")


def test_a_100_mib_body_is_cut_and_memory_stays_bounded(tmp_path: Path) -> None:
    # Baseline first, in this same environment: a fresh machine builds Hypothesis's
    # Unicode cache on the first run, which alone costs more memory than a later run.
    with HostileServer("ok") as server:
        for attempt in ("warm-up", "baseline"):  # the second run sees a warm cache, like the next
            (tmp_path / attempt).mkdir()
            baseline = _one_check(server, tmp_path / attempt)
    (tmp_path / "huge").mkdir()
    with HostileServer("huge") as server:
        run = _one_check(server, tmp_path / "huge", "--max-body-bytes", "1M")
    assert run.code == 1, run.output
    check = run.check(CHECK)
    assert check["status"] == "failed"
    assert "expected status 404, got 200" in check["message"]
    body = check["exchanges"][0]["responseBody"]
    assert len(body) < 10_000
    assert "[body cut at 1048576 bytes: --max-body-bytes]" in body
    # Reading the 100 MiB body would add at least 100 MB over a normal run; the cap keeps
    # the difference small. Measured: ~65 MB with the cap, ~255 MB with a 200M cap.
    growth = run.peak_rss_mb - baseline.peak_rss_mb
    assert growth < 60, f"peak RSS {run.peak_rss_mb:.0f} MB vs {baseline.peak_rss_mb:.0f} MB without the body"
    print(
        f"peak RSS with a 100 MiB body: {run.peak_rss_mb:.0f} MB ({growth:+.0f} MB) in {run.elapsed_s:.1f} s"
    )


# --------------------------------------------------------------- no usable answer: exit 3, no hang


@pytest.mark.parametrize(
    ("hostile", "needle"),
    [
        ("endless", "no complete answer within 1 s"),
        ("silent", "no complete answer within 1 s"),
        ("trickle", "no complete answer within 1 s"),
        ("reset", "reset the connection"),
        ("garbage", "did not answer with valid HTTP"),
    ],
    indirect=["hostile"],
)
def test_no_usable_answer_is_an_environment_error_exit_3(
    hostile: HostileServer, needle: str, tmp_path: Path
) -> None:
    run = _one_check(hostile, tmp_path)
    assert run.code == 3, run.output
    check = run.check(CHECK)
    assert check["status"] == "error"  # never blamed on the vendor as a failure
    assert needle in check["message"], check["message"]
    assert needle in _one_line_error(run)
    # One request's budget (1 s) plus start-up; never the server's "forever".
    assert run.elapsed_s < 25


def test_a_silent_target_does_not_cost_a_timeout_per_check(tmp_path: Path) -> None:
    """After two requests in a row got nothing, the other checks are not even tried."""
    with HostileServer("silent") as server:
        run = felles_test(server.url + BASE, tmp_path, "--class", "core", "--timeout", "1", timeout_s=60)
    _no_traceback(run)
    assert run.code == 3, run.output
    report = run.report
    assert report is not None
    assert report["incomplete"] is True
    assert "the target stopped answering" in report["environment"]["stopped"]
    statuses = [c["status"] for c in run.checks()]
    assert statuses.count("passed") == 1  # GET /conformance still answers
    assert "failed" not in statuses
    not_run = [c for c in run.checks() if c["message"].startswith("not run: the target stopped answering")]
    assert len(not_run) >= 10
    assert "the target stopped answering" in _one_line_error(run)
    assert len(server.requests) <= 4  # /conformance twice, then two timed-out requests
    assert run.elapsed_s < 25


def test_429_is_retried_after_retry_after_and_reported(tmp_path: Path) -> None:
    with HostileServer("429") as server:
        run = _one_check(server, tmp_path)
    check = run.check(CHECK)
    assert check["status"] == "passed", check["message"]
    statuses = [r.path for r in server.requests if not r.path.endswith("/conformance")]
    assert len(statuses) == 4  # two URLs, each 429 once, then 404
    gaps = [b.at - a.at for a, b in zip(server.requests[1:], server.requests[2:], strict=False)]
    assert max(gaps) >= 0.9  # Retry-After: 1 was honoured
    report = run.report
    assert report is not None
    assert report["environment"]["retriedResponses"] == "2 x 429"
    assert "The target asked the suite to slow down or wait: 2 x 429" in run.stdout


def test_persistent_503_is_an_environment_error_and_stops_the_run(tmp_path: Path) -> None:
    with HostileServer("503") as server:
        run = felles_test(server.url + BASE, tmp_path, "--class", "core", "--timeout", "1")
    _no_traceback(run)
    assert run.code == 3, run.output
    first = run.check("check_create_accepts_valid_submissions")
    assert first["status"] == "error"
    assert "503 Service Unavailable (3 times in a row)" in first["message"]
    assert "failed" not in {c["status"] for c in run.checks()}
    report = run.report
    assert report is not None
    assert report["incomplete"] is True
    assert report["environment"]["stopped"].startswith("the target stopped answering")
    # Two requests, each tried three times (with back-off); then no more.
    assert len([r for r in server.requests if not r.path.endswith("/conformance")]) == 6


# --------------------------------------------------------------- redirects and other hosts


def test_redirect_to_another_host_is_not_followed(tmp_path: Path) -> None:
    with (
        HostileServer("ok", host="127.0.0.2") as elsewhere,
        HostileServer("redirect", redirect_to=elsewhere.url) as server,
    ):
        run = _one_check(server, tmp_path)
    assert run.code == 1, run.output
    message = run.check(CHECK)["message"]
    assert "expected status 404, got 302" in message
    assert f"a redirect to {elsewhere.url}" in message
    assert "does not follow redirects" in message
    assert elsewhere.requests == []  # nothing, let alone an Authorization header
    assert any("authorization" in r.headers for r in server.requests)


def test_redirect_at_the_probe_is_a_clear_run_error(tmp_path: Path) -> None:
    with HostileServer("redirect", probe_too=True, redirect_to="https://127.0.0.2:1") as server:
        run = _one_check(server, tmp_path)
    assert run.code == 3, run.output
    line = _one_line_error(run)
    assert "answered 302, a redirect to https://127.0.0.2:1" in line
    assert "give the final URL as BASE_URL" in line
    assert run.report is None


# --------------------------------------------------------------- TLS and schemes


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return self_signed_tls(tmp_path_factory.mktemp("tls"))


def test_self_signed_certificate_is_a_clear_error_and_insecure_allows_it(
    tls_context: ssl.SSLContext, tmp_path: Path
) -> None:
    with HostileServer("ok", tls=tls_context) as server:
        refused = _one_check(server, tmp_path / "verified")
        allowed = _one_check(server, tmp_path / "insecure", "--insecure")
    assert refused.code == 3, refused.output
    line = _one_line_error(refused)
    assert "TLS certificate" in line
    assert "self-signed" in line or "self signed" in line
    assert "--insecure" in line
    assert allowed.check(CHECK)["status"] == "passed", allowed.output


def test_https_to_a_plain_http_server(tmp_path: Path) -> None:
    with HostileServer("ok") as server:
        run = felles_test(server.url.replace("http://", "https://") + BASE, tmp_path, "--timeout", "1")
    _no_traceback(run)
    assert run.code == 3, run.output
    line = _one_line_error(run)
    assert "TLS handshake" in line
    assert "use http://" in line


def test_http_to_a_tls_server(tls_context: ssl.SSLContext, tmp_path: Path) -> None:
    with HostileServer("ok", tls=tls_context) as server:
        run = felles_test(server.url.replace("https://", "http://") + BASE, tmp_path, "--timeout", "1")
    _no_traceback(run)
    assert run.code == 3, run.output
    assert "use https://" in _one_line_error(run)


# --------------------------------------------------------------- deadline


def test_deadline_cuts_a_request_short_and_marks_the_run_incomplete(tmp_path: Path) -> None:
    with HostileServer("silent") as server:
        run = felles_test(
            server.url + BASE, tmp_path, "--class", "core", "--timeout", "60", "--deadline", "5", timeout_s=40
        )
    _no_traceback(run)
    assert run.code == 3, run.output
    assert run.elapsed_s < 15  # not the 60 s timeout
    report = run.report
    assert report is not None
    assert report["incomplete"] is True
    assert report["certified"] is False
    assert report["environment"]["stopped"].startswith("the --deadline of 5 s was reached")
    statuses = {c["status"] for c in run.checks()}
    assert "failed" not in statuses
    assert "skipped" in statuses  # not started: "not run"
    cut = [c for c in run.checks() if "stopped waiting for an answer" in c["message"]]
    assert len(cut) == 1, run.output  # the request in flight at the deadline
    assert "--deadline of 5 s was reached" in _one_line_error(run)
