"""What the review page shows, as plain data: pure.

:func:`build_page` turns a :class:`~dreaming.review.diff.DiffReport` (with
every quote in full), the candidate's change graph and what is known of its
run into a :class:`Page` that the template renders and the browser filters.
Word-level diffs are made here (``difflib`` over words), so the template only
prints segments and the browser never builds HTML from memory text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dreaming.records import Memory, Version
from dreaming.review.diff import DiffEntry, DiffReport
from dreaming.review.filters import change_path, change_rule, entry_text, op_rank, summarise

#: words, runs of spaces, and single punctuation marks: the units a word diff compares
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)

Segment = tuple[str, str]  # ("eq" | "del" | "ins", text)


def word_diff(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """``old`` with its removed words marked ``del`` and ``new`` with its added words marked ``ins``."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _push(left, "eq", "".join(a[i1:i2]))
            _push(right, "eq", "".join(b[j1:j2]))
            continue
        _push(left, "del", "".join(a[i1:i2]))
        _push(right, "ins", "".join(b[j1:j2]))
    return left, right


def _push(segments: list[Segment], tag: str, text: str) -> None:
    if not text:
        return
    if text.isspace():
        tag = "eq"  # a changed space is not worth a colour
    if segments and segments[-1][0] == tag:
        segments[-1] = (tag, segments[-1][1] + text)
    else:
        segments.append((tag, text))


@dataclass(frozen=True, kw_only=True)
class MemoryView:
    id: str
    path: str
    kind: str
    key: str | None
    segments: tuple[Segment, ...]
    #: "before" or "after"
    side: str


@dataclass(frozen=True, kw_only=True)
class QuoteView:
    session_id: str
    turn_id: str
    who: str
    timestamp: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ItemView:
    """One change as the page shows it."""

    seq: int
    op: str
    path: str
    paths: tuple[str, ...]
    rule: str | None
    score: float | None
    reason: str
    decision: str | None
    memories: tuple[MemoryView, ...]
    quotes: tuple[QuoteView, ...]
    sources: tuple[str, ...]
    search: str
    in_version: int

    def index(self) -> dict[str, Any]:
        """What the browser filters on."""
        return {"seq": self.seq, "op": self.op, "paths": list(self.paths), "rule": self.rule, "score": self.score,
                "text": self.search}


@dataclass(frozen=True, kw_only=True)
class GroupView:
    op: str
    path: str
    items: tuple[ItemView, ...]

    @property
    def key(self) -> str:
        return f"{self.op} {self.path}"


@dataclass(frozen=True, kw_only=True)
class Page:
    title: str
    subtitle: str
    version: int
    from_version: int
    readonly: bool
    groups: tuple[GroupView, ...]
    total: int
    by_op: Mapping[str, int]
    by_path: Sequence[tuple[str, int, Mapping[str, int]]]
    by_rule: Mapping[str, int]
    bill: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    graph: Mapping[str, Any] = field(default_factory=dict)
    rejected_before: int = 0

    def data(self) -> dict[str, Any]:
        """The JSON the page's script reads."""
        return {
            "version": self.version,
            "readonly": self.readonly,
            "items": [item.index() for g in self.groups for item in g.items],
            "graph": dict(self.graph),
        }


def memory_views(before: Sequence[Memory], after: Sequence[Memory]) -> list[MemoryView]:
    """Each memory before (its removed words marked, against what replaced it)
    and after (its added words marked, against what it came from)."""
    views = []
    base_after = after[0] if after else None
    for m in before:
        if base_after is None:
            segments: list[Segment] = [("del", m.content)]
        else:
            segments = word_diff(m.content, base_after.content)[0]
        views.append(MemoryView(id=m.id, path=m.path, kind=m.kind, key=m.key, segments=tuple(segments), side="before"))
    for m in after:
        origin = next((b for b in before if b.id == m.id), before[0] if before else None)
        segments = [("ins", m.content)] if origin is None else word_diff(origin.content, m.content)[1]
        views.append(MemoryView(id=m.id, path=m.path, kind=m.kind, key=m.key, segments=tuple(segments), side="after"))
    return views


def item_view(entry: DiffEntry) -> ItemView:
    ch = entry.change
    quotes = tuple(
        QuoteView(session_id=q.session_id, turn_id=q.turn_id, who=q.speaker or q.role, timestamp=q.timestamp or "",
                  text=q.text)
        for q in entry.quotes
    )
    paths = tuple(sorted({m.path for m in (*ch.before, *ch.after)}))
    return ItemView(
        seq=ch.seq,
        op=ch.op,
        path=change_path(ch),
        paths=paths,
        rule=change_rule(ch),
        score=ch.score,
        reason=ch.reason,
        decision=ch.decision,
        memories=tuple(memory_views(ch.before, ch.after)),
        quotes=quotes,
        sources=tuple(sorted({e.source for e in entry.evidence if e.source and not e.session_id})),
        search=" ".join((entry_text(entry) + " " + " ".join(paths)).lower().split()),
        in_version=ch.version,
    )


def build_page(
    report: DiffReport,
    *,
    version: Version | None,
    readonly: bool,
    graph: Mapping[str, Any] | None = None,
    bill: Sequence[str] = (),
    warnings: Sequence[str] = (),
    rejected_before: int = 0,
) -> Page:
    items = [item_view(e) for e in report.entries]
    items.sort(key=lambda it: (op_rank(it.op), it.path, it.seq))
    groups: list[GroupView] = []
    for it in items:
        if groups and (groups[-1].op, groups[-1].path) == (it.op, it.path):
            groups[-1] = GroupView(op=it.op, path=it.path, items=(*groups[-1].items, it))
        else:
            groups.append(GroupView(op=it.op, path=it.path, items=(it,)))
    summary = summarise(report.entries)
    if readonly:
        title = f"Diff: version {report.from_version} → version {report.to_version}"
        subtitle = "read-only: " + ("no candidate awaits review" if version is None or version.status != "candidate"
                                    else "")
    else:
        title = f"Review candidate version {report.to_version}"
        subtitle = f"built on version {report.from_version}"
    if version is not None:
        created = version.created_at.strftime("%Y-%m-%d %H:%M UTC")
        subtitle = " · ".join(p for p in (subtitle.rstrip(": "), version.message, f"created {created}") if p)
    return Page(
        title=title,
        subtitle=subtitle,
        version=report.to_version,
        from_version=report.from_version,
        readonly=readonly,
        groups=tuple(groups),
        total=summary.total,
        by_op=summary.by_op,
        by_path=summary.by_path,
        by_rule=summary.by_rule,
        bill=tuple(bill),
        warnings=tuple(warnings),
        graph=graph or {},
        rejected_before=rejected_before,
    )


__all__ = ["word_diff", "build_page", "Page", "GroupView", "ItemView", "MemoryView", "QuoteView",
           "memory_views", "item_view"]
