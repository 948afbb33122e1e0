"""Claude Code memory in and out: CLAUDE.md tiers, auto memory, and the hook's --write-back."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from dreaming.cli import cli
from dreaming.records import Memory
from dreaming.store.claude_code import INDEX_MAX_BYTES, INDEX_MAX_LINES, auto_memory_dir, render_claude_code
from dreaming.store.core import Store
from dreaming.unattended.hook import HookConfig, dream_command, run_hook


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def project(tmp_path, home):
    root = tmp_path / "proj"
    (root / ".claude" / "rules").mkdir(parents=True)
    (root / "CLAUDE.md").write_text("# Project\n\n- Run tests with `make test`\n- Use tabs\n\n@docs/style.md\n")
    (root / ".claude" / "rules" / "python.md").write_text("- Type every function\n")
    (root / "CLAUDE.local.md").write_text("My sandbox URL is http://localhost:8080\n")
    memory = auto_memory_dir(root, {"HOME": str(home)})
    memory.mkdir(parents=True)
    (memory / "MEMORY.md").write_text("# Memory\n\n- [Deploys](deploys.md): how we ship\n- User is called Dana\n")
    (memory / "deploys.md").write_text("- Deploys happen on Thursdays\n")
    return root, memory


def test_import_reads_every_tier_and_auto_memory(tmp_path, store_path):
    home = tmp_path / "home"
    root, _ = project(tmp_path, home)
    (home / ".claude" / "CLAUDE.md").write_text("- Answer in English\n")
    assert invoke("import", "--format", "claude-code", str(root), env={"HOME": str(home)}).exit_code == 0
    assert invoke("import", "--format", "claude-code", str(home / ".claude"), env={"HOME": str(home)}).exit_code == 0
    with Store.open(store_path) as store:
        got = {(m.path, m.content) for m in store.snapshot()}
    assert got == {
        ("/CLAUDE.md", "Run tests with `make test`"), ("/CLAUDE.md", "Use tabs"),
        ("/.claude/rules/python.md", "Type every function"),
        ("/CLAUDE.local.md", "My sandbox URL is http://localhost:8080"),
        ("/memory/MEMORY.md", "User is called Dana"), ("/memory/deploys.md", "Deploys happen on Thursdays"),
        ("/user/CLAUDE.md", "Answer in English"),
    }  # the @import line and the index's link are not memories


def test_export_writes_an_index_within_limits_linking_every_topic(tmp_path, store_path):
    memories = [Memory(id=f"mem_{i:04}", content=f"fact number {i} " + "x" * 200, path=f"/area{i % 300}/topic{i}.md")
                for i in range(900)]
    files = render_claude_code(memories, version=3)
    index = files["MEMORY.md"]
    assert len(index.splitlines()) <= INDEX_MAX_LINES and len(index.encode()) <= INDEX_MAX_BYTES
    topics = [name for name in files if name != "MEMORY.md"]
    assert all(f"]({name})" in index for name in topics)
    assert sum(text.count("\n- ") + text.startswith("- ") for text in files.values() if text is not index) == 900
    small = render_claude_code(memories[:5], version=1)
    assert len(small) == 6 and all(f"({n})" in small["MEMORY.md"] for n in small if n != "MEMORY.md")


def test_export_imports_back_to_the_same_memories(tmp_path, store_path):
    home = tmp_path / "home"
    root, _ = project(tmp_path, home)
    invoke("import", "--format", "claude-code", str(root), env={"HOME": str(home)})
    out = tmp_path / "exported"
    assert invoke("export", "--format", "claude-code", str(out)).exit_code == 0
    assert (out / "MEMORY.md").is_file() and (out / "deploys.md").is_file()
    other = tmp_path / "other.db"
    assert invoke("--store", str(other), "import", "--format", "claude-code", str(out)).exit_code == 0
    with Store.open(store_path) as a, Store.open(other) as b:
        assert {(m.path, m.content) for m in a.snapshot()} == {(m.path, m.content) for m in b.snapshot()}


def test_hook_write_back_dreams_a_candidate_and_touches_files_only_on_accept(tmp_path, store_path):
    home = tmp_path / "home"
    root, memory = project(tmp_path, home)
    transcript = tmp_path / "s.jsonl"
    transcript.write_text(json.dumps({"type": "user", "uuid": "u1", "sessionId": "s1", "timestamp": "2026-12-01T10:00:00Z",
                                      "message": {"role": "user", "content": "Remember that deploys moved to Fridays."}}) + "\n")
    event = {"session_id": "s1", "transcript_path": str(transcript), "cwd": str(root), "hook_event_name": "SessionEnd"}
    before = {p.name: p.read_text() for p in memory.iterdir()}
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        result = run_hook(event, HookConfig(store=store_path, dream=False, write_back=True))
    finally:
        os.environ["HOME"] = old_home or ""
    assert result.ingest is not None and result.ingest.sessions == 1
    with Store.open(store_path) as store:
        assert store.get_config("claude_code.write_back") == str(memory)
        assert any(m.path == "/memory/deploys.md" for m in store.snapshot())
    assert "--review" in dream_command(HookConfig(store=store_path, write_back=True))
    assert invoke("run", "--no-ingest", "--llm", "off", "--review").exit_code == 0
    assert {p.name: p.read_text() for p in memory.iterdir()} == before  # nothing touched while it awaits review
    accepted = invoke("accept")
    assert accepted.exit_code == 0 and "Wrote HEAD back" in accepted.output
    index = (memory / "MEMORY.md").read_text()
    assert "(deploys.md)" in index and "written by dreaming from version" in index
    assert "Deploys happen on Thursdays" in (memory / "deploys.md").read_text()
    assert list(memory.parent.glob("memory.bak-*"))  # the previous folder is kept
