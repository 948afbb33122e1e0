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
from typing import TYPE_CHECKING, Any, Literal, Protocol

from dreaming.records import Candidate, Memory, PendingSession

if TYPE_CHECKING:
    from dreaming.cost.meter import CostReport
    from dreaming.cost.prices import PriceTable
    from dreaming.llm.replies import Validator
    from dreaming.llm.requests import LLMRequest, LLMResult


class Meter(Protocol):
    """What a run asks of its cost meter (``dreaming.cost.meter.CostMeter``)."""

    prices: PriceTable

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def report(self) -> CostReport: ...


class Client(Protocol):
    """What a stage asks of its Claude client: ``dreaming.llm.client.LLMClient``, or
    ``dreaming.llm.runtime.RecordingClient`` when a dream is only estimated."""

    @property
    def meter(self) -> Meter: ...

    def run(self, requests: Sequence[LLMRequest], *, validate: Validator | None = None) -> list[LLMResult]: ...

    def close(self) -> None: ...


@dataclass(kw_only=True)
class StageContext:
    """What a stage may use besides its input."""

    warnings: list[str] = field(default_factory=list)
    #: the cost meter, when a model-backed stage runs
    meter: Meter | None = None
    #: the Claude client (sharing ``meter``), when a model-backed stage runs
    client: Client | None = None
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


#: A judge's answer about one case (``undecided``: nobody settled it; both memories stay).
JudgeDecision = Literal["duplicate", "update", "distinct", "undecided"]


@dataclass(frozen=True, kw_only=True)
class JudgeVerdict:
    """``duplicate`` (``merged`` holds the wording), ``update`` (``current``
    names the id that stays true), ``distinct``, or ``undecided``."""

    case_id: str
    decision: JudgeDecision
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


# --- the built-in implementations ------------------------------------------------


def _named(module: str, attribute: str) -> Callable[..., Any]:
    """A factory naming an implementation by module and attribute, the way an entry point does.

    The module is imported when a run asks for the stage, so this module
    imports no stage (stages sit above it) and an offline run never loads
    the Claude stages.
    """

    def factory(**options: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), attribute)(**options)

    return factory


register("extract", "offline", _named("dreaming.extract", "offline_stage"))
register("judge", "offline", _named("dreaming.judge.offline", "OfflineJudge"))
register("patterns", "offline", _named("dreaming.patterns.communities", "TemplatePatternWriter"))
register("extract", "claude", _named("dreaming.extract.claude", "ClaudeExtractor"))
register("judge", "claude", _named("dreaming.judge.claude", "ClaudeJudge"))
register("patterns", "claude", _named("dreaming.patterns.claude", "ClaudePatternWriter"))
