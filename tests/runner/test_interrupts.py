"""A Ctrl-C that Python swallows (in a gc callback, a __del__) is raised again until pytest sees it."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from felles.runner import interrupts


def _interrupted_within(limit_s: float) -> float | None:
    started = time.monotonic()
    try:
        while time.monotonic() - started < limit_s:
            time.sleep(0.01)
    except KeyboardInterrupt:
        return time.monotonic() - started
    return None


def test_a_swallowed_interrupt_comes_back_until_acknowledged() -> None:
    previous = signal.getsignal(signal.SIGINT)
    try:
        with interrupts.reliable_sigint() as requested:
            with contextlib.suppress(KeyboardInterrupt):  # lost, as in a gc callback
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
            assert requested.is_set()
            again = _interrupted_within(2.0)
            assert again is not None
            assert again < 0.8  # raised again by the watchdog
            interrupts.acknowledge()
            assert _interrupted_within(1.2) is None  # pytest saw it: no more
            os.kill(os.getpid(), signal.SIGINT)
            assert _interrupted_within(0.2) is None  # nor from a second Ctrl-C while it winds down
    except KeyboardInterrupt:
        pytest.fail("a KeyboardInterrupt escaped")
    assert signal.getsignal(signal.SIGINT) is previous


def test_without_sigint_nothing_happens() -> None:
    with interrupts.reliable_sigint() as requested:
        time.sleep(0.6)
    assert not requested.is_set()
