"""How common an English word is: word counts shipped in ``pyspellchecker``'s wheel (no download).

A statistic of the language, used where a stage must tell a name, a code or a
rare word from an ordinary one ("specific" words in extraction; the names
that start a memory in consolidation).
"""

from __future__ import annotations

import gzip
import json
import math
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def english_counts() -> tuple[dict[str, int], int]:
    """pyspellchecker's English word counts and their total."""
    import spellchecker

    with gzip.open(Path(spellchecker.__file__).parent / "resources" / "en.json.gz", "rt", encoding="utf-8") as f:
        counts: dict[str, int] = json.load(f)
    return counts, sum(counts.values())


def commonness(word: str) -> float:
    """log10 of ``word``'s frequency per billion English words (0: not an English word -- a name, a code)."""
    counts, total = english_counts()
    c = counts.get(word.lower().strip("'.,:;"))
    return max(0.0, math.log10(c / total * 1e9)) if c else 0.0
