"""Suite (a): two versions of the user's store on the user's tasks, end to end (Python and CLI)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from rich.console import Console

from dreaming.cli import cli
from dreaming.errors import DreamingError
from dreaming.evals import EvalConfig, OfflineAnswerer, eval_tasks, load_tasks, print_report, to_markdown, write_results
from dreaming.evals.versions import default_versions
from dreaming.records import Change, Changeset, Evidence, Memory
from dreaming.store.core import Store

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
SUMMARY_KEYS = ["suite", "answerer", "k", "overall", "categories", "size"]


def mem(mid: str, content: str, turn: str) -> Memory:
    return Memory(id=mid, content=content, created_at=T0,
                  provenance=(Evidence(session_id="s1", turn_ids=(turn,)),))


@pytest.fixture
def dreamed_store(store_path):
    """v1: an import holding an old value and a duplicate; v2: a dream that fixes both."""
    with Store.open(store_path) as store:
        store.import_memories([
            mem("mem_a", "User prefers vim", "t1"),
            mem("mem_b", "User prefers vim for editing", "t2"),
            mem("mem_c", "The deploy runs on Fridays", "t3"),
            mem("mem_d", "Staging uses a database", "t4"),
        ])
        store.write_version(Changeset(
            upserts=(mem("mem_e", "User prefers helix since 7 May 2023", "t9"),
                     mem("mem_d", "Staging uses the postgres 15 database", "t4")),
            retire=("mem_a", "mem_b"),
            changes=(Change(op="supersede", rule="keyed-update", inputs=("mem_a", "mem_b"), outputs=("mem_e",), reason="newer"),),
            origin="dream",
        ))
    return store_path


@pytest.fixture
def tasks_file(tmp_path):
    path = tmp_path / "mytasks.jsonl"
    rows = [
        {
            "id": "editor",
            "question": "Which editor does the user prefer?",
            "answer": "helix",
            "evidence": ["t9"],
            "category": "prefs",
        },
        {
            "id": "since",
            "question": "Since when does the user prefer helix?",
            "answer": "May 7, 2023",
            "category": "prefs",
        },
        {
            "id": "db",
            "question": "Which database does staging use?",
            "answer": "Postgres 15",
            "evidence": ["s1#t4"],
            "category": "ops",
        },
        {"id": "deploy", "question": "When does the deploy run?", "answer": "Fridays", "category": "ops"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_default_versions_are_the_newest_dream_and_its_parent(dreamed_store):
    with Store.open(dreamed_store) as store:
        assert default_versions(store) == (1, 2)
        assert default_versions(store, after=1) == (0, 1)
        assert default_versions(store, before=0) == (0, 2)
        with pytest.raises(DreamingError, match="version 7 does not exist"):
            default_versions(store, after=7)
        with pytest.raises(DreamingError, match="both version 2"):
            default_versions(store, before=2, after=2)


def test_no_dream_version_is_a_clear_error(store_path):
    with Store.open(store_path) as store:
        store.import_memories([mem("mem_a", "x", "t1")])
        with pytest.raises(DreamingError, match="no dream version"):
            default_versions(store)


def test_python_api_end_to_end(dreamed_store, tasks_file, tmp_path):
    with Store.open(dreamed_store) as store:
        report = eval_tasks(store, load_tasks(tasks_file), answerer=OfflineAnswerer())
    assert report.ks == (5, 10) and report.main_k == 10
    overall = report.completion()
    assert (overall.n, overall.before, overall.after) == (4, 0.25, 1.0)
    assert report.completion("prefs").before == 0.0 and report.completion("prefs").after == 1.0
    assert report.recall().n == 2
    assert (report.size_before.memories, report.size_after.memories) == (4, 3)
    summary = report.summary_json()
    assert list(summary) == SUMMARY_KEYS
    assert summary["categories"] == [
        {"category": "prefs", "n": 2, "before": 0.0, "after": 1.0},
        {"category": "ops", "n": 2, "before": 0.5, "after": 1.0},
    ]
    assert list(summary["size"]["before"]) == ["memories", "tokens"]
    # one token per 3 bytes of each "- content" line, rounded up
    lines_before = ["User prefers vim", "User prefers vim for editing", "The deploy runs on Fridays", "Staging uses a database"]
    assert summary["size"]["before"]["tokens"] == sum(-(-len(f"- {t}\n".encode()) // 3) for t in lines_before) == 37

    markdown = to_markdown(report)
    assert "## Task completion at k=10 (main)" in markdown
    assert "| overall | 4 | 25.0% | 100.0% | +75.0 pts | 4.00x |" in markdown
    console = Console(file=io.StringIO(), width=120, color_system=None)
    print_report(console, report)
    text = console.file.getvalue()
    assert "Task completion at k=5" in text and "Evidence recall@10" in text

    written = write_results(report, tmp_path / "out")
    names = sorted(p.name for p in written.paths)
    assert names == ["tasks.json", "tasks.md", "tasks.png"]
    assert (tmp_path / "out" / "tasks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "out" / "tasks.json").read_text())
    assert saved["summary"] == summary
    assert {c["id"] for c in saved["cases"]} == {"editor", "since", "db", "deploy"}
    assert "question" not in saved["cases"][0]  # task texts stay in the dataset


def test_cli_json_is_exactly_the_summary(dreamed_store, tasks_file, tmp_path):
    out = tmp_path / "results"
    result = CliRunner().invoke(cli, ["eval", "--tasks", str(tasks_file), "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == SUMMARY_KEYS
    assert data["suite"] == "tasks" and data["answerer"] == "offline" and data["k"] == 10
    assert data["overall"] == {"n": 4, "before": 0.25, "after": 1.0}
    assert sorted(p.name for p in out.iterdir()) == ["tasks-mytasks.json", "tasks-mytasks.md", "tasks-mytasks.png"]


def test_cli_table_explicit_versions_and_k(dreamed_store, tasks_file):
    result = CliRunner().invoke(
        cli, ["eval", "--tasks", str(tasks_file), "--before", "0", "--after", "1", "--k", "1", "--no-write"]
    )
    assert result.exit_code == 0, result.output
    assert "Task completion at k=1 (main)" in result.stdout
    assert "before = version 0, after = version 1" in result.stdout


def test_cli_errors_are_one_line(dreamed_store, tasks_file):
    runner = CliRunner()
    missing = runner.invoke(cli, ["eval", "--tasks", str(tasks_file), "--after", "9", "--no-write"])
    assert missing.exit_code == 1 and missing.output.count("\n") == 1 and "version 9 does not exist" in missing.output
    nothing = runner.invoke(cli, ["eval"])
    assert nothing.exit_code == 2 and "give --tasks FILE" in nothing.output
    misplaced = runner.invoke(cli, ["eval", "--k", "5", "drift"])
    assert misplaced.exit_code == 2 and "options go after the suite's name" in misplaced.output
    offline_model = runner.invoke(cli, ["eval", "--tasks", str(tasks_file), "--model", "x", "--no-write"])
    assert offline_model.exit_code == 1 and "--answerer claude only" in offline_model.output


def test_same_store_same_tasks_same_numbers_and_bytes(dreamed_store, tasks_file, tmp_path):
    outputs = []
    for run in ("one", "two"):
        with Store.open(dreamed_store) as store:
            report = eval_tasks(store, load_tasks(tasks_file), answerer=OfflineAnswerer(), config=EvalConfig(ks=(10, 5, 1)))
        write_results(report, tmp_path / run)
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / run).iterdir()})
    assert outputs[0] == outputs[1]


def test_cli_does_not_create_a_missing_store(store_path, tasks_file):
    result = CliRunner().invoke(cli, ["eval", "--tasks", str(tasks_file), "--no-write"])
    assert result.exit_code == 1 and f"no store at {store_path}" in result.output
    assert not store_path.exists()
