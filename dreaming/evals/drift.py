"""Suite (c): drift — facts that get restated and changed over time.

A deterministic generator (``DriftConfig.seed``) writes the memory store of
an agent that has been told facts about a team for ``days`` days: each fact
(a person's editor, city, team, ...) is first stated early on, then on some
later days restated (a duplicate, in one of several phrasings) or changed to
a new value.  Each day's statements are appended as one import version,
observed that day; nothing is ever removed, as a naive memory system would
do.  The *after* store is a dream over it.

Tasks ask for the current value of every fact.  Reported:

- **latest-value accuracy**: completion over all facts (the answer the
  offline answerer finds first is the current value);
- **stale-answer rate**: over the facts that changed, the share answered
  with an outdated value;
- sizes (the after store should be much smaller: one memory per fact).

Facts that changed are category ``changed``; the others ``unchanged``.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.progress import Progress

from dreaming.errors import DreamingError
from dreaming.evals.answerer import Answerer
from dreaming.evals.dreamer import DreamSettings, dream_once
from dreaming.evals.engine import EvalConfig, ask_pair, build_report
from dreaming.evals.report import SuiteReport, TargetCheck
from dreaming.evals.tasks import Task
from dreaming.ids import new_id
from dreaming.records import Evidence, Memory
from dreaming.store.core import Store

PEOPLE = (
    "Ana", "Bruno", "Chen", "Dara", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemal", "Lena",
    "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara",
)


@dataclass(frozen=True, kw_only=True)
class Attribute:
    """One kind of fact: its values, how it is phrased, and the question asking for it."""

    name: str
    values: tuple[str, ...]
    phrasings: tuple[str, ...]
    question: str


ATTRIBUTES = (
    Attribute(
        name="editor",
        values=("vim", "emacs", "helix", "vscode", "zed", "sublime"),
        phrasings=(
            "{p}'s preferred editor is {v}.",
            "{p} writes code in {v}; that is the editor {p} uses.",
            "Editor of choice for {p}: {v}.",
        ),
        question="Which editor does {p} use?",
    ),
    Attribute(
        name="city",
        values=("Lisbon", "Oslo", "Nairobi", "Denver", "Osaka", "Quito", "Tallinn"),
        phrasings=("{p} lives in {v}.", "{p}'s home city is {v}.", "{p} is based in the city of {v} these days."),
        question="Which city does {p} live in?",
    ),
    Attribute(
        name="team",
        values=("platform", "payments", "search", "billing", "growth", "mobile"),
        phrasings=("{p} works on the {v} team.", "{p}'s team is {v}.", "{p} is a member of the {v} team."),
        question="Which team is {p} on?",
    ),
    Attribute(
        name="laptop",
        values=("ThinkPad", "MacBook", "Framework", "XPS", "Pixelbook"),
        phrasings=("{p} uses a {v} laptop.", "{p}'s work laptop is a {v}.", "The laptop {p} works on is a {v}."),
        question="What laptop does {p} use?",
    ),
    Attribute(
        name="shell",
        values=("bash", "zsh", "fish", "nushell", "elvish"),
        phrasings=("{p}'s login shell is {v}.", "{p} uses {v} as the shell.", "Shell used by {p}: {v}."),
        question="Which shell does {p} use?",
    ),
    Attribute(
        name="language",
        values=("Rust", "Go", "Python", "Kotlin", "Elixir", "Haskell"),
        phrasings=(
            "{p}'s main programming language is {v}.",
            "{p} mostly programs in {v}.",
            "The programming language {p} works in most is {v}.",
        ),
        question="What is {p}'s main programming language?",
    ),
    Attribute(
        name="coffee",
        values=("espresso", "latte", "cortado", "americano", "mocha"),
        phrasings=("{p} drinks {v} coffee in the morning.", "{p}'s usual coffee order is a {v}.", "Coffee for {p}: {v}."),
        question="What coffee does {p} drink?",
    ),
    Attribute(
        name="standup",
        values=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
        phrasings=(
            "{p} runs the team standup on {v}.",
            "{p}'s standup day is {v}.",
            "The weekly standup {p} leads happens on {v}.",
        ),
        question="On which day does {p} run the standup?",
    ),
)


@dataclass(frozen=True, kw_only=True)
class DriftConfig:
    """The generated world.  Same config, same store, same tasks."""

    seed: int = 7
    people: int = 12
    days: int = 60
    mention_rate: float = 0.06
    """Chance that a fact comes up on a given day after it was first stated."""
    change_share: float = 0.3
    """Of the times a fact comes up, the share where its value has changed."""
    start: datetime = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)

    def __post_init__(self) -> None:
        if not 1 <= self.people <= len(PEOPLE):
            raise DreamingError(f"people must be between 1 and {len(PEOPLE)}, got {self.people}")
        if self.days < 2:
            raise DreamingError(f"days must be at least 2, got {self.days}")
        if not (0 <= self.mention_rate <= 1 and 0 <= self.change_share <= 1):
            raise DreamingError("mention_rate and change_share must be between 0 and 1")


@dataclass(frozen=True, kw_only=True)
class DriftWorld:
    """What the generator produced: the memories of each day, and the tasks."""

    days: tuple[tuple[Memory, ...], ...]
    tasks: tuple[Task, ...]


def generate(config: DriftConfig) -> DriftWorld:
    """The drift store's daily memories and the current-value tasks (pure, seeded)."""
    rng = random.Random(config.seed)
    days: list[list[Memory]] = [[] for _ in range(config.days)]
    tasks = []
    first_days = max(1, config.days // 6)
    for person in PEOPLE[: config.people]:
        for attr in ATTRIBUTES:
            history = [rng.choice(attr.values)]
            when = [rng.randrange(first_days)]
            for day in range(when[0] + 1, config.days):
                if rng.random() >= config.mention_rate:
                    continue
                value = history[-1]
                if rng.random() < config.change_share:
                    value = rng.choice([v for v in attr.values if v != value])
                history.append(value)
                when.append(day)
            for n, (day, value) in enumerate(zip(when, history, strict=True)):
                at = config.start + timedelta(days=day, minutes=len(days[day]))
                days[day].append(
                    Memory(
                        id=new_id("mem", at=at, seed=f"drift:{config.seed}:{person}:{attr.name}:{n}"),
                        content=rng.choice(attr.phrasings).format(p=person, v=value),
                        path=f"/people/{person.lower()}.md",
                        kind="fact",
                        observed_at=at,
                        created_at=at,
                        first_seen=at,
                        last_seen=at,
                        provenance=(Evidence(source=f"drift:day-{day + 1}"),),
                    )
                )
            current = history[-1]
            outdated = tuple(dict.fromkeys(v for v in history if v != current))
            tasks.append(
                Task(
                    id=f"{person.lower()}.{attr.name}",
                    question=attr.question.format(p=person),
                    answer=current,
                    wrong=outdated,
                    category="changed" if outdated else "unchanged",
                    unit="drift",
                )
            )
    return DriftWorld(days=tuple(tuple(d) for d in days), tasks=tuple(tasks))


def build_store(store: Store, world: DriftWorld) -> int:
    """Append each day's memories as one import version; returns the last version."""
    for number, memories in enumerate(world.days, start=1):
        if memories:
            store.import_memories(list(memories), message=f"drift day {number}", explicit_created=[m.id for m in memories])
    return store.head


def drift_targets(report: SuiteReport) -> tuple[TargetCheck, ...]:
    """The issue's drift targets, measured."""
    b, a = report.size_before.memories, report.size_after.memories
    accuracy = report.completion()
    stale = report.stale()
    return (
        TargetCheck(
            name="memories after <= 60% of before",
            passed=b > 0 and a <= 0.6 * b,
            measured=f"{a} / {b} = {a / b:.0%}" if b else "—",
        ),
        TargetCheck(
            name="latest-value accuracy after >= 0.95",
            passed=accuracy.after is not None and accuracy.after >= 0.95,
            measured=f"{accuracy.after:.3f} (before {accuracy.before:.3f})" if accuracy.n else "—",
        ),
        TargetCheck(
            name="stale answers after <= 2%",
            passed=stale.after is not None and stale.after <= 0.02,
            measured=f"{stale.after:.1%} (before {stale.before:.1%}) of {stale.n} changed facts" if stale.n else "—",
        ),
    )


def eval_drift(
    drift: DriftConfig | None = None,
    *,
    answerer: Answerer,
    config: EvalConfig | None = None,
    dream: DreamSettings | None = None,
    progress: Progress | None = None,
) -> SuiteReport:
    """The drift suite: generate, append, dream, ask."""
    drift = drift or DriftConfig()
    config = config or EvalConfig()
    dream = dream or DreamSettings()
    world = generate(drift)
    with tempfile.TemporaryDirectory(prefix="dreaming-drift-") as tmp:
        unit_dir = (config.workdir or Path(tmp)) / "drift"
        unit_dir.mkdir(parents=True, exist_ok=True)
        with Store.open(unit_dir / "memory.db") as store:
            if store.head:
                raise DreamingError(f"{unit_dir / 'memory.db'} already holds versions; use an empty --workdir")
            before = build_store(store, world)
            outcome = dream_once(store, transcripts=None, settings=dream, progress=progress)
            after = outcome.version if outcome.version is not None else before
            cases, sizes = ask_pair(
                store, before=before, after=after, tasks=world.tasks, answerer=answerer, config=config,
                unit="drift", progress=progress,
            )
    notes = [
        f"generated with seed={drift.seed}, people={drift.people}, days={drift.days}, "
        f"mention_rate={drift.mention_rate}, change_share={drift.change_share}; dream llm={dream.llm}",
        "latest-value accuracy = overall completion; stale rate = share of changed facts answered with an old value",
    ]
    if outcome.version is None:
        notes.append(f"the dream wrote no new version ({outcome.status}): after = before")
    report = build_report(
        suite="drift",
        dataset=f"drift-seed{drift.seed}",
        answerer=answerer,
        config=config,
        cases=cases,
        units=(sizes,),
        categories=[c for c in ("changed", "unchanged") if any(t.category == c for t in world.tasks)],
        notes=notes,
    )
    return report.with_targets(drift_targets(report))
