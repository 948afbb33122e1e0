"""The versioned store: semantics of versions, candidates, rollback, diff and bad stores."""

from __future__ import annotations

import sqlite3

import pytest

from dreaming import Change, Changeset, Memory, Store
from dreaming.errors import CandidatePending, StoreError, VersionNotFound


def mem(id_: str, content: str, **kw) -> Memory:
    return Memory(id=id_, content=content, **kw)


def contents(store: Store, v: int | None = None) -> list[str]:
    return sorted(m.content for m in store.snapshot(v))


@pytest.fixture
def store(store_path):
    s = Store.open(store_path)
    yield s
    s.close()


def test_new_store_is_at_version_zero_in_wal_mode(store):
    assert store.head == 0 and store.tip == 0
    assert store.snapshot() == []
    assert store.db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in store.db.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == ["m001_versioned_memories", "m002_transcripts", "m003_memories_fts", "m004_dream_lock",
                     "m005_memories_words", "m006_change_rules", "m007_review_decisions", "m008_batches_and_purges",
                     "m009_hosted_sync", "m010_vectors"]


def test_versions_are_numbered_in_creation_order(store):
    v1 = store.import_memories([mem("mem_a", "A")])
    v2 = store.import_memories([mem("mem_b", "B")])
    assert (v1.number, v2.number) == (1, 2)
    assert v2.parent == 1 and store.head == 2
    assert contents(store, 1) == ["A"] and contents(store, 2) == ["A", "B"]
    assert contents(store, 0) == []


def test_reimport_of_same_state_writes_no_version(store):
    store.import_memories([mem("mem_a", "A")])
    assert store.import_memories([mem("mem_a", "A")]) is None
    assert store.head == 1


def test_update_keeps_id_and_history(store):
    store.import_memories([mem("mem_a", "old wording")])
    store.import_memories([mem("mem_a", "new wording")])
    assert contents(store, 1) == ["old wording"] and contents(store, 2) == ["new wording"]
    states = store.history("mem_a")
    assert [m.content for m, _ in states] == ["old wording", "new wording"]
    assert [r for _, r in states] == [[(1, 2)], [(2, None)]]


def test_candidate_does_not_move_head_until_accepted(store):
    store.import_memories([mem("mem_a", "A")])
    cs = Changeset(
        upserts=(mem("mem_b", "B"),),
        retire=("mem_a",),
        changes=(
            Change(op="supersede", rule="keyed-update", inputs=("mem_a",), outputs=("mem_b",), reason="newer value", score=0.9),
        ),
        status="candidate",
        origin="dream",
    )
    v = store.write_version(cs)
    assert v.status == "candidate" and store.head == 1 and store.tip == 2
    assert contents(store) == ["A"] and contents(store, 2) == ["B"]
    with pytest.raises(CandidatePending, match="dreaming accept 2"):
        store.import_memories([mem("mem_c", "C")])
    store.accept()
    assert store.head == 2 and contents(store) == ["B"]


def test_reject_restores_head_and_keeps_candidate_readable(store):
    store.import_memories([mem("mem_a", "A"), mem("mem_x", "X")])
    store.write_version(
        Changeset(upserts=(mem("mem_b", "B"), mem("mem_x", "X2")), retire=("mem_a",), status="candidate")
    )
    store.reject(2)
    assert store.head == 1 and store.tip == 1
    assert contents(store, 2) == ["B", "X2"]
    v3 = store.import_memories([mem("mem_c", "C")])
    assert v3.number == 3 and v3.parent == 1
    assert contents(store, 3) == ["A", "C", "X"]
    assert contents(store, 2) == ["B", "X2"]


def test_accept_or_reject_without_candidate_is_a_clear_error(store):
    store.import_memories([mem("mem_a", "A")])
    with pytest.raises(StoreError, match="no candidate"):
        store.accept()
    with pytest.raises(StoreError, match="accepted, not a candidate"):
        store.reject(1)


def test_rollback_writes_a_new_version_equal_to_the_old_one(store):
    store.import_memories([mem("mem_a", "A")])
    store.import_memories([mem("mem_a", "A2"), mem("mem_b", "B")])
    v = store.rollback(1)
    assert v.number == 3 and v.origin == "rollback"
    assert contents(store) == ["A"]
    assert contents(store, 2) == ["A2", "B"]
    ops = sorted((c.op, tuple(m.content for m in c.before), tuple(m.content for m in c.after)) for c in store.changes(3))
    assert ops == [("rollback", ("A2",), ("A",)), ("rollback", ("B",), ())]
    assert store.rollback(1) is None  # already equal
    # states are shared, not copied
    assert store.db.conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 3


def test_unknown_version_is_refused(store):
    with pytest.raises(VersionNotFound, match="no versions yet"):
        store.snapshot(3)
    store.import_memories([mem("mem_a", "A")])
    with pytest.raises(VersionNotFound, match="versions 0 to 1"):
        store.rollback(7)


def test_failed_write_leaves_store_unchanged(store):
    store.import_memories([mem("mem_a", "A")])
    before = store.db.conn.execute("SELECT count(*) FROM memories").fetchone()[0]
    bad = Changeset(
        upserts=(mem("mem_b", "B"),),
        changes=(Change(op="merge", rule="same-words", inputs=("mem_missing",), outputs=("mem_b",)),),
    )
    with pytest.raises(StoreError, match="mem_missing"):
        store.write_version(bad)
    assert store.head == 1 and contents(store) == ["A"]
    assert store.db.conn.execute("SELECT count(*) FROM memories").fetchone()[0] == before
    with pytest.raises(StoreError, match="cannot retire"):
        store.write_version(Changeset(retire=("mem_nope",)))


def test_diff_reports_recorded_changes_then_net(store):
    store.import_memories([mem("mem_a", "A"), mem("mem_b", "B")])
    store.write_version(
        Changeset(
            upserts=(mem("mem_a", "A merged"),),
            retire=("mem_b",),
            changes=(
                Change(op="merge", rule="same-words", inputs=("mem_a", "mem_b"), outputs=("mem_a",), reason="dup", score=0.97),
            ),
            origin="dream",
        )
    )
    entries = store.diff(1, 2)
    assert [(e.op, e.reason, e.score) for e in entries] == [("merge", "dup", 0.97)]
    assert [m.content for m in entries[0].before] == ["A", "B"]
    reverse = store.diff(2, 1)
    assert sorted((e.op, e.reason.startswith("net")) for e in reverse) == [("add", True), ("update", True)]


def test_search_is_limited_to_the_version(store):
    store.import_memories([mem("mem_a", "User prefers vim")])
    store.import_memories([mem("mem_a", "User prefers helix")])
    assert [m.content for m, _ in store.search("prefers", version=1)] == ["User prefers vim"]
    assert [m.content for m, _ in store.search("vim")] == []
    assert [m.content for m, _ in store.search("helix editor")] == ["User prefers helix"]


def test_file_that_is_not_sqlite_is_refused(tmp_path):
    p = tmp_path / "notes.db"
    p.write_text("hello, I am not a database" * 100)
    with pytest.raises(StoreError, match="not a dreaming store"):
        Store.open(p)
    assert p.read_text().startswith("hello")


def test_other_sqlite_database_is_refused(tmp_path):
    p = tmp_path / "other.db"
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a dreaming store"):
        Store.open(p)


def test_store_from_newer_schema_is_refused(store_path):
    s = Store.open(store_path)
    s.db.conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('dreaming', 'm999_future', 'x')"
    )
    s.db.conn.commit()
    s.close()
    with pytest.raises(StoreError, match="newer version of dreaming.*m999_future"):
        Store.open(store_path)


def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create"):
        Store.open(blocker / "memory.db")
    assert blocker.read_text() == "x"


def test_store_path_that_is_a_directory(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)


def test_missing_store_without_create(tmp_path):
    with pytest.raises(StoreError, match="dreaming --store .* init"):
        Store.open(tmp_path / "nope.db", create=False)


def test_two_rejections_in_a_row_do_not_revive_the_first_candidate(store):
    # found by the state-machine test: a state only valid in rejected version 2
    # ends where version 3 begins and must not come back when 3 is rejected
    store.import_memories([mem("mem_0", "zero")])
    store.write_version(Changeset(upserts=(mem("mem_1", "one"),), status="candidate"))
    store.reject()
    store.write_version(Changeset(retire=("mem_0",), status="candidate"))
    store.reject()
    store.rollback(0)
    assert contents(store, 4) == []
    assert contents(store, 3) == [] and contents(store, 2) == ["one", "zero"]
    assert contents(store, 1) == ["zero"]


def test_reopened_state_survives_a_second_rejected_candidate(store):
    # A is retired by candidate 2 (rejected, so A comes back), then retired
    # again by candidate 3 (rejected too): A must be back again.
    store.import_memories([mem("mem_a", "A")])
    for _ in range(2):
        store.write_version(Changeset(retire=("mem_a",), status="candidate"))
        store.reject()
    store.import_memories([mem("mem_b", "B")])
    assert contents(store) == ["A", "B"]
    assert contents(store, 2) == [] and contents(store, 3) == []
