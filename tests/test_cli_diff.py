"""`dreaming diff` at the size of a real dream: the summary first, filters,
--limit, --full and --quote-chars, JSON that says what it kept, and $PAGER on
a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dreaming import Change, Changeset, Evidence, Memory, Store
from dreaming.cli import cli
from dreaming.records import Session, Turn
from dreaming.store.core import SourceState
from dreaming.testing.review_candidates import big_candidate

from .conftest import REPO

LONG = "I moved to Lisbon in March. " + "We talked about the flat, the tram, the light and the food. " * 12 + "THE END"


@pytest.fixture
def run(store_path):
    runner = CliRunner(env={"COLUMNS": "400"})  # one line per printed line

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, ["--store", str(store_path), *args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.fixture
def big(store_path):
    with Store.open(store_path) as store:
        made = big_candidate(store, n=150, seed=3)
        changes = store.diff(1, made.version)
    return changes


def test_summary_comes_first_with_counts_by_op_and_path(run, big):
    out = run("diff", "--limit", "2").output
    ops = {}
    for c in big:
        ops[c.op] = ops.get(c.op, 0) + 1
    first = out.splitlines()[0]
    assert first.startswith("diff version 1 → 2: 150 changes (") and f"{ops['add']} add" in first
    assert "topic path" in out and "/project/tools.md" in out and "more paths" in out
    assert "150 changes; the first 2 shown (--limit)" in out
    assert out.count("\n#") == 2


def test_filters_pick_exactly_the_matching_changes(run, big):
    def listed(*args):
        data = json.loads(run("diff", "--json", *args).output)
        return data, [(c["op"], c["score"]) for c in data["changes"]]

    data, rows = listed("--op", "merge", "--op", "supersede")
    assert {op for op, _ in rows} == {"merge", "supersede"}
    assert len(rows) == sum(1 for c in big if c.op in ("merge", "supersede")) == data["matched"]
    assert data["total"] == 150 and data["counts"]["by_op"]["add"] > 0 and data["filters"] == "op merge|supersede"
    _, rows = listed("--min-score", "0.5", "--max-score", "0.7")
    assert rows and all(s is not None and 0.5 <= s <= 0.7 for _, s in rows)
    assert len(rows) == sum(1 for c in big if c.score is not None and 0.5 <= c.score <= 0.7)
    data, _ = listed("--path", "/people/alice/")
    assert data["changes"] and all(
        any(m["path"].startswith("/people/alice/") for m in c["before"] + c["after"]) for c in data["changes"])
    data, _ = listed("--path", "/people/*/work.md")
    assert data["changes"] and all(
        any(m["path"].endswith("/work.md") for m in c["before"] + c["after"]) for c in data["changes"])
    data, rows = listed("--rule", "newer-value")
    assert {op for op, _ in rows} == {"supersede"} and len(rows) == sum(1 for c in big if c.op == "supersede")
    data, _ = listed("--grep", "LISBON", "--op", "add")
    assert data["changes"] and all(
        "lisbon" in json.dumps(c).lower() for c in data["changes"])
    data, _ = listed("--grep", "lisbon(", "--limit", "1")  # not a valid regex: taken literally
    assert data["matched"] == 0
    out = run("diff", "--op", "merge", "--limit", "0").output
    assert f"{sum(1 for c in big if c.op == 'merge')} match op merge; the first 0 shown" in out


def test_full_text_and_quote_chars(run, store_path):
    with Store.open(store_path) as store:
        store.import_memories([Memory(id="m_old", content="Caroline lives in Boston.")])
        turn = Turn(id="t1", session_id="s1", seq=0, role="user", speaker="Caroline", text=LONG)
        store.record_ingest(SourceState(path="/s.json", format="chat", size=1, mtime=0.0, sha256="s"),
                            [turn, Session(id="s1", source="/s.json", format="chat")])
        ev = (Evidence(session_id="s1", turn_ids=("t1",)),)
        long_memory = "Caroline lives in Lisbon since March 2026, " + "near the river, " * 20 + "in a flat."
        store.write_version(Changeset(
            upserts=(Memory(id="m_new", content=long_memory, provenance=ev),), retire=("m_old",),
            changes=(Change(op="supersede", rule="keyed-update", inputs=("m_old",), outputs=("m_new",), reason="newer",
                            evidence=ev),),
            status="candidate"))
    out = run("diff", "--quote-chars", "60").output
    quote = next(line for line in out.splitlines() if "[s1#t1]" in line)
    assert "I moved to Lisbon in March." in quote and quote.endswith("…") and "THE END" not in out
    assert len(quote.split("]: ", 1)[1].strip()) <= 60
    assert "in a flat." not in out  # memory text cut without --full
    full = run("diff", "--full").output.replace("\n", " ")
    assert "THE END" in full and "in a flat." in full and "m_new" in full
    assert "THE END" in run("diff", "--quote-chars", "5000").output.replace("\n", " ")
    data = json.loads(run("diff", "--json", "--quote-chars", "60").output)
    assert len(data["changes"][0]["quotes"][0]["text"]) == 60


def test_a_terminal_gets_the_pager(store_path, tmp_path):
    with Store.open(store_path) as store:
        big_candidate(store, n=40, seed=1)
    paged = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > '{paged}'\n")
    pager.chmod(0o755)
    primary, secondary = pty.openpty()
    env = {**os.environ, "PAGER": str(pager), "PYTHONPATH": str(REPO), "TERM": "xterm"}
    proc = subprocess.run([sys.executable, "-m", "dreaming", "--store", str(store_path), "diff", "--op", "add"],
                          stdin=secondary, stdout=secondary, stderr=subprocess.PIPE, env=env, timeout=60)
    os.close(secondary)
    os.close(primary)
    assert proc.returncode == 0, proc.stderr
    text = paged.read_text()
    assert text.startswith("diff version 1 → 2: 40 changes") and "match op add" in text
    piped = subprocess.run([sys.executable, "-m", "dreaming", "--store", str(store_path), "diff", "--limit", "1"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert piped.stdout.startswith("diff version 1 → 2") and paged.read_text() != piped.stdout
