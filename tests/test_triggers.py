"""Trigger conditions over a real store: pending sessions, time since the
last accepted dream, a candidate blocking everything; duration parsing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dreaming.errors import InputError
from dreaming.records import Changeset, Memory, Session, Turn, utcnow
from dreaming.store.core import SourceState, Store
from dreaming.unattended.triggers import Trigger, check, format_duration, parse_duration


def _add_sessions(store: Store, *ids: str) -> None:
    for sid in ids:
        now = utcnow()
        records = [
            Turn(id="t1", session_id=sid, seq=1, role="user", text=f"hello from {sid}"),
            Session(id=sid, source=f"{sid}.jsonl", format="chat-jsonl", started_at=now, ended_at=now),
        ]
        store.record_ingest(SourceState(path=f"/{sid}.jsonl", format="chat-jsonl", size=1, mtime=0, sha256=sid), records)


def _dream(store: Store, *, review: bool = False) -> int:
    version = store.write_version(Changeset(
        upserts=(Memory(id=f"mem_{store.tip + 1}", content=f"fact {store.tip + 1}"),), origin="dream",
        status="candidate" if review else "accepted", consume_through=store.last_turn_pk(),
    ))
    assert version is not None
    return version.number


@pytest.mark.parametrize("text, seconds", [
    ("30m", 1800), ("6h", 21600), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), ("90s", 90), ("45", 45),
    (" 1H 30M ", 5400), ("1.5h", 5400),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "h", "6x", "6h later", "-1h", "1h-30m", "soon"])
def test_bad_durations_are_one_clear_line(text):
    with pytest.raises(InputError, match="not a duration.*30m, 6h"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_format_duration_round_trips(seconds):
    assert parse_duration(format_duration(timedelta(seconds=seconds))).total_seconds() == seconds


def test_min_sessions(store_path):
    with Store.open(store_path) as store:
        _add_sessions(store, "a", "b")
        result = check(store, Trigger(min_sessions=3))
        assert not result.ready and result.pending_sessions == 2
        assert result.reason == "2 sessions pending; waiting for 3 (--min-sessions)"
        _add_sessions(store, "c")
        assert check(store, Trigger(min_sessions=3)).ready
        _dream(store)
        assert check(store, Trigger(min_sessions=1)).pending_sessions == 0
        assert not check(store, Trigger(min_sessions=1)).ready


def test_min_interval_counts_from_the_last_accepted_dream(store_path):
    with Store.open(store_path) as store:
        _add_sessions(store, "a")
        trigger = Trigger(min_interval=timedelta(hours=6))
        assert check(store, trigger).ready  # never dreamed
        number = _dream(store)
        _add_sessions(store, "b")
        dreamed_at = store.last_dream().created_at
        soon = check(store, trigger, now=dreamed_at + timedelta(hours=2))
        assert not soon.ready and soon.not_before == dreamed_at + timedelta(hours=6)
        assert soon.reason == f"the last dream (version {number}) ran 2h ago; the next may run in 4h (--min-interval 6h)"
        later = check(store, trigger, now=dreamed_at + timedelta(hours=6, seconds=1))
        assert later.ready and later.reason == "1 session pending; last dream 6h1s ago"


def test_a_candidate_blocks_and_does_not_count_as_a_dream(store_path):
    with Store.open(store_path) as store:
        _add_sessions(store, "a")
        number = _dream(store, review=True)
        result = check(store, Trigger(min_interval=timedelta(hours=1)))
        assert not result.ready and f"version {number} is a candidate awaiting review" in result.reason
        assert result.last_dream is None
        store.reject(number)
        assert check(store, Trigger(min_interval=timedelta(hours=1))).ready


def test_trigger_as_run_options():
    assert Trigger(min_sessions=3, min_interval=timedelta(minutes=90)).options() == [
        "--min-sessions", "3", "--min-interval", "1h30m",
    ]
