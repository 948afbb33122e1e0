"""FTS5 retrieval for evals: query building, per-version isolation, provenance ids and recall."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dreaming.evals.retrieval import Hit, evidence_ids, evidence_recall, version_index
from dreaming.records import Evidence, Memory
from dreaming.store.core import Store, fts_terms, stems_to_stop_word
from dreaming.text.words import SEARCH_STOP_WORDS as STOP_WORDS

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def mem(mid: str, content: str, *, session: str | None = None, turns: tuple[str, ...] = (), source: str | None = None):
    prov = (Evidence(session_id=session, turn_ids=turns, source=source),) if (session or source) else ()
    return Memory(id=mid, content=content, created_at=T0, provenance=prov)


@pytest.fixture
def store(store_path):
    with Store.open(store_path) as s:
        yield s


def test_query_words_split_like_the_tokenizer_and_stop_words_drop():
    assert fts_terms("What is Caroline's identity?") == ["what", "is", "caroline", "s", "identity"]
    assert fts_terms("What is Caroline's identity?", drop=STOP_WORDS) == ["caroline", "identity"]
    assert fts_terms('say "hi" -- x_y') == ["say", "hi", "x", "y"]


def test_possessive_question_finds_the_plain_name(store):
    store.import_memories([
        mem("mem_a", "Caroline is a transgender woman."),
        mem("mem_b", "Melanie paints sunsets."),
    ])
    found = [m.id for m, _ in store.search("What is Caroline's identity?", limit=5)]
    assert found == ["mem_a"]


def test_a_query_of_stop_words_only_still_searches(store):
    store.import_memories([mem("mem_a", "what it is"), mem("mem_b", "something else")])
    assert [m.id for m, _ in store.search("what is it")] == ["mem_a"]


def test_stop_words_do_not_pull_in_unrelated_memories(store):
    store.import_memories([
        mem("mem_a", "The deploy of the app is on the Friday of the week"),
        mem("mem_b", "Deploy target: kubernetes"),
    ])
    # "the" and "of" would have matched mem_a alone; only "deploy" and "target" count
    ranked = [m.id for m, _ in store.search("the target of the deploy")]
    assert ranked[0] == "mem_b"


def test_words_the_stemmer_turns_into_stop_words_are_known():
    # porter: "Ines" -> "in", "Wills" -> "will"; ordinary words and names keep their own stem
    assert [w for w in ("ines", "wills", "caroline", "lives", "editor", "in") if stems_to_stop_word(w)] == [
        "ines", "wills", "in"
    ]


def test_a_name_that_stems_to_a_stop_word_finds_only_its_own_memories(store):
    store.import_memories([
        mem("mem_hugo", "Hugo lives in Tallinn."),
        mem("mem_jonas", "Jonas lives in Oslo."),
        mem("mem_ines", "Ines's home city is Nairobi."),
        mem("mem_run", "Tests run in Docker."),
    ])
    # stemmed alone, "Ines" would match every memory saying "in"
    assert [m.id for m, _ in store.search("Ines")] == ["mem_ines"]
    ranked = [m.id for m, _ in store.search("Which city does Ines live in?")]
    assert ranked[0] == "mem_ines"
    assert set(ranked) == {"mem_ines", "mem_hugo", "mem_jonas"}  # "live" still matches stemmed
    assert "mem_run" not in ranked


def test_a_memory_scores_the_sum_of_both_indexes_past_the_first_depth(store):
    store.import_memories(
        [mem(f"mem_{i:03}", f"note {i} about the city") for i in range(120)]
        + [mem("mem_ines", "Ines moved to another city last spring and likes it there")]
    )
    found = dict((m.id, score) for m, score in store.search("Ines city", limit=200))
    conn = store.db.conn
    rid = conn.execute("SELECT rid FROM memories WHERE id = 'mem_ines'").fetchone()[0]
    city = conn.execute(
        "SELECT bm25(memories_fts) FROM memories_fts WHERE memories_fts MATCH '\"city\"' AND rowid = ?", (rid,)
    ).fetchone()[0]
    ines = conn.execute(
        "SELECT bm25(memories_words) FROM memories_words WHERE memories_words MATCH '\"ines\"' AND rowid = ?", (rid,)
    ).fetchone()[0]
    assert len(found) == 121
    assert found["mem_ines"] == pytest.approx(-(city + ines))
    assert max(found, key=found.get) == "mem_ines"


def test_the_unstemmed_index_is_rebuilt_for_a_store_written_before_it(store_path):
    with Store.open(store_path) as s:
        s.import_memories([mem("mem_ines", "Ines's home city is Nairobi."), mem("mem_hugo", "Hugo lives in Tallinn.")])
        # the store as an older release left it: no unstemmed index, no record of its migration
        s.db.conn.execute("DROP TABLE memories_words")
        s.db.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_memories_words'")
        s.db.conn.commit()
    with Store.open(store_path) as s:
        assert [m.id for m, _ in s.search("Ines")] == ["mem_ines"]


def test_index_holds_one_version_alone(store):
    """bm25 statistics of a version must not change when later versions are written."""
    store.import_memories([mem("mem_a", "vim is the editor"), mem("mem_b", "the editor is vim for editing code")])
    raw_first = [score for _, score in store.search("editor vim", version=1)]
    with version_index(store, 1) as index:
        first = index.search("editor vim", k=5)
    # a later version full of "vim" changes the shared index's statistics ...
    store.import_memories([mem(f"mem_v{i}", f"vim vim note {i}") for i in range(30)])
    assert [score for _, score in store.search("editor vim", version=1)] != raw_first
    # ... but not those of the version's own index
    with version_index(store, 1) as index:
        again = index.search("editor vim", k=5)
        assert index.memories == 2
    assert [(h.memory_id, h.score) for h in again] == [(h.memory_id, h.score) for h in first]
    assert {h.memory_id for h in first} == {"mem_a", "mem_b"}


def test_hits_are_best_first_and_limited(store):
    store.import_memories([mem(f"mem_{i}", f"helix note {i}" + " filler" * i) for i in range(8)])
    with version_index(store, 1) as index:
        hits = index.search("helix", k=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].memory_id == "mem_0"  # the shortest document ranks first under bm25


def test_evidence_ids_cover_turns_session_turns_and_sources():
    m = Memory(
        id="mem_a", content="x", created_at=T0,
        provenance=(Evidence(session_id="conv-26:session_3", turn_ids=("D3:5", "D3:6")), Evidence(source="notes.jsonl:4")),
    )
    assert evidence_ids(m) == {
        "D3:5", "D3:6", "conv-26:session_3#D3:5", "conv-26:session_3#D3:6", "notes.jsonl:4"
    }


def test_evidence_recall_is_the_share_of_gold_ids_cited():
    hits = [
        Hit(memory_id="a", content="", score=1.0, evidence_ids=frozenset({"D1:1", "D1:2"})),
        Hit(memory_id="b", content="", score=0.5, evidence_ids=frozenset({"D2:7"})),
    ]
    assert evidence_recall(["D1:1", "D2:7", "D9:9", "D9:8"], hits) == 0.5
    assert evidence_recall(["D1:1", "D2:7"], hits[:1]) == 0.5
    assert evidence_recall([], hits) is None
