"""The plan: decisions of the consolidation core turned into a changeset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dreaming.consolidate import consolidate
from dreaming.plan.changes import plan_changes
from dreaming.records import Candidate, Evidence, Memory

T0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


def candidate(mid: str, content: str, day: int) -> Candidate:
    at = T0 + timedelta(days=day)
    memory = Memory(id=mid, content=content, key="user.editor", observed_at=at, created_at=at,
                    provenance=(Evidence(session_id=f"s{day}", turn_ids=("t1",)),))
    return Candidate(memory=memory, rule="user-preference", confidence=0.8)


def test_a_value_restated_then_replaced_within_one_dream_is_not_added() -> None:
    """'vim' said twice (merged) then 'helix': only helix is written (the soak's
    one-big-dream run used to keep every recurring value of a keyed slot)."""
    new = [
        candidate("mem_1", "User's editor is vim.", 0),
        candidate("mem_2", "User's editor is vim.", 2),
        candidate("mem_3", "User's editor is helix.", 5),
        candidate("mem_4", "User's editor is emacs.", 1),
    ]
    decisions = consolidate([c.memory for c in new])
    assert {s.old_id for s in decisions.supersedes} == {"mem_1", "mem_4"}  # vim's merged memory, emacs
    plan = plan_changes(store_memories=[], candidates=new, consolidation=decisions)
    assert [m.content for m in plan.upserts] == ["User's editor is helix."]
    assert plan.retire == ()
    assert [(c.op, c.outputs) for c in plan.changes] == [("add", ("mem_3",))]
    assert plan.counts["added"] == 1
