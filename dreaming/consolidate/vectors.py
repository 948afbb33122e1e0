"""Sentence vectors, offline: wordllama's static embedding, shipped inside its wheel.

A memory's meaning as a 256-dimension unit vector (float32): the mean of its
tokens' embeddings, so two phrasings of one fact land close together ("Our
CI runs on GitHub Actions" / "The CI pipeline is GitHub Actions.": 0.70;
unrelated pairs: about 0).  It is a bag of words -- word order does not
count -- so it is one feature among others (:mod:`.pairs`), never a decision
on its own.

The weights and the tokenizer ship in the ``wordllama`` wheel; nothing is
downloaded (``disable_download=True``, and the package's own folder as the
cache, where the 0.4 wheel keeps its tokenizer).  Embedding 1,000 short
memories takes about 25 ms on one core; loading, about 0.15 s, once per
process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DIMENSIONS = 256


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32)."""
        ...


@lru_cache(maxsize=1)
def _wordllama() -> Any:
    logging.getLogger("wordllama").setLevel(logging.WARNING)
    import wordllama
    from wordllama import WordLlama

    logging.getLogger("wordllama").setLevel(logging.WARNING)
    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


class WordLlamaEmbedder:
    """The default embedder (see the module doc)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = np.asarray(_wordllama().embed(list(texts), norm=True), dtype=np.float32)
        return vectors


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(a @ b.T, dtype=np.float32)
