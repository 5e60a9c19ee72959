"""Shrinking a failure may cost the target only a bounded number of extra requests."""

from __future__ import annotations

import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

from felles.runner.shrink_budget import with_shrink_budget


def _failing_check(calls: list[list[int]]) -> object:
    @settings(max_examples=50, database=None, phases=(Phase.generate, Phase.shrink), derandomize=True)
    @given(st.lists(st.integers(0, 1000), min_size=1, max_size=30))
    def check(values: list[int]) -> None:
        calls.append(values)  # one "request"
        assert sum(values) < 500

    return check


def _run(check: object) -> None:
    with pytest.raises(AssertionError):
        check()  # type: ignore[operator]


def test_unbounded_shrinking_sends_many_requests() -> None:
    """The baseline the budget exists for (if this stops holding, the budget test proves nothing)."""
    calls: list[list[int]] = []
    _run(_failing_check(calls))
    first_failure = next(i for i, v in enumerate(calls) if sum(v) >= 500)
    assert len(calls) - first_failure > 30


@pytest.mark.parametrize("budget", [0, 3, 10])
def test_after_the_first_failure_at_most_budget_candidates_reach_the_target(budget: int) -> None:
    calls: list[list[int]] = []
    _run(with_shrink_budget(_failing_check(calls), budget))
    first_failure = next(i for i, v in enumerate(calls) if sum(v) >= 500)
    failed = {tuple(calls[first_failure])}
    new_candidates = 0
    for values in calls[first_failure + 1 :]:
        if tuple(values) not in failed:  # replays of a failed example are not new traffic
            new_candidates += 1
        if sum(values) >= 500:
            failed.add(tuple(values))
    assert new_candidates <= budget


def test_the_reported_example_is_one_that_really_failed() -> None:
    calls: list[list[int]] = []
    check = with_shrink_budget(_failing_check(calls), 3)
    _run(check)
    last = calls[-1]  # Hypothesis replays the example it reports, last
    assert sum(last) >= 500
    assert calls.count(last) >= 2  # it failed when first sent, and again on the replay


def test_rejected_examples_are_not_failures() -> None:
    """``assume()`` rejections must not use up the budget or silence later examples."""
    calls: list[int] = []

    @settings(max_examples=30, database=None, phases=(Phase.generate,), derandomize=True)
    @given(st.integers(0, 100))
    def check(value: int) -> None:
        assume(value % 2 == 0)
        calls.append(value)
        assert value < 60

    with pytest.raises(AssertionError):
        with_shrink_budget(check, 0)()
    assert calls
    assert calls[-1] >= 60
