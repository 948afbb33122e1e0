"""The plan's change ops, one table of labelled cases each.

Every case gives the plan hand-made inputs (store memories, candidates and
the decisions of the core or the judge) and the changes it must make:
``(op, inputs, outputs)`` in order, what it retires, and what it writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dreaming.consolidate.results import Conflict, Consolidation, Merge, Supersede
from dreaming.normalise.restatements import Fold
from dreaming.pipeline.stages import JudgeVerdict
from dreaming.plan.changes import Plan, plan_changes
from dreaming.records import Candidate, Evidence, Memory

T0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


def mem(mid: str, content: str, day: int = 0, *, path: str = "/notes.md", key: str | None = None,
        kind: str = "fact", session: str = "s0", **kw: Any) -> Memory:
    at = T0 + timedelta(days=day)
    return Memory(id=mid, content=content, path=path, key=key, kind=kind, observed_at=at, created_at=at,
                  provenance=(Evidence(session_id=session, turn_ids=("t1",)),), **kw)


def cand(mid: str, content: str, day: int = 10, *, rule: str = "user-fact", **kw: Any) -> Candidate:
    return Candidate(memory=mem(mid, content, day, session=f"s{day}", **kw), rule=rule, confidence=0.75)


def plan(head=(), new=(), *, merges=(), supersedes=(), conflicts=(), verdicts=(), pairs=None, patterns=(),
         fresh=(), folds=()) -> Plan:
    return plan_changes(
        store_memories=list(head), candidates=list(new),
        consolidation=Consolidation(merges=tuple(merges), supersedes=tuple(supersedes), conflicts=tuple(conflicts)),
        verdicts=list(verdicts), verdict_pairs=pairs, patterns=list(patterns), fresh=fresh, folds=list(folds),
        judge="claude",
    )


def ops(p: Plan) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(op, rule, inputs, outputs) of every change."""
    return [(c.op, c.rule, c.inputs, c.outputs) for c in p.changes]


def written(p: Plan) -> dict[str, str]:
    """id -> path of every memory the plan writes."""
    return {m.id: m.path for m in p.upserts}


def merge(memory: Memory, *members: str, score: float = 95.0) -> Merge:
    return Merge(memory=memory, members=tuple(sorted(members)), score=score, reason="2 entries state the same fact",
                 rule="same-words", rules=("same-words",))


def supersede(old: str, new: str, score: float = 80.0) -> Supersede:
    return Supersede(old_id=old, new_id=new, subject="key user.editor", old_value="vim", new_value="helix",
                     score=score, reason="same key 'user.editor', a different value", rule="keyed-update", slot="key")


VIM = mem("m_vim", "User's editor is vim.", key="user.editor", path="/user/tools.md")
TABS = mem("m_tabs", "User prefers tabs.", kind="preference", path="/user/preferences.md")
TABS2 = mem("m_tabs2", "user prefers tabs", 1, kind="preference")
HELIX = cand("c_helix", "User's editor is helix.", key="user.editor")
EMACS = cand("c_emacs", "User's editor is emacs.", 5, key="user.editor")
TABS_NEW = cand("c_tabs", "User prefers tabs!", kind="preference", rule="user-preference")
TABS_NEW2 = cand("c_tabs2", "User prefers tabs", 11, kind="preference", rule="user-preference")
TEA = cand("c_tea", "Alice likes tea.")


# --- update: restatements that date a stored memory ----------------------------------

def fold(target: Memory, candidate: Candidate, added: tuple[str, ...]) -> Fold:
    dated = target.replace(content=target.content + " (as of 4 January 2026)") if added else target
    return Fold(target=target, candidate=candidate, memory=dated, overlap=0.9, added=added)


RESTATEMENTS = {
    "a restatement carrying a date updates the stored memory": (
        dict(head=[VIM], new=[], folds=[fold(VIM, HELIX, ("4 January 2026",))]),
        [("update", "restatement-fold", ("m_vim",), ("m_vim",))], {"restated": 1, "dated": 1},
    ),
    "a restatement adding nothing changes nothing (but is counted)": (
        dict(head=[VIM], new=[], folds=[fold(VIM, HELIX, ())]),
        [], {"restated": 1, "dated": 0},
    ),
    "a restatement of a memory the dream did not load changes nothing": (
        dict(head=[], new=[], folds=[fold(VIM, HELIX, ("4 January 2026",))]),
        [], {"restated": 1, "dated": 0},
    ),
}


@pytest.mark.parametrize("given, changes, counts", RESTATEMENTS.values(), ids=RESTATEMENTS.keys())
def test_restatements(given, changes, counts) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert {k: p.counts[k] for k in counts} == counts


# --- merge: the core's duplicates ------------------------------------------------------

MERGES = {
    "a new candidate restating a stored memory is folded into it": (
        dict(head=[TABS], new=[TABS_NEW], merges=[merge(TABS.replace(mentions=2), "m_tabs", "c_tabs")]),
        [("merge", "same-words", ("m_tabs",), ("m_tabs",))], (), {"m_tabs": "/user/preferences.md"},
    ),
    "two stored duplicates: the one not kept is retired; the chosen path survives": (
        dict(head=[TABS, TABS2], merges=[merge(TABS2.replace(id="m_tabs"), "m_tabs", "m_tabs2")]),
        [("merge", "same-words", ("m_tabs", "m_tabs2"), ("m_tabs",))], ("m_tabs2",), {"m_tabs": "/user/preferences.md"},
    ),
    "new candidates only: one add, filed under a topic": (
        dict(new=[TABS_NEW, TABS_NEW2], merges=[merge(TABS_NEW.memory, "c_tabs", "c_tabs2")]),
        [("add", "same-words", (), ("c_tabs",))], (), {"c_tabs": "/user/preferences.md"},
    ),
}


@pytest.mark.parametrize("given, changes, retired, writes", MERGES.values(), ids=MERGES.keys())
def test_merges(given, changes, retired, writes) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert p.retire == retired
    assert written(p) == writes


# --- the judge's verdicts --------------------------------------------------------------

PAIR = {"case1": ("m_tabs", "c_tabs")}
VERDICTS = {
    "judged duplicates, the candidate older than the stored memory: the candidate's id is kept (one merge, no add)": (
        dict(head=[TABS2], new=[cand("c_old", "User prefers tabs!", -3, kind="preference")],
             pairs={"case1": ("m_tabs2", "c_old")},
             verdicts=[JudgeVerdict(case_id="case1", decision="duplicate", reason="same")]),
        [("merge", "judge:claude", ("m_tabs2",), ("c_old",))], ("m_tabs2",), {"c_old": "User prefers tabs!"},
    ),
    "judged duplicates: the stored memory is kept, the candidate folded in, with the judge's wording": (
        dict(head=[TABS], new=[TABS_NEW], pairs=PAIR,
             verdicts=[JudgeVerdict(case_id="case1", decision="duplicate", reason="same", merged="User likes tabs.")]),
        [("merge", "judge:claude", ("m_tabs",), ("m_tabs",))], (), {"m_tabs": "User likes tabs."},
    ),
    "judged an update: the newer value supersedes the stored one": (
        dict(head=[VIM], new=[HELIX], pairs={"case1": ("m_vim", "c_helix")},
             verdicts=[JudgeVerdict(case_id="case1", decision="update", reason="moved on", current="c_helix")]),
        [("supersede", "judge:claude", ("m_vim",), ("c_helix",))], ("m_vim",), {"c_helix": "User's editor is helix."},
    ),
    "judged distinct: both stay": (
        dict(head=[TABS], new=[TEA], pairs={"case1": ("m_tabs", "c_tea")},
             verdicts=[JudgeVerdict(case_id="case1", decision="distinct", reason="no")]),
        [("add", "user-fact", (), ("c_tea",))], (), {"c_tea": "Alice likes tea."},
    ),
    "undecided: both stay": (
        dict(head=[TABS], new=[TABS_NEW], pairs=PAIR,
             verdicts=[JudgeVerdict(case_id="case1", decision="undecided", reason="no model")]),
        [("add", "user-preference", (), ("c_tabs",))], (), {"c_tabs": "User prefers tabs!"},
    ),
    "a verdict on a case the plan was not given changes nothing": (
        dict(head=[TABS], new=[TABS_NEW], pairs={},
             verdicts=[JudgeVerdict(case_id="case1", decision="duplicate", reason="same")]),
        [("add", "user-preference", (), ("c_tabs",))], (), {"c_tabs": "User prefers tabs!"},
    ),
    "judged duplicates of two new candidates: one add (not two), the earliest created kept": (
        dict(new=[TABS_NEW2, TABS_NEW], pairs={"case1": ("c_tabs2", "c_tabs")},
             verdicts=[JudgeVerdict(case_id="case1", decision="duplicate", reason="same")]),
        [("add", "judge:claude", (), ("c_tabs",))], (), {"c_tabs": "User prefers tabs!"},
    ),
}


@pytest.mark.parametrize("given, changes, retired, contents", VERDICTS.values(), ids=VERDICTS.keys())
def test_verdicts(given, changes, retired, contents) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert p.retire == retired
    assert {m.id: m.content for m in p.upserts} == contents


def test_a_judged_duplicate_follows_the_one_merge_rule() -> None:
    """The newest observed_at, summed mentions, the union of provenance, the
    key of whichever member has one (the core's merges do the same)."""
    p = plan(head=[TABS], new=[cand("c_tabs", "User prefers tabs!", 30, key="user.indent", kind="preference")],
             pairs=PAIR, verdicts=[JudgeVerdict(case_id="case1", decision="duplicate", reason="same")])
    (kept,) = p.upserts
    assert kept.id == "m_tabs" and kept.content == "User prefers tabs." and kept.key == "user.indent"
    assert kept.observed_at == T0 + timedelta(days=30) and kept.first_seen == T0 and kept.mentions == 2
    assert {e.session_id for e in kept.provenance} == {"s0", "s30"}


# --- supersede: newer values -----------------------------------------------------------

SUPERSEDES = {
    "a new value retires the stored one and lives where it did": (
        dict(head=[VIM], new=[HELIX], supersedes=[supersede("m_vim", "c_helix")]),
        [("supersede", "keyed-update", ("m_vim",), ("c_helix",))], ("m_vim",), {"c_helix": "/user/tools.md"},
    ),
    "a value replaced twice in one dream: the middle one is never written": (
        dict(head=[VIM], new=[EMACS, HELIX], supersedes=[supersede("m_vim", "c_helix"), supersede("c_emacs", "c_helix")]),
        [("supersede", "keyed-update", ("m_vim",), ("c_helix",))], ("m_vim",), {"c_helix": "/user/tools.md"},
    ),
    "a value stated twice and replaced in the same dream: its merged add is withdrawn": (
        dict(new=[TABS_NEW, TABS_NEW2, HELIX], merges=[merge(TABS_NEW.memory, "c_tabs", "c_tabs2")],
             supersedes=[supersede("c_tabs", "c_helix")]),
        [("add", "user-fact", (), ("c_helix",))], (), {"c_helix": "/user/profile.md"},
    ),
    "a memory already merged away is not superseded again": (
        dict(head=[TABS, TABS2, VIM], merges=[merge(TABS, "m_tabs", "m_tabs2")],
             supersedes=[supersede("m_tabs2", "m_vim")]),
        [("merge", "same-words", ("m_tabs", "m_tabs2"), ("m_tabs",))], ("m_tabs2",), {"m_tabs": "/user/preferences.md"},
    ),
}


@pytest.mark.parametrize("given, changes, retired, writes", SUPERSEDES.values(), ids=SUPERSEDES.keys())
def test_supersedes(given, changes, retired, writes) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert p.retire == retired
    assert written(p) == writes


# --- conflict --------------------------------------------------------------------------

def conflict(*ids: str) -> Conflict:
    return Conflict(ids=tuple(sorted(ids)), subject="key user.editor", values=("vim", "helix"), score=80.0,
                    reason="different values observed at the same time")


CONFLICTS = {
    "same-time values: all kept, flagged": (
        dict(head=[VIM], new=[HELIX], conflicts=[conflict("m_vim", "c_helix")]),
        [("conflict", "same-time-values", ("m_vim",), ("c_helix", "m_vim")), ("add", "user-fact", (), ("c_helix",))], 1,
    ),
    "a side retired by another decision: no conflict left": (
        dict(head=[VIM], new=[HELIX, EMACS], supersedes=[supersede("m_vim", "c_helix")],
             conflicts=[conflict("m_vim", "c_emacs")]),
        [("supersede", "keyed-update", ("m_vim",), ("c_helix",)), ("add", "user-fact", (), ("c_emacs",))], 0,
    ),
}


@pytest.mark.parametrize("given, changes, count", CONFLICTS.values(), ids=CONFLICTS.keys())
def test_conflicts(given, changes, count) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert p.counts["conflicts"] == count


# --- add -------------------------------------------------------------------------------

ADDS = {
    "a new candidate is added, filed under a topic, and says which rule found it": (
        dict(new=[TABS_NEW]), [("add", "user-preference", (), ("c_tabs",))], {"c_tabs": "/user/preferences.md"},
        "extracted by rule 'user-preference' from session s10",
    ),
    "a candidate the core merged into a stored memory is not added": (
        dict(head=[TABS], new=[TABS_NEW], merges=[merge(TABS, "m_tabs", "c_tabs")]),
        [("merge", "same-words", ("m_tabs",), ("m_tabs",))], {"m_tabs": "/user/preferences.md"}, "2 entries state the same fact",
    ),
}


@pytest.mark.parametrize("given, changes, writes, reason", ADDS.values(), ids=ADDS.keys())
def test_adds(given, changes, writes, reason) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert written(p) == writes
    assert p.changes[0].reason == reason


# --- pattern ---------------------------------------------------------------------------

def pattern(mid: str, content: str, terms=("tabs",)) -> Candidate:
    memory = mem(mid, content, 12, kind="pattern", key="pattern.tabs",
                 metadata={"terms": list(terms), "sessions": ["s1", "s2"], "members": ["m_tabs", "m_tabs2"]})
    return Candidate(memory=memory, rule="pattern", confidence=0.7)


STORED_PATTERN = pattern("m_pat", "The user keeps asking for tabs.").memory.replace(path="/patterns.md")
PATTERNS = {
    "a new pattern is added under /patterns.md": (
        dict(patterns=[pattern("p_new", "The user keeps asking for tabs.")]),
        [("pattern", "recurring-community", (), ("p_new",))], {"p_new": "/patterns.md"},
    ),
    "a pattern found again rewrites the stored one (same id, same path)": (
        dict(head=[STORED_PATTERN], patterns=[pattern("p_new", "The user keeps asking for tabs, again.")]),
        [("pattern", "pattern-again", ("m_pat",), ("m_pat",))], {"m_pat": "/patterns.md"},
    ),
    "a pattern found again, reading the same: nothing to write": (
        dict(head=[STORED_PATTERN], patterns=[pattern("p_new", "The user keeps asking for tabs.")]),
        [], {},
    ),
}


@pytest.mark.parametrize("given, changes, writes", PATTERNS.values(), ids=PATTERNS.keys())
def test_patterns(given, changes, writes) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert written(p) == writes


# --- move (reorganise) -----------------------------------------------------------------

IMPORTED = mem("m_imp", "User prefers dark mode.", kind="preference")
MOVES = {
    "a freshly imported memory without a path is filed under its topic": (
        dict(head=[IMPORTED], fresh=["m_imp"]), [("move", "topic-path", ("m_imp",), ("m_imp",))],
        {"m_imp": "/user/preferences.md"},
    ),
    "a path someone chose is kept": (
        dict(head=[IMPORTED.replace(path="/ui.md")], fresh=["m_imp"]), [], {},
    ),
    "a stored memory that is not fresh is left where it is": (
        dict(head=[IMPORTED]), [], {},
    ),
}


@pytest.mark.parametrize("given, changes, writes", MOVES.values(), ids=MOVES.keys())
def test_moves(given, changes, writes) -> None:
    p = plan(**given)
    assert ops(p) == changes
    assert written(p) == writes
