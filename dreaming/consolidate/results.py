"""The consolidation core's configuration and what it returns.

Everything here is a frozen record: the engine decides, the pipeline turns
the decisions into a ``Changeset`` (merge / supersede / conflict changes),
and Claude or a reviewer settles the ambiguous ones later.  Every decision
carries a ``reason`` a person can read and a ``score``: rapidfuzz ``ratio``
(0-100) of the two normalised texts, 100 for entries that normalise the same.

Ids in ``supersedes``, ``conflicts`` and ``ambiguous`` are ids *after* the
merges: a merged group is known by its canonical memory's id (the id of its
earliest-created member).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dreaming.errors import DreamingError
from dreaming.records import Memory

CANDIDATE_STRATEGIES = ("auto", "blocked", "exact")


@dataclass(frozen=True, kw_only=True)
class ConsolidationConfig:
    """How the offline core decides."""

    #: rapidfuzz ``ratio`` (0-100) of two normalised texts at or above which
    #: a pair is looked at.  88 lets one typo through in a 9-character text
    #: ("prefer tab") and keeps most same-template-other-value pairs out.
    similarity: float = 88.0
    #: "blocked" (sub-quadratic, :mod:`.blocking`), "exact" (all pairs,
    #: :mod:`.oracle`) or "auto": exact while it is cheap, blocked beyond.
    candidates: str = "auto"
    #: "auto" compares all pairs while that means at most this many scores
    #: (a few hundred milliseconds of cdist on two cores).
    exact_pair_budget: int = 20_000_000
    #: blocking: blocks up to this size are compared all against all (on the
    #: words their members leave out, then the close pairs on the whole text);
    #: larger ones, made by templates, are split further (see :mod:`.blocking`).
    #: 4000 keeps whole the biggest block of the synthetic 100k store ("the
    #: deadline of project X is <date>" for every project).
    block_cap: int = 4000
    #: An UNSURE subject ("the user prefers X") with more values than this is
    #: evidently multi-valued; its value differences are not flagged as
    #: ambiguous (it would drown the reviewer in "prefers tea / prefers tabs").
    unsure_group_limit: int = 6
    #: Cross-phrasing slots (:mod:`.slots`): how many people must state one
    #: value in two phrasings before they are read as one attribute, so
    #: that a newer value in one retires an older one in the other.  0: off.
    slot_support: int = 2
    #: rapidfuzz ``workers`` (-1: all cores).
    workers: int = -1

    def __post_init__(self) -> None:
        if not 0 < self.similarity <= 100:
            raise DreamingError(f"similarity must be in (0, 100], got {self.similarity}")
        if self.candidates not in CANDIDATE_STRATEGIES:
            raise DreamingError(f"candidates must be one of {', '.join(CANDIDATE_STRATEGIES)}, got {self.candidates!r}")
        if self.block_cap < 2:
            raise DreamingError(f"block_cap must be at least 2, got {self.block_cap}")
        if self.slot_support == 1 or self.slot_support < 0:
            raise DreamingError(f"slot_support must be 0 (off) or at least 2, got {self.slot_support}")
        if self.unsure_group_limit < 2:
            raise DreamingError(f"unsure_group_limit must be at least 2, got {self.unsure_group_limit}")


@dataclass(frozen=True, kw_only=True)
class Merge:
    """Duplicates folded into one canonical memory."""

    #: the canonical memory, by the one merge rule (:func:`.merged.merged_memory`):
    #: id of the earliest-created member, the most informative wording,
    #: earliest first_seen, latest last_seen and observed_at, summed
    #: mentions, union of provenance
    memory: Memory
    #: ids of every member, the canonical id included, sorted
    members: tuple[str, ...]
    #: lowest similarity of a member to the group's centre
    score: float
    reason: str
    #: the rule that joined the group (``dreaming.plan.rule_ids``): the
    #: loosest of ``rules`` (keyed-duplicate, then same-words-typos, then same-words)
    rule: str = ""
    #: the rules of every duplicate pair in the group, sorted
    rules: tuple[str, ...] = ()

    @property
    def retired(self) -> tuple[str, ...]:
        """Member ids that leave the store (all but the canonical id)."""
        return tuple(m for m in self.members if m != self.memory.id)


@dataclass(frozen=True, kw_only=True)
class Supersede:
    """A newer value of the same subject retires the older one."""

    old_id: str
    new_id: str
    subject: str
    old_value: str
    new_value: str
    score: float
    reason: str
    #: the rule that decided it (``dreaming.plan.rule_ids``): a core rule's
    #: id, or -- for an edit the agent made to its memory (``slot`` "edit")
    #: -- the extraction rule of that edit (``memory-tool:str_replace``)
    rule: str = ""
    #: what made the two one subject: "key" (an explicit key), "subject"
    #: (subject / predicate / context), "value" (the same masked value of a
    #: multi-valued predicate), "attribute" (a cross-phrasing slot), or
    #: "edit" (the agent's own memory edit replaced the line)
    slot: str = ""


@dataclass(frozen=True, kw_only=True)
class Conflict:
    """Different values of one subject observed at the same time: all kept, flagged."""

    ids: tuple[str, ...]
    subject: str
    values: tuple[str, ...]
    score: float
    reason: str
    #: the rule that flagged it (``dreaming.plan.rule_ids``)
    rule: str = "same-time-values"


@dataclass(frozen=True, kw_only=True)
class Ambiguous:
    """A pair the offline rules could not settle; nothing was changed."""

    ids: tuple[str, str]
    score: float
    #: "similar" (alike, but not provably the same fact) or "subject"
    #: (same subject, but the predicate may hold several values)
    kind: str
    why: str


@dataclass(frozen=True, kw_only=True)
class Consolidation:
    """The offline core's decisions for one set of memories."""

    merges: tuple[Merge, ...] = ()
    supersedes: tuple[Supersede, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    ambiguous: tuple[Ambiguous, ...] = ()
    #: counts (memories, nodes, candidate pairs, ...) and the strategy used
    stats: Mapping[str, Any] = field(default_factory=dict)
    #: seconds per stage; not part of equality (two runs differ in speed only)
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)

    @property
    def retired(self) -> frozenset[str]:
        """Every id that leaves the store: merged-away members and superseded ids."""
        out = {m for merge in self.merges for m in merge.retired}
        out.update(s.old_id for s in self.supersedes)
        return frozenset(out)
