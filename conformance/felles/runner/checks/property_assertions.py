"""Assertions the property and building-permit checks share (no checks here).

Each states one rule of those specs' common shape — a 422 naming the member,
a 401 with a Bearer challenge, a refusal with a problem body — so both check
modules phrase a failure the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from felles.runner.assertions import expect_json_body, expect_problem, header
from felles.runner.checks.shared import problem_detail
from felles.runner.client import Response
from felles.runner.failures import expect
from felles.standard.validation import SchemaValidator


def expect_answer(response: Response, status: int, validator: SchemaValidator, what: str) -> dict[str, Any]:
    """The JSON body of a ``status`` answer to ``what``, valid against ``validator``."""
    expect(
        response.status_code == status,
        f"{what} answered {response.status_code}, not {status}" + problem_detail(response),
    )
    return dict(expect_json_body(response, validator))


def expect_rejected_at(response: Response, pointer: str, what: str, *codes: int) -> None:
    """``codes`` (default 422) with a problem whose ``errors`` name ``pointer``."""
    codes = codes or (422,)
    expect(
        response.status_code in codes,
        f"{what} was answered {response.status_code}, not {' or '.join(map(str, codes))}"
        + problem_detail(response),
    )
    problem = expect_problem(response, *codes)
    pointers = [str(e.get("pointer")) for e in problem.get("errors", []) if isinstance(e, dict)]
    expect(pointer in pointers, f"{what}: the problem points at {pointers}, not {pointer}")


def expect_unauthenticated(probes: Iterable[tuple[str, Callable[[], Response]]]) -> None:
    """Each probe, sent without a valid token, is a 401 problem with ``WWW-Authenticate: Bearer``."""
    for what, send in probes:
        response = send()
        expect(
            response.status_code == 401,
            f"{what} without a valid token answered {response.status_code}, not 401",
        )
        expect_problem(response, 401)
        challenge = header(response, "WWW-Authenticate") or ""
        expect(challenge.lower().startswith("bearer"), f"{what}: 401 without WWW-Authenticate: Bearer")


def expect_refused(attempts: Iterable[tuple[str, Response]], status: int) -> None:
    """Each ``(what, response)`` is a ``status`` problem (403 for a scope, 404 for another kommune)."""
    for what, response in attempts:
        expect(response.status_code == status, f"{what} answered {response.status_code}, not {status}")
        expect_problem(response, status)
