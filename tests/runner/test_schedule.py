"""Scheduling for --workers: long checks first and spread over the workers; nothing lost or doubled."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from felles.runner.schedule import estimated_cost, for_workers


def examples(test: Any = None, **_: Any) -> Any:  # stands in for the plugin's decorator
    return test if test is not None else (lambda inner: inner)


def full_property_check() -> None:
    @examples
    def attempt() -> None: ...


def small_property_check() -> None:
    @examples(max_examples=2)
    def attempt() -> None: ...

    @examples(max_examples=3)
    def again() -> None: ...


def plain_check() -> None:
    pass


def test_cost_is_the_examples_a_check_asks_for() -> None:
    assert estimated_cost(full_property_check, 25) == 26
    assert estimated_cost(full_property_check, 100) == 101
    assert estimated_cost(small_property_check, 25) == 6
    assert estimated_cost(small_property_check, 1) == 3  # never more than the run's --examples
    assert estimated_cost(plain_check, 25) == 1
    assert estimated_cost(len, 25) == 1  # no source: still a cost


def test_long_checks_are_dealt_to_every_worker_first() -> None:
    costs = {"a": 1, "b": 26, "c": 1, "d": 26, "e": 6, "f": 26, "g": 1, "h": 26}
    order = for_workers(list(costs), 2, costs.__getitem__)
    first_half, second_half = order[:4], order[4:]
    assert [costs[n] for n in first_half] == [26, 26, 6, 1]
    assert [costs[n] for n in second_half] == [26, 26, 1, 1]
    assert order[0] == "b"
    assert order[4] == "d"


@given(st.lists(st.integers(0, 100)), st.integers(1, 8))
def test_every_check_is_scheduled_exactly_once(costs: list[int], workers: int) -> None:
    items = list(range(len(costs)))
    order = for_workers(items, workers, costs.__getitem__)
    assert sorted(order) == items
