"""The pipeline: a dream as named stages run in order.

    ingest -> load -> extract -> normalise -> consolidate -> judge -> patterns -> plan -> write

:mod:`.run` runs them (``dream``, ``DreamConfig``, ``DreamReport``);
:mod:`.stages` holds what a stage implementation may use (the context, the
protocols, the registry); :mod:`.claude` and :mod:`.prompts` what the
Claude-backed stages share; :mod:`.progress` the progress protocol.

Importing this package imports nothing else: ``dream`` and its records are
loaded on first use, so a stage implementation can import
``dreaming.pipeline.stages`` without loading the orchestrator.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DreamConfig", "DreamReport", "dream"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dreaming.pipeline import run as _run

        return getattr(_run, name)
    raise AttributeError(f"module 'dreaming.pipeline' has no attribute {name!r}")
