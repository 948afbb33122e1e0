"""Anthropic Messages, chat JSONL and LoCoMo readers; format detection and
refusals."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dreaming.errors import InputError
from dreaming.ingest import ReadOptions, Skip, Source, check_file, detect, iter_files, read_transcript
from dreaming.records import Session, Turn

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def read(path: Path, fmt: str | None = None) -> tuple[list[Turn], list[Session], list[Skip]]:
    items = list(read_transcript(path, format=fmt))
    return (
        [i for i in items if isinstance(i, Turn)],
        [i for i in items if isinstance(i, Session)],
        [i for i in items if isinstance(i, Skip)],
    )


# --- Anthropic Messages ----------------------------------------------------------


def test_anthropic_object_with_system_tools_and_document_times():
    turns, (session,), skips = read(FIXTURES / "messages-json" / "conversation.json")
    assert skips == []
    assert [(t.id, t.role) for t in turns] == [
        ("system", "system"), ("m0", "user"), ("msg_a1", "assistant"), ("msg_a2", "assistant"), ("m4", "user"),
    ]
    (call,) = turns[2].tool_calls
    assert (call.name, call.id, call.is_error, call.result_excerpt) == ("get_weather", "toolu_w", False, "Sunny, 21C")
    assert json.loads(call.input_summary) == {"city": "Lyon", "days": 3}
    assert turns[4].text == "Great, thanks!\n\n[image]"
    assert session.id == "anth-1"
    assert session.metadata == {"user_id": "bea", "model": "claude-sonnet-4-5"}
    assert session.time_source == "transcript"
    assert session.started_at == datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)  # +01:00 kept, same instant
    assert session.started_at.utcoffset().total_seconds() == 3600


def test_anthropic_list_uses_message_times_and_file_name():
    turns, (session,), _ = read(FIXTURES / "messages-json" / "messages_list.json")
    assert [t.id for t in turns] == ["m0", "m1", "m2", "m3"]
    assert session.id == "messages_list"
    assert (session.started_at.isoformat(), session.ended_at.isoformat()) == (
        "2025-04-01T08:00:00+00:00", "2025-04-02T08:00:04+00:00",
    )


def test_anthropic_bad_messages_are_skipped_with_their_line(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('[\n{"role": "user", "content": "hi"},\n{"role": "robot", "content": "x"},\n'
                    '{"role": "assistant"},\n{"role": "assistant", "content": "ok", "timestamp": "soon"}\n]\n')
    turns, _, skips = read(path, "messages-json")
    assert [t.text for t in turns] == ["hi"]
    assert [(s.location, s.reason.split(":")[0]) for s in skips] == [
        (f"{path}:3", "message 1"), (f"{path}:4", "message 2"), (f"{path}:5", "message 3"),
    ]


def test_anthropic_forced_on_the_wrong_document_is_an_error(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="needs a 'messages' list"):
        list(read_transcript(path, format="messages-json"))


# --- chat JSONL ------------------------------------------------------------------


def test_chat_jsonl_interleaved_sessions():
    turns, sessions, skips = read(FIXTURES / "chat-jsonl" / "chat.jsonl")
    assert skips == []
    by_session = {s.id: s for s in sessions}
    assert set(by_session) == {"c1", "c2"}
    c1 = [t for t in turns if t.session_id == "c1"]
    assert [(t.id, t.role, t.text) for t in c1] == [
        ("line-1", "user", "I'm allergic to peanuts."),
        ("c1-t2", "assistant", "I'll keep that in mind."),
        ("line-5", "user", "Also, no shellfish."),
    ]
    c2 = [t for t in turns if t.session_id == "c2"]
    assert [(t.role, t.speaker) for t in c2] == [("speaker", "Dan"), ("speaker", "Eve")]
    assert c2[1].timestamp == datetime.fromtimestamp(1746100060, timezone.utc)  # epoch milliseconds
    assert by_session["c2"].metadata == {"speakers": ["Dan", "Eve"]}
    assert by_session["c1"].ended_at.isoformat() == "2025-05-01T12:01:00+02:00"


def test_chat_jsonl_without_times_uses_the_file_mtime():
    path = FIXTURES / "chat-jsonl" / "no_times.ndjson"
    turns, (session,), _ = read(path)
    assert session.id == "no_times"
    assert session.time_source == "file_mtime"
    assert session.started_at == datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    assert [t.seq for t in turns] == [0, 1]


def test_chat_jsonl_bad_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(
        '{"role": "user", "content": "ok"}\n[1, 2]\n{"content": "who"}\n{"role": "user"}\n'
        '{"role": "user", "content": "x", "timestamp": "yesterday"}\n{"role": "user", "content": "x", "session_id": []}\n'
    )
    turns, _, skips = read(path, "chat-jsonl")
    assert [t.text for t in turns] == ["ok"]
    assert [s.reason.split(" ")[0] for s in skips] == ["not", "missing", "missing", "bad", "'session_id'"]


# --- LoCoMo ----------------------------------------------------------------------


def test_locomo_sessions_turns_and_dates():
    turns, sessions, skips = read(FIXTURES / "locomo" / "mini_locomo.json")
    assert skips == []
    assert [s.id for s in sessions] == ["conv-x:session_1", "conv-x:session_2"]  # session_3 has only a date
    first = sessions[0]
    assert first.started_at == first.ended_at == datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc)
    assert first.time_source == "session_date"
    assert first.metadata == {"conversation": "conv-x", "session": 1, "speakers": ["Ana", "Ben"]}
    assert [(t.id, t.speaker, t.role) for t in turns[:2]] == [("D1:1", "Ana", "speaker"), ("D1:2", "Ben", "speaker")]
    assert turns[1].text == "Nice! Look at my new bike. [image: a photo of a red bicycle]"
    assert all(t.timestamp == s.started_at for s in sessions for t in turns if t.session_id == s.id)


def test_locomo_bad_turns_and_dates(tmp_path):
    conv = {"sample_id": "c", "conversation": {
        "speaker_a": "A", "speaker_b": "B", "session_1_date_time": "someday",
        "session_1": [{"speaker": "A", "text": "no id"}, {"speaker": "A", "dia_id": "D1:2", "text": "fine"}, 7],
    }}
    path = tmp_path / "l.json"
    path.write_text(json.dumps([conv, {"sample_id": "broken"}]))
    turns, (session,), skips = read(path, "locomo")
    assert [t.id for t in turns] == ["D1:2"]
    assert session.time_source == "file_mtime"
    assert [s.reason for s in skips] == [
        "c:session_1: unrecognised LoCoMo date 'someday'; using the file's time",
        "c:session_1 turn 0: missing field 'dia_id'",
        "c:session_1 turn 2: not a JSON object",
        "not a LoCoMo conversation (no 'conversation' with 'speaker_a')",
    ]


@pytest.mark.integration
def test_locomo_dev_split(shared_data):
    path = shared_data / "locomo_dev" / "locomo_dev.json"
    data = json.loads(path.read_text())
    turns, sessions, skips = read(path)
    assert skips == []
    expected = {
        f"{c['sample_id']}:{k}": [t["dia_id"] for t in v]
        for c in data for k, v in c["conversation"].items() if k.startswith("session_") and isinstance(v, list)
    }
    assert len(expected) == 38  # 19 + 19 per the README
    assert {s.id for s in sessions} == set(expected)
    for sid, dia_ids in expected.items():
        assert [t.id for t in turns if t.session_id == sid] == dia_ids
    s3 = next(s for s in sessions if s.id == "conv-26:session_3")
    assert s3.started_at.isoformat() == "2023-06-09T19:55:00+00:00"  # "7:55 pm on 9 June, 2023"
    assert {s.time_source for s in sessions} == {"session_date"}
    evidence = {e for c in data for q in c["qa"] for e in q.get("evidence", [])}
    ids = {t.id for t in turns}
    assert len(evidence & ids) > 0.95 * len(evidence)  # QA evidence cites our turn ids


# --- detection and refusals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("claude-code/-home-ada-proj/sess-main.jsonl", "claude-code"),
        ("claude-code/-home-ada-proj/titles.jsonl", "claude-code"),
        ("claude-code/-home-ada-proj/snapshots.jsonl", "claude-code"),
        ("messages-json/conversation.json", "messages-json"),
        ("messages-json/messages_list.json", "messages-json"),
        ("chat-jsonl/chat.jsonl", "chat-jsonl"),
        ("locomo/mini_locomo.json", "locomo"),
    ],
)
def test_detects_each_fixture(path, fmt):
    assert detect(Source.of(FIXTURES / path), ReadOptions()) == fmt


@pytest.mark.integration
def test_detects_every_real_file(shared_data):
    found = {}
    for path in iter_files(shared_data):
        found[path.name] = detect(Source.of(path), ReadOptions())
    assert found.pop("locomo_dev.json") == "locomo"
    assert found.pop("0f13eeba-e6ed-42ea-ad8c-d8db37e1304e.jsonl") is None  # empty
    assert found.pop("34d48ba8-bf7c-478e-aa05-b568b8be4cd1.jsonl") is None
    assert set(found.values()) == {"claude-code"} and len(found) == 33


def test_detection_looks_past_a_damaged_first_line(tmp_path):
    path = tmp_path / "t.jsonl"
    lines = (FIXTURES / "claude-code" / "-home-ada-proj" / "sess-main.jsonl").read_text().splitlines(keepends=True)
    path.write_text('{"type": "user", "uuid": \n' + "".join(lines))
    assert detect(Source.of(path), ReadOptions()) == "claude-code"


def test_pretty_printed_single_object_is_detected(tmp_path):
    path = tmp_path / "conv.json"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}, indent=2))
    assert detect(Source.of(path), ReadOptions()) == "messages-json"


def test_unknown_format_lists_the_known_ones(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": "world"}\n')
    with pytest.raises(InputError) as err:
        detect(Source.of(path), ReadOptions())
    message = str(err.value)
    assert message.startswith(f"{path}: not a transcript in any known format")
    assert "claude-code, messages-json, chat-jsonl, locomo" in message
    with pytest.raises(InputError, match="unknown format 'csv'; known formats: claude-code"):
        read_transcript(path, format="csv")


def test_plain_text_is_not_a_transcript(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n")
    with pytest.raises(InputError, match="known formats"):
        detect(Source.of(path), ReadOptions())


def test_empty_file_reads_as_nothing(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("  \n")
    assert detect(Source.of(path), ReadOptions()) is None
    assert list(read_transcript(path)) == []


def test_binary_and_oversized_files_are_refused(tmp_path):
    blob = tmp_path / "blob.jsonl"
    blob.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"blob.jsonl: refused: a binary file"):
        check_file(Source.of(blob), max_bytes=1 << 20)
    control = tmp_path / "control.jsonl"
    control.write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 14, 15, 16]) * 50)
    with pytest.raises(InputError, match="mostly control bytes"):
        check_file(Source.of(control), max_bytes=1 << 20)
    big = FIXTURES / "chat-jsonl" / "chat.jsonl"
    with pytest.raises(InputError, match=r"chat.jsonl: refused: \d[\d,]* bytes is over the size limit of 100 bytes"):
        check_file(Source.of(big), max_bytes=100)
    check_file(Source.of(big), max_bytes=1 << 20)  # fine under the limit


def test_directory_walk_is_recursive_sorted_and_skips_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/z.jsonl", "a.json", "b/a.ndjson", "README.md", ".git/x.jsonl", ".hidden.jsonl"):
        (tmp_path / name).write_text("")
    (tmp_path / "b" / "loop").symlink_to(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)] == ["a.json", "b/a.ndjson", "b/z.jsonl"]


def test_memory_writes_keep_their_full_input_for_extraction(tmp_path):
    from dreaming.extract.memory_writes import memory_writes

    def use(i, name, tool_input):
        return {"role": "assistant", "content": [{"type": "tool_use", "id": f"t{i}", "name": name, "input": tool_input}]}

    messages = [
        {"role": "user", "content": "Remember that I am on call."},
        use(1, "memory", {"command": "create", "path": "/memories/user.md", "file_text": "- Dana is on call.\n"}),
        use(2, "Edit", {"file_path": "/repo/CLAUDE.md", "old_string": "", "new_string": "- Use uv.\n"}),
        use(3, "Edit", {"file_path": "/repo/main.py", "old_string": "a", "new_string": "b"}),
        use(4, "Bash", {"command": "ls"}),
    ]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(messages))
    calls = [c for t in read(path)[0] for c in t.tool_calls]
    assert [bool(c.input) for c in calls] == [True, True, False, False]
    assert calls[0].input_summary == "create /memories/user.md: - Dana is on call."
    assert [w.content for c in calls for w in memory_writes(c) if w.op in ("add", "replace")] == ["Dana is on call.", "Use uv."]
