"""Drift corpus A (evals/drift_scenarios/generator_a.py): deterministic, committed as generated, truth consistent."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dreaming.evals.scenarios import find_scenarios, matches
from evals.drift_scenarios import generator_a as gen

ROOT = Path(__file__).resolve().parents[1] / "evals" / "drift_scenarios"


@pytest.fixture(scope="module")
def built() -> list[gen.Built]:
    return gen.build_all(gen.SEED)


def test_same_seed_same_bytes_and_another_seed_differs(built: list[gen.Built]) -> None:
    again = gen.build_all(gen.SEED)
    assert [(b.store, b.truth) for b in again] == [(b.store, b.truth) for b in built]
    other = gen.build_all(gen.SEED + 1)
    assert all(o.store != b.store for o, b in zip(other, built))
    # another seed's corpus is as consistent as the committed one (no accidental token collisions)
    assert [p for o in other for p in o.problems(matches)] == []


def test_committed_folders_equal_a_fresh_generation() -> None:
    fresh = gen.generate(gen.SEED)
    on_disk = {p.name for p in (ROOT / "dev").iterdir() if p.is_dir()}
    assert on_disk == set(fresh), "regenerate: python3 -m evals.drift_scenarios.generator_a"
    for name, files in fresh.items():
        for rel, text in files.items():
            assert (ROOT / "dev" / name / rel).read_text(encoding="utf-8") == text, f"{name}/{rel} is stale"


def test_truth_matches_the_raw_store_with_the_scorers_own_matching(built: list[gen.Built]) -> None:
    for b in built:
        assert b.problems(matches) == [], b.world.name
        # the scorer reads every truth file
    names = {s.name for s in find_scenarios(ROOT, split="dev")}
    assert names == {b.world.name for b in built}


def test_raw_store_fails_what_a_dream_must_fix(built: list[gen.Built]) -> None:
    for b in built:
        store = [json.loads(line) for line in b.store.splitlines()]
        base = gen.baseline(store, b.truth, matches)
        assert base["current"][0] == base["current"][1]  # every latest value is in the store
        assert base["stale"][0] == 0  # every old value is still active
        restated = {f for f, vals, last in b.facts_of.values() if last in vals}
        held = {f: sum(1 for f2, vals, last in b.facts_of.values() if f2 == f and last in vals) for f in restated}
        assert base["one"][1] - base["one"][0] == sum(1 for n in held.values() if n > 1)


def test_the_checker_catches_a_truth_that_another_fact_satisfies(built: list[gen.Built]) -> None:
    b = built[0]
    truth = copy.deepcopy(b.truth)
    first, second = truth["current"][0], truth["current"][1]
    assert first["all"][0] == second["all"][0]  # one entity, two attributes
    first["all"] = [first["all"][0], second["all"][1]]  # this entity with the other attribute's value
    store = [json.loads(line) for line in b.store.splitlines()]
    assert any(p.startswith(f"current {first['id']}") for p in gen.check(store, truth, b.facts_of, matches))


def test_corpus_size_and_spread(built: list[gen.Built]) -> None:
    facts = sum(len(b.truth["current"]) for b in built)
    assert 500 <= facts <= 700
    for b in built:
        days = sorted(json.loads(line)["observed_at"][:10] for line in b.store.splitlines())
        span = (gen.datetime.fromisoformat(days[-1]) - gen.datetime.fromisoformat(days[0])).days
        assert 60 <= span <= 200, b.world.name
        assert b.truth["duplicates"] and b.truth["distinct"] and b.truth["keep"] and b.truth["stale"]
    size = sum(p.stat().st_size for p in (ROOT / "dev").rglob("*") if p.is_file())
    assert size < 2_000_000
