"""The HTTP client checks use: bounded, redacting, and recording evidence.

Every exchange is kept (redacted) so that a failure can show what was sent,
what came back and a curl line that reproduces it. Bodies are read up to a
cap so a hostile target cannot exhaust memory.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from felles.errors import TargetUnreachableError
from felles.report.model import Exchange
from felles.runner.curl import to_curl
from felles.runner.failures import ConformanceFailure
from felles.runner.secrets import redact, redact_headers
from felles.runner.tokens import TokenSource

SHOWN_BODY_CHARS = 4000


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

    def json(self) -> Any:
        """The body as JSON, or a conformance failure saying why it is not."""
        if self.truncated:
            raise ConformanceFailure(f"{self.method} {self.url}: body exceeds the size cap; not parsed")
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            raise ConformanceFailure(
                f"{self.method} {self.url} answered {self.status_code} with a body that is not JSON: "
                f"{_shorten(self.text, 200)!r}"
            ) from None


class Recorder:
    """The last few exchanges of the running check: its evidence on failure."""

    def __init__(self, keep: int = 6) -> None:
        self._exchanges: deque[Exchange] = deque(maxlen=keep)
        self.count = 0

    def add(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)
        self.count += 1

    def exchanges(self) -> list[Exchange]:
        return list(self._exchanges)

    def clear(self) -> None:
        self._exchanges.clear()


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._token = token
        self._recorder = recorder
        self._max_body = max_body_bytes

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
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str | int] | None = None,
        authenticated: bool = True,
        raw_token: str | None = None,
    ) -> Response:
        """Send one request. ``raw_token`` sends exactly that token (for auth checks)."""
        all_headers = {"Accept": "application/json, application/problem+json"}
        body: bytes | None = content
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        url = self.url(path)
        if raw_token is not None:
            all_headers["Authorization"] = f"Bearer {raw_token}"
        elif authenticated and self._token is not None:
            all_headers["Authorization"] = f"Bearer {self._token.token()}"
        response = self._send(method, url, all_headers, body, params)
        if (
            response.status_code == 401
            and raw_token is None
            and authenticated
            and self._token is not None
            and self._token.refreshable
        ):
            all_headers["Authorization"] = f"Bearer {self._token.refresh()}"
            response = self._send(method, url, all_headers, body, params)
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", path, json_body=body, **kwargs)

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        params: dict[str, str | int] | None,
    ) -> Response:
        request = self._http.build_request(method, url, headers=headers, content=body, params=params)
        started = time.perf_counter()
        try:
            raw = self._http.send(request, stream=True, follow_redirects=False)
            try:
                content, truncated = _read_capped(raw, self._max_body)
            finally:
                raw.close()
        except httpx.TimeoutException:
            self._record(request, body, None, None, b"", started)
            raise ConformanceFailure(
                f"{method} {redact(str(request.url))}: no answer within the timeout"
            ) from None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            self._record(request, body, None, None, b"", started)
            raise TargetUnreachableError(
                f"{method} {redact(str(request.url))}: {type(exc).__name__}: {exc}"
            ) from None
        response = Response(method, str(request.url), raw.status_code, raw.headers, content, truncated)
        self._record(request, body, raw.status_code, raw.headers, content, started)
        return response

    def _record(
        self,
        request: httpx.Request,
        body: bytes | None,
        status: int | None,
        headers: httpx.Headers | None,
        content: bytes,
        started: float,
    ) -> None:
        request_headers = dict(request.headers)
        body_text = body.decode("utf-8", errors="replace") if body is not None else None
        self._recorder.add(
            Exchange(
                method=request.method,
                url=redact(str(request.url)),
                request_headers=redact_headers(request_headers),
                request_body=_shorten(redact(body_text), SHOWN_BODY_CHARS) if body_text is not None else None,
                status_code=status,
                response_headers=redact_headers(dict(headers)) if headers is not None else {},
                response_body=_shorten(redact(content.decode("utf-8", errors="replace")), SHOWN_BODY_CHARS)
                if status is not None
                else None,
                curl=to_curl(request.method, redact(str(request.url)), request_headers, body_text),
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        )


def _read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], True
    return b"".join(chunks), False


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"
