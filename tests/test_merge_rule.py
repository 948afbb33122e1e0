"""The one merge rule (``dreaming.consolidate.merged``), and both paths that call it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dreaming.consolidate import consolidate
from dreaming.consolidate.merged import merged_memory
from dreaming.records import Evidence, Memory

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def mem(mid: str, created: int, *, observed: int | None = None, key: str | None = None, mentions: int = 1,
        first: int | None = None, last: int | None = None, session: str = "s", content: str = "User prefers tabs.") -> Memory:
    return Memory(
        id=mid, content=content, key=key, created_at=day(created), mentions=mentions,
        observed_at=None if observed is None else day(observed),
        first_seen=None if first is None else day(first), last_seen=None if last is None else day(last),
        provenance=(Evidence(session_id=session, turn_ids=(f"t{created}",)),),
    )


CASES = {
    "the earliest created id is kept, whatever the order given": (
        [mem("b", 2), mem("a", 5), mem("c", 1)], None,
        dict(id="c", created_at=day(1)),
    ),
    "equal creation times: the smallest id": (
        [mem("b", 2), mem("a", 2)], None, dict(id="a"),
    ),
    "the newest observed_at is the merged memory's time (not the keeper's)": (
        [mem("a", 1, observed=3), mem("b", 2, observed=9), mem("c", 3)], None, dict(id="a", observed_at=day(9)),
    ),
    "no member observed: no observed_at": (
        [mem("a", 1), mem("b", 2)], None, dict(observed_at=None),
    ),
    "first/last seen span every member (first_seen, else observed_at, else created_at)": (
        [mem("a", 4, first=2, last=6), mem("b", 1, observed=8), mem("c", 3)], None,
        dict(first_seen=day(2), last_seen=day(8)),
    ),
    "the keeper's key wins": (
        [mem("a", 1, key="user.indent"), mem("b", 2, key="user.tabs")], None, dict(key="user.indent"),
    ),
    "a keeper without a key takes the smallest key a member has": (
        [mem("a", 1), mem("c", 2, key="user.z"), mem("b", 3, key="user.a")], None, dict(id="a", key="user.a"),
    ),
    "mentions are summed": (
        [mem("a", 1, mentions=2), mem("b", 2, mentions=3)], None, dict(mentions=5),
    ),
    "provenance is the union of the members'": (
        [mem("a", 1, session="s1"), mem("b", 2, session="s2"), mem("c", 3, session="s1")], None,
        dict(provenance=(Evidence(session_id="s1", turn_ids=("t1", "t3")), Evidence(session_id="s2", turn_ids=("t2",)))),
    ),
    "the wording given (the core's best, the judge's) is the content": (
        [mem("a", 1), mem("b", 2, content="user prefers tabs")], "User likes tabs.", dict(content="User likes tabs."),
    ),
    "no wording given: the keeper's": (
        [mem("b", 2, content="user prefers tabs"), mem("a", 1)], None, dict(content="User prefers tabs."),
    ),
}


@pytest.mark.parametrize("members, content, expected", CASES.values(), ids=CASES.keys())
def test_the_merge_rule(members, content, expected) -> None:
    merged = merged_memory(members, content=content)
    assert {name: getattr(merged, name) for name in expected} == expected


def test_the_core_merges_by_the_same_rule() -> None:
    """The offline core's canonical memory is ``merged_memory`` of its members with the wording it chose."""
    members = [
        mem("m2", 2, observed=9, key="user.indent", session="s2", content="user prefers tabs"),
        mem("m1", 1, observed=3, session="s1", content="User prefers tabs."),
        mem("m3", 5, observed=4, mentions=2, session="s3", content="User prefers tabs."),
    ]
    (merge,) = consolidate(members).merges
    by_id = {m.id: m for m in members}
    assert merge.memory == merged_memory([by_id[i] for i in merge.members], content=merge.memory.content)
    kept = merge.memory
    assert (kept.id, kept.observed_at, kept.key, kept.mentions) == ("m1", day(9), "user.indent", 4)
