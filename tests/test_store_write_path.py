"""The write path against its reference: a state is rewritten exactly when
Memory.same_state says it changed, whatever the store holds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dreaming.records import Changeset, Evidence, Memory
from dreaming.store import Store
from dreaming.store.core import _same_state, _state_values

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
PLUS2 = timezone(timedelta(hours=2))

metadata = st.sampled_from([{}, {"a": 1}, {"a": 1.0}, {"a": [1, 2]}, {"b": "x", "a": 1}, {"a": True}])
provenance = st.sampled_from([
    (), (Evidence(source="f.jsonl:1"),), (Evidence(session_id="s1", turn_ids=("t1", "t2")),),
    (Evidence(session_id="s1", turn_ids=("t2", "t1")),), (Evidence(session_id="s1"), Evidence(source="x")),
])
times = st.sampled_from([None, T0, T0.astimezone(PLUS2), T0 + timedelta(seconds=1), T0.replace(tzinfo=None)])


@st.composite
def memories(draw) -> Memory:
    return Memory(
        id="mem_a", content=draw(st.sampled_from(["Bo likes tea.", "Bo likes tea!", "Bo likes tea."])),
        path=draw(st.sampled_from(["/notes.md", "/people/bo.md"])), kind=draw(st.sampled_from(["fact", "preference"])),
        key=draw(st.sampled_from([None, "bo.drink"])), observed_at=draw(times), created_at=T0,
        first_seen=draw(times), last_seen=draw(times), mentions=draw(st.integers(1, 3)),
        metadata=draw(metadata), provenance=draw(provenance),
    )


@settings(max_examples=150, deadline=None)
@given(stored=memories(), new=memories())
def test_a_state_is_rewritten_exactly_when_it_changed(tmp_path_factory, stored, new):
    store = Store.open(tmp_path_factory.mktemp("w") / "s.db")
    store.import_memories([stored], explicit_created=[stored.id])
    row = store._open_states(store.db.conn, [stored.id], scan=False)[stored.id]
    expected = store.current([stored.id])[stored.id].same_state(new)
    assert _same_state(row, new, _state_values(new)) == expected
    version = store.write_version(Changeset(upserts=(new,), message="edit", origin="import"))
    assert (version is None) == expected
    assert store.current([new.id])[new.id].same_state(new)
    store.close()


def test_a_big_write_reads_the_open_states_in_one_pass(tmp_path):
    store = Store.open(tmp_path / "s.db")
    seed = [Memory(id=f"mem_{i:03d}", content=f"note {i}", created_at=T0) for i in range(200)]
    store.import_memories(seed, explicit_created=[m.id for m in seed])
    edits = tuple(m.replace(path="/facts.md") if i % 2 else m for i, m in enumerate(seed))
    version = store.write_version(Changeset(upserts=edits, retire=(), message="file half", origin="dream"))
    assert version is not None and version.counts["written"] == 100 and version.counts["updated"] == 100
    assert {m.path for m in store.snapshot()} == {"/notes.md", "/facts.md"}
    assert store.count() == 200


def test_a_loaded_memory_is_the_memory_written(tmp_path):
    store = Store.open(tmp_path / "s.db")
    memories = [
        Memory(id="mem_a", content="A.", created_at=T0, observed_at=T0, first_seen=T0, last_seen=T0),
        Memory(id="mem_b", content="B.", created_at=T0, observed_at=T0.astimezone(PLUS2), first_seen=T0,
               last_seen=T0 + timedelta(days=1), metadata={"project": "x"},
               provenance=(Evidence(session_id="s", turn_ids=("t1",)), Evidence(source="f:1"))),
        Memory(id="mem_c", content="C.", created_at=T0, kind="preference", key="k"),
    ]
    store.import_memories(memories, explicit_created=[m.id for m in memories])
    loaded = {m.id: m for m in store.snapshot()}
    for m in memories:
        assert loaded[m.id].same_state(m) and loaded[m.id] == m
    # the empty metadata memories share cannot be changed through one of them
    empty = loaded["mem_a"].metadata
    with pytest.raises(TypeError):
        empty["x"] = 1  # type: ignore[index]
    assert loaded["mem_c"].metadata == {} and dict(empty) == {}
