"""The pluggable steps of a dream: extraction, judgement and pattern wording.

Each is a small protocol.  The offline implementations are the defaults; a
Claude-backed implementation registers under another name (``"claude"``) and
the pipeline picks it by configuration, without changing.

* :class:`Extractor`: pending sessions -> candidate memories.
* :class:`Judge`: the cases the offline consolidation could not settle ->
  verdicts (duplicate / update / distinct).
* :class:`PatternWriter`: communities of related memories that recur across
  sessions -> pattern memories citing their evidence.

Stages get a :class:`StageContext` (warnings, a cost meter when a model is
used); they never touch the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dreaming.records import Candidate, Memory, PendingSession


@dataclass(kw_only=True)
class StageContext:
    """What a stage may use besides its input."""

    warnings: list[str] = field(default_factory=list)
    #: a ``dreaming.cost.meter.CostMeter`` when a model-backed stage runs
    meter: Any = None
    #: a ``dreaming.llm.client.LLMClient`` (sharing ``meter``) when a model-backed stage runs
    client: Any = None
    #: stage name -> model id, for model-backed stages
    models: dict[str, str] = field(default_factory=dict)
    #: model-backed stages that failed and fell back to offline
    partial: list[str] = field(default_factory=list)
    #: people the store knows (the accounts its sessions ran under): with two or more, what someone
    #: says of themselves is about them by name, not about "the user"
    people: set[str] = field(default_factory=set)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class Extractor(Protocol):
    name: str

    def extract(self, sessions: Sequence[PendingSession], ctx: StageContext) -> list[Candidate]: ...


@dataclass(frozen=True, kw_only=True)
class JudgeCase:
    """Two memories the offline core could not decide about."""

    case_id: str
    a: Memory
    b: Memory
    score: float
    why: str


@dataclass(frozen=True, kw_only=True)
class JudgeVerdict:
    """``duplicate`` (``merged`` holds the wording), ``update`` (``current``
    names the id that stays true), ``distinct``, or ``undecided``."""

    case_id: str
    decision: str
    reason: str
    current: str | None = None
    merged: str | None = None
    confidence: float | None = None


class Judge(Protocol):
    name: str

    def judge(self, cases: Sequence[JudgeCase], ctx: StageContext) -> list[JudgeVerdict]: ...


@dataclass(frozen=True, kw_only=True)
class Community:
    """Related memories that recur across sessions (a pattern candidate)."""

    community_id: str
    members: tuple[Memory, ...]
    sessions: tuple[str, ...]
    terms: tuple[str, ...]


class PatternWriter(Protocol):
    name: str

    def write(self, communities: Sequence[Community], ctx: StageContext) -> list[Candidate]: ...


# --- the registry --------------------------------------------------------------

_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {"extract": {}, "judge": {}, "patterns": {}}


def register(stage: str, name: str, factory: Callable[..., Any]) -> None:
    """Make ``factory(**options)`` available as ``name`` for ``stage``."""
    if stage not in _REGISTRY:
        raise ValueError(f"unknown stage {stage!r}; stages are {', '.join(_REGISTRY)}")
    _REGISTRY[stage][name] = factory


def create(stage: str, name: str, **options: Any) -> Any:
    from dreaming.errors import DreamingError

    try:
        factory = _REGISTRY[stage][name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY.get(stage, {}))) or "none"
        raise DreamingError(f"no {stage} stage named {name!r} (available: {known})") from None
    return factory(**options)


def available(stage: str) -> list[str]:
    return sorted(_REGISTRY[stage])


# --- offline defaults ----------------------------------------------------------


class _OfflineExtractor:
    name = "offline"

    def __init__(self, **options: Any):
        from dreaming.extract import ExtractConfig, OfflineExtractor

        self._inner = OfflineExtractor(ExtractConfig(**options))

    def extract(self, sessions: Sequence[PendingSession], ctx: StageContext) -> list[Candidate]:
        return self._inner.extract(sessions, people=ctx.people)


def _offline_judge(**options: Any) -> Any:
    from dreaming.judge.offline import OfflineJudge

    return OfflineJudge(**options)


def _offline_patterns(**options: Any) -> Any:
    from dreaming.patterns.communities import TemplatePatternWriter

    return TemplatePatternWriter(**options)


def _claude(module: str, cls: str) -> Callable[..., Any]:
    """A factory importing the Claude stage only when it is asked for (offline runs never load it)."""

    def factory(**options: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls)(**options)

    return factory


register("extract", "offline", _OfflineExtractor)
register("judge", "offline", _offline_judge)
register("patterns", "offline", _offline_patterns)
register("extract", "claude", _claude("dreaming.extract.claude", "ClaudeExtractor"))
register("judge", "claude", _claude("dreaming.judge.claude", "ClaudeJudge"))
register("patterns", "claude", _claude("dreaming.patterns.claude", "ClaudePatternWriter"))
