"""Held-out stores for cross-phrasing slot inference, with ground truth.

The drift eval (``dreaming.evals.drift``) states each fact in several
phrasings; :mod:`.slots` learns from the store which phrasings fill one
attribute.  To check that it learnt something general and not the drift
suite's wording, this generator writes other attributes in other phrasings
(a favourite drink, a number of cats, a manager, an office floor, a phone)
beside look-alike facts that must never replace one another:

* values that accumulate ("speaks French", "is fluent in German"),
* the same cities in other relations ("likes Porto", "visited Porto",
  "was born in Porto") -- often the very city the person lives in, so the
  store shows people "restating" a residence as a liking or a birthplace,
* several people sharing a value.

Each person's facts come up on random days; a single-valued fact sometimes
changes, an accumulating one gains values.  :func:`score` says how a
consolidation did: stale values left active, current values kept, and
retirements of anything that was not an older value of the same fact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dreaming.consolidate.results import Consolidation
from dreaming.records import Evidence, Memory

PEOPLE = ("Alice", "Bilal", "Carmen", "Dmitri", "Esther", "Femi", "Gustav", "Hana", "Igor", "Jade", "Kofi", "Lucia")
CITIES = ("Porto", "Ghent", "Bergen", "Tartu", "Kyoto", "Cusco", "Hobart", "Windhoek")


@dataclass(frozen=True, kw_only=True)
class Relation:
    """One kind of fact: its values and phrasings, and whether it holds one value at a time."""

    name: str
    values: tuple[str, ...]
    phrasings: tuple[str, ...]
    #: one current value (a new one replaces it) or values that accumulate
    single: bool
    #: never changes (a birthplace): restated, never updated
    fixed: bool = False
    #: chance that a value is the person's current residence ("likes Porto" where they live)
    residence_bias: float = 0.0


RELATIONS = (
    Relation(
        name="drink",
        single=True,
        values=("tea", "coffee", "matcha", "kombucha", "cocoa", "lemonade"),
        phrasings=(
            "{p}'s favourite drink is {v}.",
            "The drink {p} orders most is {v}.",
            "Drink of choice for {p}: {v}.",
            "{p} drinks {v} every afternoon.",
        ),
    ),
    Relation(
        name="cats",
        single=True,
        values=("1", "2", "3", "4"),
        phrasings=("{p} has {v} cats.", "{p} owns {v} cats at home.", "The number of cats {p} keeps is {v}."),
    ),
    Relation(
        name="manager",
        single=True,
        values=("Olga", "Pedro", "Sofia", "Walter", "Keiko"),
        phrasings=("{p}'s manager is {v}.", "{p} reports to {v}.", "The person {p} reports to is {v}.", "{v} manages {p}."),
    ),
    Relation(
        name="floor",
        single=True,
        values=("2", "3", "5", "7", "9"),
        phrasings=("{p}'s office is on floor {v}.", "{p} sits on floor {v} of the building.", "Office floor for {p}: {v}."),
    ),
    Relation(
        name="phone",
        single=True,
        values=("Pixel", "iPhone", "Fairphone", "Galaxy", "Nokia"),
        phrasings=("{p}'s phone is a {v}.", "{p} carries a {v} phone.", "The phone {p} uses is a {v}."),
    ),
    Relation(
        name="residence",
        single=True,
        values=CITIES,
        phrasings=("{p} resides in {v}.", "{p}'s place of residence is {v}.", "Current residence of {p}: {v}."),
    ),
    # look-alikes: never an update of the residence, nor of one another
    Relation(
        name="birthplace",
        single=True,
        fixed=True,
        values=CITIES,
        residence_bias=0.5,
        phrasings=("{p} was born in {v}.", "{p}'s birthplace is {v}."),
    ),
    Relation(
        name="likes",
        single=False,
        values=CITIES,
        residence_bias=0.5,
        phrasings=("{p} likes {v}.", "{p} loves the city of {v}."),
    ),
    Relation(
        name="visited",
        single=False,
        values=CITIES,
        residence_bias=0.3,
        phrasings=("{p} visited {v}.", "{p} went on a trip to {v}."),
    ),
    Relation(
        name="languages",
        single=False,
        values=("French", "German", "Spanish", "Arabic", "Hindi", "Swahili"),
        phrasings=("{p} speaks {v}.", "{p} is fluent in {v}.", "{p}'s languages include {v}."),
    ),
)


@dataclass(frozen=True, kw_only=True)
class HeldoutConfig:
    seed: int = 1
    people: int = 12
    days: int = 60
    #: chance that a fact comes up on a given day after it was first stated
    mention_rate: float = 0.06
    #: of the times a single-valued fact comes up, the share where it changed
    #: (for an accumulating one: where a new value is added)
    change_share: float = 0.3
    start: datetime = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True, kw_only=True)
class Stated:
    """The truth about one generated memory."""

    person: str
    relation: str
    value: str
    #: the fact's value at the end (for an accumulating relation: this value)
    current: str
    single: bool


@dataclass(frozen=True, kw_only=True)
class Heldout:
    memories: tuple[Memory, ...]
    truth: dict[str, Stated]


def generate(config: HeldoutConfig = HeldoutConfig()) -> Heldout:
    """The held-out store (pure, seeded)."""
    rng = random.Random(config.seed)
    first_days = max(1, config.days // 6)
    rows: list[tuple[int, str, str, str, bool, int]] = []  # day, person, relation, value, single, phrasing
    for person in PEOPLE[: config.people]:
        residence: dict[int, str] = {}  # day -> the value the residence took that day
        for relation in RELATIONS:
            days = [rng.randrange(first_days)]
            days += [d for d in range(days[0] + 1, config.days) if rng.random() < config.mention_rate]

            def pick(day: int, avoid: set[str], rel: Relation = relation) -> str:
                # called within this iteration: this person's residence
                if residence and rng.random() < rel.residence_bias:  # noqa: B023
                    return _at(residence, day)  # noqa: B023
                return rng.choice([v for v in rel.values if v not in avoid] or list(rel.values))

            held: list[str] = []
            for day in days:
                if not held:
                    value = pick(day, set())
                elif relation.fixed or rng.random() >= config.change_share:
                    value = held[-1] if relation.single else rng.choice(held)
                else:
                    value = pick(day, set(held))
                held.append(value)
                if relation.name == "residence":
                    residence[day] = value
                rows.append((day, person, relation.name, value, relation.single, rng.randrange(len(relation.phrasings))))
    by_name = {r.name: r for r in RELATIONS}
    latest: dict[tuple[str, str], str] = {}
    for _day, person, name, value, _, _ in sorted(rows, key=lambda r: r[0]):
        latest[(person, name)] = value
    memories: list[Memory] = []
    truth: dict[str, Stated] = {}
    per_day: dict[int, int] = {}
    for n, (day, person, name, value, single, phrasing) in enumerate(rows):
        per_day[day] = per_day.get(day, 0) + 1
        at = config.start + timedelta(days=day, minutes=per_day[day])
        mid = f"mem_{config.seed}_{n:05d}"
        memories.append(
            Memory(
                id=mid,
                content=by_name[name].phrasings[phrasing].format(p=person, v=value),
                observed_at=at,
                created_at=at,
                provenance=(Evidence(source=f"heldout:day-{day + 1}"),),
            )
        )
        truth[mid] = Stated(person=person, relation=name, value=value, current=latest[(person, name)] if single else value,
                            single=single)
    return Heldout(memories=tuple(memories), truth=truth)


def _at(history: dict[int, str], day: int) -> str:
    """The value a history (day -> new value) holds on ``day`` (its first before it starts)."""
    started = [d for d in history if d <= day]
    return history[max(started) if started else min(history)]


@dataclass(frozen=True, kw_only=True)
class HeldoutScores:
    #: memories stating an outdated value of a single-valued fact
    stale: int
    #: ... of which still active after the consolidation
    stale_active: int
    #: facts whose current value is still stated by an active memory / all facts
    current_kept: float
    supersedes: int
    #: supersedes across facts (another person or relation) or of an accumulating value: must be 0
    unrelated: int

    @property
    def stale_left(self) -> float:
        return self.stale_active / self.stale if self.stale else 0.0

    @property
    def precision(self) -> float:
        return 1 - self.unrelated / self.supersedes if self.supersedes else 1.0

    def to_json(self) -> dict[str, float | int]:
        return dict(self.__dict__, stale_left=round(self.stale_left, 4), precision=round(self.precision, 4))


def score(world: Heldout, result: Consolidation) -> HeldoutScores:
    """How ``result`` (a consolidation of ``world.memories``) did against the truth."""
    truth = world.truth
    active = set(truth) - result.retired
    stale = [mid for mid, t in truth.items() if t.single and t.value != t.current]
    facts: dict[tuple[str, str], bool] = {}
    for mid, t in truth.items():
        key = (t.person, t.relation)
        facts[key] = facts.get(key, False) or (mid in active and t.value == t.current)
    unrelated = 0
    for s in result.supersedes:
        old, new = truth[s.old_id], truth[s.new_id]
        unrelated += (old.person, old.relation) != (new.person, new.relation) or not old.single
    return HeldoutScores(
        stale=len(stale),
        stale_active=sum(mid in active for mid in stale),
        current_kept=sum(facts.values()) / len(facts),
        supersedes=len(result.supersedes),
        unrelated=unrelated,
    )
