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


def with_shrink_budget(test: T, budget: int) -> T:
    """Wrap the inner body of a ``@given`` test (``test.hypothesis.inner_test``) in a budget."""
    hypothesis_handle: Any = getattr(test, "hypothesis")  # noqa: B009 - typed as Any on purpose
    inner: Callable[..., None] = hypothesis_handle.inner_test
    failing: set[str] = set()
    spent = [0]

    def key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        return repr((args, sorted(kwargs.items())))

    @functools.wraps(inner)
    def budgeted(*args: Any, **kwargs: Any) -> None:
        # The key (a repr of the whole payload) is only needed once something has failed.
        if failing and key_of(args, kwargs) not in failing:
            if spent[0] >= budget:
                return
            spent[0] += 1
        try:
            inner(*args, **kwargs)
        except HypothesisException:
            raise  # assume() and Hypothesis' own control flow: not a failure of the target
        except Exception:
            failing.add(key_of(args, kwargs))
            raise

    hypothesis_handle.inner_test = budgeted
    return test
