"""Docs that cannot drift: every command is in the README, every table in the schema doc."""

from __future__ import annotations

import re

from dreaming.cli import cli
from dreaming.store.core import Store
from dreaming.store.schema import migrations

from .conftest import REPO


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    missing = [name for name in cli.commands if not re.search(rf"dreaming {re.escape(name)}\b", readme)]
    assert missing == []


def test_every_table_is_in_the_schema_doc(store_path):
    doc = (REPO / "memory_store" / "README.md").read_text()
    with Store.open(store_path) as store:
        tables = [
            r[0]
            for r in store.db.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' "
                "AND name NOT LIKE 'memories_fts_%' AND name NOT LIKE 'memories_words_%'"
            )
        ]
    assert set(tables) >= {"memories", "versions", "changes", "runs"}
    assert [t for t in tables if f"`{t}`" not in doc] == []
    for m in migrations._migrations:
        assert m.name in doc


def test_readme_two_commands_exist():
    readme = (REPO / "README.md").read_text()
    assert "python3 dev.py demo" in readme and "python3 dev.py test" in readme
    assert "python3 dev.py test" in (REPO / ".ci" / "run").read_text()


def _architecture_tree() -> set[str]:
    """The module paths the tree in ARCHITECTURE.md lists (``dreaming/x/y.py``)."""
    text = (REPO / "ARCHITECTURE.md").read_text()
    block = text.split("## The package, in the order of the flow", 1)[1].split("```", 2)[1]
    listed: set[str] = set()
    packages: list[str] = []
    for line in block.splitlines()[1:]:
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        first = line.split()[0]
        if first.endswith("/"):  # a package; its line says what its __init__ holds
            packages[depth:] = [first.rstrip("/")]
            listed.add("/".join(packages) + "/__init__.py")
        elif first.endswith(".py,"):  # a list of modules: "a.py, b.py, c.py"
            listed.update(f"{'/'.join(packages[:depth])}/{name}" for name in re.findall(r"\w+\.py", line))
        elif first.endswith(".py"):  # one module and what it does
            listed.add(f"{'/'.join(packages[:depth])}/{first}")
    return listed


def test_the_architecture_tree_lists_every_module():
    modules = {str(p.relative_to(REPO)) for p in (REPO / "dreaming").rglob("*.py")}
    listed = _architecture_tree()
    assert sorted(modules - listed) == [], "modules missing from ARCHITECTURE.md's tree"
    assert sorted(listed - modules) == [], "modules in ARCHITECTURE.md's tree that do not exist"


def test_no_merge_conflict_markers_in_the_docs():
    docs = [*REPO.glob("*.md"), *(REPO / "evals").rglob("*.md"), *(REPO / "memory_store").glob("*.md")]
    marked = [
        f"{d.relative_to(REPO)}:{n}"
        for d in docs
        for n, line in enumerate(d.read_text().splitlines(), start=1)
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "======="
    ]
    assert marked == []
