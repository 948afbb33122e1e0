"""Size figures of a version: memories, approximate prompt tokens, consolidation work left."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dreaming.evals.size import measure, prompt_tokens
from dreaming.records import Memory
from dreaming.store.core import Store

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


def mem(mid: str, content: str, *, days: int = 0, key: str | None = None) -> Memory:
    at = T0 + timedelta(days=days)
    return Memory(id=mid, content=content, key=key, observed_at=at, created_at=at)


def test_tokens_are_one_per_three_bytes_of_each_listed_line():
    memories = [mem("a", "abc"), mem("b", "é" * 4)]  # "- abc\n" = 6 bytes -> 2; "- éééé\n" = 11 bytes -> 4
    assert prompt_tokens(memories) == 6
    assert prompt_tokens([]) == 0


def test_duplicates_and_superseded_facts_are_counted_and_gone_after_cleanup(store_path, tmp_path):
    with Store.open(store_path) as store:
        store.import_memories([
            mem("mem_a", "The user prefers tabs for indentation."),
            mem("mem_b", "The user prefers tabs for indentation.", days=1),
            mem("mem_c", "The staging database runs PostgreSQL 14.", key="project.staging_db"),
            mem("mem_d", "The staging database runs PostgreSQL 16.", days=9, key="project.staging_db"),
            mem("mem_e", "Deploys happen on Tuesdays."),
        ])
        store.import_memories([mem("mem_f", "Alice leads the billing team.")])
        messy = measure(store, 1)
        assert measure(store, 2).memories == 6
    with Store.open(tmp_path / "clean.db") as store:
        store.import_memories([
            mem("mem_a", "The user prefers tabs for indentation."),
            mem("mem_d", "The staging database runs PostgreSQL 16.", days=9, key="project.staging_db"),
            mem("mem_e", "Deploys happen on Tuesdays."),
        ])
        clean = measure(store, 1)
    assert (messy.memories, messy.duplicates, messy.superseded) == (5, 1, 1)
    assert (clean.memories, clean.duplicates, clean.superseded) == (3, 0, 0)
    assert clean.tokens < messy.tokens
