"""Which changes of a candidate can be accepted without the others: pure.

A candidate version records its changes (op, input ids, output ids) and, in
the store, which memory states it opened and closed.  A person may accept some
changes and reject the rest; this module says which combinations the store
can write and why a refused one is refused.

Rules, from what the store can tell about each memory the candidate touched
(its state at the parent and in the candidate differ):

* a change **writes** an output memory that it also takes as input (an update,
  a merge's kept memory, a pattern seen again, a move) or that is new; it
  **retires** an input that is gone from the candidate.  A memory is written
  or retired whole: the store keeps one candidate state per memory, so the
  changes that write (or retire) the same memory are one *unit*, accepted or
  rejected together.  A merge is thus accepted with the memories it writes
  and retires.
* a change that only *names* a memory another change writes or retires (a
  supersede whose new value is a merged memory, a conflict that flags a new
  memory) **depends** on that change: it can be accepted only with it.
  A ``conflict`` never writes: it flags what other changes wrote.
* a touched memory that no change writes or retires but that changes name is
  written by all of them (one unit); one no change names at all is applied
  only when every change is accepted.

:func:`check` explains a refused decision in one line; :func:`close_up`
gives the smallest acceptable set containing a request (what accepting also
accepts), :func:`close_down` the largest one inside it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: ops that change nothing in the snapshot: they only name memories
FLAG_OPS = frozenset({"conflict"})


@dataclass(frozen=True, kw_only=True)
class ChangeRef:
    """What closure needs of a recorded change."""

    seq: int
    op: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Graph:
    """Units and dependencies of one candidate's changes (by ``seq``)."""

    ops: Mapping[int, str]
    #: seq -> the seqs of its unit (itself included)
    unit: Mapping[int, frozenset[int]]
    #: seq -> seqs it needs (outside its unit), with the memory id that links them
    needs: Mapping[int, Mapping[int, str]]
    #: seq -> the memory ids it writes or retires
    owns: Mapping[int, frozenset[str]]
    #: touched memory ids that no change owns (kept only when all are accepted)
    unowned: frozenset[str] = frozenset()
    #: memory id -> the seqs that write or retire it
    owners: Mapping[str, frozenset[int]] = field(default_factory=dict)

    @property
    def seqs(self) -> list[int]:
        return sorted(self.ops)

    def dependants(self, seq: int) -> set[int]:
        """Changes that need ``seq`` (directly)."""
        return {s for s, needs in self.needs.items() if seq in needs}

    def to_json(self) -> dict[str, object]:
        """For the review page: units and needs by seq."""
        return {
            "units": sorted({tuple(sorted(u)) for u in self.unit.values() if len(u) > 1}),
            "needs": {str(s): sorted(n) for s, n in sorted(self.needs.items()) if n},
        }


def build(changes: Sequence[ChangeRef], *, opened: Mapping[str, int], closed: Mapping[str, int]) -> Graph:
    """The graph of a candidate whose version opened the states ``opened``
    (memory id -> state rid new in the candidate) and closed ``closed``
    (memory id -> the parent's state it ended)."""
    touched = set(opened) | set(closed)
    writes: dict[int, set[str]] = {}
    refs: dict[int, set[str]] = {}
    for ch in changes:
        named = (set(ch.inputs) | set(ch.outputs)) & touched
        if ch.op in FLAG_OPS:
            owned: set[str] = set()
        else:
            ins = set(ch.inputs)
            owned = {x for x in ch.outputs if x in opened and (x in ins or x not in closed)}
            owned |= {x for x in ins if x in closed and x not in opened}
        writes[ch.seq] = owned
        refs[ch.seq] = named - owned
    owners: dict[str, set[int]] = {}
    for seq, owned in writes.items():
        for x in owned:
            owners.setdefault(x, set()).add(seq)
    ops = {ch.seq: ch.op for ch in changes}
    for x in sorted(touched - set(owners)):  # touched, named, owned by nobody: its namers write it
        namers = {s for s, named in refs.items() if x in named and ops[s] not in FLAG_OPS}
        if namers:
            owners[x] = namers
            for s in namers:
                writes[s].add(x)
                refs[s].discard(x)
    parent = {ch.seq: ch.seq for ch in changes}

    def find(s: int) -> int:
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    for seqs in owners.values():
        first, *rest = sorted(seqs)
        for s in rest:
            ra, rb = find(first), find(s)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, set[int]] = {}
    for s in parent:
        groups.setdefault(find(s), set()).add(s)
    unit = {s: frozenset(groups[find(s)]) for s in parent}
    needs: dict[int, dict[int, str]] = {}
    for seq, named in refs.items():
        out: dict[int, str] = {}
        for x in sorted(named):
            for owner in sorted(owners.get(x, ())):
                if owner not in unit[seq]:
                    out.setdefault(owner, x)
        needs[seq] = out
    return Graph(
        ops=ops,
        unit=unit,
        needs=needs,
        owns={s: frozenset(w) for s, w in writes.items()},
        unowned=frozenset(touched - set(owners)),
        owners={x: frozenset(s) for x, s in owners.items()},
    )


def _name(graph: Graph, seq: int) -> str:
    return f"change {seq} ({graph.ops[seq]})"


def check(graph: Graph, accepted: Collection[int], *, describe: Mapping[str, str] | None = None) -> str | None:
    """Why accepting exactly ``accepted`` (the rest rejected) is refused, in one line; ``None`` when it is fine.

    ``describe`` maps memory ids to a few words of their text for the message."""
    text = describe or {}

    def memory(x: str) -> str:
        words = text.get(x)
        return f"memory {x}" + (f" ({words!r})" if words else "")

    unknown = sorted(set(accepted) - set(graph.ops))
    if unknown:
        return f"change {unknown[0]} is not in this candidate (its changes are numbered {_span(graph.seqs)})"
    chosen = set(accepted)
    for seq in sorted(chosen):
        missing = sorted(graph.unit[seq] - chosen)
        if missing:
            other = missing[0]
            shared = sorted(graph.owns[seq] & graph.owns[other]) or sorted(
                x for x in graph.owns[seq] if other in graph.owners.get(x, ())
            )
            link = memory(shared[0]) if shared else "the same memories"
            return (
                f"{_name(graph, seq)} and {_name(graph, other)} both write {link}: "
                f"accept or reject them together"
            )
        for need, x in sorted(graph.needs[seq].items()):
            if need not in chosen:
                return (
                    f"{_name(graph, seq)} needs {_name(graph, need)}, which is rejected: it names {memory(x)}, "
                    f"which change {need} writes or retires; accept {need} too or reject {seq}"
                )
    return None


def _span(seqs: Sequence[int]) -> str:
    if not seqs:
        return "none"
    return f"{seqs[0]} to {seqs[-1]}" if len(seqs) > 1 else str(seqs[0])


def close_up(graph: Graph, requested: Iterable[int]) -> set[int]:
    """The smallest acceptable set holding ``requested``: their units and what they need, transitively."""
    out: set[int] = set()
    todo = [s for s in requested if s in graph.ops]
    while todo:
        s = todo.pop()
        if s in out:
            continue
        out.add(s)
        todo.extend(graph.unit[s] - out)
        todo.extend(n for n in graph.needs[s] if n not in out)
    return out


def close_down(graph: Graph, allowed: Iterable[int]) -> set[int]:
    """The largest acceptable set inside ``allowed``: drop a change whose unit or needs are not all in it."""
    out = {s for s in allowed if s in graph.ops}
    changed = True
    while changed:
        changed = False
        for s in sorted(out):
            if not graph.unit[s] <= out or any(n not in out for n in graph.needs[s]):
                out -= graph.unit[s] | {s}
                changed = True
    return out


def reverted(graph: Graph, accepted: Collection[int]) -> set[str]:
    """Touched memory ids whose parent state stays: owned by no accepted change
    (the unowned ones too, unless every change is accepted)."""
    chosen = set(accepted)
    keep = {x for s in chosen for x in graph.owns[s]}
    touched = set(graph.owners) | set(graph.unowned)
    if chosen >= set(graph.ops):
        keep |= set(graph.unowned)
    return touched - keep


__all__ = ["ChangeRef", "Graph", "FLAG_OPS", "build", "check", "close_up", "close_down", "reverted"]
