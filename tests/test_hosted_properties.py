"""Push's promise, for any local version and any concurrent hosted edits: the hosted store ends up
holding exactly the version, or the push stops listing the conflicting paths and writes nothing;
it never overwrites (or leaves beside the version) a hosted change it did not see."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreaming.hosted.sync import file_entries
from dreaming.hosted.transfer import PushStopped, pull, push
from dreaming.llm.hosted import HostedClient, HostedConfig
from dreaming.records import Changeset, Memory
from dreaming.store.core import Store
from dreaming.testing.fake_server import FakeAnthropicServer

PATHS = ["/a.md", "/b.md", "/c/d.md", "/e.md"]
words = st.sampled_from(["tea", "tabs", "deploy on friday", "short answers", "python", "rust", "dark mode"])
hosted_files = st.dictionaries(st.sampled_from(PATHS), st.lists(words, min_size=1, max_size=3), max_size=3)
local_adds = st.lists(st.tuples(st.sampled_from(PATHS), words), max_size=3)
# an agent edit: (path, None) deletes, (path, words) writes
agent_edits = st.lists(st.tuples(st.sampled_from(PATHS), st.none() | st.lists(words, min_size=1, max_size=2)), max_size=3)


@pytest.fixture(scope="module")
def api():
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def client(api):
    with HostedClient(api_key="k", base_url=api.base_url, config=HostedConfig(max_retries=0)) as sdk:
        yield sdk


def bullets(items: list[str]) -> str:
    return "".join(f"- {w}\n" for w in items)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=hosted_files, adds=local_adds, drop=st.integers(min_value=0, max_value=3), edits=agent_edits)
def test_push_writes_exactly_the_version_or_stops_listing_conflicts(api, client, initial, adds, drop, edits):
    sid = api.hosted.add_store("prop")
    for path, items in initial.items():
        api.hosted.add_memory(sid, path, bullets(items))
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "s.db") as store:
        pull(store, client, sid)
        head = store.snapshot()
        retire = tuple(m.id for m in head[:drop])
        upserts = tuple(Memory(id=f"mem_local_{i}", content=f"{w} (local {i})", path=p) for i, (p, w) in enumerate(adds))
        if retire or upserts:
            store.write_version(Changeset(upserts=upserts, retire=retire, message="local edits"))
        for path, items in edits:
            if items is None:
                api.hosted.agent_delete(sid, path)
            else:
                api.hosted.agent_write(sid, path, bullets([f"agent: {w}" for w in items]))
        before = {p: bullets(i) for p, i in initial.items()}
        after_edits = api.hosted.files(sid)
        edited = {p for p in set(before) | set(after_edits) if before.get(p) != after_edits.get(p)}
        want = Counter((m.path, m.content) for m in store.snapshot())
        mine = {p for p, _ in want}
        # an edit that leaves the path as the version wants it (both deleted it) is no conflict
        edited = {p for p in edited if p in after_edits or p in mine}
        try:
            push(store, client, to=sid)
        except PushStopped as stop:
            assert edited, "a push with no concurrent edit must not stop"
            assert api.hosted.files(sid) == after_edits  # nothing written, nothing overwritten
            listed = {c.split(" (")[0] for c in str(stop).split(": ", 2)[-1].split("; ")[0].split(", ")}
            assert listed == edited
            return
        assert not edited, f"pushed over the agent's edits to {sorted(edited)}"
        got = Counter((p, e) for p, text in api.hosted.files(sid).items() for e in file_entries(text))
        assert got == want
