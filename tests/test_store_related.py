"""Store.related: the neighbourhood of new memories, bounded on big stores."""

from __future__ import annotations

from datetime import datetime, timezone

from dreaming.records import Changeset, Memory
from dreaming.store import Store
from dreaming.testing.oracles import reference_related

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NAMES = ["Ana Pereira", "Bo Lindqvist", "Cai Okafor", "Dee Haddad", "Eli Novak", "Fay Rossi", "Gus Dubois"]
DRINKS = ["coffee", "tea", "matcha", "cocoa"]


def build(tmp_path) -> Store:
    store = Store.open(tmp_path / "s.db")
    memories = [
        Memory(id=f"mem_{i:04d}", content=f"{NAMES[i % len(NAMES)]} {i} likes {DRINKS[i % len(DRINKS)]} in the morning",
               created_at=T0)
        for i in range(400)
    ]
    memories.append(Memory(id="mem_zed", content="Zed Quarkwell likes coffee in the morning", created_at=T0))
    store.import_memories(memories, message="seed")
    return store


def test_a_small_store_is_searched_as_the_reference_does(tmp_path):
    store = build(tmp_path)
    texts = ["Ana Pereira likes tea", "Zed Quarkwell drinks coffee", "Who likes cocoa in the morning?"]
    assert [m.id for m in store.related(texts)] == [m.id for m in reference_related(store, texts)]


def test_a_big_store_is_searched_with_the_rarest_words(tmp_path):
    store = build(tmp_path)
    text = "Zed Quarkwell likes coffee in the morning"
    bounded = store.related([text], exact_below=0, budget=3)
    # only the rare name is searched: its memory, and not the hundred coffee drinkers
    assert [m.id for m in bounded] == ["mem_zed"]
    assert len(reference_related(store, [text])) == 20
    # a text made only of common words keeps its rarest one
    assert len(store.related(["likes coffee in the morning"], exact_below=0, budget=3)) == 20


def test_only_states_of_the_version_are_found(tmp_path):
    store = build(tmp_path)
    old = store.current(["mem_zed"])["mem_zed"]
    store.write_version(Changeset(upserts=(old.replace(content="Zed Quarkwell likes tea now"),), message="edit",
                                  origin="import"))
    found = store.related(["Zed Quarkwell"], exact_below=0, budget=3)
    assert [(m.id, m.content) for m in found] == [("mem_zed", "Zed Quarkwell likes tea now")]
    assert [m.content for m in store.related(["Zed Quarkwell"], exact_below=0, budget=3, version=1)] == [old.content]
