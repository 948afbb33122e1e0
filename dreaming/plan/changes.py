"""From decisions to a changeset: the pure heart of a dream.

Given the store memories the dream looked at, the new candidates, the
consolidation core's decisions, the judge's verdicts and the pattern
candidates, :func:`plan_changes` says exactly which memories the new version
writes, which it retires, and the changes a reviewer reads (op, inputs,
outputs, reason, score, evidence).  No I/O.

Rules that keep a dream safe:

* nothing is deleted: a memory leaves the snapshot only as a merged-away
  duplicate or a superseded value, and the change names what replaced it;
* a candidate that restates a store memory is folded into it (mentions and
  provenance grow) instead of being added again;
* a path someone chose is kept; only memories without one get a topic path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dreaming.consolidate import Consolidation, Supersede
from dreaming.consolidate.edits import EditReplay
from dreaming.normalise.restatements import Fold
from dreaming.pipeline.stages import JudgeVerdict
from dreaming.plan.reorganise import best_path, topic_path
from dreaming.records import Candidate, Change, Evidence, Memory, merge_provenance
from dreaming.text.memory_files import DEFAULT_PATH


@dataclass(frozen=True, kw_only=True)
class Plan:
    upserts: tuple[Memory, ...]
    retire: tuple[str, ...]
    changes: tuple[Change, ...]
    counts: Mapping[str, int] = field(default_factory=dict)


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
) -> Plan:
    head = {m.id: m for m in store_memories}
    new = {c.memory.id: c for c in candidates}
    states: dict[str, Memory] = {}
    retire: set[str] = set()
    changes: list[Change] = []
    folded: dict[str, str] = {}  # candidate id -> what absorbed it
    added_by_merge: dict[str, Change] = {}  # canonical id -> the "add" of a merge of new candidates only
    counts = {"added": 0, "merged": 0, "merged_memories": 0, "superseded": 0, "conflicts": 0, "patterns": 0,
              "moved": 0, "judged": 0, "restated": len(folds), "dated": 0}

    # 0. restatements of stored memories: dates they carry are added to the memory
    by_target: dict[str, list[Fold]] = {}
    for fold in folds:
        by_target.setdefault(fold.target.id, []).append(fold)
    for mid, group in sorted(by_target.items()):
        added = [d for f in group for d in f.added]
        if not added or mid not in head:
            continue
        states[mid] = group[-1].memory
        counts["dated"] += 1
        changes.append(
            Change(
                op="update",
                inputs=(mid,),
                outputs=(mid,),
                reason=f"the turn it cites dates it: added {'; '.join(added)}",
                score=round(max(f.overlap for f in group), 4),
                evidence=_evidence(f.candidate.memory for f in group),
                details={"candidates": [_candidate_note(f.candidate) for f in group]},
            )
        )

    def current(mid: str) -> Memory:
        if mid in states:
            return states[mid]
        if mid in head:
            return head[mid]
        return new[mid].memory

    # 0b. the agent's own memory edits, replayed: what they removed leaves, what they renamed moves
    for removal in edits.removals if edits else ():
        if removal.memory_id in head:
            retire.add(removal.memory_id)
            states.pop(removal.memory_id, None)
            counts["removed"] = counts.get("removed", 0) + 1
            changes.append(Change(op="remove", inputs=(removal.memory_id,), reason=removal.reason,
                                  score=round(removal.score / 100, 4), evidence=removal.evidence,
                                  details={"rule": removal.rule}))
        elif removal.memory_id in new:
            folded[removal.memory_id] = removal.memory_id
    for move in edits.moves if edits else ():
        if move.memory_id in head and move.memory_id not in retire:
            states[move.memory_id] = current(move.memory_id).replace(path=move.path)
            counts["moved"] += 1
            changes.append(Change(op="move", inputs=(move.memory_id,), outputs=(move.memory_id,), reason=move.reason,
                                  evidence=move.evidence,
                                  details={"rule": move.rule, "from": head[move.memory_id].path, "to": move.path}))

    # 1. duplicates -> one canonical memory
    for merge in consolidation.merges:
        members = [current(i) for i in merge.members if i in head or i in new]
        store_members = [i for i in merge.members if i in head]
        new_members = [i for i in merge.members if i in new]
        canon = merge.memory
        ordered = sorted(members, key=lambda m: (m.id not in head, m.created_at, m.id))
        canon = canon.replace(path=best_path(ordered))
        states[canon.id] = canon
        retire.update(i for i in store_members if i != canon.id)
        for i in new_members:
            if i != canon.id:
                folded[i] = canon.id
        counts["merged"] += 1
        counts["merged_memories"] += len(merge.members)
        fresh_evidence = _evidence(new[i].memory for i in new_members) or canon.provenance
        change = Change(
            op="merge" if store_members else "add",
            inputs=tuple(store_members),
            outputs=(canon.id,),
            reason=merge.reason if store_members else f"new memory stated {len(merge.members)} times; {merge.reason}",
            score=round(merge.score / 100, 4),
            evidence=fresh_evidence,
            details={"members": list(merge.members), "candidates": [_candidate_note(new[i]) for i in new_members]},
        )
        changes.append(change)
        if not store_members:
            counts["added"] += 1
            added_by_merge[canon.id] = change

    # 2. judge verdicts on the cases the core could not settle
    pairs = verdict_pairs or {}
    extra_supersedes: list[tuple[str, str, str, float | None]] = []
    for v in verdicts:
        if v.case_id not in pairs or v.decision in ("undecided", "distinct"):
            continue
        a, b = pairs[v.case_id]
        counts["judged"] += 1
        if v.decision == "update" and v.current in (a, b):
            old = b if v.current == a else a
            extra_supersedes.append((old, v.current, v.reason, v.confidence))
        elif v.decision == "duplicate":
            keep, drop = sorted((a, b), key=lambda i: (i not in head, current(i).created_at, i))
            ma, mb = current(keep), current(drop)
            merged = ma.replace(
                content=v.merged or ma.content,
                mentions=ma.mentions + mb.mentions,
                first_seen=min(t for t in (ma.first_seen, mb.first_seen, ma.observed_at, mb.observed_at) if t) if any(
                    (ma.first_seen, mb.first_seen, ma.observed_at, mb.observed_at)) else None,
                last_seen=max(t for t in (ma.last_seen, mb.last_seen, ma.observed_at, mb.observed_at) if t) if any(
                    (ma.last_seen, mb.last_seen, ma.observed_at, mb.observed_at)) else None,
                provenance=merge_provenance(ma.provenance, mb.provenance),
            )
            states[keep] = merged
            if drop in head:
                retire.add(drop)
            else:
                folded[drop] = keep
            changes.append(
                Change(
                    op="merge" if keep in head or drop in head else "add",
                    inputs=tuple(i for i in (keep, drop) if i in head),
                    outputs=(keep,),
                    reason=f"judged duplicates: {v.reason}",
                    score=v.confidence,
                    evidence=_evidence([ma, mb]),
                    details={"judge": True},
                )
            )

    # 3. newer values retire older ones
    superseding: set[str] = set()  # new memories that arrive as a supersede (not listed again as "add")
    supersedes: list[tuple[str, str, str, float | None, Supersede | None]] = [
        (s.old_id, s.new_id, s.reason, round(s.score / 100, 4), s) for s in consolidation.supersedes
    ]
    supersedes += [(o, n, f"judged an update: {r}", c, None) for o, n, r, c in extra_supersedes]
    for old, newer, reason, score, decision in supersedes:
        if old in retire or old in folded:
            continue
        details: dict[str, Any] = {}
        if decision is not None:
            details = {"subject": decision.subject, "old_value": decision.old_value, "new_value": decision.new_value}
            if decision.rule:
                details["rule"] = decision.rule
        if old in head:
            retire.add(old)
            states.pop(old, None)
            counts["superseded"] += 1
            replacement = current(newer)
            if replacement.path == DEFAULT_PATH or newer in new:
                # the new value lives where the old one did
                states[newer] = replacement.replace(path=head[old].path) if head[old].path != DEFAULT_PATH else replacement
            superseding.add(newer)
            changes.append(
                Change(op="supersede", inputs=(old,), outputs=(newer,), reason=reason, score=score,
                       evidence=replacement.provenance, details=details)
            )
        elif old in new:
            folded[old] = newer
            dropped = added_by_merge.pop(old, None)
            if dropped is not None:
                # a value stated more than once in this dream and replaced in
                # it too: its merged memory, written in step 1, is not added
                del states[old]
                changes.remove(dropped)
                counts["added"] -= 1
            details["replaced_candidate"] = _candidate_note(new[old])

    # 4. conflicts: both kept, flagged for review
    for conflict in consolidation.conflicts:
        ids = [i for i in conflict.ids if i not in retire and i not in folded]
        if len(ids) < 2:
            continue
        counts["conflicts"] += 1
        changes.append(
            Change(
                op="conflict",
                inputs=tuple(i for i in ids if i in head),
                outputs=tuple(ids),
                reason=conflict.reason,
                score=round(conflict.score / 100, 4),
                evidence=_evidence(current(i) for i in ids),
                details={"subject": conflict.subject, "values": list(conflict.values)},
            )
        )

    # 5. new candidates that survived
    merged_ids = {m.memory.id for m in consolidation.merges}
    for cid, c in sorted(new.items()):
        if cid in folded or cid in merged_ids:
            continue
        memory = states.get(cid, c.memory)
        states[cid] = memory
        if cid in superseding:
            continue
        counts["added"] += 1
        session = next((e.session_id for e in memory.provenance if e.session_id), None)
        changes.append(
            Change(
                op="add",
                outputs=(cid,),
                reason=f"extracted by rule '{c.rule}'" + (f" from session {session}" if session else ""),
                score=c.confidence,
                evidence=memory.provenance,
                details={"rule": c.rule},
            )
        )

    # 6. patterns: a pattern found again updates the one already stored
    stored_patterns = {m.key: m for m in store_memories if m.kind == "pattern" and m.key}
    for p in patterns:
        memory = p.memory
        stored = stored_patterns.get(memory.key) if memory.key else None
        if stored is not None:
            if stored.id in retire:
                continue
            updated = memory.replace(id=stored.id, created_at=stored.created_at, path=stored.path)
            if updated.same_state(stored):
                continue
            states[stored.id] = updated
            changes.append(Change(op="pattern", inputs=(stored.id,), outputs=(stored.id,), score=p.confidence,
                                  reason="pattern seen again: " + ", ".join(memory.metadata.get("terms", [])),
                                  evidence=memory.provenance))
        else:
            states[memory.id] = memory
            changes.append(Change(op="pattern", outputs=(memory.id,), score=p.confidence,
                                  reason=f"recurs across {len(memory.metadata.get('sessions', []))} sessions",
                                  evidence=memory.provenance, details={"members": memory.metadata.get("members", [])}))
        counts["patterns"] += 1

    # 7. reorganise: topic paths for what has none
    for mid, memory in list(states.items()):
        if memory.path == DEFAULT_PATH:
            states[mid] = memory.replace(path=topic_path(memory))
    for mid in sorted(set(fresh)):
        if mid in head and mid not in states and mid not in retire and head[mid].path == DEFAULT_PATH:
            path = topic_path(head[mid])
            if path != DEFAULT_PATH:
                states[mid] = head[mid].replace(path=path)
                counts["moved"] += 1
                changes.append(Change(op="move", inputs=(mid,), outputs=(mid,), reason=f"filed under {path}",
                                      details={"from": DEFAULT_PATH, "to": path}))

    # outputs must exist in the new version: drop ids that a later decision retired
    final_ids = (set(head) | set(states)) - retire
    cleaned = tuple(
        Change(op=ch.op, inputs=ch.inputs, outputs=tuple(o for o in ch.outputs if o in final_ids), reason=ch.reason,
               score=ch.score, evidence=ch.evidence, details=ch.details)
        for ch in changes
        # an in-place update of a memory that a later decision retired says nothing the retiring change does not
        if not (ch.op == "update" and ch.outputs and not any(o in final_ids for o in ch.outputs))
    )
    upserts = tuple(states[i] for i in sorted(states) if i not in retire)
    return Plan(upserts=upserts, retire=tuple(sorted(retire)), changes=cleaned, counts=counts)
