"""The consolidation core: fuzzy de-duplication and stale-fact replacement.

Pure functions over :class:`dreaming.records.Memory`; see :mod:`.engine`.
"""

from __future__ import annotations

from dreaming.consolidate.engine import consolidate, count_duplicate_pairs, count_stale
from dreaming.consolidate.results import Ambiguous, Conflict, Consolidation, ConsolidationConfig, Merge, Supersede
from dreaming.consolidate.text import normal_form

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
    "normal_form",
]
