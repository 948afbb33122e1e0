"""Importing and exporting memories: JSONL, memory-dir, markdown; round trips and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dreaming import Memory, Store
from dreaming.errors import InputError
from dreaming.records import Evidence, parse_time
from dreaming.store.files import (
    read_memories,
    render_jsonl,
    render_markdown,
    render_memory_dir,
    write_memory_dir,
)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_jsonl_fields_and_defaults(tmp_path):
    f = write_jsonl(
        tmp_path / "m.jsonl",
        [
            {"content": "  User prefers tabs.  ", "kind": "preference", "key": "user.indent",
             "observed_at": "2026-01-02T03:04:05Z", "path": "/memories/user/preferences.md", "metadata": {"a": 1}},
            {"content": "Deploys go through CI.", "source": "ops-notes"},
        ],
    )
    a, b = [i.memory for i in read_memories(f)]
    assert a.content == "User prefers tabs." and a.path == "/user/preferences.md"
    assert a.kind == "preference" and a.key == "user.indent" and a.metadata == {"a": 1}
    assert a.observed_at == parse_time("2026-01-02T03:04:05+00:00")
    assert a.provenance == (Evidence(source="m.jsonl:1"),)
    # no path given: filed under its topic path at once (a dream need not move it)
    assert b.path == "/facts.md" and b.kind == "fact" and b.provenance == (Evidence(source="ops-notes"),)
    assert a.id.startswith("mem_") and a.id != b.id
    # ids are reproducible: the same file gives the same ids
    assert [i.memory.id for i in read_memories(f)] == [a.id, b.id]


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"content": "x", "colour": "red"}', "unknown field 'colour'"),
        ("{not json", "invalid JSON"),
        ('{"content": ""}', "'content' is required"),
        ('["content"]', "expected a JSON object"),
        ('{"content": "x", "observed_at": "yesterday"}', "not an ISO 8601 timestamp"),
        ('{"content": "x", "path": "/../etc/passwd"}', "invalid memory path"),
        ('{"content": "x", "mentions": 0}', "positive integer"),
        ('{"content": "x", "content_sha256": "abc"}', "does not match"),
        ('{"content": "x", "id": "has space"}', "invalid id"),
    ],
)
def test_jsonl_bad_line_names_file_and_line(tmp_path, line, message):
    f = write_jsonl(tmp_path / "bad.jsonl", [{"content": "fine"}, line])
    with pytest.raises(InputError) as info:
        read_memories(f)
    assert info.value.location == f"{f}:2"
    assert message in str(info.value)
    assert "nothing was imported" in str(info.value)


def test_invalid_utf8_is_reported_with_its_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b'{"content": "ok"}\n{"content": "\xff"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: invalid UTF-8"):
        read_memories(f)


def test_many_bad_lines_are_counted_in_one_message(tmp_path):
    f = write_jsonl(tmp_path / "bad.jsonl", ["{", "{", "{"])
    with pytest.raises(InputError, match="and 2 more bad lines"):
        read_memories(f)


def test_duplicate_ids_in_one_file_are_refused(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"id": "mem_x", "content": "a"}, {"id": "mem_x", "content": "b"}])
    with pytest.raises(InputError, match="already used at .*d.jsonl:1"):
        read_memories(f)


def test_hand_written_memory_dir(tmp_path):
    root = tmp_path / "memories"
    (root / "user").mkdir(parents=True)
    (root / "user" / "preferences.md").write_text(
        "# Preferences\n\n- Prefers tabs\n- Uses helix\n  as the editor\n\nLikes short answers.\nNo emojis.\n\n* Star bullet\n"
    )
    (root / "_index.md").write_text("- [x](user/preferences.md)\n")
    (root / "image.png").write_bytes(b"\x89PNG")
    items = read_memories(root)
    assert [i.memory.content for i in items] == [
        "Prefers tabs", "Uses helix\nas the editor", "Likes short answers.\nNo emojis.", "Star bullet"
    ]
    assert {i.memory.path for i in items} == {"/user/preferences.md"}
    assert items[1].location.endswith("preferences.md:4")


def test_markdown_sections_become_paths(tmp_path):
    f = tmp_path / "CLAUDE.md"
    f.write_text("# Project memory\n\n## Code style\n\n- Use black\n\n## /tools/git.md\n\n- Rebase, never merge\n")
    items = read_memories(f)
    assert [(i.memory.path, i.memory.content) for i in items] == [
        ("/code-style.md", "Use black"), ("/tools/git.md", "Rebase, never merge")
    ]


def _store_memories(store: Store) -> list[dict]:
    out = []
    for m in store.snapshot():
        data = m.to_json()
        out.append(data)
    return sorted(out, key=lambda d: d["id"])


def _sample(tmp_path) -> Path:
    return write_jsonl(
        tmp_path / "sample.jsonl",
        [
            {"content": "User prefers tabs.", "kind": "preference", "key": "user.indent", "path": "/user/prefs.md",
             "observed_at": "2026-01-02T03:04:05.123+01:00", "metadata": {"confidence": 0.9}},
            {"content": "Line one\n\nLine three after a blank\n- not a bullet", "path": "/project/notes.md"},
            {"content": "Contains --> and <!-- dreaming {\"x\":1} --> markers", "path": "/odd.md"},
            {"content": "Plain", "provenance": [{"session_id": "s1", "turn_ids": ["t1", "t2"]}]},
        ],
    )


@pytest.mark.parametrize("fmt", ["jsonl", "memory-dir", "markdown"])
def test_round_trip_gives_identical_memories(tmp_path, fmt):
    first = Store.open(tmp_path / "a.db")
    items = read_memories(_sample(tmp_path))
    first.import_memories([i.memory for i in items])
    memories = first.snapshot()
    if fmt == "jsonl":
        out = tmp_path / "out.jsonl"
        with out.open("w") as handle:
            render_jsonl(memories, handle)
    elif fmt == "markdown":
        out = tmp_path / "out.md"
        out.write_text(render_markdown(memories, version=1))
    else:
        out = tmp_path / "outdir"
        write_memory_dir(render_memory_dir(memories, version=1), out)
    second = Store.open(tmp_path / "b.db")
    again = read_memories(out, fmt)
    second.import_memories([i.memory for i in again], explicit_created=[i.memory.id for i in again])
    assert _store_memories(second) == _store_memories(first)
    # and importing the export into the first store changes nothing
    assert first.import_memories([i.memory for i in again]) is None


CONTENT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from("\n-#*<>!"),
    min_size=1,
    max_size=80,
).map(lambda s: "\n".join(line.strip() for line in s.strip().split("\n"))).filter(lambda s: s.strip() != "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(CONTENT, min_size=1, max_size=5, unique=True))
def test_memory_dir_round_trips_arbitrary_text(tmp_path_factory, contents):
    tmp = tmp_path_factory.mktemp("rt")
    memories = [Memory(id=f"mem_{i}", content=c, path=f"/t{i % 2}.md") for i, c in enumerate(contents)]
    write_memory_dir(render_memory_dir(memories, version=1), tmp / "d")
    back = {i.memory.id: i.memory for i in read_memories(tmp / "d")}
    assert {k: v.content for k, v in back.items()} == {m.id: m.content for m in memories}


def test_export_dir_refuses_non_empty_without_force_and_keeps_backup(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.md").write_text("keep me")
    files = render_memory_dir([Memory(id="mem_a", content="A")], version=1)
    with pytest.raises(InputError, match="not empty"):
        write_memory_dir(files, out)
    backup = write_memory_dir(files, out, force=True)
    assert backup is not None and (backup / "mine.md").read_text() == "keep me"
    assert (out / "_index.md").exists() and (out / "notes.md").exists()


def test_python_api_import_and_export(tmp_path):
    import dreaming

    with dreaming.Store.open(tmp_path / "s.db") as store:
        result = dreaming.import_file(store, _sample(tmp_path), message="seed")
        assert result.read == 4 and result.version.number == 1 and result.unchanged == 0
        again = dreaming.import_file(store, _sample(tmp_path))
        assert again.version is None and again.unchanged == 4
        out = dreaming.export_file(store, tmp_path / "wiki")
        assert out.format == "memory-dir" and out.memories == 4 and out.version == 1
        assert (tmp_path / "wiki" / "_index.md").exists()
