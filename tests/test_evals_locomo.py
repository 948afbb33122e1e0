"""Suite (b): LoCoMo files read into a before store and tasks (project-written fixture)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dreaming.errors import InputError
from dreaming.evals.locomo import build_before, observation_memories, read_locomo
from dreaming.ingest import ingest_paths
from dreaming.store.core import Store

MINI = Path(__file__).parent / "fixtures" / "locomo_mini.json"


def test_reads_sessions_observations_and_tasks():
    (conv,) = read_locomo(MINI)
    assert conv.sample_id == "mini-1"
    assert [s.id for s in conv.sessions] == ["mini-1:session_1", "mini-1:session_2", "mini-1:session_3"]
    assert conv.sessions[1].date == datetime(2023, 6, 20, 10, 0, tzinfo=timezone.utc)
    assert [len(s.observations) for s in conv.sessions] == [4, 3, 3]
    assert conv.skipped == 1  # the QA item without an answer
    by_id = {t.id: t for t in conv.tasks}
    assert len(by_id) == 8 and all(t.unit == "mini-1" for t in conv.tasks)
    assert (by_id["mini-1:qa1"].category, by_id["mini-1:qa1"].answer) == ("temporal", "7 May 2023")
    assert by_id["mini-1:qa6"].evidence == ("D1:2", "D3:1")  # "D1:2; D3:1" split
    trap = by_id["mini-1:qa8"]
    assert (trap.category, trap.answer, trap.wrong, trap.answerable) == ("adversarial", None, ("a bowl",), False)
    assert by_id["mini-1:qa7"].category == "open-domain" and by_id["mini-1:qa5"].category == "multi-hop"


def test_before_store_appends_each_session_as_a_version(store_path):
    (conv,) = read_locomo(MINI)
    with Store.open(store_path) as store:
        assert build_before(store, conv) == 3
        assert [store.count(v) for v in (1, 2, 3)] == [4, 7, 10]
        memories = {m.content: m for m in store.snapshot(3)}
    moved = memories["Ana moved to Porto."]
    assert moved.observed_at == moved.created_at == datetime(2023, 6, 20, 10, 0, tzinfo=timezone.utc)
    assert moved.path == "/people/ana.md" and moved.kind == "fact"
    assert [(e.session_id, e.turn_ids) for e in moved.provenance] == [("mini-1:session_2", ("D2:1",))]
    assert memories["Ana finished her first bowl at the pottery studio."].provenance[0].turn_ids == ("D2:3",)
    # ids come from the data alone: building again gives the same memories
    again = observation_memories(conv, conv.sessions[1])
    assert [m.id for m in again] == [m.id for m in observation_memories(conv, conv.sessions[1])]
    assert moved.id in {m.id for m in again}


def test_observation_provenance_names_turns_the_transcript_reader_stores(store_path):
    """Coordination with dreaming.ingest.locomo: same session ids, dia_ids as turn ids."""
    (conv,) = read_locomo(MINI)
    with Store.open(store_path) as store:
        ingest_paths(store, [MINI])
        stored = {(t.session_id, t.id) for s in store.sessions() for t in store.turns(s.id)}
        dates = {s.id: s.started_at for s in store.sessions()}
    cited = {
        (ev.session_id, turn)
        for session in conv.sessions
        for m in observation_memories(conv, session)
        for ev in m.provenance
        for turn in ev.turn_ids
    }
    assert cited and cited <= stored
    assert {s.id: s.date for s in conv.sessions} == dates


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not a LoCoMo JSON file"),
        ("[1]", "item 1 is not a LoCoMo conversation"),
        (json.dumps([{"sample_id": "c", "conversation": {}, "qa": []}]), "c: no 'observation' facts"),
        (
            json.dumps([{"sample_id": "c", "conversation": {}, "qa": [],
                         "observation": {"session_1_observation": {"A": [["fact", "D1:1"]]}}}]),
            "c: session_1 has observations but no session_1_date_time",
        ),
        (
            json.dumps([{"sample_id": "c", "conversation": {"session_1_date_time": "1:00 pm on 8 May, 2023"},
                         "observation": {"session_1_observation": {"A": [["fact"]]}}, "qa": []}]),
            "expected [fact, dia_id]",
        ),
        (
            json.dumps([{"sample_id": "c", "conversation": {"session_1_date_time": "1:00 pm on 8 May, 2023"},
                         "observation": {"session_1_observation": {"A": [["fact", "D1:1"]]}},
                         "qa": [{"question": "q", "answer": "a", "category": 9}]}]),
            "qa item 1 has category 9",
        ),
    ],
)
def test_malformed_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        read_locomo(path)
    assert err.value.location == str(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.integration
def test_dev_split_reads_as_documented(shared_data):
    convs = read_locomo(shared_data / "locomo_dev" / "locomo_dev.json")
    assert [c.sample_id for c in convs] == ["conv-26", "conv-30"]
    assert [sum(len(s.observations) for s in c.sessions) for c in convs] == [184, 169]
    assert [len(c.tasks) + c.skipped for c in convs] == [199, 105]
    assert [len(c.sessions) for c in convs] == [19, 19]
