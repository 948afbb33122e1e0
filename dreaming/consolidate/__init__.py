"""The consolidation core: fuzzy de-duplication and stale-fact replacement.

Pure functions over :class:`dreaming.records.Memory`; see :mod:`.engine`.
"""

from __future__ import annotations

from .engine import consolidate, count_duplicate_pairs, count_stale
from .results import Ambiguous, Conflict, Consolidation, ConsolidationConfig, Merge, Supersede
from .text import normalise

__all__ = [
    "Ambiguous",
    "Conflict",
    "Consolidation",
    "ConsolidationConfig",
    "Merge",
    "Supersede",
    "consolidate",
    "count_duplicate_pairs",
    "count_stale",
    "normalise",
]
