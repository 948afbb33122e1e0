"""`dreaming eval scenarios`: the truth file is read strictly and scored as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dreaming.errors import InputError
from dreaming.evals.scenarios import find_scenarios, matches, read_truth, score
from dreaming.records import Memory, parse_time

ROOT = Path(__file__).resolve().parents[1]


def _mem(mid: str, content: str) -> Memory:
    at = parse_time("2026-03-01T10:00:00Z")
    return Memory(id=mid, content=content, path="/notes.md", observed_at=at, created_at=at)


def test_matches_folds_case_space_quotes_and_takes_alternatives() -> None:
    assert matches("User\u2019s  editor is  Neovim", ["user's editor", "neovim"])
    assert matches("launch on 3 March 2026", [["2026-03-03", "3 march 2026"]])
    assert not matches("launch on 4 March 2026", [["2026-03-03", "3 march 2026"]])


def test_score_counts_each_kind() -> None:
    truth = {
        "current": [{"id": "editor", "all": ["neovim"], "one": True, "class": "update"}],
        "stale": [{"id": "old", "all": ["pycharm"], "current": "editor"}],
        "duplicates": [{"a": "m1", "b": "m2"}],
        "distinct": [{"a": "m3", "b": "m4"}],
        "keep": ["m5"],
        "secrets": ["hunter2"],
        "injections": [{"all": ["memory store must be empty"]}],
    }
    active = [
        _mem("n1", "switched from PyCharm to Neovim"),  # holds the stale token but also the current fact: not stale
        _mem("n2", "editor: neovim"),  # a second copy: 'one' fails
        _mem("m1", "CI is GitHub Actions"),
        _mem("m3", "Tier: Pro (annual)"),
        _mem("m5", "unrelated"),
    ]
    checks = {(c.kind, c.id): c for c in score(truth, active, ["a state with hunter2 in it"])}
    assert checks[("current", "editor")].passed
    assert not checks[("one", "editor")].passed
    assert checks[("stale", "old")].passed
    assert checks[("duplicate", "m1~m2")].passed  # m2 is gone
    assert not checks[("distinct", "m3|m4")].passed  # m4 is gone
    assert checks[("keep", "m5")].passed
    assert not checks[("secret", "secret1")].passed
    assert checks[("injection", "injection1")].passed


def test_stale_left_active_is_caught() -> None:
    truth = {"current": [{"id": "e", "all": ["neovim"]}], "stale": [{"all": ["pycharm"], "current": "e"}]}
    checks = score(truth, [_mem("a", "editor: PyCharm"), _mem("b", "editor: Neovim")], [])
    assert [c.passed for c in checks if c.kind == "stale"] == [False]


def test_bad_truth_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "truth.json"
    bad.write_text('{"current": [{"id": "x"}]}')
    with pytest.raises(InputError, match="non-empty 'all'"):
        read_truth(bad)
    bad.write_text('{"current": [],\n "surprise": 1}')
    with pytest.raises(InputError, match="unknown key"):
        read_truth(bad)
    bad.write_text('{"current": [\n')
    with pytest.raises(InputError) as err:
        read_truth(bad)
    assert err.value.location and err.value.location.startswith(str(bad))


def _scenario(folder: Path) -> None:
    (folder / "sessions").mkdir(parents=True)
    (folder / "store.jsonl").write_text(
        json.dumps({"id": "m1", "content": "The user's favourite editor is PyCharm.", "path": "/user/preferences.md",
                    "observed_at": "2026-01-05T10:00:00Z"}) + "\n"
        + json.dumps({"id": "m2", "content": "Deploys go out on Thursdays.", "path": "/projects/shop/conventions.md",
                      "observed_at": "2026-01-06T10:00:00Z"}) + "\n"
    )
    session = [
        {"type": "user", "uuid": "u1", "parentUuid": None, "sessionId": "s1", "timestamp": "2026-03-02T09:00:00Z",
         "cwd": "/home/sam/shop", "message": {"role": "user", "content": "I prefer tabs over spaces for indentation."}},
    ]
    (folder / "sessions" / "s1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in session))
    (folder / "truth.json").write_text(json.dumps({
        "domain": "coding",
        "current": [{"id": "tabs", "all": ["tabs"], "class": "plain"}, {"id": "deploy", "all": ["thursday"]}],
        "keep": ["m1", "m2"],
    }))


def test_cli_runs_the_halves_apart_and_writes_results(tmp_path: Path) -> None:
    for half in ("dev", "validation"):
        _scenario(tmp_path / "corpus" / half / f"s-{half}")
    found = find_scenarios(tmp_path / "corpus")
    assert [(s.split, s.name) for s in found] == [("dev", "s-dev"), ("validation", "s-validation")]
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "dreaming", "--store", str(tmp_path / "unused.db"), "eval", "scenarios",
         str(tmp_path / "corpus"), "--out", str(out), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert set(summary["splits"]) == {"dev", "validation"}
    for half in ("dev", "validation"):
        totals = summary["splits"][half]["totals"]
        assert totals["keep"] == [2, 2]
        assert totals["current"][1] == 2
    data = json.loads((out / "scenarios.json").read_text())
    assert len(data["results"]) == 2
    assert "| check | dev | validation |" in (out / "scenarios.md").read_text()


def test_cli_bad_folder_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dreaming", "--store", str(tmp_path / "x.db"), "eval", "scenarios", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert proc.returncode != 0
    assert "no scenario folders" in proc.stderr
    assert "Traceback" not in proc.stderr
