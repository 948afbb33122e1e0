"""Eval tasks (the cases of a dataset) and the ``--tasks FILE`` reader.

A tasks file is JSONL, one task per line::

    {"id": "q1", "question": "Which editor does the user prefer?", "answer": "helix",
     "evidence": ["sess-1#t4"], "category": "preferences"}

``question`` and ``answer`` are required (``answer`` may be a number);
``id`` defaults to ``line-N``; ``evidence`` lists turn ids (``t4``) or
``session#turn`` ids; ``category`` groups the report (default
``uncategorised``).  Blank lines and lines starting with ``#`` are skipped.
The file is read in full before anything runs: the first bad line is an
:class:`~dreaming.errors.InputError` naming ``file:line``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dreaming.errors import InputError

DEFAULT_CATEGORY = "uncategorised"
_FIELDS = {"id", "question", "answer", "evidence", "category"}


@dataclass(frozen=True, kw_only=True)
class Task:
    """One question the agent should be able to answer from its memory."""

    id: str
    question: str
    answer: str | None
    """The gold answer; ``None`` for a question that must not be answered
    (its premise is false: LoCoMo's adversarial category)."""
    evidence: tuple[str, ...] = ()
    """Ids of the turns that hold the answer (``turn`` or ``session#turn``)."""
    category: str = DEFAULT_CATEGORY
    wrong: tuple[str, ...] = ()
    """Answers that are wrong here: outdated values of the fact (drift suite)
    or the misleading answer of a must-not-answer question."""
    unit: str = ""
    """The store the task is asked of, when a suite builds several (a LoCoMo conversation)."""

    @property
    def answerable(self) -> bool:
        return self.answer is not None


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A named set of tasks, asked of the versions a suite compares."""

    name: str
    tasks: tuple[Task, ...]


def _text(value: Any, name: str, where: str, *, numbers: bool = False) -> str:
    if isinstance(value, bool) or not (isinstance(value, str) or (numbers and isinstance(value, (int, float)))):
        kind = "a string or a number" if numbers else "a string"
        raise InputError(f"{name!r} must be {kind}, got {json.dumps(value)[:40]}", location=where)
    text = str(value).strip()
    if not text:
        raise InputError(f"{name!r} is empty", location=where)
    return text


def parse_task(data: Any, *, where: str, line: int) -> Task:
    """One task from one decoded JSON line; ``InputError`` at ``where`` when it does not fit."""
    if not isinstance(data, Mapping):
        raise InputError("expected a JSON object", location=where)
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise InputError(
            f"unknown field(s) {', '.join(unknown)}; a task has {', '.join(sorted(_FIELDS))}", location=where
        )
    for required in ("question", "answer"):
        if required not in data or data[required] is None:
            raise InputError(f"missing {required!r}", location=where)
    evidence = data.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(e, str) and e.strip() for e in evidence):
        raise InputError("'evidence' must be a list of non-empty strings (turn ids)", location=where)
    category = data.get("category")
    return Task(
        id=_text(data["id"], "id", where, numbers=True) if data.get("id") is not None else f"line-{line}",
        question=_text(data["question"], "question", where),
        answer=_text(data["answer"], "answer", where, numbers=True),
        evidence=tuple(e.strip() for e in evidence),
        category=_text(category, "category", where, numbers=True) if category is not None else DEFAULT_CATEGORY,
    )


def load_tasks(path: Path) -> Dataset:
    """Read a tasks file in full; the first bad line raises ``InputError`` (file:line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"no such tasks file: {path}") from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", location=str(path)) from None
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        where = f"{path}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"not valid JSON ({err.msg})", location=where) from None
        task = parse_task(data, where=where, line=number)
        if task.id in seen:
            raise InputError(f"task id {task.id!r} already used on line {seen[task.id]}", location=where)
        seen[task.id] = number
        tasks.append(task)
    if not tasks:
        raise InputError("no tasks in the file", location=str(path))
    return Dataset(name=path.stem, tasks=tuple(tasks))
