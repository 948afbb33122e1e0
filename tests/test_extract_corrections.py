"""Corrections a user keeps making become one rule citing each time (dreaming.extract.corrections)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dreaming.extract import OfflineExtractor
from dreaming.extract.corrections import is_correction, repeated_corrections
from dreaming.records import PendingSession, Session, Turn

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", [
    "httpx!!! how many times. and why does loyalty even need http",
    "again w/ requests 🙄 httpx. it's not even in the lockfile",
    "p < .001!!! not 0.000. third time i think",
    "pet parent!!! not owner. i told you tuesday",
    "good, thats LFS. third time we've had this convo so for real: every binary art file goes via git lfs first",
])
def test_corrections_by_their_form(text):
    assert is_correction(text)


@pytest.mark.parametrize("text", [
    "bram again. need a linux build for the discord playtest",  # "again" without a contrast: a greeting
    "whats the swim time again, leo has it thursday too right",  # a question
    "and nairobi's UPS batteries finally died, kampala's are fine still",  # news, not a correction
    "can you not use requests again?",  # a request
])
def test_what_is_not_a_correction(text):
    assert not is_correction(text)


def _session(sid: str, day: int, *turns: tuple[str, str]) -> PendingSession:
    at = T0 + timedelta(days=day)
    session = Session(id=sid, source=f"{sid}.jsonl", format="claude-code", started_at=at, metadata={"cwd": "/w/pos"})
    return PendingSession(session=session, turns=tuple(
        Turn(id=f"{sid}-t{i}", session_id=sid, seq=i, role=role, text=text, timestamp=at + timedelta(minutes=i))
        for i, (role, text) in enumerate(turns, 1)))


SESSIONS = [
    _session("s1", 0, ("user", "add the loyalty endpoint"), ("assistant", "Done, using requests for the call."),
             ("user", "again w/ requests 🙄 httpx. it's not even in the lockfile"),
             ("assistant", "Sorry, fixed, using httpx.")),
    _session("s2", 3, ("user", "now the webhook"), ("assistant", "Added it with requests.post."),
             ("user", "httpx!!! how many times"),
             ("assistant", "Removed requests. I'll stick to httpx whenever HTTP is needed in this repo.")),
]


def test_corrections_across_sessions_are_one_rule_worded_from_the_assistants_commitment():
    [rule] = repeated_corrections(SESSIONS)
    assert rule.content == "Stick to httpx whenever HTTP is needed in this repo."
    assert rule.times == 2
    assert [t.id for _, t in rule.turns] == ["s1-t3", "s1-t4", "s2-t3", "s2-t4"]


def test_a_single_correction_is_a_rule_only_when_it_says_it_was_made_before():
    [only_first] = [SESSIONS[0]]
    assert repeated_corrections([only_first]) == []
    [rule] = repeated_corrections([_session("s3", 5, ("user", "draft it"), ("assistant", "As the owner of Mochi..."),
                                            ("user", "pet parent!!! not owner. i told you tuesday"),
                                            ("assistant", "Sorry - fixed."))])
    assert rule.content == "Pet parent! not owner."


def test_the_extractor_finishes_a_run_with_the_rule_citing_both_sessions_instead_of_the_typed_statements():
    extractor = OfflineExtractor()
    candidates = [c for s in SESSIONS for c in extractor.extract([s])]
    out = extractor.finish(SESSIONS, None, candidates)
    [rule] = [c for c in out if c.rule == "repeated-correction"]
    assert {e.session_id for e in rule.memory.provenance} == {"s1", "s2"}
    assert rule.memory.metadata["corrections"] == 2 and rule.memory.kind == "procedure"
    # the statement typed in a correcting message is not kept beside the rule
    assert not [c for c in out if c.rule == "user-statement" and "lockfile" in c.memory.content]


def test_an_answer_that_opens_by_saying_no_is_a_correction():
    assert is_correction("nah not requests, we use httpx in here")
    assert is_correction("no, the staging db is the neon branch")
    assert not is_correction("notes are in the shared drive")
