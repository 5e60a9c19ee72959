"""The order of checks for ``--workers``: longest first, dealt out so each worker starts long.

pytest-xdist's ``worksteal`` scheduler hands each worker an equal contiguous
slice of the collection and lets an idle worker steal the tail of a busy
one's queue. The application checks that send the full example count of
generated submissions are most of a run; in collection order they sat
together at the end, so one worker got all of them and the run waited for it
(1.39x at 2 workers). Sorted by estimated cost and dealt round-robin, every
slice starts with its share of long checks and ends with short ones, which
are what gets stolen.

The estimate is the number of generated examples a check asks for, read from
its source: bare ``@examples`` means the run's ``--examples``,
``@examples(max_examples=N)`` means N. Only the order changes: each check's
seed, data and verdict are the same as in a serial run.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Final, TypeVar

__all__ = ["estimated_cost", "for_workers"]

Item = TypeVar("Item")

_EXAMPLES: Final = re.compile(r"@examples(?:\(max_examples=(\d+)\))?\s*$", re.MULTILINE)


@lru_cache(maxsize=512)
def _declared(function: Callable[..., Any]) -> tuple[int | None, ...]:
    """The example counts a check's ``@examples`` decorators ask for (None: the run's count)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return ()
    return tuple(int(found) if found else None for found in _EXAMPLES.findall(source))


def estimated_cost(function: Callable[..., Any], examples: int) -> int:
    """Generated examples the check will run (at least 1: every check costs something)."""
    return 1 + sum(min(count, examples) if count else examples for count in _declared(function))


def for_workers(items: Sequence[Item], workers: int, cost: Callable[[Item], int]) -> list[Item]:
    """``items`` longest first, dealt round-robin into ``workers`` runs laid end to end."""
    ranked = sorted(items, key=cost, reverse=True)  # stable: ties keep the collection order
    return [item for lane in range(workers) for item in ranked[lane::workers]]
