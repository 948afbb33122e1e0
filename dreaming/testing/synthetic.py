"""Synthetic memory stores with known ground truth (benchmark and tests).

:func:`generate` builds ``n`` memories from fact templates about generated
people, services and projects, and records for every memory which *fact* it
states (duplicates share a fact), which *slot* it belongs to (a subject whose
value can change) and which *step* of that slot's history it is.  It mixes:

* duplicates of a fact in several wordings: case, punctuation, whitespace,
  typos (one or two per copy; a swap, a dropped, doubled or replaced letter,
  never the first letter of a word), word order (a fronted qualifier, "the X
  of P" for "P's X"), inflection, filler words;
* updates: a later value of the same slot (an attribute, a city, an
  employer, a port, a deadline, a preference for a purpose, an age, a count,
  a like turned into a dislike), some carrying an explicit ``key``; a few
  slots get two different values at the same time (conflicts);
* look-alikes: the same template about another person or with another value
  ("Alice Moreno likes tea" / "Bruno Diaz likes tea" / "Alice Moreno likes
  coffee"), which must all stay;
* unrelated notes the subject parser cannot read.

:func:`evaluate` scores a :class:`~.results.Consolidation` against that truth.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from dreaming.consolidate.results import Consolidation
from dreaming.consolidate.subjects import PREDICATE_WORDS
from dreaming.consolidate.text import WORD, lookup
from dreaming.ids import new_id
from dreaming.records import Evidence, Memory

FIRST = """Alice Bruno Carla Daniel Elena Farid Greta Hugo Irene Jonas Kenji Laura Marco Nadia Oscar
Paula Quentin Rosa Samir Tomas Ursula Victor Wanda Xavier Yasmin Zoltan Amara Bjorn Chiara Dmitri
Esther Felix Gemma Hamid Ingrid Javier Keiko Lucia Mateo Nora Olga Pedro Rania Stefan Tamara Umar
Vera Wiktor Yusuf Zara Anton Beatriz Cyrus Delia Emil Fatima Gustav Hana Ivan Julia Kofi Leila
Milan Noemi Orlando Petra Rafael Sofia Theo Valentina Walter Ximena Yara Zeno Maria Mario""".split()
LAST = """Moreno Diaz Kowalski Nakamura Okafor Lindqvist Haddad Ferreira Novak Schmidt Rossi Dubois
Jansen Petrov Yilmaz Mensah Larsen Costa Tanaka Keller Horvat Silva Ivanova Becker Nilsson Romero
Vargas Chen Gupta Osei Fischer Moretti Laurent Kovacs Popescu Santos Weber Ahmadi Lund Barros Quinn
Hoffmann Sato Adeyemi Eriksen Marino Richter Navarro Fontaine Wolff""".split()
CITIES = """Paris Berlin Lisbon Madrid Rome Vienna Prague Warsaw Oslo Stockholm Helsinki Dublin
Amsterdam Brussels Zurich Geneva Munich Hamburg Lyon Marseille Porto Seville Valencia Milan Turin
Naples Krakow Budapest Athens Istanbul Cairo Nairobi Lagos Accra Toronto Montreal Vancouver Boston
Chicago Denver Seattle Austin Atlanta Miami Lima Bogota Santiago Quito Tokyo Osaka Seoul Taipei
Manila Jakarta Bangkok Hanoi Mumbai Delhi Chennai Dubai Doha Sydney Melbourne Auckland Perth""".split()
COMPANIES = """Acme Globex Initech Umbrella Hooli Vandelay Soylent Cyberdyne Wonka Stark Wayne Tyrell
Aperture Monarch Oscorp Gringotts Nakatomi Massive Dynamic Virtucon Duff Krusty Pawnee Dunder
Pendant Prestige Sterling Cooper Bluth Gekko Rekall Weyland Ollivander Zorg Tricell Abstergo""".split()
ATTRIBUTES = {
    "editor": "vim emacs helix nano neovim vscode sublime kakoune micro zed".split(),
    "shell": "bash zsh fish nushell elvish xonsh tcsh dash".split(),
    "favorite color": "red blue green purple orange yellow teal black white crimson".split(),
    "favorite drink": "tea coffee espresso matcha lemonade kombucha water cocoa".split(),
    "laptop": "ThinkPad MacBook XPS Framework Spectre Zenbook Surface Inspiron".split(),
    "timezone": "UTC CET EST PST JST IST AEST BRT".split(),
    "manager": FIRST,
    "home city": CITIES,
}
FOODS = """tea coffee sushi pizza pasta curry ramen tacos olives mushrooms chocolate cheese oysters
tofu kimchi falafel dumplings paella risotto croissants bagels avocado mango durian""".split()
LANGUAGES = """English French German Spanish Italian Portuguese Dutch Polish Japanese Korean Mandarin
Arabic Turkish Swahili Hindi Greek Swedish Finnish""".split()
SPORTS = "tennis chess football hockey cricket squash badminton rugby golf volleyball".split()
PETS = "cats dogs parrots rabbits hamsters turtles goldfish ferrets".split()
PURPOSES = {
    "indentation": ["tabs", "spaces"],
    "code review": ["GitHub", "Gerrit", "Phabricator", "GitLab"],
    "note taking": ["Obsidian", "Notion", "paper", "Logseq", "Evernote"],
    "meetings": ["mornings", "afternoons", "Fridays", "Mondays"],
    "testing": ["pytest", "unittest", "hypothesis", "nose"],
    "deployment": ["Kubernetes", "Nomad", "Heroku", "Fly"],
    "package management": ["pnpm", "npm", "yarn", "bun"],
    "travel": ["trains", "planes", "buses", "ferries"],
}
ADJECTIVES = """amber silent rapid golden hidden crimson frozen lunar solar velvet iron copper
silver hollow brave quiet clever misty rustic cosmic""".split()
ANIMALS = """falcon otter badger heron lynx marten osprey raven bison walrus gecko ibex
jackal koala lemur narwhal panda quokka tapir viper""".split()
SERVICES = "billing search auth payments inventory gateway reporting ingest mailer scheduler".split()
NOTE_NOUNS = """cache schema fixture migration snapshot token index queue bucket cron manifest
lockfile changelog benchmark dashboard webhook sidecar""".split()

_START = datetime(2023, 1, 1, tzinfo=timezone.utc)
_NO_METADATA: MappingProxyType[str, Any] = MappingProxyType({})
_KEYBOARD = "qwertyuiop asdfghjkl zxcvbnm".split()
_VARIANTS = ["order", "inflect", "filler", "typo", "case", "space", "punct"]
_ONSETS = "b br c ch d dr f g gr h j k kr l m n p pr r s st t tr v z".split()
_VOWELS = "a e i o u ai ea io".split()
_CODAS = ["", "", "", "n", "r", "l", "s", "m", "nd", "rt"]


@dataclass(frozen=True, kw_only=True)
class Truth:
    """Ground truth for a generated set, by memory id."""

    #: duplicates share a fact number
    fact: dict[str, int]
    #: the slot (subject whose value changes) a memory belongs to, or -1
    slot: dict[str, int]
    #: position in the slot's history (equal steps at equal times: a conflict)
    step: dict[str, int]
    #: slot -> its last step present
    last_step: dict[int, int]
    #: slots whose last step holds two different values at one time
    conflict_slots: frozenset[int]
    #: how many memories of each kind were generated
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Synthetic:
    memories: tuple[Memory, ...]
    truth: Truth


@dataclass(frozen=True, kw_only=True)
class Scores:
    """How a consolidation did against the truth."""

    duplicate_precision: float
    duplicate_recall: float
    update_precision: float
    update_recall: float
    #: retirements of a memory by one about another subject (another fact,
    #: not a value of the same slot)
    unrelated_retirements: int
    #: retirements of a newer value by an older one, or of a copy of the same
    #: fact (a typo read as a new value)
    backwards_retirements: int
    conflicts_expected: int
    conflicts_found: int
    #: memories merged into a group whose majority states another fact
    wrong_merges: int
    ambiguous: int

    def to_json(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def generate(n: int, *, seed: int = 0) -> Synthetic:
    """``n`` memories with ground truth (deterministic for a given seed)."""
    builder = _Builder(random.Random(seed), seed, n)
    while builder.size < n:
        builder.add_chain()
    return builder.finish(n)


def _coin(rng: random.Random, syllables: int) -> str:
    """A pronounceable made-up word ("Velmora"), for names that scale with n."""
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)) + rng.choice(_CODAS)
    return word.title()


def _distinct_names(coined: list[str]) -> list[str]:
    """Coined surnames that stay apart after normalisation: no two with one
    stem ("Pule" / "Pules"), none that reads as a word the parser knows
    ("Live", "Born", "Mine")."""
    seen: set[str] = set()
    out: list[str] = []
    for name in sorted(set(coined)):
        tokens = lookup(name)
        if len(tokens) != 1 or tokens[0].cls != WORD or tokens[0].stem in PREDICATE_WORDS or tokens[0].stem in seen:
            continue
        seen.add(tokens[0].stem)
        out.append(name)
    return out


class _Builder:
    """Accumulates rows (content, time, key, fact, slot, step), then Memories."""

    def __init__(self, rng: random.Random, seed: int, n: int) -> None:
        self.rng = rng
        self.seed = seed
        # Pools grow with n so that a person is mentioned ~20 times whatever the size.
        self.surnames = _distinct_names([_coin(rng, rng.choice([2, 3])) for _ in range(max(40, n // 25))])
        self.known_names = {w.casefold() for w in FIRST} | {w.casefold() for w in self.surnames}
        self.codenames = sorted({_coin(rng, 2) + _coin(rng, 1).lower() for _ in range(max(40, n // 40))})
        self.rows: list[tuple[str, datetime, str | None, int, int, int]] = []
        self.size = 0
        self.facts = 0
        self.slots = 0
        self.used: set[tuple[Any, ...]] = set()
        self.conflict_slots: set[int] = set()
        self.counts: Counter[str] = Counter()

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(self.surnames)}"

    def unique(self, make: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...] | None:
        """A fresh (never used) slot identity, or None when the pools run dry."""
        for _ in range(20):
            item = make()
            if item not in self.used:
                self.used.add(item)
                return item
        return None

    # -- slots and their histories --------------------------------------------
    def add_chain(self) -> None:
        if self.rng.random() < 0.10:
            self.note()
            return
        family = self.rng.choices(
            ["attr", "live", "work", "port", "deadline", "prefer", "age", "count", "like", "speak", "play"],
            weights=[16, 8, 7, 6, 6, 9, 5, 5, 18, 10, 10],
        )[0]
        getattr(self, f"_{family}")()

    def chain(self, texts: list[str], *, key: str | None = None, rival: str | None = None) -> None:
        """One slot: ``texts[k]`` is its k-th value; ``rival`` differs from the
        last value and is observed at the same time (a conflict)."""
        slot = self.slots
        self.slots += 1
        time = _START + timedelta(days=self.rng.randrange(0, 700), minutes=self.rng.randrange(1440))
        for step, text in enumerate(texts):
            if step:
                time += timedelta(days=self.rng.randrange(5, 120))
                self.counts["update"] += 1
            # rivals: neither value may be seen again later than the other
            last_rivalled = rival is not None and step == len(texts) - 1
            self.fact_with_copies(text, time, key, slot, step, spread=None if last_rivalled else timedelta(days=4))
        if rival is not None:
            self.fact_with_copies(rival, time, key, slot, len(texts) - 1, spread=None)
            self.conflict_slots.add(slot)
            self.counts["conflict"] += 1

    def history(self) -> int:
        """How many values a slot gets: mostly one, sometimes an update or two."""
        return self.rng.choices([1, 2, 3], weights=[80, 16, 4])[0]

    def values(self, pool: list[str]) -> list[str]:
        return self.rng.sample(pool, min(self.history(), len(pool)))

    def rival(self, make: Callable[[str], str], pool: list[str], used: list[str]) -> str | None:
        rest = [v for v in pool if v not in used]
        if rest and self.rng.random() < 0.02:
            return make(self.rng.choice(rest))
        return None

    def _attr(self) -> None:
        attr = self.rng.choice(list(ATTRIBUTES))
        slot = self.unique(lambda: ("attr", self.person(), attr))
        if slot is None:
            return
        who, pool = slot[1], ATTRIBUTES[attr]
        values = self.values(pool)
        template = self.rng.choice(["{p}'s {a} is {v}.", "The {a} of {p} is {v}."])

        def make(v: str) -> str:
            return template.format(p=who, a=attr, v=v)

        key = f"{who.lower().replace(' ', '-')}.{attr.replace(' ', '-')}" if self.rng.random() < 0.1 else None
        self.chain([make(v) for v in values], key=key, rival=self.rival(make, pool, values))

    def _live(self) -> None:
        slot = self.unique(lambda: ("live", self.person()))
        if slot is None:
            return
        who = slot[1]
        cities = self.values(CITIES)
        later = [self.rng.choice([f"{who} moved to {c}.", f"{who} lives in {c}.", f"{who} is based in {c}."]) for c in cities[1:]]
        self.chain([f"{who} lives in {cities[0]}."] + later, rival=self.rival(lambda c: f"{who} lives in {c}.", CITIES, cities))

    def _work(self) -> None:
        slot = self.unique(lambda: ("work", self.person()))
        if slot is None:
            return
        who = slot[1]
        firms = self.values(COMPANIES)
        self.chain([f"{who} works at {c}." for c in firms], rival=self.rival(lambda c: f"{who} works at {c}.", COMPANIES, firms))

    def _port(self) -> None:
        slot = self.unique(lambda: ("port", f"{self.rng.choice(self.codenames).lower()}-{self.rng.choice(SERVICES)}"))
        if slot is None:
            return
        ports = self.rng.sample(range(1024, 65535), self.history())
        self.chain([f"The {slot[1]} service runs on port {p}." for p in ports])

    def _deadline(self) -> None:
        slot = self.unique(lambda: ("deadline", self.rng.choice(self.codenames)))
        if slot is None:
            return
        days = sorted(self.rng.sample(range(0, 900), self.history()))
        self.chain([f"The deadline for Project {slot[1]} is {(_START + timedelta(days=d)).date().isoformat()}." for d in days])

    def _prefer(self) -> None:
        purpose = self.rng.choice(list(PURPOSES))
        slot = self.unique(lambda: ("prefer", self.person(), purpose))
        if slot is None:
            return
        who, pool = slot[1], PURPOSES[purpose]
        choices = self.values(pool)

        def make(v: str) -> str:
            return f"{who} prefers {v} for {purpose}."

        self.chain([make(v) for v in choices], rival=self.rival(make, pool, choices))

    def _age(self) -> None:
        slot = self.unique(lambda: ("age", self.person()))
        if slot is None:
            return
        age = self.rng.randrange(18, 80)
        self.chain([f"{slot[1]} is {age + k} years old." for k in range(self.history())])

    def _count(self) -> None:
        pet = self.rng.choice(PETS)
        slot = self.unique(lambda: ("count", self.person(), pet))
        if slot is None:
            return
        start = self.rng.randrange(1, 6)
        self.chain([f"{slot[1]} has {start + k} {pet}." for k in range(self.history())])

    def _like(self) -> None:
        food = self.rng.choice(FOODS)
        slot = self.unique(lambda: ("like", self.person(), food))
        if slot is None:
            return
        who = slot[1]
        texts = [f"{who} likes {food}."]
        if self.rng.random() < 0.15:
            texts.append(
                self.rng.choice(
                    [
                        f"{who} does not like {food}.",
                        f"{who} no longer likes {food}.",
                        f"{who} doesn't like {food} anymore.",
                    ]
                )
            )
        self.chain(texts)

    def _speak(self) -> None:
        lang = self.rng.choice(LANGUAGES)
        slot = self.unique(lambda: ("speak", self.person(), lang))
        if slot is not None:
            self.chain([f"{slot[1]} speaks {lang}."])

    def _play(self) -> None:
        sport = self.rng.choice(SPORTS)
        slot = self.unique(lambda: ("play", self.person(), sport))
        if slot is not None:
            self.chain([f"{slot[1]} plays {sport} on weekends."])

    def note(self) -> None:
        """A fact no parser rule reads (no known predicate), with unique identifiers."""
        rng = self.rng
        ticket = f"{rng.choice('ABCDEFGHJK')}{rng.choice('LMNPQRSTUV')}-{rng.randrange(100, 99999)}"
        repo = f"{rng.choice(self.codenames).lower()}-{rng.choice(ANIMALS)}"
        noun, other = rng.sample(NOTE_NOUNS, 2)
        text = rng.choice(
            [
                f"Ticket {ticket} tracks the {noun} regression in {repo}.",
                f"The {repo} repository stores {noun} files under {other}/{rng.randrange(1000)}.",
                f"Build step {rng.randrange(2, 40)} of {repo} regenerates the {noun} and the {other}.",
                f"Rotate the {noun} for {repo} after ticket {ticket} is closed.",
            ]
        )
        self.counts["note"] += 1
        time = _START + timedelta(days=rng.randrange(0, 800), minutes=rng.randrange(1440))
        self.fact_with_copies(text, time, None, -1, 0, spread=timedelta(days=30))

    # -- copies ----------------------------------------------------------------
    def fact_with_copies(
        self, text: str, time: datetime, key: str | None, slot: int, step: int, spread: timedelta | None
    ) -> None:
        """A fact and 0-4 reworded copies observed shortly after it (or, with
        ``spread=None``, at the same time)."""
        fact = self.facts
        self.facts += 1
        self.add(text, time, key, fact, slot, step)
        for _ in range(self.rng.choices([0, 1, 2, 3, 4], weights=[52, 28, 12, 5, 3])[0]):
            when = time if spread is None else time + timedelta(seconds=self.rng.randrange(int(spread.total_seconds())))
            self.add(self.variant(text), when, key, fact, slot, step)
            self.counts["duplicate"] += 1

    def add(self, content: str, time: datetime, key: str | None, fact: int, slot: int, step: int) -> None:
        self.rows.append((content, time, key, fact, slot, step))
        self.size += 1

    def variant(self, text: str) -> str:
        kinds = self.rng.sample(_VARIANTS, self.rng.choice([1, 1, 2]))
        # applied in a fixed order: rewording first, then spelling, then layout
        for kind in sorted(kinds, key=_VARIANTS.index):
            text = getattr(self, f"_v_{kind}")(text)
        return text

    def _v_case(self, text: str) -> str:
        return text.lower() if self.rng.random() < 0.85 else text.upper()

    def _v_punct(self, text: str) -> str:
        choice = self.rng.randrange(4)
        if choice == 0:
            return text.rstrip(".")
        if choice == 1:
            return text.rstrip(".") + "!"
        if choice == 2 and "'" in text:
            return text.replace("'", "")
        return text.rstrip(".") + " ."

    def _v_space(self, text: str) -> str:
        words = text.split(" ")
        k = self.rng.randrange(len(words))
        words[k] += " "
        return ("  " if self.rng.random() < 0.3 else "") + " ".join(words)

    def _v_typo(self, text: str) -> str:
        for _ in range(self.rng.choice([1, 1, 2])):
            words = text.split(" ")
            candidates = [k for k, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= 3]
            if candidates:
                k = self.rng.choice(candidates)
                words[k] = self._misspell(words[k])
                text = " ".join(words)
        return text

    def _misspell(self, word: str) -> str:
        """A typo that does not happen to spell another person's name (no engine
        could tell those apart, and the truth would call it a duplicate)."""
        for _ in range(8):
            typo = self._one_typo(word)
            if typo.casefold().strip(".,!").removesuffix("'s").removesuffix("s") not in self.known_names and (
                typo.casefold().strip(".,!").removesuffix("'s") not in self.known_names
            ):
                return typo
        return word

    def _one_typo(self, word: str) -> str:
        i = self.rng.choice([i for i, ch in enumerate(word) if ch.isalpha() and i > 0])
        op = self.rng.randrange(4)
        if op == 0 and i + 1 < len(word) and word[i + 1].isalpha() and word[i + 1] != word[i]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if op == 2:
            return word[:i] + word[i] + word[i:]
        row = next((r for r in _KEYBOARD if word[i].lower() in r), None)
        if op == 1 or row is None:
            return word[:i] + word[i + 1 :]
        j = row.index(word[i].lower())
        near = row[j - 1] if j + 1 >= len(row) or (j > 0 and self.rng.random() < 0.5) else row[j + 1]
        return word[:i] + near + word[i + 1 :]

    def _v_order(self, text: str) -> str:
        body = text.rstrip(".")
        if " prefers " in body and " for " in body:
            head, purpose = body.rsplit(" for ", 1)
            return f"For {purpose}, {head}."
        if "'s " in body and " is " in body:
            who, rest = body.split("'s ", 1)
            attr, value = rest.split(" is ", 1)
            return f"The {attr} of {who} is {value}."
        if body.startswith("The ") and " of " in body and " is " in body:
            attr, rest = body[4:].split(" of ", 1)
            who, value = rest.split(" is ", 1)
            return f"{who}'s {attr} is {value}."
        if body.endswith(" on weekends"):
            return "On weekends, " + body[: -len(" on weekends")] + "."
        return self._v_filler(text)

    def _v_inflect(self, text: str) -> str:
        for old, new in (
            (" likes ", " liked "), (" prefers ", " preferred "), (" lives in ", " is living in "),
            (" works at ", " is working at "), (" plays ", " played "), (" speaks ", " spoke "),
            (" years ", " year "), (" runs ", " is running "), (" has ", " had "),
        ):
            if old in text:
                return text.replace(old, new, 1)
        return self._v_case(text)

    def _v_filler(self, text: str) -> str:
        choice = self.rng.randrange(3)
        if choice == 0:
            return "Note: " + text
        if choice == 1:
            return "Remember that " + (text[0].lower() + text[1:] if text.startswith("The ") else text)
        words = text.split(" ")
        words.insert(
            self.rng.randrange(1, len(words)),
            self.rng.choice(["really", "actually", "definitely", "just", "currently"]),
        )
        return " ".join(words)

    # -- output ----------------------------------------------------------------
    def finish(self, n: int) -> Synthetic:
        rows = self.rows[:n]
        order = list(range(len(rows)))
        self.rng.shuffle(order)
        memories: list[Memory] = []
        fact: dict[str, int] = {}
        slot: dict[str, int] = {}
        step: dict[str, int] = {}
        sessions = [f"ses_{k:06d}" for k in range(max(1, n // 40))]
        for index in order:
            content, time, key, f, s, st = rows[index]
            created = time + timedelta(seconds=self.rng.randrange(1, 3600))
            mid = new_id("mem", at=created, seed=f"{self.seed}:{index}")
            memories.append(
                Memory(
                    id=mid,
                    content=content,
                    key=key,
                    observed_at=time,
                    created_at=created,
                    first_seen=time,
                    last_seen=time,
                    metadata=_NO_METADATA,
                    provenance=(Evidence(session_id=sessions[index % len(sessions)], turn_ids=(f"t{index}",)),),
                )
            )
            fact[mid], slot[mid], step[mid] = f, s, st
        last_step: dict[int, int] = {}
        for mid, s in slot.items():
            if s >= 0 and step[mid] > last_step.get(s, -1):
                last_step[s] = step[mid]
        # a slot cut short by the truncation to n may have lost its rival
        facts_at = defaultdict(set)
        for m in slot:
            if slot[m] in self.conflict_slots:
                facts_at[(slot[m], step[m])].add(fact[m])
        conflicts = frozenset(s for s in self.conflict_slots if s in last_step and len(facts_at[(s, last_step[s])]) > 1)
        truth = Truth(fact=fact, slot=slot, step=step, last_step=last_step, conflict_slots=conflicts, counts=dict(self.counts))
        return Synthetic(memories=tuple(memories), truth=truth)


def evaluate(result: Consolidation, truth: Truth) -> Scores:
    """Pairwise duplicate precision/recall, update precision/recall, errors."""
    fact, slot, step = truth.fact, truth.slot, truth.step
    # duplicates ------------------------------------------------------------
    sizes = Counter(fact.values())
    true_pairs = sum(c * (c - 1) // 2 for c in sizes.values())
    predicted = correct = 0
    wrong_merges = 0
    members_of: dict[str, tuple[str, ...]] = {}
    for merge in result.merges:
        members_of[merge.memory.id] = merge.members
        by_fact = Counter(fact[m] for m in merge.members)
        k = len(merge.members)
        predicted += k * (k - 1) // 2
        correct += sum(c * (c - 1) // 2 for c in by_fact.values())
        wrong_merges += k - by_fact.most_common(1)[0][1]
    # updates -----------------------------------------------------------------
    stale = {m for m, s in slot.items() if s >= 0 and step[m] < truth.last_step[s]}
    retired_right: set[str] = set()
    unrelated = backwards = 0
    for sup in result.supersedes:
        for m in members_of.get(sup.old_id, (sup.old_id,)):
            if fact[m] != fact[sup.new_id] and (slot[m] < 0 or slot[m] != slot[sup.new_id]):
                unrelated += 1
            elif slot[m] < 0 or step[m] >= step[sup.new_id]:
                backwards += 1  # a copy of the same fact, or a newer value, retired
            else:
                retired_right.add(m)
    retired = len(retired_right) + unrelated + backwards
    # conflicts -----------------------------------------------------------------
    found = 0
    for conflict in result.conflicts:
        slots = {slot[m] for i in conflict.ids for m in members_of.get(i, (i,))}
        if len(slots) == 1 and next(iter(slots)) in truth.conflict_slots:
            found += 1
    return Scores(
        duplicate_precision=correct / predicted if predicted else 1.0,
        duplicate_recall=correct / true_pairs if true_pairs else 1.0,
        update_precision=len(retired_right) / retired if retired else 1.0,
        update_recall=len(retired_right & stale) / len(stale) if stale else 1.0,
        unrelated_retirements=unrelated,
        backwards_retirements=backwards,
        conflicts_expected=len(truth.conflict_slots),
        conflicts_found=found,
        wrong_merges=wrong_merges,
        ambiguous=len(result.ambiguous),
    )
