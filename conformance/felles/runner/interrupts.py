"""Ctrl-C that always lands, and lands quietly.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be
when SIGINT arrives. If that is inside a garbage-collector callback (which
Hypothesis installs) or a ``__del__``, the exception is "ignored": printed as
a traceback and otherwise lost, and the run goes on. During a run the suite
therefore installs its own SIGINT handler that, besides raising, keeps
re-raising every half second until pytest confirms that it saw the interrupt
(``acknowledge``, called from the plugin's ``pytest_keyboard_interrupt``).
Interrupts swallowed that way are not printed.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

_REPEAT_S = 0.5


@dataclass
class _State:
    requested: threading.Event = field(default_factory=threading.Event)
    acknowledged: threading.Event = field(default_factory=threading.Event)


_state = _State()


def acknowledge() -> None:
    """pytest has caught the KeyboardInterrupt and is winding the run down."""
    _state.acknowledged.set()


@contextmanager
def reliable_sigint() -> Iterator[threading.Event]:
    """Within: SIGINT interrupts for sure. Yields an event that is set if SIGINT came."""
    if threading.current_thread() is not threading.main_thread():
        yield _state.requested
        return
    _state.requested.clear()
    _state.acknowledged.clear()
    done = threading.Event()

    def repeat() -> None:
        while not done.wait(_REPEAT_S) and not _state.acknowledged.is_set():
            _thread.interrupt_main()

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        if _state.acknowledged.is_set():
            return  # pytest is already winding down; a second interrupt would cut that short
        if not _state.requested.is_set():
            _state.requested.set()
            threading.Thread(target=repeat, name="felles-sigint", daemon=True).start()
        raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGINT, handler)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = quiet_unraisable_hook
    try:
        yield _state.requested
    finally:
        done.set()
        signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook


def quiet_unraisable_hook(unraisable: Any) -> None:
    """Drop a swallowed KeyboardInterrupt silently; anything else on one line, no traceback."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    print(
        f"felles: note: ignored {type(unraisable.exc_value).__name__}: {unraisable.exc_value}",
        file=sys.stderr,
    )
