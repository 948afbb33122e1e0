"""Generator B: drift scenarios for the validation half (``evals/drift_scenarios/validation/``).

Written without reading the engine, its own drift generator or generator A.  Six small worlds
(a home lab, a podcast's guest pipeline, a landlord's properties, a hospital ward's rota, an
online shop's products, a student's courses); in each, entities carry single-valued attributes
that are stated, restated in other words on later days, and changed over time.  The latest value
by ``observed_at`` is the truth.  See the "Generator B" section of ``evals/drift_scenarios/README.md``.

    python3 -m evals.drift_scenarios.generator_b [--seed N] [--out DIR] [--check-only]

Standard library only; the same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from evals.drift_scenarios import worlds_b

HERE = Path(__file__).resolve().parent
OUT = HERE / "validation"
SEED = 20261208
END = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)


# --- matching (the scorer's rule, restated so the checker does not import the engine) -------------

_SPACE = re.compile(r"\s+")
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


@functools.cache
def fold(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(_FOLD).lower()).strip()


def matches(text: str, terms: list) -> bool:
    """The scorer's rule: every entry occurs in the folded text (an entry may be a list of alternatives)."""
    folded = fold(text)
    for term in terms:
        options = term if isinstance(term, list) else [term]
        if not any(fold(o) in folded for o in options):
            return False
    return True


# --- noise ------------------------------------------------------------------------------------------

ABBREV = {
    "address": "addr", "because": "bc", "with": "w/", "without": "w/o", "number": "no.", "and": "&",
    "about": "abt", "please": "pls", "approximately": "approx", "information": "info", "through": "thru",
    "message": "msg", "week": "wk", "weeks": "wks", "changed": "chgd", "between": "btwn", "people": "ppl",
    "should": "shd", "would": "wd", "before": "b4", "tomorrow": "tmrw", "regarding": "re", "supplier": "supp.",
    "building": "bldg", "department": "dept", "temporary": "temp", "monthly": "p/m", "laptop": "lappy",
    "contact": "ctc", "management": "mgmt", "appointment": "appt", "available": "avail", "problem": "prob",
}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    how = rng.randrange(3)
    if how == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if how == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def _words(template: str) -> list[str]:
    return template.split(" ")


def noise_typo(t: str, rng: random.Random) -> str:
    words = _words(t)
    spots = [i for i, w in enumerate(words) if "{" not in w and len(w) >= 5 and w.isalpha()]
    if spots:
        i = rng.choice(spots)
        words[i] = _typo(words[i], rng)
    return " ".join(words)


def noise_abbrev(t: str, rng: random.Random) -> str:
    return " ".join(ABBREV.get(w.lower(), w) if "{" not in w else w for w in _words(t))


def noise_articles(t: str, rng: random.Random) -> str:
    words = [w for w in _words(t) if w.lower() not in ("the", "a", "an")]
    return " ".join(words) if words else t


def noise_nopunct(t: str, rng: random.Random) -> str:
    return t.rstrip(".!")


def noise_shout(t: str, rng: random.Random) -> str:
    return t.rstrip(".") + rng.choice(["!", "!!", " (!)", "."])


def noise_spaces(t: str, rng: random.Random) -> str:
    words = _words(t)
    if len(words) > 3:
        i = rng.randrange(1, len(words))
        words[i] = " " + words[i]
    return " ".join(words)


NOISE = {
    "typo": noise_typo, "abbrev": noise_abbrev, "articles": noise_articles, "nopunct": noise_nopunct,
    "shout": noise_shout, "spaces": noise_spaces,
}


# --- the model of one scenario ------------------------------------------------------------------------


@dataclass
class Mem:
    id: str
    content: str
    observed_at: datetime
    path: str | None
    kind: str | None
    key: str | None
    fact: str | None  # fact id, or None for an unrelated memory
    value: int | None  # index in the fact's chain this memory states
    time_slot: int = 0

    def to_json(self) -> dict:
        row: dict = {"id": self.id, "content": self.content}
        if self.path:
            row["path"] = self.path
        if self.kind:
            row["kind"] = self.kind
        if self.key:
            row["key"] = self.key
        row["observed_at"] = self.observed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return row


@dataclass
class Fact:
    id: str
    entity: worlds_b.Entity
    attr: worlds_b.Attr
    chain: list[worlds_b.Value] = field(default_factory=list)
    mems: list[Mem] = field(default_factory=list)
    lookalike: bool = False

    @property
    def latest(self) -> worlds_b.Value:
        return self.chain[-1]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Builder:
    def __init__(self, world: worlds_b.World, seed: int) -> None:
        self.w = world
        self.rng = random.Random(f"{seed}:{world.name}")
        self.start = END - timedelta(days=world.span_days)
        self.facts: list[Fact] = []
        self.mems: list[Mem] = []
        self.noise_used: dict[str, int] = {}

    # -- time -----------------------------------------------------------------------------------------
    def _at(self, share: float) -> datetime:
        minutes = int(share * self.w.span_days * 24 * 60)
        at = self.start + timedelta(minutes=minutes)
        # office hours, roughly
        return at.replace(hour=8 + self.rng.randrange(12), minute=self.rng.randrange(60), second=0)

    # -- text -----------------------------------------------------------------------------------------
    def _render(self, fact: Fact, template: str, value: worlds_b.Value, old: worlds_b.Value | None,
                first: bool) -> str:
        rng = self.rng
        t = template
        if not first:
            for name in rng.sample(self.w.noise, k=min(len(self.w.noise), rng.choice([0, 1, 1, 2, 2, 3]))):
                self.noise_used[name] = self.noise_used.get(name, 0) + 1
                t = NOISE[name](t, rng)
        entity = fact.entity.forms[0] if first else rng.choice(fact.entity.forms)
        text = t.replace("{E}", entity).replace("{V}", rng.choice(value.forms) if not first else value.forms[0])
        if old is not None:
            text = text.replace("{O}", rng.choice(old.forms))
        if not first and rng.random() < self.w.prefix_rate:
            text = rng.choice(self.w.prefixes) + text
        if not first and rng.random() < self.w.suffix_rate:
            text = text.rstrip(".") + rng.choice(self.w.suffixes)
        if not first and rng.random() < self.w.lower_rate:
            text = text.lower()
        text = text.replace(" .", ".")
        return text[0].upper() + text[1:] if first else text

    def _path(self, fact: Fact) -> str | None:
        return self.w.path_of(fact.entity, fact.attr, self.rng)

    def _key(self, fact: Fact) -> str | None:
        if self.rng.random() < self.w.key_rate:
            return self.w.key_of(fact.entity, fact.attr, self.rng)
        return None

    def _kind(self) -> str | None:
        return self.rng.choice(self.w.kinds)

    # -- facts ----------------------------------------------------------------------------------------
    def plan_facts(self) -> None:
        rng = self.rng
        pairs = [(e, a) for e in self.w.entities for a in self.w.attrs if a.name not in e.skip]
        rng.shuffle(pairs)
        pairs = pairs[: self.w.facts]
        pairs.sort(key=lambda p: (self.w.entities.index(p[0]), self.w.attrs.index(p[1])))
        for e, a in pairs:
            changes = rng.choices([0, 1, 2, 3], weights=self.w.change_weights)[0]
            chain = rng.sample(a.values, k=min(len(a.values), changes + 1))
            if changes >= 2 and rng.random() < 0.12:
                chain[2] = chain[0]  # a revert: back to the first value
            fid = f"{_slug(e.forms[0])[:24]}-{a.name}"
            self.facts.append(Fact(id=fid, entity=e, attr=a, chain=chain))
        # look-alikes: pairs of entities, one attribute, often the same latest value
        by_attr: dict[str, list[Fact]] = {}
        for f in self.facts:
            by_attr.setdefault(f.attr.name, []).append(f)
        made = 0
        for name in sorted(by_attr):
            group = [f for f in by_attr[name] if not f.lookalike]
            rng.shuffle(group)
            while len(group) >= 2 and made < self.w.lookalikes:
                a, b = group.pop(), group.pop()
                if rng.random() < 0.6 and a.latest not in b.chain[:-1]:
                    b.chain[-1] = a.latest
                    if len(b.chain) >= 2 and b.chain[-2] is b.chain[-1]:
                        b.chain.pop(-2)
                a.lookalike = b.lookalike = True
                made += 1

    def write_fact(self, fact: Fact) -> None:
        rng = self.rng
        n = len(fact.chain)
        # when each value is first stated: the first in the first 45% of the span, changes later, in order
        cuts = sorted([rng.uniform(0.0, 0.45)] + [rng.uniform(0.2, 0.97) for _ in range(n - 1)])
        starts = [self._at(c) for c in cuts]
        for i in range(1, n):
            if starts[i] <= starts[i - 1] + timedelta(hours=3):
                starts[i] = starts[i - 1] + timedelta(hours=3 + rng.randrange(40))
        for i, value in enumerate(fact.chain):
            old = fact.chain[i - 1] if i else None
            end = starts[i + 1] if i + 1 < n else max(END, starts[i] + timedelta(hours=2))
            times = [starts[i]]
            extra = 0 if (fact.lookalike and i == n - 1) else rng.choices([0, 1, 2], weights=self.w.restate_weights)[0]
            room = int((end - starts[i]).total_seconds() // 60)
            for _ in range(extra if room > 60 else 0):
                times.append(starts[i] + timedelta(minutes=rng.randrange(30, room - 20)))
            times.sort()
            used: set[str] = set()
            for j, at in enumerate(times):
                if j == 0 and old is not None and rng.random() < self.w.change_verb_rate:
                    pool = fact.attr.change
                    if rng.random() < 0.55 and old is not fact.latest:  # a revert never names the value it reverts to
                        pool = [t for t in pool if "{O}" in t] or pool
                    else:
                        pool = [t for t in pool if "{O}" not in t]
                else:
                    pool = fact.attr.state
                fresh = [t for t in pool if t not in used] or pool
                template = rng.choice(fresh)
                used.add(template)
                first = i == 0 and j == 0 and rng.random() < 0.7
                text = self._render(fact, template, value, old if "{O}" in template else None, first)
                fact.mems.append(Mem(id="", content=text, observed_at=at, path=self._path(fact), kind=self._kind(),
                                     key=self._key(fact), fact=fact.id, value=i))
        # strictly increasing times per fact (a change is always later than what it replaces)
        fact.mems.sort(key=lambda m: (m.observed_at, m.value))
        for a, b in zip(fact.mems, fact.mems[1:]):
            if b.observed_at <= a.observed_at:
                b.observed_at = a.observed_at + timedelta(minutes=7)

    def build(self) -> tuple[list[Mem], dict]:
        self.plan_facts()
        for f in self.facts:
            self.write_fact(f)
        mems = [m for f in self.facts for m in f.mems]
        for text in self.w.unrelated:
            mems.append(Mem(id="", content=text, observed_at=self._at(self.rng.random()), path=self.w.unrelated_path,
                            kind=self.rng.choice(["note", "preference", None]), key=None, fact=None, value=None))
        mems = self.w.order(mems, self.rng)
        for n, m in enumerate(mems, 1):
            m.id = f"m{n}"
        self.mems = mems
        return mems, self.truth()

    # -- truth ----------------------------------------------------------------------------------------
    def truth(self) -> dict:
        rng = self.rng
        current, stale, dups, distinct = [], [], [], []
        for f in self.facts:
            ent = f.entity.tokens
            current.append({"id": f.id, "all": [ent, f.latest.tokens], "one": True,
                            "class": "update" if len(set(map(id, f.chain))) > 1 else "plain"})
            seen: set[int] = set()
            for v in f.chain[:-1]:
                if v is f.latest or id(v) in seen:
                    continue
                seen.add(id(v))
                stale.append({"id": f"{f.id}-old{len(seen)}", "all": [ent, v.tokens], "current": f.id})
            for i in range(len(f.chain)):
                group = [m for m in f.mems if f.chain[m.value] is f.chain[i] and m.value == i]
                for a, b in zip(group, group[1:]):
                    kind = "verbatim" if _plain(a.content) == _plain(b.content) else "paraphrase"
                    dups.append({"a": a.id, "b": b.id, "kind": kind})
        rng.shuffle(dups)
        dups = sorted(dups[: self.w.dup_sample], key=lambda d: (int(d["a"][1:]), int(d["b"][1:])))
        alike = [f for f in self.facts if f.lookalike]
        by_attr: dict[str, list[Fact]] = {}
        for f in alike:
            by_attr.setdefault(f.attr.name, []).append(f)
        for group in by_attr.values():
            for a, b in zip(group[::2], group[1::2]):
                ma, mb = (_sole_latest(a), _sole_latest(b))
                if ma and mb:
                    distinct.append({"a": ma.id, "b": mb.id, "class": "entity"})
        keep = [m.id for m in self.mems if m.fact is None]
        return {
            "domain": self.w.domain,
            "summary": self.w.summary,
            "current": current,
            "stale": stale,
            "duplicates": dups,
            "distinct": distinct,
            "keep": keep,
            "notes": "generated by evals/drift_scenarios/generator_b.py; do not edit by hand",
        }


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _sole_latest(f: Fact) -> Mem | None:
    held = [m for m in f.mems if f.chain[m.value] is f.latest]
    return held[0] if len(held) == 1 else None


# --- checking ------------------------------------------------------------------------------------------


class TruthError(AssertionError):
    pass


def check(store: list[dict], truth: dict, *, name: str = "") -> dict:
    """Assert the truth agrees with the store; return the raw-store baseline (nothing dreamed)."""
    by_id = {r["id"]: r for r in store}
    if len(by_id) != len(store):
        raise TruthError(f"{name}: duplicate ids")
    # the memories each entry matches (filtered on the first term, the entity, then on the rest)
    by_first: dict[str, list[dict]] = {}

    def hits_of(terms: list) -> list[dict]:
        first = json.dumps(terms[0])
        if first not in by_first:
            by_first[first] = [r for r in store if matches(r["content"], terms[:1])]
        return [r for r in by_first[first] if matches(r["content"], terms[1:])]

    current = {c["id"]: c for c in truth["current"]}
    current_hits = {c["id"]: hits_of(c["all"]) for c in truth["current"]}
    stale_hits = {s["id"]: hits_of(s["all"]) for s in truth["stale"]}
    # which fact each memory belongs to: the current or stale entry it matches (never two facts)
    owners: dict[str, set[str]] = {r["id"]: set() for r in store}
    for fid, rows in current_hits.items():
        for r in rows:
            owners[r["id"]].add(fid)
    for s in truth["stale"]:
        for r in stale_hits[s["id"]]:
            owners[r["id"]].add(s["current"])
    owner: dict[str, str | None] = {}
    for r in store:
        if len(owners[r["id"]]) > 1:
            raise TruthError(f"{name}: {r['id']} matches several facts {sorted(owners[r['id']])}: {r['content']!r}")
        owner[r["id"]] = next(iter(owners[r["id"]]), None)
    once = 0
    for c in truth["current"]:
        if not current_hits[c["id"]]:
            raise TruthError(f"{name}: current {c['id']} matches no memory")
        once += len(current_hits[c["id"]]) == 1
    for s in truth["stale"]:
        if s["current"] not in current:
            raise TruthError(f"{name}: stale {s['id']} names an unknown fact")
        hits = stale_hits[s["id"]]
        if not hits:
            raise TruthError(f"{name}: stale {s['id']} matches no memory")
        for r in hits:
            if owner[r["id"]] != s["current"]:
                raise TruthError(f"{name}: stale {s['id']} matches {r['id']} of another fact")
    for d in truth["duplicates"]:
        a, b = by_id.get(d["a"]), by_id.get(d["b"])
        if not a or not b or owner[d["a"]] is None or owner[d["a"]] != owner[d["b"]]:
            raise TruthError(f"{name}: duplicate {d} is not one fact")
    for d in truth["distinct"]:
        a, b = owner.get(d["a"]), owner.get(d["b"])
        if a is None or b is None or a == b:
            raise TruthError(f"{name}: distinct {d} is not two facts")
        for mid, fid in ((d["a"], a), (d["b"], b)):
            if [r["id"] for r in current_hits[fid]] != [mid]:
                raise TruthError(f"{name}: distinct {mid} is not the only memory of {fid}'s latest value")
    for mid in truth["keep"]:
        if mid not in by_id or owner[mid] is not None:
            raise TruthError(f"{name}: keep {mid} missing or matches a fact")
    for r in store:
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["observed_at"]):
            raise TruthError(f"{name}: {r['id']} observed_at {r['observed_at']!r}")
    stale_left = sum(1 for s in truth["stale"]
                     if any(not matches(r["content"], current[s["current"]]["all"]) for r in stale_hits[s["id"]]))
    return {"facts": len(truth["current"]), "held_once": once, "stale": len(truth["stale"]), "stale_left": stale_left,
            "memories": len(store), "updates": sum(c["class"] == "update" for c in truth["current"])}


def check_model(facts: list[Fact], truth: dict, name: str) -> None:
    """What the text-level check cannot see: each value is stated in order, the latest memory holds the latest
    value, every memory of the latest value matches the fact's current entry and none of an older one does,
    and every memory of an older value matches that value's stale entry."""
    current = {c["id"]: c for c in truth["current"]}
    stale = {}
    for s in truth["stale"]:
        stale.setdefault(s["current"], []).append(s)
    for f in facts:
        last = max(f.mems, key=lambda m: m.observed_at)
        if f.chain[last.value] is not f.latest:
            raise TruthError(f"{name}: {f.id}: the latest memory does not hold the latest value")
        times = [m.observed_at for m in f.mems]
        if len(set(times)) != len(times) or [m.value for m in f.mems] != sorted(m.value for m in f.mems):
            raise TruthError(f"{name}: {f.id}: values not stated in order")
        for m in f.mems:
            holds_latest = f.chain[m.value] is f.latest
            if holds_latest != matches(m.content, current[f.id]["all"]):
                raise TruthError(f"{name}: {f.id}: {m.id} {m.content!r} and the current entry disagree")
            if not holds_latest and not any(matches(m.content, s["all"]) for s in stale.get(f.id, [])):
                raise TruthError(f"{name}: {f.id}: {m.id} {m.content!r} matches no stale entry")


# --- writing -------------------------------------------------------------------------------------------


def generate(seed: int = SEED) -> dict[str, dict[str, bytes]]:
    """scenario name -> {relative file name: bytes}."""
    out: dict[str, dict[str, bytes]] = {}
    for world in worlds_b.WORLDS:
        builder = Builder(world, seed)
        mems, truth = builder.build()
        check_model(builder.facts, truth, world.name)
        rows = [m.to_json() for m in mems]
        check(rows, truth, name=world.name)
        store = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        out[world.name] = {
            "store.jsonl": store.encode("utf-8"),
            "truth.json": (json.dumps(truth, indent=1, ensure_ascii=False) + "\n").encode("utf-8"),
            "sessions/.gitkeep": b"",
        }
    return out


def read_folder(folder: Path) -> tuple[list[dict], dict]:
    rows = [json.loads(line) for line in (folder / "store.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return rows, json.loads((folder / "truth.json").read_text(encoding="utf-8"))


def write(files: dict[str, dict[str, bytes]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.is_dir() and old.name not in files:
            shutil.rmtree(old)
    for name, content in files.items():
        for rel, data in content.items():
            path = out / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check-only", action="store_true", help="check the folders in --out; write nothing")
    args = parser.parse_args(argv)
    if not args.check_only:
        write(generate(args.seed), args.out)
    total: dict[str, int] = {}
    print(f"{'scenario':<22} {'memories':>8} {'facts':>6} {'updates':>7} {'stale':>6} {'held once (raw)':>16}",
          file=sys.stderr)
    for folder in sorted(p for p in args.out.iterdir() if (p / "truth.json").exists()):
        rows, truth = read_folder(folder)
        base = check(rows, truth, name=folder.name)
        for k, v in base.items():
            total[k] = total.get(k, 0) + v
        print(f"{folder.name:<22} {base['memories']:>8} {base['facts']:>6} {base['updates']:>7} {base['stale']:>6} "
              f"{base['held_once']:>9} ({base['held_once'] / base['facts']:.1%})", file=sys.stderr)
    print(f"{'all':<22} {total['memories']:>8} {total['facts']:>6} {total['updates']:>7} {total['stale']:>6} "
          f"{total['held_once']:>9} ({total['held_once'] / total['facts']:.1%})", file=sys.stderr)
    print(f"raw store (nothing dreamed): {total['held_once']}/{total['facts']} facts held by exactly one memory "
          f"({total['held_once'] / total['facts']:.1%}); {total['stale_left']}/{total['stale']} stale values active",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
