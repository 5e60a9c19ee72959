"""How a check says the system under test broke a requirement, and how a run stops.

``ConformanceFailure`` is an ``AssertionError`` so Hypothesis shrinks on it
and pytest reports it as a failure; anything else a check raises is the
suite's or the environment's error and is never blamed on the vendor.

``RunStopped`` and its kinds end a check at once when the target stops
answering or the run's deadline passes. They derive from ``BaseException``
(like ``KeyboardInterrupt``) on purpose: Hypothesis then does not replay and
shrink the example, which against a silent target would mean waiting for
the timeout hundreds of times.
"""

from __future__ import annotations


class ConformanceFailure(AssertionError):  # noqa: N818 - reads naturally at call sites
    """The system under test did not do what the requirement says."""


def expect(condition: bool, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConformanceFailure(message)


class RunStopped(BaseException):
    """Abandon the running check: the run cannot usefully go on (see subclasses)."""

    kind = "stopped"

    def __init__(
        self, message: str, *, hint: str | None = None, stops_run: bool = False, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.reason = reason or message  # the message without the request it is about
        # True: not just this check; every check after it is not run either.
        self.stops_run = stops_run

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class TargetDown(RunStopped):
    """No usable answer at the transport level: refused, reset, timed out, TLS, not HTTP, 503."""

    kind = "unreachable"


class DeadlineReached(RunStopped):
    """The run's overall ``--deadline`` passed."""

    kind = "deadline"

    def __init__(self, message: str, *, hint: str | None = None, stops_run: bool = True) -> None:
        super().__init__(message, hint=hint, stops_run=stops_run)


class UnsafeLink(Exception):  # noqa: N818 - names the situation, not an error class
    """A link from the target leads to another origin; the suite does not send credentials there.

    An error (not a failure): either the system builds its links from the
    wrong host name, or the suite was pointed at it under another one.
    """
