"""The one place the eval suites run a dream (``dreaming.pipeline.run``).

The suites need only the version a dream wrote; this keeps the pipeline's
configuration surface out of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from dreaming import DreamConfig, dream
from dreaming.evals.progress import bar
from dreaming.store.core import Store


@dataclass(frozen=True, kw_only=True)
class DreamSettings:
    """How the suites dream (offline by default)."""

    llm: str = "off"


@dataclass(frozen=True, kw_only=True)
class DreamOutcome:
    version: int | None
    """The version the dream wrote (``None``: it wrote nothing)."""
    parent: int | None
    status: str


def dream_once(
    store: Store,
    *,
    transcripts: Sequence[Path] | None,
    settings: DreamSettings,
    progress: Progress | None = None,
) -> DreamOutcome:
    """One dream over ``store`` (after ingesting ``transcripts``; none: nothing is
    ingested, not even the default inbox), written as an accepted version."""
    config = DreamConfig(transcripts=tuple(transcripts or ()), llm=settings.llm, review=False)
    with bar(progress, f"dreaming over {store.path.parent.name}", 1) as advance:
        report = dream(store, config)
        advance()
    return DreamOutcome(version=report.version, parent=report.parent, status=report.status)
