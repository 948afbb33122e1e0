"""The agent's own memory edits are replayed exactly: the old line leaves, the new one replaces it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dreaming.consolidate.edits import replay
from dreaming.extract.memory_writes import entry_diff, memory_writes
from dreaming.records import Evidence, Memory, ToolCall, parse_time

T0 = parse_time("2026-03-02T09:00:00Z")


def _mem(mid: str, content: str, path: str = "/notes.md", *, minutes: int = -600, edit: dict | None = None,
         rule: str = "memory-tool:str_replace") -> Memory:
    at = T0 + timedelta(minutes=minutes)
    meta: dict = {"rule": rule}
    if edit is not None:
        meta["edit"] = edit
    return Memory(id=mid, content=content, path=path, observed_at=at, created_at=at, metadata=meta,
                  provenance=(Evidence(session_id="s1", turn_ids=("t1",)),))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a changed line replaces the line it was
        ("- editor: PyCharm", "- editor: Neovim", [("replace", "editor: Neovim", ("editor: PyCharm",))]),
        # an added line beside unchanged ones is only added
        ("- a: 1\n- b: 2", "- a: 1\n- b: 2\n- c: 3", [("add", "c: 3", ())]),
        # a removed line with nothing in its place is retracted
        ("- a: 1\n- b: 2", "- a: 1", [("retract", "b: 2", ())]),
        # two lines changed: each replaces its most similar counterpart
        ("- on call: Bea\n- standup: 9:00", "- standup: 9:30\n- on call: Kofi",
         [("replace", "standup: 9:30", ("standup: 9:00",)), ("replace", "on call: Kofi", ("on call: Bea",))]),
    ],
)
def test_entry_diff(old: str, new: str, expected: list) -> None:
    got = [(w.op, w.content, w.replaces) for w in entry_diff(old, new, path="/p.md", rule="r")]
    assert got == expected


def test_memory_tool_commands_become_writes() -> None:
    rename = ToolCall(name="memory", input={"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/b.md"})
    assert [(w.op, w.path, w.new_path) for w in memory_writes(rename)] == [("rename-file", "/a.md", "/b.md")]
    delete = ToolCall(name="memory", input={"command": "delete", "path": "/memories/old.md"})
    assert [(w.op, w.path) for w in memory_writes(delete)] == [("delete-file", "/old.md")]
    edit = ToolCall(name="Edit", input={"file_path": "/repo/CLAUDE.md", "old_string": "- use npm", "new_string": "- use pnpm"})
    assert [(w.op, w.content, w.replaces, w.rule) for w in memory_writes(edit)] == [
        ("replace", "use pnpm", ("use npm",), "CLAUDE.md:edit")]


def test_replace_retires_the_stored_line_at_that_path() -> None:
    store = [_mem("m1", "editor: PyCharm", "/user.md"), _mem("m2", "editor: PyCharm", "/other.md", minutes=-900)]
    new = _mem("c1", "editor: Neovim", "/user.md", minutes=0,
               edit={"op": "replace", "path": "/user.md", "replaces": ["- editor: PyCharm"]})
    out = replay([*store, new], [new])
    assert [(r.old_id, r.new_id, r.rule) for r in out.replacements] == [("m1", "c1", "memory-tool:str_replace")]
    assert out.removals == () and out.unmatched == ()


def test_a_line_not_in_the_store_retires_nothing() -> None:
    store = [_mem("m1", "deploys on Thursdays", "/user.md")]
    new = _mem("c1", "editor: Neovim", "/user.md", minutes=0,
               edit={"op": "replace", "path": "/user.md", "replaces": ["editor: Emacs"]})
    out = replay([*store, new], [new])
    assert out.replacements == () and out.retired == set()
    assert len(out.unmatched) == 1


def test_edits_replay_in_order_within_one_dream() -> None:
    """Created, then replaced, then removed in the same dream: the later edits find the earlier candidates."""
    first = _mem("c1", "on call: Bea", "/team.md", minutes=0, rule="memory-tool:create")
    second = _mem("c2", "on call: Kofi", "/team.md", minutes=5,
                  edit={"op": "replace", "path": "/team.md", "replaces": ["on call: Bea"]})
    third = _mem("c3", "on call: Kofi", "/team.md", minutes=10, edit={"op": "retract", "path": "/team.md"})
    out = replay([first, second], [second, third])
    assert [(r.old_id, r.new_id) for r in out.replacements] == [("c1", "c2")]
    assert [r.memory_id for r in out.removals] == ["c2"]


def test_a_target_must_exist_before_the_edit() -> None:
    later = _mem("c9", "editor: PyCharm", "/user.md", minutes=60)
    edit = _mem("c1", "editor: Neovim", "/user.md", minutes=0,
                edit={"op": "replace", "path": "/user.md", "replaces": ["editor: PyCharm"]})
    assert replay([later, edit], [edit]).replacements == ()


def test_delete_rename_and_overwrite_files() -> None:
    store = [_mem("m1", "a", "/x.md"), _mem("m2", "b", "/x.md"), _mem("m3", "c", "/y.md"), _mem("m4", "d", "/z.md")]
    delete = _mem("e1", "/x.md", "/x.md", minutes=0, edit={"op": "delete-file", "path": "/x.md"}, rule="memory-tool:delete")
    rename = _mem("e2", "/y.md", "/y.md", minutes=1, edit={"op": "rename-file", "path": "/y.md", "new_path": "/w.md"},
                  rule="memory-tool:rename")
    write = _mem("e3", "/z.md", "/z.md", minutes=2, edit={"op": "write-file", "path": "/z.md", "entries": ["e"]},
                 rule="memory-tool:create")
    out = replay(store, [delete, rename, write])
    assert sorted(r.memory_id for r in out.removals) == ["m1", "m2", "m4"]
    assert [(m.memory_id, m.path) for m in out.moves] == [("m3", "/w.md")]


def test_a_store_memory_is_a_target_whatever_time_it_carries() -> None:
    """Imported without a time of its own, a memory carries its import time, later than the session: it was
    still in the store before the edit."""
    imported = _mem("m1", "editor: PyCharm", "/user.md", minutes=60 * 24 * 30)
    edit = _mem("c1", "editor: Neovim", "/user.md", minutes=0,
                edit={"op": "replace", "path": "/user.md", "replaces": ["editor: PyCharm"]})
    out = replay([imported, edit], [edit], new_ids={"c1"})
    assert [(r.old_id, r.new_id) for r in out.replacements] == [("m1", "c1")]
