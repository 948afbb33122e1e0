"""The consolidation core: one pure function from memories to decisions.

``consolidate(memories, fresh=..., config=...)`` reads HEAD plus the new
candidates and returns a :class:`~.results.Consolidation`: which groups merge
into which canonical memory, which facts a newer value supersedes, which
values conflict, and which pairs it could not settle.  No SQL, no files; the
pipeline turns the result into a changeset.

The stages, each in its own module:

1. **analyse** every distinct text once (:mod:`.text`, :mod:`.subjects`):
   normal form, polarity, capitalised words, subject/predicate/value.
   Proper names are learnt from the whole input: a word is a name when it is
   written capitalised mid-sentence more often than in lower case.
2. **nodes**: memories with the same normal form, subject, name order and
   explicit key are one node (exact duplicates, compared once).
3. **candidate pairs** of distinct normal forms scoring ``>= similarity``:
   all pairs (:mod:`.oracle`) while cheap, blocking (:mod:`.blocking`)
   beyond.  With ``fresh``, pairs of two old entries are skipped: HEAD was
   consolidated already, so the cost follows the new work.
4. **verdicts** per pair (:mod:`.rules`): duplicate, ambiguous or nothing.
   Entries sharing an explicit key are also compared all against all: the
   same value with the same polarity is a duplicate, however far apart the
   wording (``rules.keyed_duplicate``).
5. **groups**: tight star clusters over the duplicate edges
   (:mod:`.clusters`), each folded into a canonical memory.
6. **subjects**: groups sharing an explicit key, or a subject / predicate /
   context, are compared with the latest one: newer values supersede older
   ones, equal times conflict, unsure predicates are flagged.

Deterministic: the input is sorted by id first and every tie is broken by
text or id, so any order of the same memories gives the same result.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from time import perf_counter
from typing import Any, TypeVar, cast

import numpy as np
from rapidfuzz import fuzz

from dreaming.consolidate import blocking, oracle, rules, slots
from dreaming.consolidate.clusters import tight_clusters
from dreaming.consolidate.merged import merged_memory
from dreaming.consolidate.quiet import quiet_gc
from dreaming.consolidate.results import Ambiguous, Conflict, Consolidation, ConsolidationConfig, Merge, Supersede
from dreaming.consolidate.rules import Text
from dreaming.consolidate.subjects import MULTI, UNSURE, kind_of, parse
from dreaming.consolidate.text import NEG, NUMBER, WORD, lookup, tokenize, trim_cache
from dreaming.errors import DreamingError
from dreaming.records import Memory, ensure_aware

#: a slot of the supersede pass: its kind first ("key", "value", "subject", "attribute"), then what identifies it
Slot = tuple[Any, ...]
_T = TypeVar("_T")

_NORM_CLASSES = frozenset({WORD, NUMBER, NEG})

_DEFAULT_CONFIG = ConsolidationConfig()
#: how many of a subject's newest entries each older entry is checked against
_SCAN = 8
#: An explicit key's nodes are compared all against all up to this many.
_KEYED_GROUP = 64


def consolidate(
    memories: Sequence[Memory],
    *,
    fresh: Collection[str] | None = None,
    config: ConsolidationConfig = _DEFAULT_CONFIG,
) -> Consolidation:
    """Decide merges, supersessions, conflicts and ambiguous pairs.

    ``memories`` are HEAD plus the new candidates.  ``fresh`` are the ids not
    consolidated yet (new candidates, entries imported since the last dream);
    pairs of two non-fresh memories are then neither compared nor merged.
    ``None`` means everything is fresh.  Ids in ``fresh`` that are not among
    ``memories`` are ignored.
    """
    timings: dict[str, float] = {}
    with quiet_gc():
        work = _Work.build(memories, fresh, config, timings)
        clock = perf_counter()
        groups = work.groups()
        reps, merges = work.representatives(groups)
        del groups
        work.release_grouping()
        _give_back_free_memory()
        timings["groups"] = perf_counter() - clock
        clock = perf_counter()
        supersedes, conflicts, subject_ambiguous = work.subjects(reps)
        timings["subjects"] = perf_counter() - clock
    retired = {s.old_id for s in supersedes}
    ambiguous = _ambiguous(work, reps, subject_ambiguous, retired)
    # one record per set of ids (an explicit key and a parsed subject may both see it)
    conflicts = list({c.ids: c for c in conflicts if not retired.intersection(c.ids)}.values())
    stats = dict(work.stats)
    stats.update(
        merges=len(merges),
        merged_memories=sum(len(m.members) for m in merges),
        supersedes=len(supersedes),
        conflicts=len(conflicts),
        ambiguous=len(ambiguous),
    )
    return Consolidation(
        merges=tuple(sorted(merges, key=lambda m: m.memory.id)),
        supersedes=tuple(sorted(supersedes, key=lambda s: (s.old_id, s.new_id))),
        conflicts=tuple(sorted(conflicts, key=lambda c: c.ids)),
        ambiguous=tuple(sorted(ambiguous, key=lambda a: a.ids)),
        stats=stats,
        timings=timings,
    )


def _give_back_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``).

    numpy's big temporaries (signatures, candidate codes: hundreds of MB at
    a million memories) are freed at the end of their stage, but glibc keeps
    the pages, scattered between live blocks; Python objects made later come
    from pools of their own, so the process would hold both.  Elsewhere
    (another C library) this does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once when first needed (not at import:
    every CLI command imports this module).  The process's own symbols hold
    libc's on Linux; elsewhere there is no such function."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def count_duplicate_pairs(memories: Sequence[Memory], *, config: ConsolidationConfig = _DEFAULT_CONFIG) -> int:
    """Pairs of memories the engine would call duplicates (for evals).

    Counts every pair with a duplicate verdict at or above the similarity
    threshold, exact ones (same normal form) included; after a good dream it
    is zero.
    """
    with quiet_gc():
        work = _Work.build(memories, None, config, {})
    sizes = work.node_members.sizes.tolist()
    within = sum(s * (s - 1) // 2 for s, norm in zip(sizes, work.node_norm) if norm)
    across = sum(sizes[u] * sizes[v] for u, v, _ in work.duplicate_edges)
    return int(within + across)


def count_stale(memories: Sequence[Memory], *, config: ConsolidationConfig = _DEFAULT_CONFIG) -> int:
    """Memories a newer value of the same subject supersedes (for evals).

    The number of superseded facts still active in ``memories``; merged
    duplicates of a superseded fact count once each.
    """
    result = consolidate(memories, config=config)
    members = {m.memory.id: len(m.members) for m in result.merges}
    return sum(members.get(s.old_id, 1) for s in result.supersedes)


# --- internals -------------------------------------------------------------


def observed(memory: Memory) -> datetime:
    """When a memory's fact was true: observed_at, else last_seen, else created_at."""
    return ensure_aware(memory.observed_at or memory.last_seen or memory.created_at)


@dataclass(slots=True)
class _Rep:
    """A memory after merging: a canonical memory or an unmerged one."""

    memory: Memory
    text: Text
    observed: datetime
    fresh: bool
    size: int


class _Members(Sequence[np.ndarray]):
    """The memories of each node (indices into the sorted input), packed:
    one flat int32 array and where each node's run starts.  A list per node
    costs ~85 bytes a node plus ~36 per member at a million memories, held
    until the end of the run for a handful of look-ups."""

    def __init__(self, groups: list[list[int]]) -> None:
        self.sizes = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
        self.start = np.zeros(len(groups) + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=self.start[1:])
        self.flat = np.fromiter(chain.from_iterable(groups), dtype=np.int32, count=int(self.start[-1]))

    def __len__(self) -> int:
        return int(self.sizes.size)

    def __getitem__(self, node: int) -> np.ndarray:  # type: ignore[override]  # ints only
        return self.flat[self.start[node] : self.start[node + 1]]

    def first(self, node: int) -> int:
        return int(self.flat[self.start[node]])

    def all(self, nodes: Collection[int]) -> list[int]:
        """The members of several nodes."""
        return [i for u in nodes for i in self[u].tolist()]


@dataclass(slots=True)
class _Work:
    """Analysed input and pair verdicts, shared by the public functions."""

    config: ConsolidationConfig
    memories: list[Memory]
    fresh: list[bool]
    texts: dict[str, Text]
    lexicon: rules.Lexicon
    node_members: _Members
    node_norm: list[str]
    node_key: list[str | None]
    node_text: list[Text]
    node_fresh: list[bool]
    duplicate_edges: list[tuple[int, int, float]]
    #: duplicate edge -> (rule id, reason)
    edge_reasons: dict[tuple[int, int], tuple[str, str]]
    similar_ambiguous: list[tuple[int, int, float, str]]
    stats: dict[str, object]
    #: memory index -> index of its representative (filled by ``representatives``)
    rep_of: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    #: normal form -> how well spelt its words are (see ``_canonical``)
    spelling_scores: dict[str, float] = field(default_factory=dict)
    #: similar pairs of nodes (u < v), each stated more than once, judged different
    apart: set[tuple[int, int]] = field(default_factory=set)
    #: cross-phrasing slots of the representatives (filled by ``subjects``)
    slot_found: slots.Slots | None = None
    #: representative memory id -> its filled slot
    filled: dict[str, slots.Filled] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        memories: Sequence[Memory],
        fresh: Collection[str] | None,
        config: ConsolidationConfig,
        timings: dict[str, float],
    ) -> _Work:
        clock = perf_counter()
        ordered = sorted(memories, key=lambda m: m.id)
        for a, b in zip(ordered, ordered[1:]):
            if a.id == b.id:
                raise DreamingError(f"memory id {a.id!r} appears twice in the input")
        fresh_set = None if fresh is None else frozenset(fresh)
        is_fresh = [True] * len(ordered) if fresh_set is None else [m.id in fresh_set for m in ordered]
        texts, lexicon = _analyse({m.content for m in ordered})
        timings["analyse"] = perf_counter() - clock

        clock = perf_counter()
        by_node: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        signature = {content: _signature(text, lexicon.names) for content, text in texts.items()}
        for index, memory in enumerate(ordered):
            by_node[(signature[memory.content], memory.key)].append(index)
        node_ids = sorted(by_node, key=_node_order)
        node_members = [by_node[k] for k in node_ids]
        node_norm = [k[0][0] for k in node_ids]
        node_key = [k[1] for k in node_ids]
        node_text = [texts[ordered[members[0]].content] for members in node_members]
        node_fresh = [any(is_fresh[i] for i in members) for members in node_members]
        del by_node, signature, node_ids  # large, and no longer needed
        packed = _Members(node_members)
        del node_members
        _give_back_free_memory()
        timings["nodes"] = perf_counter() - clock

        work = cls(
            config=config,
            memories=ordered,
            fresh=is_fresh,
            texts=texts,
            lexicon=lexicon,
            node_members=packed,
            node_norm=node_norm,
            node_key=node_key,
            node_text=node_text,
            node_fresh=node_fresh,
            duplicate_edges=[],
            edge_reasons={},
            similar_ambiguous=[],
            stats={"memories": len(ordered), "texts": len(texts), "nodes": len(packed)},
        )
        work._verdicts(fresh_set is not None, timings)
        return work

    def _verdicts(self, incremental: bool, timings: dict[str, float]) -> None:
        """Find similar pairs of nodes and decide each (stages 3 and 4)."""
        clock = perf_counter()
        config = self.config
        # nodes are sorted by normal form: each distinct one is a run of nodes
        # (start[k] up to start[k + 1]), held as an array, not a list per form
        norms: list[str] = []
        first: list[int] = []
        for node, norm in enumerate(self.node_norm):
            if not norms or norms[-1] != norm:
                norms.append(norm)
                first.append(node)
        start = np.array([*first, len(self.node_norm)], dtype=np.int64)
        del first
        node_fresh = np.array(self.node_fresh, dtype=bool)
        norm_fresh = np.logical_or.reduceat(node_fresh, start[:-1]) if norms else np.zeros(0, dtype=bool)
        runs = start.tolist()
        fresh_mask = norm_fresh if incremental else None
        n = len(norms)
        fresh_count = int(norm_fresh.sum()) if incremental else n
        exact_cost = fresh_count * n - fresh_count * (fresh_count + 1) // 2 if incremental else n * (n - 1) // 2
        strategy = config.candidates
        if strategy == "auto":
            strategy = "exact" if exact_cost <= config.exact_pair_budget else "blocked"
        if strategy == "exact":
            i, j, s = oracle.exact_pairs(norms, threshold=config.similarity, fresh=fresh_mask, workers=config.workers)
            self.stats.update(strategy="exact", candidates=exact_cost)
        else:
            i, j, s, found = blocking.similar_pairs(
                norms, threshold=config.similarity, fresh=fresh_mask, block_cap=config.block_cap, workers=config.workers
            )
            self.stats.update(
                strategy="blocked",
                candidates=found.candidates,
                signatures=found.signatures,
                filtered_pairs=found.filtered_pairs,
                refined_blocks=found.refined_blocks,
                dropped_pairs=found.dropped_pairs,
            )
        self.stats.update(norms=n, similar_pairs=int(i.size))
        _give_back_free_memory()
        timings["pairs"] = perf_counter() - clock

        clock = perf_counter()
        node_pairs: list[tuple[int, int, float]] = []
        for p, q, score in zip(i.tolist(), j.tolist(), s.tolist()):
            for u in range(runs[p], runs[p + 1]):
                for v in range(runs[q], runs[q + 1]):
                    node_pairs.append((u, v, score))
        for k in np.flatnonzero(np.diff(start) > 1).tolist():  # same normal form, different subject / names / key
            for u in range(runs[k], runs[k + 1]):
                for v in range(u + 1, runs[k + 1]):
                    node_pairs.append((u, v, 100.0))
        sizes = self.node_members.sizes
        keyed = self._keyed_duplicates()
        for u, v, score in node_pairs:
            if not (self.node_fresh[u] or self.node_fresh[v]) or not self.node_norm[u]:
                continue
            key_u, key_v = self.node_key[u], self.node_key[v]
            if key_u is not None and key_v is not None and key_u != key_v:
                continue  # explicit keys say: different subjects
            if (u, v) in keyed:
                continue  # decided below
            verdict = rules.duplicate(self.node_text[u], self.node_text[v], self.lexicon)
            if verdict.kind == rules.DUPLICATE:
                self.duplicate_edges.append((u, v, score))
                self.edge_reasons[(u, v)] = (verdict.rule, verdict.reason)
                continue
            if verdict.kind == rules.AMBIGUOUS:
                self.similar_ambiguous.append((u, v, score, verdict.reason))
            elif sizes[u] > 1 and sizes[v] > 1:
                # two established wordings told apart: never one group, even
                # through a third text (a one-off text differing from another
                # is more often a typo the rules could not prove)
                self.apart.add((u, v))
        for (u, v), decided in keyed.items():
            self.duplicate_edges.append((u, v, fuzz.ratio(self.node_norm[u], self.node_norm[v], processor=None)))
            self.edge_reasons[(u, v)] = decided
        self.stats.update(duplicate_edges=len(self.duplicate_edges), keyed_duplicates=len(keyed))
        del node_pairs
        _give_back_free_memory()
        timings["verdicts"] = perf_counter() - clock

    def _keyed_duplicates(self) -> dict[tuple[int, int], tuple[str, str]]:
        """Pairs of nodes sharing an explicit key that state the same value
        (:func:`.rules.keyed_duplicate`), however far apart their wording --
        too far, often, to be a similar pair: ``(u, v)`` with ``u < v`` ->
        (rule id, reason).  A key's nodes are compared all against all, with a fresh
        side, up to ``_KEYED_GROUP`` of them (a key restated more often than
        that is compared through its similar pairs only)."""
        by_key: dict[str, list[int]] = defaultdict(list)
        for node, key in enumerate(self.node_key):
            if key is not None and self.node_norm[node]:
                by_key[key].append(node)
        found: dict[tuple[int, int], tuple[str, str]] = {}
        for key, nodes in by_key.items():
            if len(nodes) < 2 or len(nodes) > _KEYED_GROUP:
                continue
            for a, u in enumerate(nodes):
                for v in nodes[a + 1 :]:
                    if self.node_fresh[u] or self.node_fresh[v]:
                        verdict = rules.keyed_duplicate(self.node_text[u], self.node_text[v], key, self.lexicon)
                        if verdict.kind == rules.DUPLICATE:
                            found[(u, v)] = (verdict.rule, verdict.reason)
        return found

    def groups(self) -> Iterator[tuple[int, tuple[int, ...], float]]:
        """(centre node, nodes, score) of every group of duplicates, singletons
        included -- made one at a time: at a million memories most nodes are
        singletons, and a list of them all would be ~80 MB held for nothing."""
        clusters = tight_clusters(
            self.duplicate_edges,
            weights=self.node_members.sizes.tolist(),
            keys=self.node_key,
            apart=self.apart,
        )
        placed = np.zeros(len(self.node_members), dtype=bool)
        for c in clusters:
            placed[list(c.members)] = True
            yield c.centre, c.members, c.score
        del clusters
        for u in np.flatnonzero(~placed).tolist():
            yield u, (u,), 100.0

    def release_grouping(self) -> None:
        """Drop what only grouping needed (the analysis of every text, node
        and edge tables): the subject stage reads representatives alone, and
        at a million memories these are a few hundred MB of the peak."""
        self.texts, self.spelling_scores, self.edge_reasons = {}, {}, {}
        self.node_text, self.node_norm, self.node_key, self.node_fresh = [], [], [], []
        self.duplicate_edges, self.apart = [], set()
        self.memories, self.fresh = [], []

    def representatives(self, groups: Iterator[tuple[int, tuple[int, ...], float]]) -> tuple[list[_Rep], list[Merge]]:
        """Fold each group into its canonical memory (stage 5)."""
        reps: list[_Rep] = []
        merges: list[Merge] = []
        self.rep_of = np.full(len(self.memories), -1, dtype=np.int32)
        node_members = self.node_members
        for centre, nodes, score in groups:
            members = node_members[nodes[0]].tolist() if len(nodes) == 1 else sorted(node_members.all(nodes))
            fresh = any(self.fresh[i] for i in members)
            if len(members) == 1 or not fresh or not self.node_norm[centre]:
                for i in members:
                    self._add_rep(reps, [i], self.memories[i])
                continue
            pairs = {(min(u, v), max(u, v)) for u in nodes for v in nodes}
            decided = {self.edge_reasons[e] for e in pairs if e in self.edge_reasons}
            reasons = sorted({reason for _, reason in decided})
            edge_rules = {rule for rule, _ in decided}
            # wordings joined by a key can differ in more than typos: keep the fullest
            fullest = any(reason.startswith("same key") for reason in reasons)
            canonical = _canonical(
                [self.memories[i] for i in members], self.texts, self.lexicon, self.spelling_scores, fullest=fullest
            )
            if len(nodes) == 1 or not reasons:
                reasons = ["same words after normalisation"] + reasons
                edge_rules.add("same-words")
            merges.append(
                Merge(
                    memory=canonical,
                    members=tuple(self.memories[i].id for i in members),
                    score=round(float(score), 2),
                    reason=f"{len(members)} entries state the same fact: " + "; ".join(dict.fromkeys(reasons)),
                    rule=_loosest(edge_rules),
                    rules=tuple(sorted(edge_rules)),
                )
            )
            self._add_rep(reps, members, canonical)
        return reps, merges

    def _add_rep(self, reps: list[_Rep], members: list[int], memory: Memory) -> None:
        index = len(reps)
        fresh = self.fresh
        rep_of = self.rep_of
        for i in members:
            rep_of[i] = index
        reps.append(
            _Rep(
                memory=memory,
                text=self.texts[memory.content],  # a canonical wording is one of its members'
                observed=observed(memory),
                fresh=any([fresh[i] for i in members]),
                size=len(members),
            )
        )

    def subjects(self, reps: list[_Rep]) -> tuple[list[Supersede], list[Conflict], list[Ambiguous]]:
        """Same subject, changed value: supersede, conflict or flag (stage 6)."""
        slots = _SlotTable()
        for index, rep in enumerate(reps):
            if rep.memory.key is not None:
                slots.add(("key", rep.memory.key), index, "key")
            st = rep.text.statement
            if st is None or not rep.text.norm:
                continue
            kind = kind_of(st, self.lexicon.names)
            slot: Slot
            if kind == MULTI:
                slot = ("value", st.subject, st.predicate, st.masked_value, st.context)
            else:
                slot = ("subject", st.subject, st.predicate, st.context)
            slots.add(slot, index, kind)
        self._attribute_slots(reps, slots)
        successor: dict[int, tuple[int, Supersede]] = {}
        conflicts: list[Conflict] = []
        ambiguous: list[Ambiguous] = []
        limit = self.config.unsure_group_limit
        groups = {slot: members for slot, members in slots.shared() if any(reps[r].fresh for r in members)}
        for slot in sorted(groups, key=repr):
            members = groups[slot]
            kind = slots.kinds[slot]
            members.sort(key=lambda r: (reps[r].observed, reps[r].memory.id))
            latest = reps[members[-1]].observed
            tied = [r for r in members if reps[r].observed == latest]
            winner = tied[0]
            flag_unsure = kind != UNSURE or len(members) <= limit
            clashing = [
                r
                for r in tied[1:]
                if (reps[r].fresh or reps[winner].fresh)
                and self._update_verdict(reps[r], reps[winner], kind).kind == rules.UPDATE
            ]
            # newest first; among equally new, the smallest id (the conflict's winner)
            newest = sorted(members, key=lambda k: reps[k].observed, reverse=True)[:_SCAN]
            for r in members:
                if reps[r].observed == latest:
                    break
                # the newest later entry that replaces r's value (a later typo
                # of r's own value does not, so look past it)
                unsure: rules.PairDecision | None = None
                for m in newest:
                    if reps[m].observed <= reps[r].observed or not (reps[r].fresh or reps[m].fresh):
                        continue
                    verdict = self._update_verdict(reps[r], reps[m], kind)
                    if verdict.kind == rules.UPDATE:
                        record = self._supersede(reps[r], reps[m], slot, verdict)
                        current = successor.get(r)
                        if current is None or _newer(reps[m], reps[current[0]]):
                            successor[r] = (m, record)
                        break
                    if verdict.kind == rules.AMBIGUOUS and unsure is None:
                        unsure = verdict
                        unsure_with = m
                else:
                    if unsure is not None and flag_unsure:
                        ambiguous.append(
                            Ambiguous(
                                ids=_pair(reps[r].memory.id, reps[unsure_with].memory.id),
                                score=_score(reps[r].text, reps[unsure_with].text),
                                kind="subject",
                                why=f"{_describe(slot, reps[unsure_with])}: '{self._value(slot, reps[r])}' then "
                                f"'{self._value(slot, reps[unsure_with])}' -- {unsure.reason}",
                            )
                        )
            if clashing:
                group = [winner] + clashing
                conflicts.append(
                    Conflict(
                        ids=tuple(sorted(reps[r].memory.id for r in group)),
                        subject=_describe(slot, reps[winner]),
                        values=tuple(self._value(slot, reps[r]) for r in sorted(group, key=lambda r: reps[r].memory.id)),
                        score=min(_score(reps[r].text, reps[winner].text) for r in clashing),
                        reason=f"different values observed at the same time ({latest.isoformat()}): kept all, needs review",
                    )
                )
        supersedes = _resolve_chains(successor, reps)
        return supersedes, conflicts, ambiguous

    def _attribute_slots(self, reps: list[_Rep], slots_: _SlotTable) -> None:
        """Add the cross-phrasing slots (:mod:`.slots`): one per attribute and subject."""
        if not self.config.slot_support:
            return
        self.slot_found = found = slots.infer(_Entries(reps), self.lexicon.names, support=self.config.slot_support)
        _give_back_free_memory()
        for index, filled in found.filled.items():
            slot = ("attribute", filled.attribute, filled.subject, filled.label)
            slots_.add(slot, index, "attribute")
            self.filled[reps[index].memory.id] = filled
        self.stats.update(slot_attributes=len(found.attributes), slot_links=len(found.links), slot_filled=len(found.filled))

    def _value(self, slot: Slot, rep: _Rep) -> str:
        return self.filled[rep.memory.id].value_text if slot[0] == "attribute" else _value(rep)

    def _update_verdict(self, older: _Rep, newer: _Rep, kind: str) -> rules.PairDecision:
        if kind == "attribute":
            assert self.slot_found is not None
            a, b = self.filled[older.memory.id], self.filled[newer.memory.id]
            evidence = self.slot_found.evidence(a, b)
            return rules.slot_update((a.value, a.value_text), (b.value, b.value_text), evidence, self.lexicon)
        if kind == "key":
            return rules.keyed_update(older.text, newer.text, newer.memory.key or "", self.lexicon)
        assert older.text.statement is not None and newer.text.statement is not None
        return rules.update(older.text.statement, newer.text.statement, kind, self.lexicon)

    def _supersede(self, older: _Rep, newer: _Rep, slot: Slot, verdict: rules.PairDecision) -> Supersede:
        return Supersede(
            old_id=older.memory.id,
            new_id=newer.memory.id,
            subject=_describe(slot, newer),
            old_value=self._value(slot, older),
            new_value=self._value(slot, newer),
            score=_score(older.text, newer.text),
            reason=f"{verdict.reason} (observed {older.observed.date().isoformat()}, then {newer.observed.date().isoformat()})",
            rule=verdict.rule,
            slot=slot[0],
        )


def _analyse(contents: Collection[str]) -> tuple[dict[str, Text], rules.Lexicon]:
    """Analyse each distinct text once; learn proper names from all of them.

    A word is a name when it is written capitalised more often than not,
    counting only capitals that are not there for the sentence's sake: not
    the first word (unless the next word is capitalised too, as in "Alice
    Moreno"), and nothing in a text that capitalises most of its words.
    """
    texts: dict[str, Text] = {}
    capitalised: Counter[str] = Counter()
    lowercase: Counter[str] = Counter()
    spellings: Counter[str] = Counter()
    pool: dict[object, object] = {}

    def share(value: _T) -> _T:
        """One object for equal subjects, values, names (they repeat a lot)."""
        return cast(_T, pool.setdefault(value, value))  # the pooled object equals (and so has the type of) value

    for content in contents:
        tokens = tokenize(content)
        words = [t for t in tokens if t.cls == WORD]
        content_stems = [t.stem if t.cls != NEG else "not" for t in tokens if t.cls in _NORM_CLASSES]
        negations = content_stems.count("not")
        spellings.update([t.spelt for t in words])
        cased = [t for t in words if t.case]
        # "USER PREFERS TABS" / "User Prefers Tabs": case says nothing here
        headline = len(words) >= 3 and len(cased) * 2 >= len(words) and (
            len(cased) == len(words) or sum(t.case == "upper" for t in cased) * 2 >= len(words)
        )
        if not headline:
            lowercase.update([t.stem for t in words if not t.case])
            if cased:
                # a capital on the first word is the sentence's, unless a
                # second capitalised word follows ("Alice Moreno")
                first_is_sentence = tokens[0] is words[0] and not (len(tokens) > 1 and tokens[1].cls == WORD and tokens[1].case)
                capitalised.update([t.stem for t in cased if not (first_is_sentence and t is tokens[0])])
        content_stems.sort()
        text = Text(
            norm=share(" ".join(content_stems)),
            negated=negations % 2 == 1,
            capitals=share(tuple([t.stem for t in cased])) if cased and not headline else (),
            statement=parse(tokens, share),
        )
        # texts differing only in punctuation or spacing analyse alike: one object
        texts[content] = share(text)
    names = frozenset(w for w, count in capitalised.items() if count > lowercase.get(w, 0))
    # per stem: how often it occurs, and its most common spelling (ties:
    # alphabetical), for typo checks
    frequency: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    best: dict[str, tuple[int, str]] = {}
    for spelt, count in spellings.items():
        word = next((t.stem for t in lookup(spelt) if t.cls == WORD), spelt)
        frequency[word] += count
        rank = (-count, spelt)
        if word not in best or rank < best[word]:
            best[word] = rank
            spelling[word] = spelt
    trim_cache()
    return texts, rules.Lexicon(names=names, frequency=frequency, spelling=spelling, texts=len(texts))


def _signature(text: Text, names: frozenset[str]) -> tuple[Any, ...]:
    """What makes two texts with the same normal form still possibly different:
    the subject ("Alice is Bob's manager" / "Bob is Alice's manager") and the
    order of the names in them."""
    order = tuple(w for w in text.capitals if w in names)
    subject = text.statement.subject if text.statement is not None else None
    return (text.norm, subject, order if len(order) >= 2 else ())


def _node_order(node: tuple[Any, ...]) -> tuple[Any, ...]:
    (norm, subject, names), key = node
    return (norm, key is not None, key or "", subject is not None, subject or (), names)


def _canonical(
    members: list[Memory],
    texts: dict[str, Text],
    lexicon: rules.Lexicon,
    scores: dict[str, float],
    *,
    fullest: bool = False,
) -> Memory:
    """One memory for a group of duplicates (see ``Merge.memory``).

    The wording is the best spelt (highest mean log-frequency of its words in
    the whole input: a typo is a rare word), then the one with the most
    content words, then the tidiest (capitalised, punctuated, single-spaced,
    not shouting), then the most repeated, then the most concise.  With
    ``fullest`` (a group joined by an explicit key, whose wordings may say
    more than each other) the most content words come first: "tabs over
    spaces for indentation" over "tabs over spaces, as always", though
    "indentation" is the rarer word.
    Id, times, key and provenance follow the one merge rule,
    :func:`.merged.merged_memory`.
    """
    repeats: dict[str, int] = {}
    for m in members:
        repeats[m.content] = repeats.get(m.content, 0) + m.mentions
    if len(repeats) == 1:
        wording = None  # the keeper's
    else:
        wording = min(
            repeats, key=lambda content: _informative(content, repeats[content], texts[content], lexicon, scores, fullest)
        )
    return merged_memory(members, content=wording)


def _informative(
    content: str, repeats: int, text: Text, lexicon: rules.Lexicon, scores: dict[str, float], fullest: bool = False
) -> tuple[Any, ...]:
    """Sort key for the canonical wording (smallest first, see ``_canonical``)."""
    words = text.norm.split()
    spelling = scores.get(text.norm)
    if spelling is None:
        get = lexicon.frequency.get
        spelling = scores[text.norm] = round(sum([math.log1p(get(w, 1)) for w in words]) / len(words), 6) if words else 0.0
    stripped = content.strip()
    tidy = (
        stripped[:1].isupper()
        + (stripped[-1:] in ".!?")
        + ("  " not in content and stripped == content)
        + (not content.isupper())
    )
    if fullest:
        return (-len(set(words)), -spelling, -tidy, -repeats, len(content), content)
    return (-spelling, -len(set(words)), -tidy, -repeats, len(content), content)


#: duplicate rules from the loosest (a group joined by any of these is said to be joined by it) to the tightest
_LOOSEST_FIRST = ("keyed-duplicate", "same-words-typos", "same-words")


def _loosest(edge_rules: Collection[str]) -> str:
    """The rule a merge names: the loosest of its pairs' (an unknown one first: it is the newest)."""
    return min(edge_rules, key=lambda r: (_LOOSEST_FIRST.index(r) if r in _LOOSEST_FIRST else -1, r), default="")


def _resolve_chains(successor: dict[int, tuple[int, Supersede]], reps: list[_Rep]) -> list[Supersede]:
    """Point every superseded fact at the value that is current now.

    A fact superseded in one slot may supersede another in a second slot
    (explicit key and parsed subject); follow the links to the live end.
    Times strictly increase along a link, so the walk ends.
    """
    out: list[Supersede] = []
    for old, (new, record) in successor.items():
        seen = {old}
        while new in successor and new not in seen:
            seen.add(new)
            new = successor[new][0]
        if reps[new].memory.id != record.new_id:
            record = Supersede(
                old_id=record.old_id,
                new_id=reps[new].memory.id,
                subject=record.subject,
                old_value=record.old_value,
                new_value=_value(reps[new]),
                score=_score(reps[old].text, reps[new].text),
                reason=record.reason + f"; since replaced again by {reps[new].memory.id}",
                rule=record.rule,
                slot=record.slot,
            )
        out.append(record)
    return out


def _ambiguous(work: _Work, reps: list[_Rep], subject_pairs: list[Ambiguous], retired: set[str]) -> list[Ambiguous]:
    """Similar-but-unsettled pairs in terms of representatives, minus settled ones."""
    out: dict[tuple[str, str], Ambiguous] = {}
    for u, v, score, why in sorted(work.similar_ambiguous, key=lambda item: (-item[2], item[0], item[1])):
        ru = int(work.rep_of[work.node_members.first(u)])
        rv = int(work.rep_of[work.node_members.first(v)])
        if ru == rv:
            continue
        ids = _pair(reps[ru].memory.id, reps[rv].memory.id)
        if ids not in out:
            out[ids] = Ambiguous(ids=ids, score=round(float(score), 2), kind="similar", why=why)
    for item in subject_pairs:
        out.setdefault(item.ids, item)
    return [a for a in out.values() if not retired.intersection(a.ids)]


class _SlotTable:
    """Slot -> the representatives in it, and the slot's kind (the last
    one given, as a plain dict would keep it).

    Most slots hold one representative -- at a million memories ~400k of
    ~470k -- and only slots of two or more are compared, so a lone member is
    kept as its index, with no list and no kind (~120 bytes a slot less).
    """

    def __init__(self) -> None:
        self.members: dict[Slot, int | list[int]] = {}
        self.kinds: dict[Slot, str] = {}

    def add(self, slot: Slot, index: int, kind: str) -> None:
        held = self.members.get(slot)
        if held is None:
            self.members[slot] = index
            return
        if isinstance(held, int):
            self.members[slot] = [held, index]
        else:
            held.append(index)
        self.kinds[slot] = kind

    def shared(self) -> list[tuple[Slot, list[int]]]:
        """The slots of two or more representatives, with them."""
        return [(slot, held) for slot, held in self.members.items() if type(held) is list]


class _Entries(Sequence[slots.Entry]):
    """The representatives as :mod:`.slots` reads them, each made when asked
    for: a list of a million entries would hold ~100 MB that slot inference
    needs only for the few memories that fill a phrasing."""

    def __init__(self, reps: list[_Rep]) -> None:
        self._reps = reps

    def __len__(self) -> int:
        return len(self._reps)

    def __getitem__(self, index: int) -> slots.Entry:  # type: ignore[override]  # ints only: slots reads one at a time
        r = self._reps[index]
        return slots.Entry(r.memory.content, r.observed, r.text.statement, r.text.capitals, *_span(r))


def _span(rep: _Rep) -> tuple[datetime, datetime]:
    """When a representative was first and last stated (a merged memory spans its copies)."""
    m = rep.memory
    first = ensure_aware(m.first_seen) if m.first_seen is not None else rep.observed
    last = ensure_aware(m.last_seen) if m.last_seen is not None else rep.observed
    return min(first, rep.observed), max(last, rep.observed)


def _pair(a: str, b: str) -> tuple[str, str]:
    """Two ids in order."""
    return (a, b) if a <= b else (b, a)


def _newer(a: _Rep, b: _Rep) -> bool:
    return (a.observed, a.memory.id) > (b.observed, b.memory.id)


def _score(a: Text, b: Text) -> float:
    return round(float(fuzz.ratio(a.norm, b.norm, processor=None, score_cutoff=0)), 2)


def _value(rep: _Rep) -> str:
    st = rep.text.statement
    return st.value_text if st is not None and rep.memory.key is None else rep.memory.content


def _describe(slot: Slot, rep: _Rep) -> str:
    if slot[0] == "key":
        return f"key {slot[1]}"
    if slot[0] == "attribute":
        return str(slot[3])  # "Ana: X lives in V"
    st = rep.text.statement
    assert st is not None
    return st.describe_subject()
