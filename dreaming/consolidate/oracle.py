"""The exact all-pairs reference: every pair scored, nothing skipped.

This is the plain, obviously-correct path the fast one (:mod:`.blocking`) is
tested against: rapidfuzz's ``cdist`` over all normal forms, cut into row
chunks so memory stays bounded (a full 100k x 100k matrix would be 10 GB).
It is quadratic -- minutes at 100k, hours at a million -- so the engine only
uses it when the input is small enough for it to be cheap
(``ConsolidationConfig.exact_pair_budget``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

import numpy as np
from rapidfuzz import fuzz, process

from dreaming.consolidate import slots
from dreaming.consolidate.text import normalise

#: Rows per cdist call; 512 x 1M uint8 scores = 512 MB at most.
_ROWS = 512


def exact_pairs(
    norms: Sequence[str],
    *,
    threshold: float,
    fresh: np.ndarray | None = None,
    workers: int = -1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``i < j`` of normal forms with ``ratio >= threshold``.

    ``fresh`` (a boolean mask) restricts the pairs to those with at least one
    fresh side.  Returns ``(i, j, score)`` arrays sorted by ``(i, j)``.
    """
    n = len(norms)
    rows = np.arange(n) if fresh is None else np.flatnonzero(fresh)
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_s: list[np.ndarray] = []
    for start in range(0, len(rows), _ROWS):
        chunk = rows[start : start + _ROWS]
        # Only columns after the chunk's first row can pair with it as j > i
        # (for fresh rows: every column, since an old j may precede i).
        first = int(chunk[0]) if fresh is None else 0
        scores = process.cdist(
            [norms[int(r)] for r in chunk],
            norms[first:] if isinstance(norms, list) else list(norms[first:]),
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=threshold,
            workers=workers,
            dtype=np.float32,
        )
        qi, cj = np.nonzero(scores)
        i = chunk[qi]
        j = cj + first
        keep = i != j
        i, j, s = i[keep], j[keep], scores[qi[keep], cj[keep]]
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        found_i.append(lo)
        found_j.append(hi)
        found_s.append(s)
    if not found_i:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    i = np.concatenate(found_i).astype(np.int64)
    j = np.concatenate(found_j).astype(np.int64)
    s = np.concatenate(found_s)
    code, first_index = np.unique(i * n + j, return_index=True)
    return code // n, code % n, s[first_index]


def exact_memory_pairs(contents: Sequence[str], *, threshold: float, workers: int = -1) -> set[tuple[int, int]]:
    """Pairs of raw texts whose normal forms score ``>= threshold``.

    Independent of the engine's own normalisation bookkeeping: rapidfuzz
    applies :func:`.text.normalise` as the ``processor`` here, so tests can
    check the whole fast path (normalise, group, block, score) against it.
    """
    scores = process.cdist(
        contents,
        contents,
        scorer=fuzz.ratio,
        processor=normalise,
        score_cutoff=threshold,
        workers=workers,
        dtype=np.float32,
    )
    i, j = np.nonzero(np.triu(scores, k=1))
    return set(zip(i.tolist(), j.tolist()))


def slot_choices(
    entries: Sequence[slots.Entry], names: Collection[str]
) -> tuple[dict[int, tuple[tuple[str, ...], str]], dict[int, slots._Reading]]:
    """Every memory's phrasing, the plain way: all readings of every memory
    kept in dicts, then counted and chosen (module doc of :mod:`.slots`,
    point 1).  The reference for ``slots._choose``, which returns the same
    choices restricted to phrasings that two subjects choose."""
    subjects: dict[int, tuple[tuple[str, ...], str]] = {}
    readings: dict[int, list[slots._Reading]] = {}
    key_count: dict[str, int] = defaultdict(int)
    for index, entry in enumerate(entries):
        content = entry.content
        if entry.statement is not None and entry.statement.negated:
            continue
        if not entry.capitals and not slots._SELF_RE.search(content):
            continue
        found = slots._read(content, names)
        if found is None:
            continue
        subject, subject_text, options = found
        subjects[index] = (subject, subject_text)
        readings[index] = options
        for option in options:
            key_count[option.key] += 1
    key_subjects: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    key_values: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for index, options in readings.items():
        subject = subjects[index][0]
        for option in options:
            if key_count[option.key] >= 2:
                key_subjects[option.key].add(subject)
                key_values[option.key].add(option.value)
    chosen: dict[int, slots._Reading] = {}
    for index, options in readings.items():
        real = [o for o in options if len(key_subjects.get(o.key, ())) >= 2 and len(key_values[o.key]) >= 2]
        if real:
            chosen[index] = min(real, key=lambda o: (-len(key_subjects[o.key]), -len(key_values[o.key]), o.key))
    return subjects, chosen


def slot_supporters(
    kept: slots._Kept, phrasings: dict[str, list[int]], observed: Sequence[datetime | None]
) -> dict[tuple[str, str], set[tuple[str, ...]]]:
    """The evidence, the plain way: per person and value, the times each
    phrasing stated it, then every pair of phrasings (module doc of
    :mod:`.slots`, point 2).  The reference for ``slots._supporters``."""
    said: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, set[datetime | None]]] = defaultdict(dict)
    for key, idx in phrasings.items():
        for p in idx:
            said[(kept.subject[p], kept.value[p])].setdefault(key, set()).add(observed[p])
    supporters: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for (subject, _), by_key in said.items():
        if not 2 <= len(by_key) <= slots._MAX_PHRASINGS:
            continue
        keys = sorted(by_key)
        for x, a in enumerate(keys):
            for b in keys[x + 1 :]:
                if len(by_key[a] | by_key[b]) > 1:  # at different times
                    supporters[(a, b)].add(subject)
    return supporters
