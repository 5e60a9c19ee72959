"""Bound what shrinking a failure costs the system under test.

Hypothesis shrinks a failing example to a minimal one by re-running the
check on smaller candidates. Each run is real HTTP traffic: a failed
pagination check once sent 10,600 requests while shrinking. After the first
failure only ``budget`` further candidates reach the target; later ones are
skipped (counted as passing), so the example reported is the smallest that
*really failed* within the budget — never one that was not sent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis.errors import HypothesisException

T = TypeVar("T")

DEFAULT_SHRINK_BUDGET = 10


def with_shrink_budget(test: T, budget: int = DEFAULT_SHRINK_BUDGET) -> T:
    """Wrap the inner body of a ``@given`` test (``test.hypothesis.inner_test``) in a budget."""
    hypothesis_handle: Any = getattr(test, "hypothesis")  # noqa: B009 - typed as Any on purpose
    inner: Callable[..., None] = hypothesis_handle.inner_test
    failing: set[str] = set()
    spent = [0]

    @functools.wraps(inner)
    def budgeted(*args: Any, **kwargs: Any) -> None:
        key = repr((args, sorted(kwargs.items())))
        if failing and key not in failing:
            if spent[0] >= budget:
                return
            spent[0] += 1
        try:
            inner(*args, **kwargs)
        except HypothesisException:
            raise  # assume() and Hypothesis' own control flow: not a failure of the target
        except Exception:
            failing.add(key)
            raise

    hypothesis_handle.inner_test = budgeted
    return test
