"""Progress on stderr while a dream works.  The pipeline calls a
:class:`Progress`; ``dreaming.cli.progress.RichProgress`` draws bars, :class:`NullProgress`
stays silent (tests, ``--quiet``, scripts)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass
