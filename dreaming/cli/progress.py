"""Progress bars on stderr for the command line (the pipeline only knows :class:`dreaming.pipeline.progress.Progress`)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as _Bars


class RichProgress:
    """One bar per stage, on stderr; nothing is drawn when stderr is not a terminal."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.bars = _Bars(
            TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=self.console, disable=not self.console.is_terminal, transient=False,
        )
        self.task: TaskID | None = None
        self.bars.start()

    def stage(self, name: str, total: int | None = None) -> None:
        if self.task is not None:
            task = self.bars.tasks[-1]
            self.bars.update(self.task, completed=task.total or 1, total=task.total or 1)
        self.task = self.bars.add_task(name, total=total or 1)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.bars.advance(self.task, n)

    def close(self) -> None:
        if self.task is not None:
            task = self.bars.tasks[-1]
            self.bars.update(self.task, completed=task.total or 1)
        self.bars.stop()
