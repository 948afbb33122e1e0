"""Top-k retrieval of memories for a question, from one version alone.

Retrieval is the store's own full-text search (SQLite FTS5, bm25 ranking;
``Store.search``).  The store's FTS index holds every state of every
version, and bm25's term statistics come from the whole index, so the same
version would rank differently once a later version is written.  To give
each version the ranking it would have on its own, the version's snapshot is
copied into a scratch store (same memory ids, contents and provenance) and
searched there: the numbers of a version depend on that version only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dreaming.records import Memory
from dreaming.store.core import Store


@dataclass(frozen=True, kw_only=True)
class Hit:
    """One retrieved memory, as the answerer sees it."""

    memory_id: str
    content: str
    score: float
    evidence_ids: frozenset[str]
    """Every id its provenance cites: turn ids, ``session#turn`` ids and sources."""


def evidence_ids(memory: Memory) -> frozenset[str]:
    """The ids a task's ``evidence`` may use to name this memory's provenance."""
    ids: set[str] = set()
    for ev in memory.provenance:
        for turn in ev.turn_ids:
            ids.add(turn)
            if ev.session_id is not None:
                ids.add(f"{ev.session_id}#{turn}")
        if ev.source is not None:
            ids.add(ev.source)
    return frozenset(ids)


def evidence_recall(evidence: Sequence[str], hits: Sequence[Hit]) -> float | None:
    """Share of the gold evidence ids cited by the hits' provenance (``None``: no gold evidence)."""
    gold = set(evidence)
    if not gold:
        return None
    cited: set[str] = set()
    for hit in hits:
        cited |= hit.evidence_ids
    return len(gold & cited) / len(gold)


class VersionIndex:
    """A version's memories in a scratch store of their own, ready to search."""

    def __init__(self, store: Store, version: int):
        self._store = store
        self._version = version
        self.memories = store.count(version)

    def search(self, question: str, *, k: int) -> tuple[Hit, ...]:
        """The ``k`` best memories for ``question``, best first."""
        return tuple(
            Hit(memory_id=m.id, content=m.content, score=score, evidence_ids=evidence_ids(m))
            for m, score in self._store.search(question, version=self._version, limit=k)
        )


def copy_version(memories: Sequence[Memory], path: Path) -> Store:
    """A new store at ``path`` whose one version holds exactly ``memories``."""
    scratch = Store.open(path)
    if memories:
        scratch.import_memories(list(memories), message="eval copy", explicit_created=[m.id for m in memories])
    return scratch


@contextmanager
def version_index(store: Store, version: int, *, workdir: Path | None = None) -> Iterator[VersionIndex]:
    """An index over ``version`` of ``store`` alone; the scratch store is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="dreaming-eval-", dir=workdir) as tmp:
        scratch = copy_version(store.snapshot(version), Path(tmp) / f"v{version}.db")
        try:
            yield VersionIndex(scratch, scratch.head)
        finally:
            scratch.close()
