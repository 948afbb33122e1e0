"""From decisions to a changeset: the pure heart of a dream.

Given the store memories the dream looked at, the new candidates, the
consolidation core's decisions, the judge's verdicts and the pattern
candidates, :func:`plan_changes` says exactly which memories the new version
writes, which it retires, and the changes a reviewer reads (op, inputs,
outputs, reason, score, evidence, and the rule that fired with its inputs:
:mod:`.rule_ids`).  No I/O.

It runs one function per kind of change, in this order, over a shared
:class:`PlanState` (each may see what the earlier ones decided):

1. :func:`plan_restatements` -- ``update``: a stored memory restated in
   the turn it cites gains the dates the restatement carries;
   :func:`plan_edits` -- ``remove`` / ``move``: the agent's own memory
   edits, replayed;
2. :func:`plan_merges` -- ``merge`` (or ``add``, when only new candidates
   merged): the core's groups of duplicates;
3. :func:`plan_verdicts` -- ``merge``/``add``: pairs the judge called
   duplicates (its updates are handed to the next step);
4. :func:`plan_supersedes` -- ``supersede``: newer values retire older ones;
5. :func:`plan_conflicts` -- ``conflict``: both kept, flagged for review;
6. :func:`plan_adds` -- ``add``: new candidates that survived;
7. :func:`plan_patterns` -- ``pattern``: new patterns, and patterns found
   again;
8. :func:`plan_moves` -- ``move`` (reorganise): topic paths for what has
   none.

Rules that keep a dream safe:

* nothing is deleted: a memory leaves the snapshot only as a merged-away
  duplicate or a superseded value, and the change names what replaced it;
* a candidate that restates a store memory is folded into it (mentions and
  provenance grow) instead of being added again;
* a path someone chose is kept; only memories without one get a topic path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dreaming.consolidate import Consolidation
from dreaming.consolidate.edits import EditReplay
from dreaming.consolidate.merged import merged_memory
from dreaming.consolidate.results import Conflict, Merge, Supersede
from dreaming.normalise.restatements import Fold
from dreaming.pipeline.stages import JudgeVerdict
from dreaming.plan.reorganise import best_path, topic_path
from dreaming.plan.rule_ids import extraction_rule, judge_rule
from dreaming.records import Candidate, Change, Evidence, Memory, merge_provenance
from dreaming.text.memory_files import DEFAULT_PATH


@dataclass(frozen=True, kw_only=True)
class Plan:
    upserts: tuple[Memory, ...]
    retire: tuple[str, ...]
    changes: tuple[Change, ...]
    counts: Mapping[str, int] = field(default_factory=dict)


def _counts() -> dict[str, int]:
    keys = ("added", "merged", "merged_memories", "superseded", "conflicts", "patterns", "moved", "judged",
            "restated", "dated")
    return dict.fromkeys(keys, 0)


@dataclass(kw_only=True)
class PlanState:
    """What the change ops share while a plan is made."""

    #: the store memories the dream looked at, by id (as they stand at HEAD)
    head: dict[str, Memory]
    #: the new candidates, by memory id
    new: dict[str, Candidate]
    #: memory id -> the state the new version writes
    states: dict[str, Memory] = field(default_factory=dict)
    #: store memory ids that leave the snapshot
    retire: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    #: candidate id -> the memory that absorbed it (it is not written)
    folded: dict[str, str] = field(default_factory=dict)
    #: canonical id -> the "add" of a merge of new candidates only
    added_by_merge: dict[str, Change] = field(default_factory=dict)
    #: new candidates a change already brings in (a supersede, a judged
    #: merge): :func:`plan_adds` writes them without another "add"
    announced: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=_counts)

    def current(self, mid: str) -> Memory:
        """A memory as this plan has it so far."""
        if mid in self.states:
            return self.states[mid]
        if mid in self.head:
            return self.head[mid]
        return self.new[mid].memory

    def unadd(self, mid: str) -> None:
        """Take back the "add" of a merge of new candidates (a later decision replaced it)."""
        dropped = self.added_by_merge.pop(mid, None)
        if dropped is not None:
            del self.states[mid]
            self.changes.remove(dropped)
            self.counts["added"] -= 1


@dataclass(frozen=True, kw_only=True)
class Supersession:
    """A newer value retiring an older one, from the core or the judge."""

    old: str
    new: str
    reason: str
    score: float | None
    rule: str
    rule_inputs: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)


def _evidence(memories: Iterable[Memory]) -> tuple[Evidence, ...]:
    return merge_provenance(*(m.provenance for m in memories))


def _candidate_note(c: Candidate) -> dict[str, Any]:
    return {
        "content": c.memory.content,
        "rule": c.rule,
        "confidence": c.confidence,
        "observed_at": c.memory.observed_at.isoformat() if c.memory.observed_at else None,
        "evidence": [e.to_json() for e in c.memory.provenance],
    }


def plan_changes(
    *,
    store_memories: Sequence[Memory],
    candidates: Sequence[Candidate],
    consolidation: Consolidation,
    verdicts: Sequence[JudgeVerdict] = (),
    verdict_pairs: Mapping[str, tuple[str, str]] | None = None,
    patterns: Sequence[Candidate] = (),
    fresh: Iterable[str] = (),
    folds: Sequence[Fold] = (),
    edits: EditReplay | None = None,
    judge: str = "unnamed",
) -> Plan:
    """The plan of one dream: every change op in turn (see the module docstring)."""
    p = PlanState(head={m.id: m for m in store_memories}, new={c.memory.id: c for c in candidates})
    plan_restatements(p, folds)
    plan_edits(p, edits or EditReplay())
    plan_merges(p, consolidation.merges)
    judged_updates = plan_verdicts(p, verdicts, verdict_pairs or {}, judge_rule(judge))
    plan_supersedes(p, [_from_core(s) for s in consolidation.supersedes] + judged_updates)
    plan_conflicts(p, consolidation.conflicts)
    plan_adds(p, {m.memory.id for m in consolidation.merges})
    plan_patterns(p, patterns, store_memories)
    plan_moves(p, fresh)
    return finish(p)


def plan_restatements(p: PlanState, folds: Sequence[Fold]) -> None:
    """``update``: dates a restatement carries are added to the stored memory it restates."""
    p.counts["restated"] += len(folds)
    by_target: dict[str, list[Fold]] = {}
    for fold in folds:
        by_target.setdefault(fold.target.id, []).append(fold)
    for mid, group in sorted(by_target.items()):
        added = [d for f in group for d in f.added]
        if not added or mid not in p.head:
            continue
        p.states[mid] = group[-1].memory
        p.counts["dated"] += 1
        p.changes.append(
            Change(
                op="update",
                rule="restatement-fold",
                inputs=(mid,),
                outputs=(mid,),
                reason=f"the turn it cites dates it: added {'; '.join(added)}",
                score=round(max(f.overlap for f in group), 4),
                evidence=_evidence(f.candidate.memory for f in group),
                details={"candidates": [_candidate_note(f.candidate) for f in group]},
                rule_inputs={"candidates": [f.candidate.memory.id for f in group], "added": added,
                             "overlap": round(max(f.overlap for f in group), 4)},
            )
        )


def plan_edits(p: PlanState, edits: EditReplay) -> None:
    """``remove`` / ``move``: the agent's own memory edits, replayed -- what
    they removed leaves the store, what they renamed moves (their
    replacements are supersedes, :func:`plan_supersedes`)."""
    for removal in edits.removals:
        if removal.memory_id in p.head:
            p.retire.add(removal.memory_id)
            p.states.pop(removal.memory_id, None)
            p.counts["removed"] = p.counts.get("removed", 0) + 1
            p.changes.append(Change(op="remove", rule=extraction_rule(removal.rule), inputs=(removal.memory_id,),
                                    reason=removal.reason, score=round(removal.score / 100, 4),
                                    evidence=removal.evidence, details={"rule": removal.rule},
                                    rule_inputs={"edit_rule": removal.rule, "match": removal.score}))
        elif removal.memory_id in p.new:
            p.folded[removal.memory_id] = removal.memory_id
    for move in edits.moves:
        if move.memory_id in p.head and move.memory_id not in p.retire:
            p.states[move.memory_id] = p.current(move.memory_id).replace(path=move.path)
            p.counts["moved"] += 1
            before = p.head[move.memory_id].path
            p.changes.append(Change(op="move", rule=extraction_rule(move.rule), inputs=(move.memory_id,),
                                    outputs=(move.memory_id,), reason=move.reason, evidence=move.evidence,
                                    details={"rule": move.rule, "from": before, "to": move.path},
                                    rule_inputs={"edit_rule": move.rule, "from": before, "to": move.path}))


def plan_merges(p: PlanState, merges: Sequence[Merge]) -> None:
    """``merge``: the core's duplicates become one canonical memory; the
    store members it does not keep are retired, new members folded in.  A
    group of new candidates only is one ``add``."""
    for merge in merges:
        members = [p.current(i) for i in merge.members if i in p.head or i in p.new]
        store_members = [i for i in merge.members if i in p.head]
        new_members = [i for i in merge.members if i in p.new]
        ordered = sorted(members, key=lambda m: (m.id not in p.head, m.created_at, m.id))
        canon = merge.memory.replace(path=best_path(ordered))
        p.states[canon.id] = canon
        p.retire.update(i for i in store_members if i != canon.id)
        for i in new_members:
            if i != canon.id:
                p.folded[i] = canon.id
        p.counts["merged"] += 1
        p.counts["merged_memories"] += len(merge.members)
        fresh_evidence = _evidence(p.new[i].memory for i in new_members) or canon.provenance
        change = Change(
            op="merge" if store_members else "add",
            rule=merge.rule,
            rule_inputs={"ids": list(merge.members), "rules": list(merge.rules), "similarity": merge.score},
            inputs=tuple(store_members),
            outputs=(canon.id,),
            reason=merge.reason if store_members else f"new memory stated {len(merge.members)} times; {merge.reason}",
            score=round(merge.score / 100, 4),
            evidence=fresh_evidence,
            details={"members": list(merge.members), "candidates": [_candidate_note(p.new[i]) for i in new_members]},
        )
        p.changes.append(change)
        if not store_members:
            p.counts["added"] += 1
            p.added_by_merge[canon.id] = change


def plan_verdicts(
    p: PlanState, verdicts: Sequence[JudgeVerdict], pairs: Mapping[str, tuple[str, str]], rule: str
) -> list[Supersession]:
    """``merge``: pairs the judge called duplicates, merged by the one merge
    rule (:func:`~dreaming.consolidate.merged.merged_memory`) with the judge's
    wording.  Returns the pairs it called updates, for :func:`plan_supersedes`.
    ``distinct`` and ``undecided`` verdicts change nothing.  ``rule`` names
    the judge (``judge:claude``)."""
    updates: list[Supersession] = []
    for v in verdicts:
        if v.case_id not in pairs or v.decision in ("undecided", "distinct"):
            continue
        a, b = pairs[v.case_id]
        p.counts["judged"] += 1
        if v.decision == "update" and v.current in (a, b):
            old = b if v.current == a else a
            updates.append(Supersession(old=old, new=v.current, reason=f"judged an update: {v.reason}",
                                        score=v.confidence, rule=rule, rule_inputs=_verdict_inputs(v, a, b)))
        elif v.decision == "duplicate":
            _judged_duplicate(p, a, b, v, rule)
    return updates


def _verdict_inputs(v: JudgeVerdict, a: str, b: str) -> dict[str, Any]:
    return {"case": v.case_id, "ids": [a, b], "decision": v.decision, "current": v.current,
            "confidence": v.confidence}


def _judged_duplicate(p: PlanState, a: str, b: str, v: JudgeVerdict, rule: str) -> None:
    pair = [p.current(a), p.current(b)]
    merged = merged_memory(pair, content=v.merged or None)
    keep = merged.id
    drop = b if keep == a else a
    ordered = sorted(pair, key=lambda m: (m.id not in p.head, m.created_at, m.id))
    p.states[keep] = merged.replace(path=best_path(ordered))
    if drop in p.head:
        p.retire.add(drop)
    else:
        p.folded[drop] = keep
        p.unadd(drop)  # a merge of new candidates, now part of this one
    if keep in p.new and keep not in p.added_by_merge:
        p.announced.add(keep)  # this change brings it in
        p.counts["added"] += keep not in p.head and drop not in p.head
    p.changes.append(
        Change(
            op="merge" if keep in p.head or drop in p.head else "add",
            rule=rule,
            rule_inputs=_verdict_inputs(v, a, b),
            inputs=tuple(i for i in (keep, drop) if i in p.head),
            outputs=(keep,),
            reason=f"judged duplicates: {v.reason}",
            score=v.confidence,
            evidence=_evidence(pair),
            details={"judge": True},
        )
    )


def _from_core(s: Supersede) -> Supersession:
    details = {"subject": s.subject, "old_value": s.old_value, "new_value": s.new_value}
    if s.slot == "edit":  # the agent's own memory edit replaced the line
        details["rule"] = s.rule
    return Supersession(old=s.old_id, new=s.new_id, reason=s.reason, score=round(s.score / 100, 4),
                        rule=extraction_rule(s.rule) if s.slot == "edit" else s.rule, details=details,
                        rule_inputs={"ids": [s.old_id, s.new_id], "slot": s.slot, "subject": s.subject,
                                     "old_value": s.old_value, "new_value": s.new_value, "similarity": s.score})


def plan_supersedes(p: PlanState, supersedes: Sequence[Supersession]) -> None:
    """``supersede``: a newer value retires a stored older one (and takes its
    path when it has none of its own); a new candidate replaced within the
    same dream is simply not written."""
    for s in supersedes:
        old, newer = s.old, s.new
        if old in p.retire or old in p.folded:
            continue
        if old in p.head:
            p.retire.add(old)
            p.states.pop(old, None)
            p.counts["superseded"] += 1
            replacement = p.current(newer)
            if replacement.path == DEFAULT_PATH or newer in p.new:
                # the new value lives where the old one did
                old_path = p.head[old].path
                p.states[newer] = replacement.replace(path=old_path) if old_path != DEFAULT_PATH else replacement
            p.announced.add(newer)
            p.changes.append(Change(op="supersede", rule=s.rule, inputs=(old,), outputs=(newer,), reason=s.reason,
                                    score=s.score, evidence=replacement.provenance, details=dict(s.details),
                                    rule_inputs=s.rule_inputs))
        elif old in p.new:
            # a value stated more than once in this dream and replaced in it
            # too: its merged memory, written by plan_merges, is not added
            p.folded[old] = newer
            p.unadd(old)


def plan_conflicts(p: PlanState, conflicts: Sequence[Conflict]) -> None:
    """``conflict``: values observed at the same time, all kept, flagged for review."""
    for conflict in conflicts:
        ids = [i for i in conflict.ids if i not in p.retire and i not in p.folded]
        if len(ids) < 2:
            continue
        p.counts["conflicts"] += 1
        p.changes.append(
            Change(
                op="conflict",
                rule=conflict.rule,
                rule_inputs={"ids": list(ids), "subject": conflict.subject, "values": list(conflict.values),
                             "similarity": conflict.score},
                inputs=tuple(i for i in ids if i in p.head),
                outputs=tuple(ids),
                reason=conflict.reason,
                score=round(conflict.score / 100, 4),
                evidence=_evidence(p.current(i) for i in ids),
                details={"subject": conflict.subject, "values": list(conflict.values)},
            )
        )


def plan_adds(p: PlanState, merged_ids: set[str]) -> None:
    """``add``: every new candidate nothing merged, folded or replaced."""
    for cid, c in sorted(p.new.items()):
        if cid in p.folded or cid in merged_ids:
            continue
        memory = p.states.get(cid, c.memory)
        p.states[cid] = memory
        if cid in p.announced:
            continue
        p.counts["added"] += 1
        session = next((e.session_id for e in memory.provenance if e.session_id), None)
        p.changes.append(
            Change(
                op="add",
                rule=extraction_rule(c.rule),
                rule_inputs={"extractor_rule": c.rule, "confidence": c.confidence, "session": session},
                outputs=(cid,),
                reason=f"extracted by rule '{c.rule}'" + (f" from session {session}" if session else ""),
                score=c.confidence,
                evidence=memory.provenance,
                details={"rule": c.rule},
            )
        )


def plan_patterns(p: PlanState, patterns: Sequence[Candidate], store_memories: Sequence[Memory]) -> None:
    """``pattern``: a new pattern is added; one found again (same key)
    rewrites the stored pattern when it reads differently."""
    stored_patterns = {m.key: m for m in store_memories if m.kind == "pattern" and m.key}
    for c in patterns:
        memory = c.memory
        old = stored_patterns.get(memory.key or "")
        if old is not None:
            if old.id in p.retire:
                continue
            updated = memory.replace(id=old.id, created_at=old.created_at, path=old.path)
            if updated.same_state(old):
                continue
            p.states[old.id] = updated
            p.changes.append(Change(op="pattern", rule="pattern-again", inputs=(old.id,), outputs=(old.id,),
                                    score=c.confidence, rule_inputs=_pattern_inputs(c),
                                    reason="pattern seen again: " + ", ".join(memory.metadata.get("terms", [])),
                                    evidence=memory.provenance))
        else:
            p.states[memory.id] = memory
            p.changes.append(Change(op="pattern", rule="recurring-community", outputs=(memory.id,), score=c.confidence,
                                    reason=f"recurs across {len(memory.metadata.get('sessions', []))} sessions",
                                    rule_inputs=_pattern_inputs(c), evidence=memory.provenance,
                                    details={"members": memory.metadata.get("members", [])}))
        p.counts["patterns"] += 1


def _pattern_inputs(c: Candidate) -> dict[str, Any]:
    meta = c.memory.metadata
    return {"writer": c.rule, "key": c.memory.key, "terms": list(meta.get("terms", [])),
            "sessions": list(meta.get("sessions", [])), "members": list(meta.get("members", []))}


def plan_moves(p: PlanState, fresh: Iterable[str]) -> None:
    """Reorganise: every memory this plan writes without a path gets a topic
    path; a freshly imported one it does not otherwise touch is ``move``d."""
    for mid, memory in list(p.states.items()):
        if memory.path == DEFAULT_PATH:
            p.states[mid] = memory.replace(path=topic_path(memory))
    for mid in sorted(set(fresh)):
        if mid in p.head and mid not in p.states and mid not in p.retire and p.head[mid].path == DEFAULT_PATH:
            path = topic_path(p.head[mid])
            if path != DEFAULT_PATH:
                p.states[mid] = p.head[mid].replace(path=path)
                p.counts["moved"] += 1
                p.changes.append(Change(op="move", rule="topic-path", inputs=(mid,), outputs=(mid,),
                                        reason=f"filed under {path}", details={"from": DEFAULT_PATH, "to": path},
                                        rule_inputs={"from": DEFAULT_PATH, "to": path, "kind": p.head[mid].kind,
                                                     "key": p.head[mid].key}))


def finish(p: PlanState) -> Plan:
    """The plan; a change's outputs that a later decision retired are dropped
    (outputs must exist in the new version), and an in-place update of a
    memory that a later decision retired is dropped whole (it says nothing
    the retiring change does not)."""
    final_ids = (set(p.head) | set(p.states)) - p.retire
    cleaned = tuple(
        replace(ch, outputs=tuple(o for o in ch.outputs if o in final_ids))
        for ch in p.changes
        if not (ch.op == "update" and ch.outputs and not any(o in final_ids for o in ch.outputs))
    )
    upserts = tuple(p.states[i] for i in sorted(p.states) if i not in p.retire)
    return Plan(upserts=upserts, retire=tuple(sorted(p.retire)), changes=cleaned, counts=p.counts)

