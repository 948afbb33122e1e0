"""The LoCoMo and drift suites end to end through the real dream pipeline, and determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.evals import EvalConfig, OfflineAnswerer, write_results
from dreaming.evals.drift import DriftConfig, eval_drift, generate
from dreaming.evals.locomo import eval_locomo
from dreaming.store.core import Store

MINI = Path(__file__).parent / "fixtures" / "locomo_mini.json"
SMALL = DriftConfig(people=3, days=20, mention_rate=0.2)
SUMMARY_KEYS = ["suite", "answerer", "k", "overall", "categories", "size"]


def test_locomo_suite_end_to_end(tmp_path):
    work = tmp_path / "work"
    report = eval_locomo(MINI, answerer=OfflineAnswerer(), config=EvalConfig(workdir=work))
    assert report.suite == "locomo" and report.dataset == "locomo_mini.json"
    assert report.categories == ("multi-hop", "temporal", "open-domain", "single-hop", "adversarial")
    assert report.completion().n == 7 and report.completion("adversarial").n == 1
    assert report.completion("temporal").before == 0.0  # no observation carries a date
    (unit,) = report.units
    assert (unit.unit, unit.before_version, unit.before.memories) == ("mini-1", 3, 10)
    # the stores were kept in the work directory: the after version is a dream over the before one
    with Store.open(work / "mini-1" / "memory.db") as store:
        after = store.version(unit.after_version)
        assert (after.origin, after.parent, after.status) == ("dream", 3, "accepted")
        assert [s.id for s in store.sessions()] == ["mini-1:session_1", "mini-1:session_2", "mini-1:session_3"]
        assert store.pending_count() == (0, 0)
        assert unit.after.memories == store.count(unit.after_version)
    assert [t.name for t in report.targets][-3:] == [
        "overall: +10 pts or more", "temporal: +15 pts or more", "tokens after <= 1.5x before"
    ]
    summary = report.summary_json()
    assert list(summary) == SUMMARY_KEYS
    assert [c["category"] for c in summary["categories"]] == list(report.categories)


def test_locomo_cli_json_and_result_files(tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(cli, ["eval", "locomo", str(MINI), "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == SUMMARY_KEYS and data["suite"] == "locomo" and data["k"] == 10
    assert data["size"]["before"]["memories"] == 10
    assert sorted(p.name for p in out.iterdir()) == ["locomo.json", "locomo.md", "locomo.png"]
    assert "## Targets" in (out / "locomo.md").read_text()
    unknown = CliRunner().invoke(cli, ["eval", "locomo", str(MINI), "--conversation", "conv-99", "--no-write"])
    assert unknown.exit_code == 1 and "no conversation 'conv-99'" in unknown.output


def test_drift_suite_end_to_end():
    world = generate(SMALL)
    report = eval_drift(SMALL, answerer=OfflineAnswerer())
    changed = sum(1 for t in world.tasks if t.wrong)
    assert report.completion().n == len(world.tasks)
    assert report.stale().n == changed
    assert report.completion("changed").n == changed
    assert report.size_before.memories == sum(len(d) for d in world.days)
    (unit,) = report.units
    assert unit.after_version == unit.before_version + 1
    assert [t.name for t in report.targets] == [
        "memories after <= 60% of before", "latest-value accuracy after >= 0.95", "stale answers after <= 2%"
    ]


def test_drift_cli(tmp_path):
    result = CliRunner().invoke(cli, ["eval", "drift", "--people", "2", "--days", "10", "--k", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Task completion at k=3 (main)" in result.stdout and "Stale answers" in result.stdout
    assert (tmp_path / "drift.png").exists()


def test_same_data_same_engine_same_numbers(tmp_path):
    for name, run in (
        ("locomo", lambda: eval_locomo(MINI, answerer=OfflineAnswerer())),
        ("drift", lambda: eval_drift(SMALL, answerer=OfflineAnswerer())),
    ):
        first, second = run(), run()
        assert first.to_json() == second.to_json()
        write_results(first, tmp_path / "a", name=name)
        write_results(second, tmp_path / "b", name=name)
        for suffix in ("json", "md", "png"):
            assert (tmp_path / "a" / f"{name}.{suffix}").read_bytes() == (tmp_path / "b" / f"{name}.{suffix}").read_bytes()


@pytest.mark.integration
def test_locomo_dev_split_runs_in_full(shared_data, tmp_path):
    path = shared_data / "locomo_dev" / "locomo_dev.json"
    result = CliRunner().invoke(cli, ["eval", "locomo", str(path), "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # 199 + 105 QA items, of which 47 + 24 adversarial (scored apart)
    assert data["overall"]["n"] == 233
    assert {c["category"]: c["n"] for c in data["categories"]} == {
        "multi-hop": 43, "temporal": 63, "open-domain": 13, "single-hop": 114, "adversarial": 71
    }
    assert data["size"]["before"]["memories"] == 184 + 169
    saved = json.loads((tmp_path / "locomo.json").read_text())
    assert [u["unit"] for u in saved["units"]] == ["conv-26", "conv-30"]


def test_tasks_suite_after_a_real_dream_over_the_samples(store_path, tmp_path):
    """The shipped samples: import, dream (a candidate for review), then the sample tasks by default versions."""
    from dreaming import DreamConfig, dream, import_file

    repo = Path(__file__).resolve().parent.parent
    with Store.open(store_path) as store:
        import_file(store, repo / "memory_store" / "sample_memories.jsonl")
        dreamed = dream(store, DreamConfig(transcripts=(repo / "transcripts",), review=True))
        assert (dreamed.version, dreamed.parent) == (2, 1)
    result = CliRunner().invoke(
        cli, ["eval", "--tasks", str(repo / "evals" / "sample_tasks.jsonl"), "--json", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["overall"]["n"] == 10
    assert [c["category"] for c in data["categories"]] == ["preferences", "project", "people", "workarounds"]
    saved = json.loads((tmp_path / "tasks-sample_tasks.json").read_text())
    assert [(u["before_version"], u["after_version"]) for u in saved["units"]] == [(1, 2)]
