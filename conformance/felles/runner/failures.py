"""How a check says the system under test broke a requirement.

``ConformanceFailure`` is an ``AssertionError`` so Hypothesis shrinks on it
and pytest reports it as a failure; anything else a check raises is the
suite's or the environment's error and is never blamed on the vendor.
"""

from __future__ import annotations


class ConformanceFailure(AssertionError):  # noqa: N818 - reads naturally at call sites
    """The system under test did not do what the requirement says."""


def expect(condition: bool, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConformanceFailure(message)
