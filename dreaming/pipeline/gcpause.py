"""The cyclic garbage collector paused while a dream runs.

A dream builds hundreds of thousands of small records (memories, changes,
their tuples and dicts) and keeps nearly all of them until it writes; the
collector, triggered by every 700 new objects, walks them again and again
and finds almost nothing to free (at 100k memories it was 13 of a 43-second
first dream).  Reference counting still frees everything that is not in a
cycle; the cycles a dream makes wait until the collector is back on.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic collection inside; the collector's previous state after.

    Nested uses are fine: only the outermost one turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def with_gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` run inside :func:`gc_paused`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return func(*args, **kwargs)

    return wrapper
