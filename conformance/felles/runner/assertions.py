"""Assertions shared by every component's checks, phrased as the spec phrases them.

Each failure message says what the requirement expects and what came back,
so a vendor can act on it without reading the suite's source.
"""

from __future__ import annotations

from typing import Any

from felles.runner.client import Response
from felles.runner.failures import ConformanceFailure, expect
from felles.standard.registry import schema_uri
from felles.standard.validation import SchemaValidator, validator_for

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_validator() -> SchemaValidator:
    return validator_for(schema_uri("common", "1.0", "Problem"))


def expect_status(response: Response, *codes: int) -> None:
    wanted = " or ".join(str(c) for c in codes)
    expect(
        response.status_code in codes,
        f"{response.method} {response.url}: expected status {wanted}, got {response.status_code}"
        + _problem_hint(response)
        + response.explain(),
    )


def _problem_hint(response: Response) -> str:
    if response.media_type == PROBLEM_MEDIA_TYPE and not response.truncated:
        try:
            body = response.json()
        except ConformanceFailure:
            return ""
        if isinstance(body, dict) and body.get("detail"):
            return f" (detail: {str(body['detail'])[:200]})"
    return ""


def expect_valid(instance: Any, validator: SchemaValidator, what: str) -> None:
    errors = validator.errors(instance)
    if errors:
        shown = "; ".join(f"{e.pointer or '/'}: {e.detail}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ConformanceFailure(f"{what} is not valid against {validator.schema_uri}: {shown}{more}")


def expect_json_body(response: Response, validator: SchemaValidator) -> Any:
    """The body, checked to be JSON (application/json or +json) and valid."""
    expect(
        response.media_type == "application/json" or response.media_type.endswith("+json"),
        f"{response.method} {response.url}: expected a JSON body, got Content-Type {response.media_type!r}"
        + response.explain(),
    )
    body = response.json()
    expect_valid(body, validator, f"{response.method} {response.url} response body")
    return body


def expect_problem(response: Response, *codes: int) -> dict[str, Any]:
    """An RFC 9457 problem with one of ``codes`` whose body follows Problem.schema.json."""
    expect_status(response, *codes)
    expect(
        response.media_type == PROBLEM_MEDIA_TYPE,
        f"{response.method} {response.url}: a {response.status_code} must be {PROBLEM_MEDIA_TYPE}, "
        f"got Content-Type {response.media_type!r}" + response.explain(),
    )
    body = response.json()
    expect_valid(body, problem_validator(), f"problem body of {response.status_code}")
    expect(
        body.get("status") == response.status_code,
        f"problem member status {body.get('status')!r} differs from the HTTP status {response.status_code}",
    )
    return dict(body)


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return str(value) if value is not None else None
