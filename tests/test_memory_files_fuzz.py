"""No input makes a memory importer fail with anything but a one-line
``InputError`` naming ``file:line``.

Random bytes, random JSON, and real exports mutated (fields dropped or
replaced by random JSON, unknown fields, lines cut or spliced, deep
nesting, broken ``<!-- dreaming {...} -->`` comments, odd file names) go
through the JSONL, markdown and memory-directory readers, and some through
``import_file`` into a real store, which must be left unchanged on refusal.

``DREAMING_FUZZ_EXAMPLES`` sets the examples per test (``benchmarks/fuzz.py``
runs 10,000+ per reader).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dreaming.errors import DreamingError, InputError
from dreaming.records import Evidence, Memory, dumps, parse_time
from dreaming.store.core import Store
from dreaming.store.files import (
    ImportedMemory,
    export_file,
    import_file,
    read_jsonl,
    read_markdown,
    read_memory_dir,
    render_jsonl,
    render_markdown,
    render_memory_dir,
)

from .conftest import REPO

EXAMPLES = int(os.environ.get("DREAMING_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _seed_memories() -> list[Memory]:
    """The sample store's memories, given every field an export writes."""
    items = read_jsonl(REPO / "memory_store" / "sample_memories.jsonl")
    out = []
    for i, item in enumerate(items[:12]):
        out.append(item.memory.replace(
            metadata={"n": i, "tags": ["a", "b"]}, mentions=1 + i % 3,
            first_seen=parse_time("2026-01-02T03:04:05Z"), last_seen=parse_time("2026-02-03T04:05:06Z"),
            provenance=(Evidence(session_id=f"s{i}", turn_ids=("t1", "t2")), Evidence(source="seed")),
        ))
    return out


SEED = _seed_memories()
SEED_RECORDS = [m.to_json() for m in SEED]
SEED_MARKDOWN = render_markdown(SEED, version=3)
SEED_DIR = render_memory_dir(SEED, version=3)

#: text with lone UTF-16 surrogates ("\ud83c"), which st.text() never draws
SURROGATE_TEXT = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(), max_size=20)
#: memory paths an attacker would try
PATH_ATTACKS = st.sampled_from([
    "/memories/../../../../home/me/.bashrc", "../escape.md", "/a/../../b.md", "/a\x00b.md", "/a\nb.md", "\\..\\x.md",
    "C:\\Windows\\x.md", "/" + "x" * 1100, "/" + "n" * 300 + "/a.md", "/a.md/b.md", "/a.md", "//etc//passwd",
    "/memories", "/./.", "/\ud83c.md", "/\u202e.md", "/con.md", "/.ssh/authorized_keys", "~/x.md", "/%2e%2e/x.md",
]) | SURROGATE_TEXT
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=20)
    | SURROGATE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
FIELDS = st.sampled_from([
    "id", "path", "kind", "key", "content", "observed_at", "source", "metadata", "created_at", "first_seen",
    "last_seen", "mentions", "content_sha256", "provenance", "session_id", "turn_ids", "unknown",
])
DEEP = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)  # as text: past the parser's limit
NESTED = st.integers(min_value=1, max_value=200).map(lambda n: "[" * n + "]" * n)


@st.composite
def mutated_record(draw) -> Any:
    record = json.loads(json.dumps(draw(st.sampled_from(SEED_RECORDS))))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        action = draw(st.sampled_from(["drop", "set", "provenance", "deep", "path"]))
        if action == "drop" and record:
            del record[draw(st.sampled_from(sorted(record)))]
        elif action == "path":
            record["path"] = draw(PATH_ATTACKS)
        elif action == "set":
            record[draw(FIELDS)] = draw(JSON)
        elif action == "provenance":
            record["provenance"] = [{draw(FIELDS): draw(JSON)} for _ in range(draw(st.integers(0, 2)))]
        else:
            record[draw(FIELDS)] = json.loads(draw(NESTED)) if draw(st.booleans()) else draw(DEEP)
    return record


def _damage(draw, lines: list[bytes]) -> bytes:
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if not lines:
            break
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["cut", "splice", "dup", "deep"]))
        if action == "cut":
            lines[i] = lines[i][: draw(st.integers(min_value=0, max_value=len(lines[i])))]
        elif action == "splice":
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.binary(min_size=1, max_size=4)) + lines[i][at:]
        elif action == "dup":
            lines.insert(i, lines[i])
        else:
            lines.insert(i, draw(DEEP).encode())
    data = b"\n".join(lines)
    return data if draw(st.booleans()) else data + b"\n"


@st.composite
def mutated_jsonl(draw) -> bytes:
    records = draw(st.lists(mutated_record() | JSON, max_size=8))
    return _damage(draw, [json.dumps(r, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
                          for r in records])


MARKDOWN_PIECES = st.sampled_from([
    "# Memory", "## /user/preferences.md", "## Code style", "## /../escape.md", "## //x//y.md", "## /a/./b.md",
    "### /deep/path.md", "- a bullet about tabs", "* another bullet", "+ third", "  continued line", "  ",
    "plain paragraph text", "", "<!-- a comment -->", "<!-- dreaming {} -->", "<!-- dreaming {\"id\": \"mem_1\"} -->",
    "- dup <!-- dreaming {\"id\": \"mem_dup\"} -->", "<!-- dreaming {\"content\": \"x\"} -->",
    "<!-- dreaming {\"mentions\": 0} -->", "<!-- dreaming {bad json} -->", "- x <!-- dreaming [1, 2] -->",
    "- y <!-- dreaming {\"provenance\": [{\"turn_ids\": 5}]} -->", "\ufeff", "\r", "# ", "-", "##",
])


@st.composite
def markdown_text(draw) -> bytes:
    if draw(st.booleans()):
        lines = SEED_MARKDOWN.split("\n")
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            i = draw(st.integers(min_value=0, max_value=len(lines)))
            piece = draw(MARKDOWN_PIECES | st.text(max_size=30))
            if draw(st.booleans()) and i < len(lines):
                lines[i] = piece
            else:
                lines.insert(i, piece)
        meta_lines = [i for i, line in enumerate(lines) if "<!-- dreaming {" in line]
        if meta_lines and draw(st.booleans()):  # a comment carrying random JSON fields
            i = draw(st.sampled_from(meta_lines))
            head = lines[i][: lines[i].index("<!-- dreaming ")]
            lines[i] = head + "<!-- dreaming " + json.dumps({draw(FIELDS): draw(JSON)}) + " -->"
    else:
        lines = draw(st.lists(MARKDOWN_PIECES | st.text(max_size=30), max_size=12))
    return _damage(draw, ["\n".join(lines).encode()]) if draw(st.booleans()) else "\n".join(lines).encode()


NAMES = st.sampled_from([
    "user/preferences.md", "notes.md", "_index.md", "a/b/c.md", "x.markdown", "y.txt", "image.png", ".hidden.md",
    "spaced name.md", "ünïcode.md", "UPPER.MD", "dots..md", "-dash.md", "a/_index.md", "deep/" * 5 + "leaf.md",
])


@st.composite
def memory_dir(draw) -> dict[str, bytes]:
    if draw(st.booleans()):
        files = {name: text.encode() for name, text in SEED_DIR.items()}
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            files[draw(NAMES | st.sampled_from(sorted(files)))] = draw(markdown_text() | st.binary(max_size=60))
        return files
    return draw(st.dictionaries(NAMES, markdown_text() | st.binary(max_size=60), max_size=4))


def _well_formed(items: list[ImportedMemory]) -> None:
    ids = set()
    for item in items:
        memory = item.memory
        assert isinstance(memory.content, str) and memory.content.strip() == memory.content and memory.content
        assert memory.path.startswith("/") and "/../" not in memory.path + "/" and "//" not in memory.path
        assert memory.id not in ids and ":" in item.location
        ids.add(memory.id)
        dumps(memory.to_json())


def _read(reader, path: Path) -> None:
    try:
        items = reader(path)
    except InputError as err:
        assert "\n" not in str(err) and err.location, str(err)
        event("refused (InputError)")
        return
    _well_formed(items)
    event("read" if items else "read (no memories)")


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = root / name
        if any(parent.is_file() for parent in target.parents) or target.is_dir():
            continue  # "a/b.md" and "a" cannot both be files
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@FUZZ
@given(data=st.binary(max_size=300) | mutated_jsonl())
def test_jsonl_reader(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.jsonl"
        path.write_bytes(data)
        _read(read_jsonl, path)


@FUZZ
@given(data=markdown_text() | st.binary(max_size=300))
def test_markdown_reader(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "CLAUDE.md"
        path.write_bytes(data)
        _read(read_markdown, path)


@FUZZ
@given(files=memory_dir())
def test_memory_dir_reader(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "memories"
        root.mkdir()
        _write(root, files)
        _read(read_memory_dir, root)


@settings(max_examples=max(10, EXAMPLES // 4), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated_jsonl(), kind=st.sampled_from(["jsonl", "markdown"]))
def test_import_file_refuses_or_writes_one_version(data, kind):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("m.jsonl" if kind == "jsonl" else "m.md")
        path.write_bytes(data if kind == "jsonl" else SEED_MARKDOWN.encode() + data[:200])
        with Store.open(Path(tmp) / "store.db") as store:
            try:
                import_file(store, path)
            except DreamingError as err:
                assert "\n" not in str(err)
                assert store.head == 0 and store.versions() == []
                return
            assert store.head in (0, 1)


@settings(max_examples=max(10, EXAMPLES // 4), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated_jsonl())
def test_an_import_then_export_writes_only_inside_the_folder(data):
    """Whatever paths an imported file carries, exporting the store as a memory
    directory writes files inside the export folder only (and every path is one
    a directory can hold)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in.jsonl").write_bytes(data)
        with Store.open(root / "s" / "store.db") as store:
            try:
                import_file(store, root / "in.jsonl")
            except DreamingError:
                event("refused")
                return
            out = root / "box" / "out"
            export_file(store, out, fmt="memory-dir")
        outside = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                         if p.is_file() and not p.resolve().is_relative_to((root / "box" / "out").resolve())
                         and p.relative_to(root).parts[0] not in ("s", "in.jsonl"))
        assert outside == [], outside
        event("exported")


def test_seeds_are_real_exports():
    """The mutation pool round-trips (so mutating it means something)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.jsonl"
        with path.open("w") as out:
            render_jsonl(SEED, out)
        assert [i.memory for i in read_jsonl(path)] == SEED
        (Path(tmp) / "m.md").write_text(SEED_MARKDOWN)
        by_id = {m.id: m for m in SEED}
        assert {i.memory.id: i.memory for i in read_markdown(Path(tmp) / "m.md")} == by_id
    assert len(SEED) == 12 and all(m.provenance for m in SEED)
