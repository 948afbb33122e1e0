"""Sentence vectors computed once per stored content, at write, and read back by the dream's second pass."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from dreaming import DreamConfig, dream
from dreaming.consolidate import consolidate, meaning
from dreaming.consolidate.vectors import StoredEmbedder, WordLlamaEmbedder
from dreaming.records import Changeset, Memory, sha256_text
from dreaming.store import Store
from dreaming.text import vectors

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
TEXTS = [
    "Mira is allergic to peanuts, so no satay",
    "Avoid peanuts in suggestions: Mira has an allergy.",
    "Our CI runs on GitHub Actions",
    "The CI pipeline is GitHub Actions.",
    "Staging lives at https://stg.example.org",
    "Deploys go out on Thursdays",
]


def _memories() -> list[Memory]:
    return [Memory(id=f"mem_{i}", content=t, path="/notes.md", observed_at=T0 + timedelta(days=i),
                   created_at=T0 + timedelta(days=i)) for i, t in enumerate(TEXTS)]


def _stored(store: Store) -> dict[str, bytes]:
    """content sha256 -> stored vector; no content has two"""
    rows = list(store.db.conn.execute(
        "SELECT m.content_sha256, v.vector FROM vectors v JOIN memories m ON m.rid = v.rid"))
    assert len(rows) == len({sha for sha, _ in rows})
    return dict(rows)


class Counting:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return WordLlamaEmbedder().embed(texts)


def test_a_vector_is_float16_and_the_same_in_any_batch() -> None:
    alone = vectors.embed([TEXTS[0]])
    batch = vectors.embed(TEXTS)
    assert batch.dtype == np.float32 and batch.shape == (len(TEXTS), vectors.DIMENSIONS)
    assert np.array_equal(alone[0], batch[0])
    assert np.array_equal(batch, batch.astype(np.float16).astype(np.float32))  # float16 values exactly
    assert np.array_equal(vectors.from_blobs([vectors.to_blob(v) for v in batch]), batch)
    assert len(vectors.to_blob(batch[0])) == vectors.BLOB_BYTES == 512


def test_every_written_content_gets_its_vector_once_and_a_move_adds_none(tmp_path) -> None:
    store = Store.open(tmp_path / "s.db")
    memories = _memories()
    store.import_memories(memories)
    stored = _stored(store)
    assert set(stored) == {sha256_text(t) for t in TEXTS}
    assert np.array_equal(vectors.from_blobs([stored[sha256_text(t)] for t in TEXTS]), vectors.embed(TEXTS))
    moved = tuple(m.replace(path="/project.md") for m in memories)
    store.write_version(Changeset(upserts=moved, message="move", origin="dream"))
    assert store.db.conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 2 * len(TEXTS)
    assert _stored(store) == stored
    edited = memories[0].replace(content="Mira is allergic to peanuts and cashews")
    store.write_version(Changeset(upserts=(edited,), message="edit", origin="dream"))
    assert set(_stored(store)) == set(stored) | {sha256_text(edited.content)}
    got = store.vectors([sha256_text(edited.content), "no-such-sha"])
    assert list(got) == [sha256_text(edited.content)]
    assert np.array_equal(got[sha256_text(edited.content)], vectors.embed([edited.content])[0])
    store.close()


def test_a_store_from_before_vectors_gets_them_when_opened(tmp_path) -> None:
    path = tmp_path / "s.db"
    store = Store.open(path)
    store.import_memories(_memories())
    with store.db.conn:
        store.db.conn.execute("DROP TABLE vectors")
        store.db.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_vectors'")
    store.close()
    store = Store.open(path)
    assert set(_stored(store)) == {sha256_text(t) for t in TEXTS}
    store.close()


def test_a_purge_drops_the_vector_of_the_content_it_rewrites(tmp_path) -> None:
    store = Store.open(tmp_path / "s.db")
    store.import_memories(_memories())
    store.purge(texts=["stg.example.org"])
    stored = _stored(store)
    assert sha256_text(TEXTS[4]) not in stored
    purged = store.db.conn.execute("SELECT content FROM memories WHERE id = 'mem_4'").fetchone()[0]
    assert "stg.example.org" not in purged and sha256_text(purged) in stored
    assert set(stored) == {r[0] for r in store.db.conn.execute("SELECT DISTINCT content_sha256 FROM memories")}
    store.close()


def test_the_stored_embedder_reads_the_store_and_embeds_only_new_texts(tmp_path) -> None:
    store = Store.open(tmp_path / "s.db")
    store.import_memories(_memories())
    counting = Counting()
    embedder = StoredEmbedder(store.vectors, fallback=counting)
    texts = [*TEXTS, "A text the store never held", TEXTS[0], "A text the store never held"]
    got = embedder.embed(texts)
    assert counting.texts == ["A text the store never held"]
    assert (embedder.stored, embedder.embedded) == (len(TEXTS) + 1, 1)
    assert np.array_equal(got, WordLlamaEmbedder().embed(texts))  # the oracle: every text embedded now
    store.close()


def test_the_second_pass_decides_the_same_from_stored_vectors(tmp_path) -> None:
    store = Store.open(tmp_path / "s.db")
    memories = _memories()
    store.import_memories(memories)
    core = consolidate(memories)
    counting = Counting()
    from_store = meaning.refine(core, memories, fresh=None, embedder=StoredEmbedder(store.vectors, fallback=counting))
    assert counting.texts == []
    assert from_store == meaning.refine(core, memories, fresh=None, embedder=WordLlamaEmbedder())
    assert from_store.merges or from_store.ambiguous != core.ambiguous  # the pass found the paraphrases
    store.close()


def test_after_a_dream_every_memory_of_head_has_its_vector(tmp_path) -> None:
    store = Store.open(tmp_path / "s.db")
    store.import_memories(_memories())
    dream(store, DreamConfig(review=False))
    shas = {m.content_sha256 for m in store.snapshot()}
    assert shas and shas <= set(_stored(store))
    store.close()
