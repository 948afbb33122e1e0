"""Import and export stream: the same files as the whole-list renderers, and
an import that fails late writes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from dreaming.errors import InputError
from dreaming.records import Memory
from dreaming.store import Store
from dreaming.store.files import export_file, import_file, render_jsonl, render_markdown, render_memory_dir

T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)


def seeded(tmp_path) -> Store:
    store = Store.open(tmp_path / "s.db")
    paths = ["/user/preferences.md", "/_index.md", "/people/zoë.md", "/people/zoe.md", "/facts.md", "/a/b/c.md"]
    memories = [
        Memory(id=f"mem_{i:03d}", content=f"Entry {i % 7} about {paths[i % len(paths)]}",
               path=paths[(i * 5) % len(paths)], kind=["fact", "preference"][i % 2],
               key=f"k.{i % 3}" if i % 4 else None, created_at=T0)
        for i in range(60)
    ]
    store.import_memories(memories, message="seed")
    return store


def test_exports_equal_the_renderers(tmp_path):
    store = seeded(tmp_path)
    snapshot = store.snapshot()
    export_file(store, tmp_path / "out.jsonl")
    with open(tmp_path / "want.jsonl", "w", encoding="utf-8") as handle:
        render_jsonl(snapshot, handle)
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "want.jsonl").read_bytes()
    result = export_file(store, tmp_path / "out.md")
    assert result.memories == 60
    assert (tmp_path / "out.md").read_text(encoding="utf-8") == render_markdown(snapshot, version=store.head)
    export_file(store, tmp_path / "dir")
    files = render_memory_dir(snapshot, version=store.head)
    written = {p.relative_to(tmp_path / "dir").as_posix(): p.read_text(encoding="utf-8")
               for p in (tmp_path / "dir").rglob("*") if p.is_file()}
    assert written == files


def test_a_bad_line_after_whole_batches_imports_nothing(tmp_path):
    source = tmp_path / "m.jsonl"
    lines = [json.dumps({"content": f"Memory number {i}"}) for i in range(6_000)]
    lines[5_600] = "{not json"
    lines[5_800] = json.dumps({"content": ""})
    source.write_text("\n".join(lines) + "\n")
    store = Store.open(tmp_path / "s.db")
    with pytest.raises(InputError) as err:
        import_file(store, source)
    assert err.value.location == f"{source}:5601" and "1 more bad line" in str(err.value)
    assert store.head == 0 and store.db.conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 0
    del lines[5_800], lines[5_600]
    source.write_text("\n".join(lines) + "\n")
    result = import_file(store, source)
    assert result.read == 5_998 and store.count() == 5_998 and result.version.counts["added"] == 5_998
    again = import_file(store, source)
    assert again.version is None and again.unchanged == 5_998


def test_a_memory_without_a_path_is_filed_at_import(tmp_path):
    source = tmp_path / "m.jsonl"
    rows = [{"content": "User prefers dark mode.", "kind": "preference"},
            {"content": "The deploy runs nightly.", "metadata": {"project": "Atlas"}},
            {"content": "Odd metadata is no trouble.", "metadata": {"project": 5, "speaker": ["x"]}},
            {"content": "Kept where it was put.", "path": "/notes.md"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = Store.open(tmp_path / "s.db")
    import_file(store, source)
    paths = {m.content: m.path for m in store.snapshot()}
    assert paths == {"User prefers dark mode.": "/user/preferences.md", "The deploy runs nightly.": "/projects/atlas/facts.md",
                     "Odd metadata is no trouble.": "/facts.md", "Kept where it was put.": "/notes.md"}
