"""Size figures of one version: what a full-context prompt would carry.

``tokens`` approximates the input tokens of a prompt that holds the whole
version, one memory per line as ``- <content>``: for each memory, one token
per 3 UTF-8 bytes of that line, rounded up (``dreaming.llm.tokens``, the
project's token approximation, which over-counts English by roughly 15-30 %;
the same rule for both versions, so the ratio is what matters).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dreaming.consolidate import ConsolidationConfig, count_duplicate_pairs, count_stale
from dreaming.llm.tokens import approx_tokens
from dreaming.records import Memory
from dreaming.store.core import Store


def prompt_tokens(memories: Iterable[Memory]) -> int:
    """Approximate tokens of a prompt listing ``memories``, one ``- content`` line each."""
    return sum(approx_tokens(f"- {m.content}\n") for m in memories)


@dataclass(frozen=True, kw_only=True)
class SizeFigures:
    """How big a version is, and how much consolidation work it still holds."""

    memories: int
    tokens: int
    duplicates: int
    """Pairs of memories the consolidation engine would merge."""
    superseded: int
    """Facts a newer value supersedes, still active."""

    def to_json(self) -> dict[str, Any]:
        return {
            "memories": self.memories, "tokens": self.tokens,
            "duplicates": self.duplicates, "superseded": self.superseded,
        }

    def __add__(self, other: SizeFigures) -> SizeFigures:
        return SizeFigures(
            memories=self.memories + other.memories,
            tokens=self.tokens + other.tokens,
            duplicates=self.duplicates + other.duplicates,
            superseded=self.superseded + other.superseded,
        )


def measure(store: Store, version: int, *, consolidation: ConsolidationConfig | None = None) -> SizeFigures:
    """The size figures of ``version`` of ``store``."""
    memories = store.snapshot(version)
    config = consolidation or ConsolidationConfig()
    return SizeFigures(
        memories=len(memories),
        tokens=prompt_tokens(memories),
        duplicates=count_duplicate_pairs(memories, config=config),
        superseded=count_stale(memories, config=config),
    )
