"""Failures Hypothesis groups (several distinct ones, or one it could not reproduce) are
still the target's failures, not suite errors."""

from __future__ import annotations

from hypothesis.errors import FlakyFailure

from felles.errors import TargetUnreachableError
from felles.runner.failures import ConformanceFailure
from felles.runner.plugin import grouped_failures


def test_flaky_conformance_failure_is_the_targets() -> None:
    seen = ConformanceFailure("another kommune's list includes this kommune's application")
    assert grouped_failures(FlakyFailure("unreliable", [seen])) == [seen]


def test_several_distinct_failures_are_the_targets() -> None:
    first, second = ConformanceFailure("a"), ConformanceFailure("b")
    assert grouped_failures(ExceptionGroup("2 distinct failures", [first, second])) == [first, second]


def test_anything_else_in_it_stays_an_error() -> None:
    assert grouped_failures(FlakyFailure("unreliable", [ValueError("suite bug")])) == []
    assert grouped_failures(ExceptionGroup("x", [ConformanceFailure("a"), KeyError("b")])) == []
    assert grouped_failures(FlakyFailure("unreliable", [TargetUnreachableError("down")])) == []
    assert grouped_failures(ConformanceFailure("plain")) == []
