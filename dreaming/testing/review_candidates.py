"""Candidates to review, made up: a store with ``n`` changes awaiting review.

:func:`big_candidate` writes a HEAD of memories, sessions of turns that the
changes quote, and a candidate version mixing adds, merges, supersedes,
updates, conflicts and moves, each with a reason, a score, a rule and
evidence, so the review page and ``dreaming diff`` can be tried at the size of
a real dream over a long conversation (~900 changes).  Deterministic for a
seed.  Only public store API is used.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dreaming.records import Change, Changeset, Evidence, Memory, Session, Turn
from dreaming.store.core import SourceState, Store

PEOPLE = ("Caroline", "Melanie", "Jon", "Gina", "Ines", "Bob", "Alice", "Priya")
TOPICS = (
    ("/people/{p}/hobbies.md", "{p} enjoys {x}.", ("pottery", "hiking", "painting", "chess", "swimming", "the violin")),
    ("/people/{p}/work.md", "{p} works as {x}.", ("a nurse", "a teacher", "an engineer", "a counsellor", "a chef")),
    ("/people/{p}/places.md", "{p} lives in {x}.", ("Lisbon", "Boston", "Oslo", "Lyon", "Kyoto", "Austin")),
    ("/user/preferences.md", "User prefers {x}.", ("tabs", "dark mode", "short answers", "metric units")),
    ("/project/tools.md", "The project uses {x}.", ("pytest", "ruff", "uv", "PostgreSQL 16", "Redis")),
)
RULES = ("explicit-write", "user-instruction", "project-fact", "speaker-fact", "workaround")
START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True, kw_only=True)
class Made:
    version: int
    changes: int
    sessions: int


def _fact(r: random.Random, person: str) -> tuple[str, str]:
    path, template, values = r.choice(TOPICS)
    return path.format(p=person.lower()), template.format(p=person, x=r.choice(values))


def big_candidate(store: Store, *, n: int = 900, seed: int = 7, head_size: int | None = None) -> Made:
    """Write a HEAD and a candidate with ``n`` changes into an empty ``store``."""
    r = random.Random(seed)
    head_size = head_size if head_size is not None else max(20, n // 2)
    head = []
    for i in range(head_size):
        path, text = _fact(r, r.choice(PEOPLE))
        head.append(Memory(id=f"mem_h{i:05d}", content=text, path=path, created_at=START, observed_at=START))
    store.import_memories(head, message="the memories before the dream")
    sessions = max(3, n // 30)
    turns_by_session: dict[str, list[Turn]] = {}
    for s in range(sessions):
        sid = f"conv-{s:03d}"
        at = START + timedelta(days=s)
        turns = []
        for t in range(40):
            speaker = PEOPLE[(s + t) % len(PEOPLE)]
            _, text = _fact(r, speaker)
            said = f"{text.replace(speaker + ' ', 'I ', 1)} Also, about last week: {r.choice(['yes', 'not really', 'maybe'])}."
            turns.append(Turn(id=f"T{t}", session_id=sid, seq=t, role="user", speaker=speaker, text=said,
                              timestamp=at + timedelta(minutes=t)))
        turns_by_session[sid] = turns
        store.record_ingest(
            SourceState(path=f"/made-up/{sid}.json", format="locomo", size=1, mtime=0.0, sha256=sid),
            [*turns, Session(id=sid, source=f"/made-up/{sid}.json", format="locomo", started_at=at,
                             ended_at=at + timedelta(minutes=40))],
        )
    free = list(head)
    r.shuffle(free)
    upserts: list[Memory] = []
    retire: list[str] = []
    changes: list[Change] = []

    def evidence() -> tuple[Evidence, ...]:
        sid = r.choice(sorted(turns_by_session))
        picked = sorted(r.sample(range(40), r.randint(1, 3)))
        return (Evidence(session_id=sid, turn_ids=tuple(f"T{t}" for t in picked)),)

    k = 0
    while len(changes) < n:
        kind = r.choices(("add", "merge", "supersede", "update", "conflict", "move"), (50, 15, 12, 10, 5, 8))[0]
        rule = r.choice(RULES)
        score = round(r.uniform(0.3, 1.0), 2)
        if kind != "add" and len(free) < 3:
            kind = "add"
        if kind == "add":
            k += 1
            ev = evidence()
            path, text = _fact(r, r.choice(PEOPLE))
            upserts.append(Memory(id=f"mem_n{k:05d}", content=text, path=path, created_at=START, provenance=ev))
            changes.append(Change(op="add", rule=rule, outputs=(f"mem_n{k:05d}",),
                                  reason=f"extracted by rule '{rule}'", score=score, evidence=ev, details={"rule": rule}))
        elif kind == "merge":
            keep, drop = free.pop(), free.pop()
            merged = keep.replace(content=keep.content.rstrip(".") + " (said twice).", mentions=2)
            upserts.append(merged)
            retire.append(drop.id)
            changes.append(Change(
                op="merge", rule="duplicate", inputs=(keep.id, drop.id), outputs=(keep.id,), score=score,
                reason="2 entries state the same fact: same words after normalisation",
                evidence=evidence(), details={"rule": "duplicate"}))
        elif kind == "supersede":
            old = free.pop()
            k += 1
            ev = evidence()
            newer = Memory(id=f"mem_n{k:05d}", content=old.content.rstrip(".") + ", since March 2026.",
                           path=old.path, created_at=START, provenance=ev)
            upserts.append(newer)
            retire.append(old.id)
            changes.append(Change(
                op="supersede", rule="newer-value", inputs=(old.id,), outputs=(newer.id,), score=score, evidence=ev,
                reason="same subject, a newer value", details={"rule": "newer-value"}))
        elif kind == "update":
            old = free.pop()
            upserts.append(old.replace(content=old.content.rstrip(".") + " on weekends."))
            changes.append(Change(
                op="update", rule="dated", inputs=(old.id,), outputs=(old.id,), score=score, evidence=evidence(),
                reason="the turn it cites dates it", details={"rule": "dated"}))
        elif kind == "move":
            old = free.pop()
            upserts.append(old.replace(path=old.path.replace(".md", "/notes.md")))
            changes.append(Change(op="move", rule="reorganise", inputs=(old.id,), outputs=(old.id,),
                                  reason="filed under a topic", details={"rule": "reorganise"}))
        else:
            a, b = free.pop(), free.pop()  # flagged, left as they are
            changes.append(Change(op="conflict", rule="conflict", inputs=(a.id, b.id), outputs=(a.id, b.id),
                                  score=score,
                                  reason="two values at the same time", evidence=evidence(),
                                  details={"rule": "conflict"}))
    version = store.write_version(
        Changeset(upserts=tuple(upserts), retire=tuple(retire), changes=tuple(changes), status="candidate",
                  origin="dream", message=f"a made-up dream of {n} changes")
    )
    assert version is not None
    return Made(version=version.number, changes=len(changes), sessions=sessions)


__all__ = ["big_candidate", "Made"]
