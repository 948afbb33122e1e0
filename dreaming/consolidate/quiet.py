"""Pausing the cyclic garbage collector while the core allocates.

The consolidation core builds millions of small acyclic objects (tuples,
records, the words of every text); with a big heap each automatic
collection rescans all of them, which costs a quarter of a run at 100k
memories.  Reference counting still frees everything.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_gc() -> Iterator[None]:
    """Pause the collector for the block; its previous state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
