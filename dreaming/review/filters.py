"""Which diff entries a reviewer asked to see, and the counts that summarise them: pure.

One filter for the terminal diff (``dreaming diff --op/--path/--rule/
--min-score/--max-score/--grep``) and the review page's server side; the page
filters the same fields in the browser (``dreaming/review/static/review.js``).
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dreaming.review.diff import DiffEntry
from dreaming.store.core import StoredChange

#: the order ops are listed in (the rest after, alphabetically)
OP_ORDER = ("add", "merge", "supersede", "update", "remove", "conflict", "pattern", "move", "rollback", "import")


def op_rank(op: str) -> tuple[int, str]:
    return (OP_ORDER.index(op), op) if op in OP_ORDER else (len(OP_ORDER), op)


def change_rule(change: StoredChange) -> str | None:
    """The rule that made a change: its ``rule`` field where the store records
    one, else the ``rule`` its details name (an extracted memory's rule)."""
    rule = getattr(change, "rule", None)
    if rule and rule != "legacy":  # a change written before rules were recorded may name one in its details
        return str(rule)
    detail = change.details.get("rule") if isinstance(change.details, dict) else None
    return str(detail) if detail else None


def change_path(change: StoredChange) -> str:
    """The topic path a change is filed under: its first output's, else its first input's."""
    for m in (*change.after, *change.before):
        return m.path
    return ""


def change_paths(change: StoredChange) -> set[str]:
    return {m.path for m in (*change.before, *change.after)}


def entry_text(entry: DiffEntry) -> str:
    """Everything a text search looks in: memory texts, paths, reason, rule, quotes."""
    ch = entry.change
    parts = [m.content for m in (*ch.before, *ch.after)]
    parts += [ch.reason, ch.op, change_rule(ch) or ""]
    parts += [q.text for q in entry.quotes]
    parts += [q.speaker or "" for q in entry.quotes]
    return "\n".join(parts)


def path_matches(pattern: str, path: str) -> bool:
    """A plain pattern is a prefix (``/user`` matches ``/user/tools.md``); one with * ? [ is a glob."""
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(path, pattern)
    return path.startswith(pattern)


@dataclass(frozen=True, kw_only=True)
class DiffFilter:
    """What to show; empty fields show everything.  Several values of one
    field are alternatives (``--op merge --op supersede``); fields combine."""

    ops: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    min_score: float | None = None
    max_score: float | None = None
    grep: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.ops or self.paths or self.rules or self.grep) or (
            self.min_score is not None or self.max_score is not None
        )

    def describe(self) -> str:
        parts = [f"op {'|'.join(self.ops)}"] if self.ops else []
        parts += [f"path {'|'.join(self.paths)}"] if self.paths else []
        parts += [f"rule {'|'.join(self.rules)}"] if self.rules else []
        if self.min_score is not None:
            parts.append(f"score >= {self.min_score:g}")
        if self.max_score is not None:
            parts.append(f"score <= {self.max_score:g}")
        if self.grep:
            parts.append(f"text ~ {self.grep!r}")
        return ", ".join(parts)

    def pattern(self) -> re.Pattern[str] | None:
        """``grep`` as a case-insensitive regular expression (taken literally when it is not a valid one)."""
        if not self.grep:
            return None
        try:
            return re.compile(self.grep, re.IGNORECASE)
        except re.error:
            return re.compile(re.escape(self.grep), re.IGNORECASE)

    def keep(self, entries: Iterable[DiffEntry]) -> list[DiffEntry]:
        pattern = self.pattern()
        ops = set(self.ops)
        rules = set(self.rules)
        out = []
        for entry in entries:
            ch = entry.change
            if ops and ch.op not in ops:
                continue
            if self.paths and not any(path_matches(p, path) for p in self.paths for path in change_paths(ch)):
                continue
            if rules and change_rule(ch) not in rules:
                continue
            if self.min_score is not None and (ch.score is None or ch.score < self.min_score):
                continue
            if self.max_score is not None and (ch.score is None or ch.score > self.max_score):
                continue
            if pattern is not None and not pattern.search(entry_text(entry)):
                continue
            out.append(entry)
        return out


@dataclass(frozen=True, kw_only=True)
class DiffSummary:
    """Counts by op, by topic path (with the ops under each) and by rule."""

    total: int
    by_op: dict[str, int]
    by_path: list[tuple[str, int, dict[str, int]]]
    by_rule: dict[str, int]
    rejected: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_op": self.by_op,
            "by_path": [{"path": p, "count": n, "ops": ops} for p, n, ops in self.by_path],
            "by_rule": self.by_rule,
            "rejected": self.rejected,
        }


def summarise(entries: Sequence[DiffEntry], *, rejected: int = 0) -> DiffSummary:
    by_op = Counter(e.change.op for e in entries)
    paths: dict[str, Counter[str]] = {}
    for e in entries:
        paths.setdefault(change_path(e.change), Counter())[e.change.op] += 1
    by_path = sorted(
        ((p, sum(c.values()), {op: c[op] for op in sorted(c, key=op_rank)}) for p, c in paths.items()),
        key=lambda row: (-row[1], row[0]),
    )
    rules = Counter(rule for e in entries if (rule := change_rule(e.change)))
    return DiffSummary(
        total=len(entries),
        by_op={op: by_op[op] for op in sorted(by_op, key=op_rank)},
        by_path=by_path,
        by_rule=dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))),
        rejected=rejected,
    )


__all__ = ["DiffFilter", "DiffSummary", "summarise", "change_rule", "change_path", "change_paths", "entry_text",
           "path_matches", "op_rank", "OP_ORDER"]
