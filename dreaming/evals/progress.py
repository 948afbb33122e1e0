"""Progress bars for long eval work, or nothing.

Library functions take an optional ``rich.progress.Progress`` (the CLI makes
one on stderr); :func:`bar` gives them an ``advance`` callable either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def make_progress(console: Console) -> Progress:
    """Bars on ``console`` (normally stderr); silent when it is not a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextmanager
def bar(progress: Progress | None, description: str, total: int) -> Iterator[Callable[[], None]]:
    """A bar of ``total`` steps while the block runs; yields the function that advances it."""
    if progress is None:
        yield lambda: None
        return
    task = progress.add_task(description, total=total)
    try:
        yield lambda: progress.advance(task)
    finally:
        progress.remove_task(task)
