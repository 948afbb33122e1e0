"""Generator B (the validation half of the drift scenarios): deterministic, committed as generated, truth consistent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dreaming.evals.scenarios import find_scenarios, matches, read_truth
from evals.drift_scenarios import generator_b

FOLDER = Path(__file__).resolve().parent.parent / "evals" / "drift_scenarios" / "validation"


@pytest.fixture(scope="module")
def fresh() -> dict[str, dict[str, bytes]]:
    return generator_b.generate()


def test_same_seed_same_bytes_and_another_seed_differs(fresh):
    assert generator_b.generate() == fresh
    other = generator_b.generate(seed=7)
    assert other.keys() == fresh.keys()
    assert all(other[n]["store.jsonl"] != fresh[n]["store.jsonl"] for n in fresh)


def test_committed_folders_equal_a_fresh_generation(fresh):
    committed = sorted(p.name for p in FOLDER.iterdir() if p.is_dir())
    assert committed == sorted(fresh)
    for name, files in fresh.items():
        for rel, data in files.items():
            assert (FOLDER / name / rel).read_bytes() == data, f"{name}/{rel} differs: rerun the generator"


def test_every_truth_file_is_consistent_with_its_store():
    total = {"facts": 0, "memories": 0, "held_once": 0}
    for scenario in find_scenarios(FOLDER.parent, split="validation"):
        rows, truth = generator_b.read_folder(scenario.folder)
        assert read_truth(scenario.folder / "truth.json") == truth  # the scorer reads it
        base = generator_b.check(rows, truth, name=scenario.name)
        for k in total:
            total[k] += base[k]
        assert base["stale_left"] == base["stale"] > 0  # nothing dreamed: every stale value is still there
        assert truth["distinct"] and truth["duplicates"] and truth["keep"]
        # the scorer's own matcher agrees with the checker's: every current fact is held by some memory
        for entry in truth["current"]:
            assert any(matches(r["content"], entry["all"]) for r in rows), entry["id"]
    assert total["facts"] == 600 and total["memories"] < 2500
    assert total["held_once"] < total["facts"]  # duplicates and stale values: the raw store does not pass


def test_the_checker_refuses_a_truth_that_does_not_fit():
    rows, truth = generator_b.read_folder(FOLDER / "ward-rota")
    broken = json.loads(json.dumps(truth))
    broken["stale"][0]["all"] = ["the"]  # now matches other facts' memories and unrelated ones
    with pytest.raises(generator_b.TruthError):
        generator_b.check(rows, broken, name="ward-rota")
    missing = json.loads(json.dumps(truth))
    missing["current"][0]["all"] = ["no such entity anywhere"]
    with pytest.raises(generator_b.TruthError):
        generator_b.check(rows, missing, name="ward-rota")
