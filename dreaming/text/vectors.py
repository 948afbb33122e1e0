"""Sentence vectors, offline: wordllama's static embedding, shipped inside its wheel.

A text's meaning as a 256-dimension unit vector: the mean of its tokens'
embeddings, so two phrasings of one fact land close together ("Our CI runs
on GitHub Actions" / "The CI pipeline is GitHub Actions.": 0.70; unrelated
pairs: about 0).  It is a bag of words -- word order does not count.

A vector is *defined* at half precision: wordllama's float32 vector rounded
to float16 (:func:`embed` returns those values as float32 for arithmetic).
That is what the store keeps per distinct content (512 bytes,
:func:`to_blob` / :func:`from_blobs`), so a memory's vector is the same
whether it was read from the store or computed on the fly; the rounding
moves a cosine by at most ~2e-4.

The weights and the tokenizer ship in the ``wordllama`` wheel; nothing is
downloaded (``disable_download=True``, and the package's own folder as the
cache, where the 0.4 wheel keeps its tokenizer).  Embedding 10,000 short
memories takes about 0.6 s on one core; loading, about 0.8 s (imports
included), once per process and only when something is embedded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 256
#: how a vector is stored: little-endian float16, DIMENSIONS of them
STORED_DTYPE = np.dtype("<f2")
BLOB_BYTES = DIMENSIONS * STORED_DTYPE.itemsize


@lru_cache(maxsize=1)
def _wordllama() -> Any:
    logging.getLogger("wordllama").setLevel(logging.WARNING)
    import wordllama
    from wordllama import WordLlama

    logging.getLogger("wordllama").setLevel(logging.WARNING)
    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors, one row per text, at the stored precision (float16 values as float32)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    raw = np.asarray(_wordllama().embed(list(texts), norm=True), dtype=np.float32)
    return raw.astype(STORED_DTYPE).astype(np.float32)


def to_blob(vector: np.ndarray) -> bytes:
    """One vector as the store keeps it."""
    return np.asarray(vector, dtype=STORED_DTYPE).tobytes()


def from_blobs(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored vectors back as a (len(blobs), DIMENSIONS) float32 matrix."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=STORED_DTYPE).reshape(len(blobs), DIMENSIONS).astype(np.float32)
