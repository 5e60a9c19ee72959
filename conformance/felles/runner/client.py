"""The HTTP client checks use: bounded, paced, redacting, and recording evidence.

Every exchange is kept (redacted) so that a failure can show what was sent,
what came back and a curl line that reproduces it. A faulty or hostile
target can neither exhaust memory nor hang the run:

- bodies are read up to a cap (``--max-body-bytes``);
- every request has one time budget (``--timeout``) for connecting, sending
  and reading the whole answer, enforced at every socket operation, so a
  server that trickles bytes or never ends a chunked body is cut off too;
- the run's ``--deadline`` caps every budget and every wait;
- requests are paced (``--rate``); 429 and 503 answers are retried after
  ``Retry-After`` (a bounded number of times, a bounded wait) and counted;
- after a few requests in a row got no usable answer the target is taken to
  be down and later requests fail at once instead of each waiting out its
  timeout;
- redirects are never followed, and links the target returns are only
  followed to the origin under test, so credentials go nowhere else.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

import felles
from felles.report.model import Exchange
from felles.runner.curl import to_curl
from felles.runner.failures import ConformanceFailure, DeadlineReached, TargetDown, UnsafeLink
from felles.runner.secrets import SECRET_HEADERS, redact, redact_headers, register_secret
from felles.runner.tokens import TokenSource
from felles.runner.trace import RAW_TOKEN_ROLE, TraceWriter

SHOWN_BODY_CHARS = 4000
# 429 and 503 mean "not now": retried after Retry-After (or a short back-off).
RETRY_STATUSES = {429: "Too Many Requests", 503: "Service Unavailable"}
MAX_RETRIES = 2
MAX_RETRY_WAIT_S = 30.0
BACKOFF_S = (0.5, 1.0, 2.0)
# Requests in a row without a usable answer after which the target counts as down.
DOWN_AFTER = 2
USER_AGENT = f"felles-conformance/{felles.__version__}"

#: "No request body" for :meth:`ApiClient.request` (``None`` means the JSON document ``null``).
NO_BODY: Any = object()


# ------------------------------------------------------------------ responses


@dataclass(frozen=True)
class Response:
    """A response whose body was read up to the cap."""

    method: str
    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes
    truncated: bool

    @property
    def media_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return str(self.content.decode("utf-8", errors="replace"))

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status_code < 400

    def explain(self) -> str:
        """Why an unexpected answer may have come back, for failure messages ('' if nothing to say)."""
        if self.is_redirect:
            location = self.headers.get("location")
            where = f" to {redact(str(location))}" if location else " without a Location"
            return (
                f" (a redirect{where}; the suite does not follow redirects: give the final URL as "
                "BASE_URL, or make the system answer API requests directly)"
            )
        if self.media_type == "text/html":
            title = re.search(rb"<title[^>]*>(.*?)</title", self.content[:4096], re.IGNORECASE | re.DOTALL)
            shown = f" {_shorten(title.group(1).decode('utf-8', 'replace').strip(), 100)!r}" if title else ""
            return f" (an HTML page{shown}: an error page of the system, a proxy or a gateway?)"
        if self.truncated:
            return f" (body longer than the {len(self.content)}-byte cap, --max-body-bytes)"
        return ""

    def json(self) -> Any:
        """The body as JSON, or a conformance failure saying why it is not."""
        if self.truncated:
            raise ConformanceFailure(
                f"{self.method} {self.url}: the {self.status_code} body is longer than "
                f"{len(self.content)} bytes (--max-body-bytes); not parsed"
            )
        if not self.content:
            raise ConformanceFailure(
                f"{self.method} {self.url} answered {self.status_code} with an empty body, not JSON"
                + self.explain()
            )
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            kind = f" ({self.media_type})" if self.media_type else ""
            raise ConformanceFailure(
                f"{self.method} {self.url} answered {self.status_code}{kind} with a body that is not "
                f"JSON: {_shorten(redact(self.text), 200)!r}" + self.explain()
            ) from None


class Recorder:
    """The last few exchanges of the running check: its evidence on failure."""

    def __init__(self, keep: int = 6) -> None:
        self._exchanges: deque[Exchange] = deque(maxlen=keep)
        self.count = 0
        self.retried: Counter[int] = Counter()
        self.waited_s = 0.0

    def add(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)
        self.count += 1

    def exchanges(self) -> list[Exchange]:
        return list(self._exchanges)

    def clear(self) -> None:
        self._exchanges.clear()


# ------------------------------------------------------------------ pacing, deadline, health


class Pacer:
    """Spaces request starts at least ``1/rate`` apart; also holds traffic back after a 429."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def delay(self) -> float:
        """Reserve the next slot; the seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
            return start - now

    def wait(self) -> float:
        delay = self.delay()
        if delay > 0:
            self._sleep(delay)
        return delay

    def hold(self, seconds: float) -> None:
        """No request starts in the next ``seconds`` (the target asked us to back off)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


class TargetGuard:
    """Per-process state shared by every client of a run: pace, deadline, and whether the target is down."""

    def __init__(
        self,
        *,
        timeout_s: float,
        rate: float | None = None,
        deadline_at: float | None = None,
        deadline_s: float | None = None,
        max_retries: int = MAX_RETRIES,
        max_retry_wait_s: float = MAX_RETRY_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout_s = timeout_s
        self.deadline_at = deadline_at  # wall clock (time.time()), shared by xdist workers
        self.deadline_s = deadline_s
        self.max_retries = max_retries
        self.max_retry_wait_s = max_retry_wait_s
        self.pacer = Pacer(rate, sleep=sleep)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._failures_in_a_row = 0
        self.down: str = ""  # why the target counts as down ('' while it answers)

    # deadline

    def remaining(self) -> float | None:
        return None if self.deadline_at is None else self.deadline_at - time.time()

    def deadline_passed(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def deadline_error(self, what: str = "stopped") -> DeadlineReached:
        shown = f" of {self.deadline_s:g} s" if self.deadline_s else ""
        return DeadlineReached(f"{what}: the run's --deadline{shown} was reached")

    def check_deadline(self, what: str = "stopped") -> None:
        if self.deadline_passed():
            raise self.deadline_error(what)

    # health

    def check_up(self, what: str = "not sent") -> None:
        if self.down:
            raise TargetDown(
                f"{what}: the target stopped answering earlier in this run ({self.down})", stops_run=True
            )

    def answered(self) -> None:
        with self._lock:
            self._failures_in_a_row = 0

    def failed(self, description: str) -> None:
        with self._lock:
            self._failures_in_a_row += 1
            if self._failures_in_a_row >= DOWN_AFTER and not self.down:
                self.down = (
                    f"{self._failures_in_a_row} requests in a row got no usable answer; last: {description}"
                )

    # one request

    def budget(self) -> float:
        """Check the run may go on, wait for our turn, and return this request's time budget."""
        self.check_deadline()
        self.check_up()
        self.pacer.wait()
        self.check_deadline()
        remaining = self.remaining()
        return self.timeout_s if remaining is None else min(self.timeout_s, remaining)

    def retry_wait(self, status: int, headers: httpx.Headers, attempt: int) -> tuple[float | None, str]:
        """Seconds to wait before retrying a 429/503 (None: give up) and why not, if not."""
        if attempt >= self.max_retries:
            return None, f"{attempt + 1} times in a row"
        asked = retry_after(headers.get("retry-after"))
        wait = asked if asked is not None else BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
        if wait > self.max_retry_wait_s:
            return (
                None,
                f"Retry-After {wait:.0f} s is more than the {self.max_retry_wait_s:.0f} s the suite waits",
            )
        remaining = self.remaining()
        if remaining is not None and wait >= remaining:
            raise self.deadline_error(f"not retried after {status}")
        return wait, ""

    def back_off(self, seconds: float) -> None:
        self.pacer.hold(seconds)
        self._sleep(seconds)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or HTTP-date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - time.time())


# ------------------------------------------------------------------ transport with a time budget

_budget = threading.local()


@contextmanager
def request_budget(seconds: float) -> Iterator[None]:
    """Every socket operation inside must finish before ``seconds`` from now."""
    previous = getattr(_budget, "until", None)
    _budget.until = time.monotonic() + seconds
    try:
        yield
    finally:
        _budget.until = previous


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    until: float | None = getattr(_budget, "until", None)
    if until is None:
        return timeout
    remaining = until - time.monotonic()
    if remaining <= 0:
        raise error("the time budget of this request is used up")
    return remaining if timeout is None else min(timeout, remaining)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)
        )
        return _BoundedStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, with every operation capped by the request's budget."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _BoundedStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _BoundedTransport(httpx.HTTPTransport):
    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx builds its pool without a way to pass a network backend; replace it.
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_BoundedBackend())


@lru_cache(maxsize=2)
def _ssl_context(verify_tls: bool) -> ssl.SSLContext:
    """Loading the CA bundle costs ~0.1 s of CPU; one context per process serves every client
    (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are read once, when the first client is made)."""
    return httpx.create_ssl_context(verify=verify_tls, trust_env=True)


def http_client(*, timeout_s: float, verify_tls: bool) -> httpx.Client:
    """The one HTTP client of a process: no proxies from the environment, no redirects.

    CA certificates still come from ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set,
    so a target with a private CA can be tested without ``--insecure``.
    """
    context = _ssl_context(verify_tls)
    return httpx.Client(
        transport=_BoundedTransport(context),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


def describe_transport_error(exc: Exception, url: str, *, answered: bool = False) -> tuple[str, str | None]:
    """(message, hint) for a request that got no usable answer, naming the likely cause.

    ``answered``: the response had begun (status line and headers came).
    """
    parts = urlsplit(url)
    host = parts.hostname or "?"
    where = parts.netloc or host
    maybe_tls = "if it expects TLS, use https://" if parts.scheme == "http" and not answered else None
    if isinstance(exc, httpx.ConnectTimeout) and any("handshake" in str(c) for c in _causes(exc)):
        return (
            f"the TLS handshake with {where} got no answer in time",
            "if the system serves plain HTTP there, use http://",
        )
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"the TLS certificate of {where} cannot be verified: "
                f"{getattr(cause, 'verify_message', None) or cause}",
                "set SSL_CERT_FILE to a CA bundle with its issuer, or pass --insecure to test anyway",
            )
        if isinstance(cause, ssl.SSLError):
            return (
                f"the TLS handshake with {where} failed ({getattr(cause, 'reason', None) or cause})",
                "if the system serves plain HTTP there, use http://",
            )
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the host name {host!r}", "check the URL, your DNS and network"
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"{where} refused the connection",
                "check the URL and that the system is running and listening there",
            )
        if isinstance(cause, ConnectionResetError):
            return f"{where} reset the connection", maybe_tls
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"{where} gave no complete answer within the time allowed",
            "raise --timeout if it is just slow",
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{where} did not answer with valid HTTP: {exc}", maybe_tls
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {where}: {exc}", "check the URL and that the system is running"
    return f"{where}: {type(exc).__name__}: {exc}", None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# ------------------------------------------------------------------ the client


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default


class ApiClient:
    """Talks to the system under test as one role."""

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.Client,
        token: TokenSource | None,
        recorder: Recorder,
        max_body_bytes: int,
        guard: TargetGuard | None = None,
        trace: TraceWriter | None = None,
        role: str = "anonymous",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._trace = trace
        self._role = role
        self._http = http
        self._token = token
        self._recorder = recorder
        self._max_body = max_body_bytes
        self._guard = guard or TargetGuard(timeout_s=_timeout_of(http))
        self._origin = origin(self.base_url)

    def url(self, path: str) -> str:
        """Resolve a path of the OpenAPI document, or a link the target returned."""
        if urlsplit(path).scheme:
            return path
        return self.base_url + "/" + path.lstrip("/")

    def resolve(self, link: str, against: str) -> str:
        """Resolve a Location or next link against the URL of the response that carried it."""
        return urljoin(against, link)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = NO_BODY,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str | int] | None = None,
        authenticated: bool = True,
        raw_token: str | None = None,
    ) -> Response:
        """Send one request. ``raw_token`` sends exactly that token (for auth checks).

        ``json_body=None`` sends the JSON document ``null`` (a generated near-miss can be
        exactly that); leave it out to send no body.
        """
        all_headers = {"Accept": "application/json, application/problem+json"}
        body: bytes | None = content
        if json_body is not NO_BODY:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        url = self.url(path)
        if origin(url) != self._origin:
            scheme, host, port = origin(url)
            raise UnsafeLink(
                f"{method} {redact(url)}: the system under test links to {scheme}://{host}:{port}, "
                f"another origin than {self.base_url}; the suite sends no requests (and no credentials) "
                "there. Build links from the host name clients use, or give that URL as BASE_URL"
            )
        role = self._role if authenticated and self._token is not None else "anonymous"
        if raw_token is not None:
            all_headers["Authorization"] = f"Bearer {raw_token}"
            role = RAW_TOKEN_ROLE
        elif authenticated and self._token is not None:
            all_headers["Authorization"] = f"Bearer {self._token.token()}"
        response = self._send(method, url, all_headers, body, params, role)
        if (
            response.status_code == 401
            and raw_token is None
            and authenticated
            and self._token is not None
            and self._token.refreshable
        ):
            all_headers["Authorization"] = f"Bearer {self._token.refresh()}"
            response = self._send(method, url, all_headers, body, params, role)
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = NO_BODY, **kwargs: Any) -> Response:
        return self.request("POST", path, json_body=body, **kwargs)

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        params: dict[str, str | int] | None,
        role: str,
    ) -> Response:
        request = self._http.build_request(method, url, headers=headers, content=body, params=params)
        shown_url = redact(str(request.url))
        for attempt in range(self._guard.max_retries + 1):
            response = self._attempt(request, body, role)
            if response.status_code not in RETRY_STATUSES:
                self._guard.answered()
                return response
            wait, refusal = self._guard.retry_wait(response.status_code, response.headers, attempt)
            if wait is None:
                reason = RETRY_STATUSES[response.status_code]
                self._guard.failed(f"{method} {shown_url}: {response.status_code} {reason}")
                hint = (
                    "lower --rate, or raise the limit for the suite's client"
                    if response.status_code == 429
                    else None
                )
                answer = f"answered {response.status_code} {reason} ({refusal})"
                raise TargetDown(f"{method} {shown_url} {answer}", hint=hint, reason=answer)
            self._recorder.retried[response.status_code] += 1
            self._recorder.waited_s += wait
            self._guard.back_off(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _attempt(self, request: httpx.Request, body: bytes | None, role: str) -> Response:
        budget = self._guard.budget()
        started = time.perf_counter()
        answered = False
        try:
            with request_budget(budget):
                raw = self._http.send(request, stream=True, follow_redirects=False)
                answered = True
                try:
                    content, truncated = _read_capped(raw, self._max_body)
                finally:
                    raw.close()
        except httpx.DecodingError as exc:
            self._guard.answered()
            self._record(request, body, None, None, b"", False, started)
            raise ConformanceFailure(
                f"{request.method} {redact(str(request.url))}: the body cannot be decoded as its "
                f"Content-Encoding says: {exc}"
            ) from None
        except httpx.TransportError as exc:
            self._record(request, body, None, None, b"", False, started)
            if self._guard.deadline_passed():
                raise self._guard.deadline_error("stopped waiting for an answer") from None
            message, hint = describe_transport_error(exc, str(request.url), answered=answered)
            if isinstance(exc, httpx.TimeoutException) and "TLS" not in message:
                message = f"no complete answer within {budget:.3g} s"
                hint = "raise --timeout if the system is just slow"
            where = f"{request.method} {redact(str(request.url))}"
            self._guard.failed(f"{where}: {message}")
            raise TargetDown(f"{where}: {message}", hint=hint, reason=message) from None
        _register_secret_headers(request.headers, raw.headers)
        self._record(request, body, raw.status_code, raw.headers, content, truncated, started)
        if self._trace is not None:
            self._trace.write(
                role=role,
                method=request.method,
                url=str(request.url),
                headers=dict(request.headers),
                body=body,
                status=raw.status_code,
                response_headers=dict(raw.headers),
                content=content,
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        return Response(request.method, str(request.url), raw.status_code, raw.headers, content, truncated)

    def _record(
        self,
        request: httpx.Request,
        body: bytes | None,
        status: int | None,
        headers: httpx.Headers | None,
        content: bytes,
        truncated: bool,
        started: float,
    ) -> None:
        request_headers = dict(request.headers)
        body_text = body.decode("utf-8", errors="replace") if body is not None else None
        shown_body: str | None = None
        if status is not None:
            shown_body = _shorten(redact(content.decode("utf-8", errors="replace")), SHOWN_BODY_CHARS)
            if truncated:
                shown_body += f"\n[body cut at {len(content)} bytes: --max-body-bytes]"
        self._recorder.add(
            Exchange(
                method=request.method,
                url=redact(str(request.url)),
                request_headers=redact_headers(request_headers),
                request_body=_shorten(redact(body_text), SHOWN_BODY_CHARS) if body_text is not None else None,
                status_code=status,
                response_headers=redact_headers(dict(headers)) if headers is not None else {},
                response_body=shown_body,
                curl=to_curl(request.method, redact(str(request.url)), request_headers, body_text),
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        )


def _timeout_of(http: httpx.Client) -> float:
    read = http.timeout.read
    return float(read) if read is not None else 10.0


def _register_secret_headers(sent: httpx.Headers, received: httpx.Headers) -> None:
    """Credentials in either direction are masked wherever they show up later (echoed bodies)."""
    for name, value in [*sent.multi_items(), *received.multi_items()]:
        lower = name.lower()
        if lower not in SECRET_HEADERS:
            continue
        if lower in {"authorization", "proxy-authorization"}:
            register_secret(value.partition(" ")[2] or value)
        elif lower in {"cookie", "set-cookie"}:
            for pair in _cookie_pairs(value, lower == "set-cookie"):
                register_secret(pair)
        else:
            register_secret(value)


def _cookie_pairs(value: str, set_cookie: bool) -> Sequence[str]:
    pairs = value.split(";")[:1] if set_cookie else value.split(";")
    values = [pair.partition("=")[2].strip().strip('"') for pair in pairs if "=" in pair]
    # Short values ("en", "true") are preferences, not credentials; masking them would garble output.
    return [v for v in values if len(v) >= 8]


def _read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            chunks.append(chunk[: len(chunk) - (size - cap)])
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"
