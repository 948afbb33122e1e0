"""Claude Code's memory files in and out (format ``claude-code``).

Claude Code keeps memory in two places:

- ``CLAUDE.md`` files, by tier: user (``~/.claude/CLAUDE.md``), project
  (``./CLAUDE.md``, ``./.claude/CLAUDE.md``, ``./.claude/rules/*.md``) and local
  (``./CLAUDE.local.md``); ``@path`` lines import other files;
- auto memory: ``~/.claude/projects/<project>/memory/``: ``MEMORY.md``, the
  index Claude Code loads at the start of a session (its first 200 lines or
  25 KB), and topic files beside it that the index links.

Import (``dreaming import --format claude-code PATH``) reads a project folder
(its CLAUDE.md tiers and, when it exists, its auto-memory folder), a user's
``~/.claude`` folder, an auto-memory folder, or one CLAUDE.md file.  Every
bullet or paragraph becomes a memory at a path naming its file:
``/CLAUDE.md``, ``/.claude/CLAUDE.md``, ``/.claude/rules/<name>.md``,
``/CLAUDE.local.md``, ``/user/CLAUDE.md``, and for auto memory the path a
topic file's ``## /path`` headings give (``/memory/<topic>.md`` without one);
``MEMORY.md``'s own entries (not its links) go to ``/memory/MEMORY.md``.
``@path`` import lines are instructions to Claude Code, not memories: skipped.

Export (``dreaming export --format claude-code DIR``) writes an auto-memory
folder: one topic file per path (a ``## /path`` heading, then a bullet per
memory) and ``MEMORY.md`` linking every topic file, kept within 200 lines and
25,000 bytes (descriptions shortened first; then topics of one folder share a
file).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dreaming.errors import InputError
from dreaming.ids import new_id
from dreaming.records import Evidence, Memory, utcnow
from dreaming.text.memory_files import normalise_path, slug, split_entries

INDEX = "MEMORY.md"
INDEX_MAX_LINES = 200
INDEX_MAX_BYTES = 25_000
_LINK = re.compile(r"^\[[^\]]*\]\(([^)]+)\)")
_IMPORT = re.compile(r"^@\S+$")


@dataclass(frozen=True, kw_only=True)
class Found:
    """A Claude Code memory file and the path its memories get by default."""

    file: Path
    path: str
    index: bool = False


def claude_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("CLAUDE_CONFIG_DIR"):
        return Path(env["CLAUDE_CONFIG_DIR"])
    return Path(env.get("HOME") or Path.home()) / ".claude"


def auto_memory_dir(project: Path, env: Mapping[str, str] | None = None) -> Path:
    """``~/.claude/projects/<project>/memory``: the project's absolute path with every
    character other than a letter or digit turned into ``-`` (Claude Code's naming)."""
    mangled = re.sub(r"[^A-Za-z0-9]", "-", str(project.resolve()))
    return claude_home(env) / "projects" / mangled / "memory"


def _auto_memory(folder: Path) -> list[Found]:
    found = [Found(file=folder / INDEX, path="/memory/MEMORY.md", index=True)] if (folder / INDEX).is_file() else []
    for file in sorted(p for p in folder.glob("*.md") if p.name != INDEX and p.is_file()):
        found.append(Found(file=file, path=f"/memory/{file.name}"))
    return found


def locate(root: Path, env: Mapping[str, str] | None = None) -> list[Found]:
    """The Claude Code memory files under ``root`` (see the module docstring)."""
    if root.is_file():
        return [Found(file=root, path="/CLAUDE.md" if root.name != INDEX else "/memory/MEMORY.md", index=root.name == INDEX)]
    if not root.is_dir():
        raise InputError("no such file or directory", location=str(root))
    if (root / INDEX).is_file():
        return _auto_memory(root)
    if root.resolve() == claude_home(env).resolve() or (root.name == ".claude" and (root / "CLAUDE.md").is_file()
                                                         and not (root / "rules").is_dir()):
        return [Found(file=root / "CLAUDE.md", path="/user/CLAUDE.md")] if (root / "CLAUDE.md").is_file() else []
    found = [Found(file=root / name, path=f"/{name}") for name in ("CLAUDE.md", ".claude/CLAUDE.md", "CLAUDE.local.md")
             if (root / name).is_file()]
    rules = root / ".claude" / "rules"
    if rules.is_dir():
        found += [Found(file=f, path=f"/.claude/rules/{f.relative_to(rules).as_posix()}") for f in sorted(rules.rglob("*.md"))]
    memory = auto_memory_dir(root, env)
    if memory.is_dir():
        found += _auto_memory(memory)
    if not found:
        raise InputError("no Claude Code memory here (no CLAUDE.md, .claude/rules/, CLAUDE.local.md or MEMORY.md)",
                         location=str(root))
    return found


def _lines(file: Path) -> list[str]:
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise InputError(f"invalid UTF-8 at byte {err.start}", location=str(file)) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", location=str(file)) from None


def read_claude_code(root: Path, env: Mapping[str, str] | None = None) -> list[tuple[Memory, str]]:
    """``(memory, file:line)`` for every entry of every Claude Code memory file under ``root``."""
    out: list[tuple[Memory, str]] = []
    at = utcnow()
    for found in locate(root, env):
        for entry in split_entries(_lines(found.file), location_prefix=str(found.file)):
            text = entry.text.strip()
            if _IMPORT.match(text) or (found.index and _LINK.match(text)):
                continue  # an @import, or the index's link to a topic file
            section = entry.section or ""
            path = normalise_path(section, location=f"{found.file}:{entry.lineno}") if section.startswith("/") else found.path
            location = f"{found.file}:{entry.lineno}"
            out.append((Memory(
                id=new_id("mem", at=at, seed=f"claude-code:{path}:{text}"),
                content=text, path=path, kind="note" if found.index else "fact", created_at=at,
                provenance=(Evidence(source=location),),
            ), location))
    seen: set[str] = set()
    unique = []
    for mem, location in out:
        if mem.id not in seen:
            seen.add(mem.id)
            unique.append((mem, location))
    return unique


# --- export -------------------------------------------------------------------------


def _topic_name(path: str) -> str:
    if path.startswith("/memory/") and path.count("/") == 2:
        path = path[len("/memory"):]  # a topic file read from auto memory keeps its name
    return (slug(path.rsplit(".", 1)[0] if path.endswith(".md") else path) or "notes") + ".md"


def _describe(mems: Sequence[Memory], limit: int) -> str:
    n = len(mems)
    head = f"{n} memor{'y' if n == 1 else 'ies'}"
    if limit <= 0 or not mems:
        return head
    first = " ".join(mems[0].content.split())
    return f"{head}, e.g. {first[:limit]}{'...' if len(first) > limit else ''}"


def _groups(by_path: Mapping[str, list[Memory]], max_topics: int) -> dict[str, list[str]]:
    """Topic file -> the paths it holds: one file per path, or per top folder when there are too many."""
    topics: dict[str, list[str]] = {}
    if len(by_path) <= max_topics:
        for path in by_path:
            name = _topic_name(path)
            while name in topics or name == INDEX:
                name = name[:-3] + "-2.md"
            topics[name] = [path]
        return topics
    for path in by_path:
        top = path.strip("/").split("/")[0] if "/" in path.strip("/") else "notes"
        topics.setdefault(_topic_name("/" + top), []).append(path)
    if len(topics) > max_topics:  # still too many: the rest share one file
        names = sorted(topics)
        keep, rest = names[: max_topics - 1], names[max_topics - 1:]
        merged = [p for n in rest for p in topics[n]]
        topics = {n: topics[n] for n in keep}
        topics["more.md"] = merged
    return topics


def render_claude_code(memories: Iterable[Memory], *, version: int) -> dict[str, str]:
    """``{file name: text}`` of an auto-memory folder: ``MEMORY.md`` and one topic file per path."""
    by_path: dict[str, list[Memory]] = {}
    for mem in sorted(memories, key=lambda m: (m.path, m.kind, m.content, m.id)):
        by_path.setdefault(mem.path, []).append(mem)
    header = ["# Memory index", "", f"<!-- written by dreaming from version {version}: one topic file per path -->", ""]
    room = INDEX_MAX_LINES - len(header)
    topics = _groups(by_path, room)
    files: dict[str, str] = {}
    for name, paths in sorted(topics.items()):
        body = []
        for path in paths:
            body += [f"## {path}", ""] + ["- " + "\n  ".join(m.content.split("\n")) for m in by_path[path]] + [""]
        files[name] = "\n".join(body)
    for limit in (100, 60, 30, 0):
        lines = [f"- [{name[:-3]}]({name}): " + _describe([m for p in paths for m in by_path[p]], limit)
                 for name, paths in sorted(topics.items())]
        index = "\n".join(header + lines) + "\n"
        if len(index.encode("utf-8")) <= INDEX_MAX_BYTES:
            break
    files[INDEX] = index
    return files


#: the store setting naming the auto-memory folder `dreaming accept` writes back to
#: (see ``dreaming.store.files.write_back``)
WRITE_BACK_KEY = "claude_code.write_back"
