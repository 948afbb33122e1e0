"""The element-by-element JSON array reader, against ``json.loads``."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreaming.ingest import Skip, Source
from dreaming.ingest.jsonstream import iter_json_array

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _source(data: bytes, directory: str) -> Source:
    path = Path(directory) / "doc.json"
    path.write_bytes(data)
    return Source(path=path, size=len(data), mtime=datetime.now(timezone.utc), display="doc.json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(JSON_VALUES, max_size=8),
    indent=st.sampled_from([None, 1, 2]),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_matches_json_loads_at_every_chunk_size(values, indent, chunk):
    text = json.dumps(values, indent=indent, ensure_ascii=False)
    with tempfile.TemporaryDirectory() as tmp:
        items = list(iter_json_array(_source(text.encode(), tmp), chunk=chunk))
    assert not [i for i in items if isinstance(i, Skip)]
    assert [value for _, value in items] == json.loads(text)
    if indent is not None and values:
        # each element's line is where it starts in the pretty-printed text
        assert items[0][0] == 2


@settings(max_examples=100, deadline=None)
@given(values=st.lists(JSON_VALUES, min_size=1, max_size=6), cut=st.floats(min_value=0.0, max_value=0.99))
def test_truncated_document_keeps_complete_elements_and_says_so(values, cut):
    text = json.dumps(values)
    data = text.encode()[: int(len(text.encode()) * cut)]
    with tempfile.TemporaryDirectory() as tmp:
        items = list(iter_json_array(_source(data, tmp), chunk=7))
    skips = [i for i in items if isinstance(i, Skip)]
    assert len(skips) == 1 and items[-1] is skips[0]
    kept = [value for _, value in items[:-1]]
    assert kept == values[: len(kept)]


def test_malformed_element_stops_with_one_skip(tmp_path):
    data = b'[{"a": 1},\n {"b": 2,, "c": 3},\n {"d": 4}]'
    items = list(iter_json_array(_source(data, str(tmp_path)), chunk=4))
    assert items[0] == (1, {"a": 1})
    assert len(items) == 2
    assert items[1].location == "doc.json:2" and items[1].reason.startswith("malformed JSON")


def test_not_an_array_and_bad_separator(tmp_path):
    (skip,) = iter_json_array(_source(b'{"a": 1}', str(tmp_path)))
    assert skip.reason == "not a JSON array"
    items = list(iter_json_array(_source(b"[0, 1 2]", str(tmp_path))))
    assert items[0] == (1, 0) and len(items) == 2
    assert items[1].reason == "malformed JSON: expected ',' or ']', got '2'"


def test_invalid_utf8_stops_with_one_skip(tmp_path):
    items = list(iter_json_array(_source(b'["ok",\n"caf\xe9"]', str(tmp_path)), chunk=3))
    assert items[0] == (1, "ok")
    assert items[-1].reason.startswith("invalid UTF-8")


def test_a_number_split_across_chunks_is_read_whole(tmp_path):
    assert [v for _, v in iter_json_array(_source(b"[12345, 678]", str(tmp_path)), chunk=2)] == [12345, 678]
