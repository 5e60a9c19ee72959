"""Assertions the property and building-permit checks share (no checks here).

Each states one rule of those specs' common shape — an answer valid against its
schema, a 422 naming the member — so both check modules phrase a failure the
same way. (401 probes and refusals are in ``shared``: every component has them.)
"""

from __future__ import annotations

from typing import Any

from felles.runner.assertions import expect_json_body, expect_problem
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
