"""RFC 9457 problem details: the one shape of every error the reference answers.

Handlers raise :class:`ProblemError`; the app turns it (and Starlette's own
404/405, and any crash) into ``application/problem+json``. The problem types
are a small fixed vocabulary under :data:`PROBLEM_BASE`, so clients can
branch on ``type`` rather than parse ``title``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_BASE = "https://felles.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger("felles.reference")


class ProblemType(Enum):
    """The problem types the reference uses, with their default status and title."""

    BAD_REQUEST = ("bad-request", 400, "Bad request")
    VALIDATION = ("validation", 422, "Request body is invalid")
    UNAUTHORIZED = ("unauthorized", 401, "Authentication required")
    FORBIDDEN = ("forbidden", 403, "Insufficient scope")
    NOT_FOUND = ("not-found", 404, "Not found")
    METHOD_NOT_ALLOWED = ("method-not-allowed", 405, "Method not allowed")
    CONFLICT = ("conflict", 409, "Conflict with the current state")
    PRECONDITION_FAILED = ("precondition-failed", 412, "Precondition failed")
    PAYLOAD_TOO_LARGE = ("payload-too-large", 413, "Request body too large")
    UNSUPPORTED_MEDIA_TYPE = ("unsupported-media-type", 415, "Unsupported media type")
    IDEMPOTENCY_KEY_REUSE = (
        "idempotency-key-reuse",
        422,
        "Idempotency-Key reused with another body",
    )
    INTERNAL = ("internal", 500, "Internal server error")

    def __init__(self, slug: str, status: int, title: str) -> None:
        self.slug = slug
        self.status = status
        self.title = title

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


@dataclass(frozen=True)
class FieldProblem:
    """One invalid member of a request body, by JSON Pointer."""

    pointer: str
    detail: str


class ProblemError(Exception):
    """Raised by handlers to answer with a problem; never escapes the app."""

    def __init__(
        self,
        problem: ProblemType,
        detail: str | None = None,
        *,
        status: int | None = None,
        errors: Sequence[FieldProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or problem.title)
        self.problem = problem
        self.status = status if status is not None else problem.status
        self.detail = detail
        self.errors = tuple(errors)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": self.problem.uri,
            "title": self.problem.title,
            "status": self.status,
        }
        if self.detail:
            document["detail"] = self.detail
        if self.errors:
            document["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in self.errors]
        return document

    def response(self) -> Response:
        return problem_response(self.body(), self.status, self.headers)


def problem_response(
    body: Mapping[str, Any], status: int, headers: Mapping[str, str] | None = None
) -> Response:
    # ensure_ascii: a detail quoting the request (an id from the path) can never fail to encode.
    content = json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return Response(content, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


_STATUS_TYPES = {p.status: p for p in ProblemType if p is not ProblemType.IDEMPOTENCY_KEY_REUSE}


async def handle_problem(request: Request, exc: Exception) -> Response:
    """Exception handler for :class:`ProblemError`."""
    assert isinstance(exc, ProblemError)
    return exc.response()


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown route 404, wrong method 405, ...) as problems."""
    assert isinstance(exc, HTTPException)
    fallback = ProblemType.INTERNAL if exc.status_code >= 500 else ProblemType.BAD_REQUEST
    problem = _STATUS_TYPES.get(exc.status_code, fallback)
    detail = {
        404: f"no resource at {request.url.path}",
        405: f"{request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code)
    return ProblemError(problem, detail, status=exc.status_code, headers=exc.headers).response()


class CrashBarrier:
    """Outermost app middleware: any unexpected exception becomes a bare 500 problem.

    The exception is logged here with its traceback; the client sees no
    exception text, no stack, no internals. Starlette's own
    ``ServerErrorMiddleware`` would re-raise after answering, which makes
    every server log the same crash twice.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # too late for a problem body; let the server drop the connection
            response = ProblemError(
                ProblemType.INTERNAL, "The server failed to handle the request."
            ).response()
            await response(scope, receive, send)
