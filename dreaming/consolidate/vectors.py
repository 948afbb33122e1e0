"""Sentence vectors for the second pass (:mod:`.meaning`): computed once per stored state, read back.

The vector itself is :mod:`dreaming.text.vectors` (wordllama's static
embedding, offline, float16 precision): a 256-dimension unit vector, a bag
of words, so it is one feature among others (:mod:`.pairs`), never a
decision on its own.

The store computes the vector of every state it writes, once, keyed by the
content's hash (``Store.vectors``).  :class:`StoredEmbedder` reads those and
embeds only the texts the store does not hold (new candidates, a merge's
new wording), so a dream never re-embeds the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np

from dreaming.records import sha256_text
from dreaming.text import vectors as _vectors

DIMENSIONS = _vectors.DIMENSIONS


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32)."""
        ...


class WordLlamaEmbedder:
    """Every text embedded now (see :func:`dreaming.text.vectors.embed`)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return _vectors.embed(texts)


class StoredEmbedder:
    """The vectors ``lookup`` holds (content sha256 -> vector; the store's),
    the rest embedded by ``fallback``: the same rows as :class:`WordLlamaEmbedder`.
    ``stored`` / ``embedded`` count the texts served each way."""

    def __init__(
        self, lookup: Callable[[Sequence[str]], Mapping[str, np.ndarray]], fallback: Embedder | None = None
    ) -> None:
        self.lookup = lookup
        self.fallback = fallback or WordLlamaEmbedder()
        self.stored = 0
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        shas = [sha256_text(t) for t in texts]
        known = self.lookup(sorted(set(shas)))
        missing: dict[str, list[int]] = {}
        for row, (text, sha) in enumerate(zip(texts, shas)):
            vector = known.get(sha)
            if vector is None:
                missing.setdefault(text, []).append(row)
            else:
                out[row] = vector
        self.stored = len(texts) - sum(len(rows) for rows in missing.values())
        if missing:
            computed = self.fallback.embed(list(missing))
            for vector, rows in zip(computed, missing.values()):
                out[rows] = vector
        self.embedded = len(missing)
        return out


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(a @ b.T, dtype=np.float32)
