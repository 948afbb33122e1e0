"""Claude Code transcripts: our fixtures, the oracle, and the real samples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dreaming.ingest import ReadOptions, Skip, read_transcript
from dreaming.ingest.claude_code import parent_source
from dreaming.records import Session, Turn
from tests._transcripts_oracle import claude_code_turns, turn_tuple

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts" / "claude-code" / "-home-ada-proj"
MAIN = FIXTURES / "sess-main.jsonl"
SUBAGENT = FIXTURES / "sess-main" / "subagents" / "agent-abc1234.jsonl"


def read(path: Path, **options) -> tuple[list[Turn], list[Session], list[Skip]]:
    items = list(read_transcript(path, format="claude-code", options=ReadOptions(**options)))
    return (
        [i for i in items if isinstance(i, Turn)],
        [i for i in items if isinstance(i, Session)],
        [i for i in items if isinstance(i, Skip)],
    )


def by_id(turns: list[Turn]) -> dict[str, Turn]:
    return {t.id: t for t in turns}


# --- our fixture -----------------------------------------------------------


def test_live_branch_drops_the_rewound_prompt_and_its_answer():
    turns, _, _ = read(MAIN)
    texts = [t.text for t in turns]
    assert "Actually, I prefer four spaces for indentation." in texts
    assert "Noted: four spaces." in texts
    assert "Please remember that I prefer tabs for indentation." not in texts
    assert "Noted: tabs." not in texts


def test_pieces_of_one_message_are_one_turn_with_the_first_uuid():
    turns = by_id(read(MAIN)[0])
    first = turns["a-01"]
    assert first.role == "assistant"
    assert first.text == "Nice to meet you, Ada. Let me look around."  # thinking left out
    assert [c.name for c in first.tool_calls] == ["Bash", "Read"]  # a piece reached only through a progress record
    assert not {"a-01b", "a-01c", "a-01d"} & set(turns)
    assert first.metadata == {"model": "claude-opus-4-6"}


def test_tool_results_pair_with_their_calls_even_off_the_live_path():
    bash, read_call = by_id(read(MAIN)[0])["a-01"].tool_calls
    assert (bash.input_summary, bash.is_error, bash.result_excerpt) == ("ls -la", False, "README.md\nsetup.cfg")
    assert read_call.input_summary == "/home/ada/proj/missing.txt"
    assert read_call.is_error is True
    assert "does not exist" in read_call.result_excerpt
    assert not {"r-01", "r-02", "r-03"} & set(by_id(read(MAIN)[0]))  # results are not turns


def test_result_excerpt_is_cut_to_the_configured_size():
    bash = by_id(read(MAIN, excerpt_chars=6)[0])["a-01"].tool_calls[0]
    assert bash.result_excerpt == "READM…"


def test_compaction_keeps_history_and_marks_the_summary():
    turns = read(MAIN)[0]
    ids = [t.id for t in turns]
    # the compact boundary has no parentUuid: the branch goes on through logicalParentUuid
    assert ids.index("u-01") < ids.index("c-01") < ids.index("u-04")
    summary = by_id(turns)["c-01"]
    assert summary.kind == "compact_summary"
    assert summary.role == "user"
    assert "prefers four spaces" in summary.text


def test_meta_records_are_left_out_and_commands_unwrapped():
    turns = by_id(read(MAIN)[0])
    assert "m-01" not in turns
    assert (turns["k-01"].text, dict(turns["k-01"].metadata)) == ("/compact keep preferences", {"command": "/compact"})
    assert turns["k-02"].text == "Compacted (ctrl+o to see full summary)"  # ANSI codes stripped
    assert turns["k-02"].metadata == {"command_output": True}


def test_summary_records_kept_unless_they_title_an_abandoned_branch():
    summaries = [t for t in read(MAIN)[0] if t.kind == "summary"]
    assert [(s.role, s.text) for s in summaries] == [("system", "Ada's editor preferences")]
    assert summaries[0].id.startswith("summary-")


def test_session_record_and_times():
    turns, sessions, skips = read(MAIN)
    assert skips == []
    (session,) = sessions
    assert session.id == "sess-main"
    assert session.format == "claude-code"
    assert session.time_source == "transcript"
    assert session.started_at.isoformat() == "2026-01-05T10:00:00+00:00"
    assert session.ended_at.isoformat() == "2026-01-05T10:04:11+00:00"
    assert session.metadata == {
        "cwd": "/home/ada/proj", "git_branch": "main", "version": "2.1.39", "slug": "tidy-blue-otter",
        "models": ["claude-opus-4-6"],
    }
    assert all(t.timestamp is None or t.timestamp.tzinfo is not None for t in turns)
    seqs = [t.seq for t in turns]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_subagent_turns_belong_to_the_parent_session():
    turns, sessions, _ = read(SUBAGENT)
    assert {t.session_id for t in turns} == {"sess-main"}
    assert {t.agent_id for t in turns} == {"abc1234"}
    assert [t.text for t in turns] == ["Find the config file", "Searching.", "The config is setup.cfg."]
    (session,) = sessions
    assert session.id == "sess-main"
    assert session.source == str(MAIN)
    assert "models" not in session.metadata


def test_subagent_turns_interleave_with_the_parent_by_time():
    main, agent = read(MAIN)[0], read(SUBAGENT)[0]
    order = [t.id for t in sorted(main + agent, key=lambda t: t.seq)]
    assert order.index("a-05") < order.index("s-01") < order.index("s-04") < order.index("a-06")


def test_parent_source_of_both_subagent_layouts():
    assert parent_source(Path("/p/proj/S/subagents/agent-x.jsonl"), "S") == Path("/p/proj/S.jsonl")
    assert parent_source(Path("/p/proj/agent-x.jsonl"), "S") == Path("/p/proj/S.jsonl")


def test_warmup_agents_produce_nothing():
    assert read(FIXTURES / "agent-warm001.jsonl") == ([], [], [])


def test_snapshot_only_file_produces_nothing():
    assert read(FIXTURES / "snapshots.jsonl") == ([], [], [])


def test_summary_only_file_is_a_session_dated_by_the_file():
    turns, (session,), _ = read(FIXTURES / "titles.jsonl")
    assert session.id == "titles"
    assert session.time_source == "file_mtime"
    assert session.started_at.timestamp() == pytest.approx((FIXTURES / "titles.jsonl").stat().st_mtime)
    assert [t.kind for t in turns] == ["summary", "summary"]


def test_turn_ids_are_stable_across_reads():
    assert [turn_tuple(t) for t in read(MAIN)[0]] == [turn_tuple(t) for t in read(MAIN)[0]]


# --- bad input ---------------------------------------------------------------


def _bad_copy(tmp_path: Path) -> Path:
    lines = MAIN.read_bytes().splitlines(keepends=True)
    bad = [
        lines[0],
        b"{not json\n",
        json.dumps({"type": "telemetry", "uuid": "x"}).encode() + b"\n",
        json.dumps({"type": "user", "uuid": "nomsg", "parentUuid": None}).encode() + b"\n",
        b'{"type": "user", "text": "caf\xe9"}\n',
        b"\n",
        *lines[1:],
        lines[1][: len(lines[1]) // 2],  # a record still being written
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(bad))
    return path


def test_bad_lines_are_skipped_with_file_line_and_reason(tmp_path):
    path = _bad_copy(tmp_path)
    turns, sessions, skips = read(path)
    reasons = {s.location.rsplit(":", 1)[1]: s.reason for s in skips}
    assert reasons["2"].startswith("malformed JSON")
    assert reasons["3"] == "unknown record type 'telemetry'"
    assert reasons["4"] == "user record without a 'message' object"
    assert reasons["5"].startswith("invalid UTF-8")
    assert reasons[str(len(MAIN.read_bytes().splitlines()) + 6)].startswith("truncated last line")
    assert len(skips) == 5
    assert all(s.location.startswith(str(path)) for s in skips)
    good, _, _ = read(MAIN)
    assert [turn_tuple(t) for t in turns] == [turn_tuple(t) for t in good]  # every valid turn kept
    assert len(sessions) == 1


def test_overlong_lines_are_skipped_without_reading_them_whole(tmp_path):
    path = tmp_path / "long.jsonl"
    long_record = {"type": "user", "uuid": "big", "message": {"role": "user", "content": "x" * 5000}}
    path.write_text(MAIN.read_text() + json.dumps(long_record) + "\n")
    turns, _, skips = read(path, max_line_bytes=4096)
    assert [s.reason for s in skips] == ["line longer than 4096 bytes"]
    assert "big" not in by_id(turns)


# --- the oracle --------------------------------------------------------------


def _compare_with_oracle(path: Path) -> int:
    turns = [t for t in read(path)[0] if t.kind != "summary"]
    expected = claude_code_turns(path)
    for thread in {t[3] for t in expected} | {t.agent_id for t in turns}:
        assert [turn_tuple(t) for t in turns if t.agent_id == thread] == [e for e in expected if e[3] == thread]
    return len(expected)


def test_fixtures_match_the_oracle():
    assert _compare_with_oracle(MAIN) > 10
    assert _compare_with_oracle(SUBAGENT) == 3


def test_missing_parents_and_orphans_match_the_oracle(tmp_path):
    lines = MAIN.read_text().splitlines(keepends=True)
    for drop in range(len(lines)):
        path = tmp_path / f"drop{drop}.jsonl"
        path.write_text("".join(lines[:drop] + lines[drop + 1 :]))
        _compare_with_oracle(path)


def test_parents_written_after_children_are_found(tmp_path):
    # the same DAG with the file in reverse order: every parent is found by the full search
    path = tmp_path / "reversed.jsonl"
    records = [json.loads(line) for line in MAIN.read_text().splitlines()]
    chain = [r for r in records if r.get("type") == "user" and r.get("uuid") in ("u-03", "u-01")]
    later = [r for r in records if r not in chain]
    path.write_text("".join(json.dumps(r) + "\n" for r in later + chain))
    texts = [t.text for t in read(path)[0]]
    assert "Actually, I prefer four spaces for indentation." in texts
    assert "Please remember that I prefer tabs for indentation." not in texts


# --- real transcripts (../shared/data) ------------------------------------------


@pytest.fixture
def kfischer(shared_data) -> Path:
    return shared_data / "claude_code_transcripts" / "kfischer_claude_history" / "-Users-user-project"


@pytest.fixture
def marot(shared_data) -> Path:
    return shared_data / "claude_code_transcripts" / "marot_spotter"


MAIN_SESSION = "b3edadab-bca0-4054-9b41-f7ffa6941260"


@pytest.mark.integration
def test_kfischer_live_branch_is_branch_five(kfischer):
    """UPSTREAM_README: branches 1 and 2 were reverted; 3, 4 and 5 follow one
    another, and branch 5 (the 24-step WWII chain) is the latest endpoint."""
    turns, (session,), skips = read(kfischer / f"{MAIN_SESSION}.jsonl")
    assert skips == []
    users = [t.text for t in turns if t.role == "user"]
    assert users == [
        "Hello I want to have some test conversation with you create some file for me",
        "ok edit it and add some content",
        "Ok now make a task agent that will add some content too so I can test how those agent threads are handled",
        "Ok in the future some new content was added look at it",  # branch 3
        "Hi",  # branch 4
        users[5],  # branch 5: the interrupted request ...
        "[Request interrupted by user]",
        "Ok ultrathink and try again",
    ]
    assert users[5].startswith("Ok ultrathink and come up with a chain of cause and effect")
    joined = " ".join(t.text for t in turns)
    assert "Goodbye soon" not in joined and "Ok make another addition" not in joined  # branch 1
    assert "Ok I came from the future" not in joined  # branch 2
    # the last turn is the message that ends at the README's latest leafUuid 38842167,
    # identified by the uuid of its first record
    records = [json.loads(line) for line in (kfischer / f"{MAIN_SESSION}.jsonl").open()]
    leaf = next(r for r in records if r.get("uuid", "").startswith("38842167"))
    first = next(r for r in records if r.get("message", {}).get("id") == leaf["message"]["id"])
    assert turns[-1].id == first["uuid"] != leaf["uuid"]
    assert "WWII" in turns[-1].text
    assert session.id == MAIN_SESSION and session.metadata["slug"] == "giggly-greeting-moler"
    assert [t.kind for t in turns if t.kind != "message"] == ["summary"]  # leafUuid feae9236 is live


@pytest.mark.integration
def test_kfischer_task_agent_attaches_and_warmups_vanish(kfischer):
    turns, sessions, _ = read(kfischer / "agent-a434715.jsonl")
    assert {(t.session_id, t.agent_id) for t in turns} == {(MAIN_SESSION, "a434715")}
    assert turns[0].text.startswith("Read the file at /Users/user/project/test-file.txt")
    assert [c.name for t in turns for c in t.tool_calls] == ["Read", "Edit"]
    assert sessions[0].source == str(kfischer / f"{MAIN_SESSION}.jsonl")
    warmups = [p for p in kfischer.glob("agent-*.jsonl") if p.name != "agent-a434715.jsonl"]
    assert len(warmups) == 18
    for path in warmups:
        assert read(path) == ([], [], []), path.name


@pytest.mark.integration
def test_kfischer_clear_summary_and_snapshot_files(kfischer):
    turns, (session,), _ = read(kfischer / "0d3b22c1-ba90-4fd3-b8d2-056ffc626725.jsonl")
    assert [(t.text, dict(t.metadata)) for t in turns] == [("/clear", {"command": "/clear"})]  # caveat is isMeta
    for name in ("3f6ddfee-788c-48a5-8f7a-d43377b51472", "a751b8dd-6b29-4eed-8cb9-64bc9a916a39",
                 "be89c3cd-bfbf-4c4f-a515-5af6e13249bf"):
        turns, (session,), _ = read(kfischer / f"{name}.jsonl")
        assert [t.kind for t in turns] == ["summary"] * 3
        assert session.time_source == "file_mtime"
    for name in ("6d3dc917-03e0-448d-a7a5-d5e6c1a6dd27", "b8649630-2a03-472f-b005-712c4650e6e9",
                 "e9040aa9-cf0d-4b25-a964-b30198f1f544", "0f13eeba-e6ed-42ea-ad8c-d8db37e1304e"):
        assert read(kfischer / f"{name}.jsonl") == ([], [], [])


@pytest.mark.integration
def test_marot_full_session(marot):
    """README: 249 user / 408 assistant records, 242 tool calls, one /compact."""
    turns, (session,), skips = read(marot / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl")
    assert skips == []
    records = [json.loads(line) for line in (marot / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl").open()]
    message_ids = {r["message"]["id"] for r in records if r["type"] == "assistant"}
    assert sum(1 for t in turns if t.role == "assistant") == len(message_ids)
    calls = [c for t in turns for c in t.tool_calls]
    assert len(calls) == 242
    assert all(c.is_error is not None for c in calls)  # every call found its result
    assert [t.kind for t in turns].count("compact_summary") == 1
    assert session.metadata["git_branch"] == "spotter-4te"
    assert session.started_at < session.ended_at


@pytest.mark.integration
def test_marot_subagents_attach_to_their_session(marot):
    for name, count in (("agent-aac57f5", 4), ("agent-acompact-946d2b", 2)):
        turns, (session,), _ = read(marot / "ae4a77f8-aedd-4bc1-888f-c94edc91af04" / "subagents" / f"{name}.jsonl")
        assert len(turns) == count
        assert {t.session_id for t in turns} == {"ae4a77f8-aedd-4bc1-888f-c94edc91af04"}
        assert {t.agent_id for t in turns} == {name.removeprefix("agent-")}
        assert session.source == str(marot / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl")


@pytest.mark.integration
def test_every_real_claude_code_file_matches_the_oracle(shared_data):
    files = sorted((shared_data / "claude_code_transcripts").rglob("*.jsonl"))
    assert len(files) == 35
    total = sum(_compare_with_oracle(path) for path in files)
    assert total > 250


@pytest.mark.integration
def test_real_session_survives_line_deletion(marot, tmp_path):
    source = marot / "subagent.jsonl"
    lines = source.read_text().splitlines(keepends=True)
    for drop in range(0, len(lines), 3):
        path = tmp_path / "cut.jsonl"
        path.write_text("".join(lines[:drop] + lines[drop + 1 :]))
        _compare_with_oracle(path)


@pytest.mark.integration
def test_real_subagent_directory_copy_keeps_layout(marot, tmp_path):
    """A session folder copied elsewhere still names its parent file."""
    dest = tmp_path / "proj"
    shutil.copytree(marot / "ae4a77f8-aedd-4bc1-888f-c94edc91af04", dest / "ae4a77f8-aedd-4bc1-888f-c94edc91af04")
    _, (session,), _ = read(dest / "ae4a77f8-aedd-4bc1-888f-c94edc91af04" / "subagents" / "agent-aac57f5.jsonl")
    assert session.source == str(dest / "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl")
