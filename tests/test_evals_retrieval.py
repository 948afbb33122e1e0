"""FTS5 retrieval for evals: query building, per-version isolation, provenance ids and recall."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dreaming.evals.retrieval import Hit, evidence_ids, evidence_recall, version_index
from dreaming.records import Evidence, Memory
from dreaming.store import STOP_WORDS, Store, fts_terms

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
