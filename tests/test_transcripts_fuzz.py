"""No input makes a reader fail with anything but a one-line DreamingError.

Random bytes, random JSON, and real records mutated (keys dropped, values
replaced by random JSON, lines cut, bytes spliced in, lines duplicated or
swapped) go through every reader, forced and auto-detected.  A reader may
skip (counted) or refuse the file (``InputError``); it may not raise
anything else, and what it yields must be storable.

``DREAMING_FUZZ_EXAMPLES`` sets the examples per test (default 120;
``benchmarks/fuzz.py`` runs 10,000+ per reader).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dreaming.errors import DreamingError
from dreaming.ingest import FORMATS, IngestConfig, ReadOptions, Skip, Source, check_file, detect, ingest_paths
from dreaming.records import Session, Turn, dumps
from dreaming.store.core import Store
from tests.conftest import SHARED_DATA

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
EXAMPLES = int(os.environ.get("DREAMING_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _sample_records() -> list[Any]:
    """Real records to mutate: our fixtures, plus real sessions when present."""
    paths = sorted(FIXTURES.rglob("*.jsonl")) + sorted(FIXTURES.rglob("*.ndjson"))
    real = SHARED_DATA / "claude_code_transcripts" / "marot_spotter"
    paths += [real / "short.jsonl", real / "tool_heavy.jsonl"] if real.is_dir() else []
    records = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line.strip()]
    for p in sorted(FIXTURES.rglob("*.json")):
        doc = json.loads(p.read_text())
        records.extend(doc if isinstance(doc, list) else doc["messages"])
    return records


RECORDS = _sample_records()

#: text with lone UTF-16 surrogates ("\ud83c": a string cut inside an emoji), which st.text() never draws
SURROGATE_TEXT = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(), max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=20)
    | SURROGATE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
KEYS = st.sampled_from(
    ["type", "uuid", "parentUuid", "logicalParentUuid", "message", "content", "id", "timestamp", "role", "text",
     "isSidechain", "agentId", "sessionId", "isMeta", "isCompactSummary", "summary", "leafUuid", "tool_use_id",
     "is_error", "input", "name", "session_id", "speaker", "dia_id", "conversation", "speaker_a", "session_1",
     "session_1_date_time", "messages", "system", "metadata", "created_at"]
)


def _containers(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Paths to every dict and list inside ``value``."""
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return []
    out = [prefix]
    for k, v in children:
        out += _containers(v, (*prefix, k))
    return out


def _get(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def mutated_record(draw) -> Any:
    record = json.loads(json.dumps(draw(st.sampled_from(RECORDS))))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        containers = _containers(record)
        if not containers:
            break
        target = _get(record, draw(st.sampled_from(containers)))
        action = draw(st.sampled_from(["drop", "set", "set_known"]))
        if isinstance(target, dict):
            keys = list(target)
            if action == "drop" and keys:
                del target[draw(st.sampled_from(keys))]
            elif action == "set_known":
                target[draw(KEYS)] = draw(JSON)
            elif keys:
                target[draw(st.sampled_from(keys))] = draw(JSON)
        elif target:
            index = draw(st.integers(min_value=0, max_value=len(target) - 1))
            if action == "drop":
                del target[index]
            else:
                target[index] = draw(JSON)
    return record


#: a line past the reader's limit (4,096 bytes in these tests), valid JSON or not
HUGE_LINE = st.integers(min_value=3_000, max_value=60_000).flatmap(lambda n: st.sampled_from([
    json.dumps({"type": "user", "uuid": "u", "sessionId": "s", "message": {"role": "user", "content": "a" * n}}).encode(),
    b'{"role": "user", "content": "' + b"\\ud83c" * (n // 6) + b'"}',
    b"x" * n,
]))


def _encode(record: Any, ascii_only: bool) -> bytes:
    # a lone surrogate written raw is not UTF-8: the readers must refuse or skip it, never crash
    return json.dumps(record, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def mutated_jsonl(draw) -> bytes:
    lines = [_encode(r, draw(st.booleans())) for r in draw(st.lists(mutated_record(), max_size=12))]
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), draw(HUGE_LINE))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if not lines:
            break
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["cut", "splice", "dup", "swap", "blank"]))
        if action == "cut":
            lines[i] = lines[i][: draw(st.integers(min_value=0, max_value=len(lines[i])))]
        elif action == "splice":
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.binary(min_size=1, max_size=4)) + lines[i][at:]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "swap" and len(lines) > 1:
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(i, b"   ")
    data = b"\n".join(lines)
    return data if draw(st.booleans()) else data + b"\n"


@st.composite
def mutated_document(draw) -> bytes:
    doc = json.loads((FIXTURES / draw(st.sampled_from(
        ["locomo/mini_locomo.json", "messages-json/conversation.json", "messages-json/messages_list.json"]
    ))).read_text())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        target = _get(doc, draw(st.sampled_from(_containers(doc))))
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(list(target)))
            if draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(JSON)
        elif isinstance(target, list) and target:
            target[draw(st.integers(min_value=0, max_value=len(target) - 1))] = draw(JSON)
    data = json.dumps(doc, indent=draw(st.sampled_from([None, 1]))).encode("utf-8", "surrogatepass")
    return data[: draw(st.integers(min_value=0, max_value=len(data)))] if draw(st.booleans()) else data


def _check(data: bytes, name: str = "t.jsonl") -> None:
    """Every reader, forced and auto-detected: only DreamingError, and what
    comes out is well-formed and storable."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        source = Source.of(path)
        options = ReadOptions(excerpt_chars=50, max_line_bytes=4096)
        names: list[str] = list(FORMATS)
        try:
            check_file(source, max_bytes=1 << 20)
            found = detect(source, options)
            if found:
                names.append(found)
        except DreamingError:
            pass
        for fmt in names:
            try:
                items = list(FORMATS[fmt](source, options))
            except DreamingError as err:
                assert "\n" not in str(err)
                event("refused (InputError)")
                continue
            _well_formed(items)
            skips = sum(isinstance(item, Skip) for item in items)
            event("read, with counted skips" if skips else "read cleanly")


def _well_formed(items: list[Any]) -> None:
    sessions: set[str] = set()
    pending: set[str] = set()
    for item in items:
        assert isinstance(item, (Turn, Session, Skip)), item
        if isinstance(item, Skip):
            assert "\n" not in item.reason and item.location
        elif isinstance(item, Turn):
            assert isinstance(item.id, str) and item.id and isinstance(item.text, str)
            assert item.timestamp is None or item.timestamp.tzinfo is not None
            dumps(dict(item.metadata))
            dumps([c.to_json() for c in item.tool_calls])
            pending.add(item.session_id)
        else:
            assert item.started_at is not None and item.started_at.tzinfo is not None
            dumps(dict(item.metadata))
            sessions.add(item.id)
            pending.discard(item.id)
    assert not pending, f"turns without a session record: {pending}"


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(data):
    _check(data)


@FUZZ
@given(lines=st.lists(JSON, max_size=6), trailing=st.booleans())
def test_random_json_lines(lines, trailing):
    _check(("\n".join(json.dumps(v) for v in lines) + ("\n" if trailing else "")).encode())


@FUZZ
@given(line=HUGE_LINE, before=st.lists(mutated_record(), max_size=2))
def test_huge_lines(line, before):
    _check(b"\n".join([*(_encode(r, True) for r in before), line]) + b"\n")


@FUZZ
@given(doc=JSON)
def test_random_json_documents(doc):
    _check(json.dumps(doc).encode(), "t.json")


@FUZZ
@given(data=mutated_jsonl())
def test_mutated_real_records(data):
    _check(data)


@FUZZ
@given(data=mutated_document())
def test_mutated_documents(data):
    _check(data, "t.json")


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated_jsonl(), strict=st.booleans())
def test_ingest_never_raises_anything_else(data, strict):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        (Path(tmp) / "in" / "t.jsonl").write_bytes(data)
        with Store.open(Path(tmp) / "store.db") as store:
            try:
                report = ingest_paths(store, [Path(tmp) / "in"], config=IngestConfig(strict=strict))
            except DreamingError:
                assert strict
                assert store.stats()["turns"] == 0
                return
            assert report.turns == store.stats()["turns"]
            if strict:
                assert report.skipped == 0


def test_mutation_pool_is_real():
    """The pool holds records of every shape we read (so the fuzzing means something)."""
    types = {r.get("type") for r in RECORDS if isinstance(r, dict)}
    assert {"user", "assistant", "summary", "system", "progress"} <= types
    assert any("role" in r and "type" not in r for r in RECORDS)
    if not SHARED_DATA.is_dir():
        pytest.skip("real records not mixed in: third-party data absent")
    assert len(RECORDS) > 80
