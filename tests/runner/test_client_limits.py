"""The client's limits, one at a time and in-process: pace, retries, time budget, origins, secrets."""

from __future__ import annotations

import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from tests.runner.hostile_server import COOKIE_SECRET, HostileServer

from felles.runner.client import (
    ApiClient,
    Pacer,
    Recorder,
    TargetGuard,
    describe_transport_error,
    http_client,
    retry_after,
)
from felles.runner.failures import DeadlineReached, TargetDown, UnsafeLink
from felles.runner.secrets import PLACEHOLDER, redact


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_spaces_requests_and_holds_after_429() -> None:
    clock = FakeClock()
    pacer = Pacer(4.0, clock=clock, sleep=clock.sleep)
    waits = [pacer.wait() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.25, 0.25, 0.25]
    assert clock.now == pytest.approx(101.0)
    pacer.hold(3.0)
    assert pacer.wait() == pytest.approx(3.0)
    unlimited = Pacer(None, clock=clock, sleep=clock.sleep)
    assert [unlimited.wait() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_retry_after_forms() -> None:
    assert retry_after(None) is None
    assert retry_after("2") == 2.0
    assert retry_after(" 7 ") == 7.0
    assert retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    value = retry_after(later)
    assert value is not None
    assert 25 <= value <= 31
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(earlier) == 0.0


def test_retry_decisions_are_bounded() -> None:
    guard = TargetGuard(timeout_s=1, max_retries=2, max_retry_wait_s=30)
    headers = httpx.Headers({"Retry-After": "1"})
    assert guard.retry_wait(429, headers, 0) == (1.0, "")
    assert guard.retry_wait(429, httpx.Headers(), 1) == (1.0, "")  # back-off without Retry-After
    assert guard.retry_wait(429, headers, 2)[0] is None
    wait, why = guard.retry_wait(503, httpx.Headers({"Retry-After": "3600"}), 0)
    assert wait is None
    assert "Retry-After 3600 s is more than the 30 s" in why
    soon = TargetGuard(timeout_s=1, deadline_at=time.time() + 0.5, deadline_s=9)
    with pytest.raises(DeadlineReached, match="--deadline of 9 s"):
        soon.retry_wait(429, headers, 0)


def test_target_counts_as_down_after_failures_in_a_row() -> None:
    guard = TargetGuard(timeout_s=1)
    guard.failed("GET /a: no answer")
    guard.answered()
    guard.failed("GET /b: no answer")
    guard.check_up()  # one failure in a row: still up
    guard.failed("GET /c: no answer")
    with pytest.raises(TargetDown, match="stopped answering earlier in this run") as caught:
        guard.check_up("not run")
    assert caught.value.stops_run
    assert "GET /c" in str(caught.value)


def test_deadline_stops_before_the_next_request() -> None:
    guard = TargetGuard(timeout_s=10, deadline_at=time.time() + 0.2)
    assert guard.budget() <= 0.2
    time.sleep(0.25)
    with pytest.raises(DeadlineReached):
        guard.budget()


@pytest.mark.parametrize("mode", ["trickle", "endless", "silent"])
def test_one_budget_covers_headers_and_body(mode: str) -> None:
    """A server that keeps sending bytes never resets the clock: the budget is per request."""
    outcome: list[BaseException] = []

    def attempt(client: ApiClient) -> None:
        try:
            client.get("/applications/x")
        except BaseException as exc:  # TargetDown is a BaseException
            outcome.append(exc)

    with HostileServer(mode) as server, http_client(timeout_s=0.5, verify_tls=True) as http:
        client = ApiClient(server.url, http=http, token=None, recorder=Recorder(), max_body_bytes=1024 * 1024)
        worker = threading.Thread(target=attempt, args=(client,), daemon=True)
        started = time.monotonic()
        worker.start()
        worker.join(timeout=5)  # without the budget this would wait as long as the server sends
        elapsed = time.monotonic() - started
    assert not worker.is_alive(), "the request outlived its time budget"
    assert elapsed < 1.5
    assert len(outcome) == 1
    assert isinstance(outcome[0], TargetDown)
    assert "no complete answer within 0.5 s" in str(outcome[0])


def test_bodies_are_read_up_to_the_cap() -> None:
    with HostileServer("huge") as server, http_client(timeout_s=5, verify_tls=True) as http:
        client = ApiClient(server.url, http=http, token=None, recorder=Recorder(), max_body_bytes=65536)
        response = client.get("/applications/x")
    assert response.truncated
    assert len(response.content) == 65536
    assert "longer than the 65536-byte cap" in response.explain()


def test_links_to_another_origin_are_refused() -> None:
    with http_client(timeout_s=1, verify_tls=True) as http:
        client = ApiClient(
            "http://sut.example/felles/application/1.0",
            http=http,
            token=None,
            recorder=Recorder(),
            max_body_bytes=1024,
        )
        for link in (
            "http://evil.example/felles/application/1.0/applications/1",
            "https://sut.example/felles/application/1.0/applications/1",
            "http://sut.example:8080/felles/application/1.0/applications/1",
        ):
            with pytest.raises(UnsafeLink, match="another origin"):
                client.get(link)
    assert client.url("/applications") == "http://sut.example/felles/application/1.0/applications"


def test_credentials_seen_in_headers_are_masked_later() -> None:
    with HostileServer("echo") as server, http_client(timeout_s=5, verify_tls=True) as http:
        client = ApiClient(server.url, http=http, token=None, recorder=Recorder(), max_body_bytes=65536)
        client.get("/applications/x", headers={"Authorization": "Basic dXNlcjpwYXNzd29yZC1zZWNyZXQ="})
    assert redact(f"session {COOKIE_SECRET}") == f"session {PLACEHOLDER}"
    assert redact("dXNlcjpwYXNzd29yZC1zZWNyZXQ=") == PLACEHOLDER


def _chained(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except Exception as chained:
        return chained


@pytest.mark.parametrize(
    ("error", "url", "message", "hint"),
    [
        (
            _chained(
                httpx.ConnectError("x"),
                ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate"),
            ),
            "https://sut.example",
            "TLS certificate of sut.example cannot be verified",
            "--insecure",
        ),
        (
            _chained(httpx.ConnectError("x"), ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version")),
            "https://sut.example:8080",
            "TLS handshake with sut.example:8080 failed",
            "use http://",
        ),
        (
            _chained(httpx.ConnectError("x"), __import__("socket").gaierror(-2, "Name or service not known")),
            "http://no-such.example",
            "cannot resolve the host name 'no-such.example'",
            "DNS",
        ),
        (
            _chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused")),
            "http://127.0.0.1:9",
            "127.0.0.1:9 refused the connection",
            "running",
        ),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "http://sut.example",
            "did not answer with valid HTTP",
            "use https://",
        ),
    ],
)
def test_transport_errors_are_named(error: Exception, url: str, message: str, hint: str) -> None:
    said, advice = describe_transport_error(error, url)
    assert message in said
    assert advice is not None
    assert hint in advice
