"""ingest_paths with a real store: incremental, idempotent, strict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dreaming.errors import InputError
from dreaming.ingest import IngestConfig, ingest_paths, iter_files, read_transcript
from dreaming.records import Turn
from dreaming.store.core import Store

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
PROJECT = FIXTURES / "claude-code" / "-home-ada-proj"


@pytest.fixture
def store(store_path):
    with Store.open(store_path) as s:
        yield s


def _counts(store: Store) -> tuple[int, int, int]:
    conn = store.db.conn
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("sources", "sessions", "turns"))


def test_fixture_tree_then_nothing_new(store):
    report = ingest_paths(store, [FIXTURES])
    # 10 files: 2 anthropic, 2 chat, 5 claude code (one empty of turns: snapshots; one warmup), 1 locomo
    assert (report.files, report.skipped, report.unchanged, report.warnings) == (10, 0, 0, ())
    sessions = {s.id: s for s in store.sessions()}
    assert set(sessions) == {
        "anth-1", "messages_list", "c1", "c2", "no_times", "sess-main", "titles", "conv-x:session_1", "conv-x:session_2",
    }
    assert report.sessions == len(sessions)
    read_turns = sum(
        isinstance(item, Turn) for path in iter_files(FIXTURES) for item in read_transcript(path)
    )
    assert report.turns == store.stats()["turns"] == read_turns == 37
    again = ingest_paths(store, [FIXTURES])
    assert again.to_json() == {
        "files": 0, "sessions": 0, "turns": 0, "skipped": 0, "unchanged": 10, "redacted": 0, "redacted_kinds": {},
        "warnings": [],
    }


def test_subagent_file_merges_into_the_parent_session(store):
    ingest_paths(store, [PROJECT / "sess-main" / "subagents" / "agent-abc1234.jsonl"])
    early = store.session("sess-main")
    assert early.source == str(PROJECT / "sess-main.jsonl")
    assert early.started_at.isoformat() == "2026-01-05T10:04:02+00:00"
    ingest_paths(store, [PROJECT / "sess-main.jsonl"])
    merged = store.session("sess-main")
    assert (merged.started_at.isoformat(), merged.ended_at.isoformat()) == (
        "2026-01-05T10:00:00+00:00", "2026-01-05T10:04:11+00:00",
    )
    assert merged.metadata["models"] == ["claude-opus-4-6"] and merged.metadata["cwd"] == "/home/ada/proj"
    turns = store.turns("sess-main")
    ids = [t.id for t in turns]  # ordered by seq: the agent's turns inside the Task call
    assert ids.index("a-05") < ids.index("s-01") < ids.index("s-04") < ids.index("a-06")
    assert {t.agent_id for t in turns} == {None, "abc1234"}
    task = next(t for t in turns if t.id == "a-05").tool_calls[0]
    assert (task.name, task.is_error, task.result_excerpt) == ("Task", False, "The config is setup.cfg.")


def test_grown_file_adds_only_its_new_turns(store, tmp_path):
    lines = (PROJECT / "sess-main.jsonl").read_text().splitlines(keepends=True)
    path = tmp_path / "sess-main.jsonl"
    path.write_text("".join(lines[:14]))  # up to the answer "Noted: four spaces."
    first = ingest_paths(store, [path])
    assert (first.files, first.sessions) == (1, 1)
    before = {t.id: t for t in store.turns("sess-main")}
    assert "a-04" in before and "c-01" not in before
    path.write_text("".join(lines))  # the session went on
    second = ingest_paths(store, [path])
    after = store.turns("sess-main")
    assert (second.files, second.sessions, second.turns) == (1, 0, len(after) - len(before))
    assert second.turns > 0
    assert [t for t in after if t.id in before] == list(before.values())  # old turns untouched
    assert store.source_state(str(path)).sha256 != ""
    assert ingest_paths(store, [path]).unchanged == 1


def test_last_line_still_being_written_is_picked_up_later(store, tmp_path):
    lines = (PROJECT / "sess-main.jsonl").read_text().splitlines(keepends=True)
    path = tmp_path / "s.jsonl"
    path.write_text("".join(lines[:-3]) + lines[-3][:40])
    report = ingest_paths(store, [path])
    assert report.skipped == 1 and report.warnings[0].startswith(f"{path}:{len(lines) - 2}: truncated last line")
    assert "a-06" not in {t.id for t in store.turns("sess-main")}
    path.write_text("".join(lines))
    assert ingest_paths(store, [path]).skipped == 0
    assert "a-06" in {t.id for t in store.turns("sess-main")}


def test_skips_are_reported_and_counted(store, tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text('{"role": "user", "content": "a"}\nnope\n{"role": "user"}\n{"role": "user", "content": "b"}\n')
    report = ingest_paths(store, [path])
    assert (report.turns, report.skipped) == (2, 2)
    assert report.warnings == (
        f"{path}:2: malformed JSON (Expecting value)",
        f"{path}:3: missing field 'content' or 'text' (a string or content blocks)",
    )
    assert ingest_paths(store, [path]).skipped == 0  # unchanged: not read again
    copy = tmp_path / "copy.jsonl"
    shutil.copy(path, copy)
    capped = ingest_paths(store, [copy], config=IngestConfig(max_warnings=1))
    assert (capped.skipped, len(capped.warnings), capped.turns) == (2, 1, 2)


def test_strict_writes_nothing_at_all(store, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"role": "user", "content": "fine"}\n')
    bad = tmp_path / "z-bad.jsonl"
    bad.write_text('{"role": "user", "content": "ok"}\n{"role": "user", "content": "still being wri')
    with pytest.raises(InputError) as err:
        ingest_paths(store, [tmp_path], config=IngestConfig(strict=True))
    assert str(err.value).startswith(f"{bad}:2: truncated last line")
    assert "nothing was written" in str(err.value)
    assert _counts(store) == (0, 0, 0)  # not even good.jsonl, read first
    report = ingest_paths(store, [tmp_path])
    assert (report.files, report.turns, report.skipped) == (2, 2, 1)


def test_named_files_are_checked_before_anything_is_written(store, tmp_path):
    good = FIXTURES / "chat-jsonl" / "chat.jsonl"
    notes = tmp_path / "notes.json"
    notes.write_text('{"title": "not a transcript"}')
    with pytest.raises(InputError, match=r"notes.json: not a transcript in any known format \(known formats: claude-code"):
        ingest_paths(store, [good, notes])
    blob = tmp_path / "blob.jsonl"
    blob.write_bytes(b"\0\1\2" * 100)
    with pytest.raises(InputError, match="blob.jsonl: refused: a binary file"):
        ingest_paths(store, [good, blob])
    with pytest.raises(InputError, match="over the size limit of 10 bytes"):
        ingest_paths(store, [good], config=IngestConfig(max_bytes=10))
    with pytest.raises(InputError, match="missing.jsonl: no such file or directory"):
        ingest_paths(store, [good, tmp_path / "missing.jsonl"])
    with pytest.raises(InputError, match="unknown format 'csv'"):
        ingest_paths(store, [good], config=IngestConfig(format="csv"))
    assert _counts(store) == (0, 0, 0)


def test_walked_files_that_are_not_transcripts_are_warnings(store, tmp_path):
    shutil.copy(FIXTURES / "chat-jsonl" / "chat.jsonl", tmp_path / "chat.jsonl")
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / "blob.json").write_bytes(b"\0" * 64)
    (tmp_path / "README.md").write_text("# not even looked at")
    (tmp_path / "empty.jsonl").write_text("")
    report = ingest_paths(store, [tmp_path])
    assert (report.files, report.sessions, report.skipped) == (1, 2, 2)
    assert sorted(w.split(":")[0] for w in report.warnings) == [str(tmp_path / "blob.json"), str(tmp_path / "package.json")]
    (tmp_path / "blob.json").unlink()
    with pytest.raises(InputError, match="package.json: not a transcript"):
        ingest_paths(store, [tmp_path], config=IngestConfig(strict=True))


def test_forced_format_that_does_not_fit_a_walked_file_is_a_warning(store, tmp_path):
    shutil.copy(FIXTURES / "chat-jsonl" / "chat.jsonl", tmp_path / "a.jsonl")
    shutil.copy(FIXTURES / "messages-json" / "conversation.json", tmp_path / "b.json")
    report = ingest_paths(store, [tmp_path], config=IngestConfig(format="messages-json"))
    assert (report.files, report.sessions, report.skipped) == (1, 1, 1)
    assert report.warnings == (f"{tmp_path / 'a.jsonl'}: malformed JSON at line 2: Extra data",)
    with pytest.raises(InputError, match="a.jsonl: malformed JSON"):  # named: an error
        ingest_paths(store, [tmp_path / "a.jsonl"], config=IngestConfig(format="messages-json"))


def test_excerpt_size_is_configurable(store):
    ingest_paths(store, [PROJECT / "sess-main.jsonl"], config=IngestConfig(excerpt_chars=8))
    bash = next(t for t in store.turns("sess-main") if t.id == "a-01").tool_calls[0]
    assert bash.result_excerpt == "README.…"


def test_turns_flow_in_batches(store, tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"role": "user", "content": f"turn {i}"}) + "\n" for i in range(2500)))
    report = ingest_paths(store, [path], config=IngestConfig(batch_size=7))
    assert report.turns == 2500
    assert [t.text for t in store.turns("many")][-1] == "turn 2499"


@pytest.mark.integration
def test_all_shared_data(store, shared_data):
    report = ingest_paths(store, [shared_data])
    assert report.skipped == 0
    # 36 transcript files, 2 of them empty; 9 Claude Code sessions (one per file with turns,
    # sub-agents merged into theirs) and 38 LoCoMo sessions
    assert report.files == 34
    claude = [s for s in store.sessions() if s.format == "claude-code"]
    assert len(claude) == 9 and report.sessions == 47
    main = store.turns("b3edadab-bca0-4054-9b41-f7ffa6941260")
    assert {t.agent_id for t in main} == {None, "a434715"}
    assert report.turns == store.stats()["turns"]
    again = ingest_paths(store, [shared_data])
    assert (again.files, again.turns, again.unchanged) == (0, 0, 34)


def test_an_old_file_with_the_same_size_and_mtime_is_not_read_again(store, tmp_path):
    """Scheduled runs re-scan the inbox: files whose size and mtime are as
    stored are skipped on a stat; a rewrite that changes the mtime is read."""
    import os

    path = tmp_path / "chat.jsonl"
    path.write_text('{"role": "user", "content": "hello there"}\n')
    assert ingest_paths(store, [path]).turns == 1
    stat = path.stat()
    path.write_text('{"role": "user", "content": "HELLO THERE"}\n')  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert ingest_paths(store, [path]).unchanged == 1
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again = ingest_paths(store, [path])
    assert (again.unchanged, again.files) == (0, 1)
