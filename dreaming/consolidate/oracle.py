"""The exact all-pairs reference: every pair scored, nothing skipped.

This is the plain, obviously-correct path the fast one (:mod:`.blocking`) is
tested against: rapidfuzz's ``cdist`` over all normal forms, cut into row
chunks so memory stays bounded (a full 100k x 100k matrix would be 10 GB).
It is quadratic -- minutes at 100k, hours at a million -- so the engine only
uses it when the input is small enough for it to be cheap
(``ConsolidationConfig.exact_pair_budget``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

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


