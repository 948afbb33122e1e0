"""``dreaming ingest`` through click's runner against real store files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dreaming import Store
from dreaming.cli import cli

from .conftest import REPO

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


@pytest.fixture
def run(store_path):
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, ["--store", str(store_path), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _turns(store_path: Path) -> int:
    with Store.open(store_path) as store:
        return store.stats()["turns"]


def test_summary_then_unchanged(run, store_path):
    first = run("ingest", str(FIXTURES))
    assert first.stdout == "Ingested 10 files: 9 new sessions, 37 new turns; 0 skipped.\n"
    assert first.stderr == ""
    assert _turns(store_path) == 37
    second = run("ingest", str(FIXTURES))
    assert second.stdout == "Ingested 0 files: 0 new sessions, 0 new turns; 0 skipped; 10 files unchanged.\n"


def test_json_counts_what_was_newly_added(run, tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text('{"role": "user", "content": "hi"}\n{oops\n')
    data = json.loads(run("ingest", str(path), "--json").stdout)
    assert data == {
        "files": 1, "sessions": 1, "turns": 1, "skipped": 1, "unchanged": 0,
        "warnings": [f"{path}:2: malformed JSON (Expecting property name enclosed in double quotes)"],
    }
    path.write_text('{"role": "user", "content": "hi"}\n{"role": "assistant", "content": "hello"}\n')
    again = json.loads(run("ingest", str(path), "--json").stdout)
    assert (again["files"], again["sessions"], again["turns"], again["skipped"]) == (1, 0, 1, 0)


def test_warnings_go_to_stderr(run, tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text('{"role": "user", "content": "hi"}\nnot json\n')
    result = run("ingest", str(path))
    assert result.stderr == f"warning: {path}:2: malformed JSON (Expecting value)\n"
    assert result.stdout.startswith("Ingested 1 file: 1 new session, 1 new turn; 1 skipped")


def test_strict_is_one_line_and_writes_nothing(run, tmp_path, store_path):
    shutil.copy(FIXTURES / "chat-jsonl" / "chat.jsonl", tmp_path / "a.jsonl")
    (tmp_path / "b.jsonl").write_text('{"role": "user", "content": "hi"}\n{"role": "user", "content": 3}\n')
    result = run("ingest", "--strict", str(tmp_path), code=1)
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'b.jsonl'}:2: missing field 'content' or 'text'")
    assert _turns(store_path) == 0
    assert "Traceback" not in result.output


def test_refusals_are_one_line(run, tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text('{"title": "x"}')
    result = run("ingest", str(notes), code=1)
    assert result.stderr == (
        f"Error: {notes}: not a transcript in any known format (known formats: claude-code, messages-json, "
        "chat-jsonl, locomo; force one with --format)\n"
    )
    blob = tmp_path / "blob.jsonl"
    blob.write_bytes(b"\0" * 32)
    assert "refused: a binary file" in run("ingest", str(blob), code=1).stderr
    big = FIXTURES / "chat-jsonl" / "chat.jsonl"
    assert "over the size limit of 100 bytes" in run("ingest", "--max-bytes", "100", str(big), code=1).stderr
    assert "no such file or directory" in run("ingest", str(tmp_path / "nope.jsonl"), code=1).stderr
    bad_format = run("ingest", "--format", "csv", str(big), code=2).stderr
    assert "'csv' is not one of 'claude-code', 'messages-json', 'chat-jsonl', 'locomo'" in bad_format


def test_forced_format_and_excerpt(run, store_path):
    path = FIXTURES / "claude-code" / "-home-ada-proj" / "sess-main.jsonl"
    run("ingest", "--format", "claude-code", "--excerpt-chars", "4", str(path))
    with Store.open(store_path) as store:
        call = next(t for t in store.turns("sess-main") if t.id == "a-01").tool_calls[0]
    assert call.result_excerpt == "REA…"


def test_default_inbox_is_transcripts(run, tmp_path, monkeypatch, store_path):
    monkeypatch.chdir(tmp_path)
    assert "no ./transcripts folder here" in run("ingest", code=1).stderr
    shutil.copytree(REPO / "transcripts", tmp_path / "transcripts")
    data = json.loads(run("ingest", "--json").stdout)
    assert (data["files"], data["sessions"], data["skipped"]) == (3, 3, 0)
    with Store.open(store_path) as store:
        assert {s.format for s in store.sessions()} == {"claude-code", "messages-json", "chat-jsonl"}
