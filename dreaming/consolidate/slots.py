"""Phrasings of one attribute, learnt from the store itself.

The subject rules (:mod:`.subjects`) see an update only when two memories
parse to the same subject / predicate / context -- in practice, the same
phrasing.  "Ana lives in Lisbon." (day 3), "Ana's home city is Quito."
(day 20) and "Ana is based in the city of Oslo these days." (day 41) are one
attribute said three ways, and only the last is current.  No fixed lexicon
can list every way of saying "home city"; the store can show it:

1. **phrasings**: a memory with its subject (the first name the input knows,
   a run of names such as "Alice Moreno", or the user) taken out and one
   content word or name taken out as the value reads as a phrasing,
   ``X lives in V``.  Each possible value position gives a candidate; a
   phrasing is real when at least two subjects and two values fill it, and
   each memory keeps the real phrasing most subjects use.  (Verbs the
   subject parser knows are never values: "X <V> in Lisbon" is not a
   phrasing.)
2. **evidence**: two phrasings are one attribute when the same person states
   the same value in both at different times -- a paraphrased restatement --
   for at least ``support`` people, more people than those who use both
   phrasings and never agree ("was born in" / "lives in": many people live
   where they were born, more do not).
3. **counter-evidence and guards**, each enough to keep two phrasings apart:
   one person holding two different values of them at the same time; both
   built on verbs the parser knows, different ones ("born in" / "lives in");
   neither single-valued by :func:`.subjects.kind_of`; or one of them not
   single-valued ("likes", "visited", "is fluent in": values accumulate)
   and naming no attribute word of the other -- "X uses a V laptop" may
   join "X's work laptop is V" (the laptop is named), "X likes V" never
   joins "X lives in V".
4. **attributes**: phrasings joined by accepted links (connected
   components).  Each memory in one is *filled*: (attribute, subject,
   value).  The engine groups filled memories by (attribute, subject) like
   any other slot, so the newest value supersedes the older ones and equal
   times conflict; every such decision names the evidence.

Cost: a handful of candidate phrasings per memory, grouped with dicts;
evidence pairs come only from one person's one value, so the stage is
linear in the memories (a value one person states in more than
``_MAX_PHRASINGS`` phrasings is too generic to count).  Deterministic: every
choice is broken by counts, then by the phrasing's text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from .subjects import MULTI, PREDICATE_WORDS, SINGLE, Statement, kind_of
from .text import AUX, FILLER, NEG, NUMBER, POSS, SELF, WORD, Token, tokenize

_SUBJECT = "\x00S"
_VALUE = "\x00V"
#: a value one person states in more phrasings than this is not evidence (and would cost pairs)
_MAX_PHRASINGS = 16
#: a cheap first look: texts that may name the user
_SELF_RE = re.compile(r"\b(?:i|me|my|mine|myself|users?)\b", re.IGNORECASE)


class Entry(NamedTuple):
    """One memory as slot inference reads it."""

    content: str
    observed: datetime
    statement: Statement | None
    #: stems of its capitalised words (``rules.Text.capitals``): a cheap look for names
    capitals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Filled:
    """A memory read as one value of an attribute of a subject."""

    #: the attribute (index into ``Slots.attributes``)
    attribute: int
    #: subject stems; ``("user",)`` is the user
    subject: tuple[str, ...]
    #: value stems, and the value as written
    value: tuple[str, ...]
    value_text: str
    #: the memory's phrasing, readable ("X lives in V")
    phrasing: str
    #: "Ana: X lives in V" -- the same for every memory of one (attribute, subject)
    label: str


@dataclass(frozen=True, kw_only=True)
class Link:
    """Two phrasings read as one attribute, and why."""

    a: str
    b: str
    #: people who stated one value in both phrasings at different times
    support: int
    #: people who used both phrasings and never with one value
    against: int


@dataclass(frozen=True, kw_only=True)
class Slots:
    """What :func:`infer` found: the filled memories and the evidence."""

    #: entry index -> its slot
    filled: dict[int, Filled]
    #: phrasings of each attribute, sorted
    attributes: tuple[tuple[str, ...], ...]
    links: tuple[Link, ...]

    def evidence(self, older: Filled, newer: Filled) -> str:
        """Why ``older`` and ``newer`` fill one attribute (for a decision's reason)."""
        a, b = older.phrasing, newer.phrasing
        direct = self._links.get((min(a, b), max(a, b)))
        if direct is not None:
            return f"same attribute as '{a}': {_people(direct.support)} restated the same value in both phrasings"
        via = self._strongest.get(a) if a == b else None
        if via is not None:
            other = via.b if via.a == a else via.a
            return f"'{a}' is one attribute with '{other}': {_people(via.support)} restated the same value in both phrasings"
        common = sorted(set(self._neighbours.get(a, ())) & set(self._neighbours.get(b, ())))
        if common:
            c = common[0]
            n1 = self._links[(min(a, c), max(a, c))].support
            n2 = self._links[(min(b, c), max(b, c))].support
            return (
                f"same attribute as '{a}', both linked to '{c}': {_people(n1)} and {_people(n2)} "
                "restated the same value across them"
            )
        size = len(self.attributes[older.attribute])
        return f"same attribute as '{a}': one of {size} phrasings linked pairwise by people restating the same value"

    @cached_property
    def _links(self) -> dict[tuple[str, str], Link]:
        return {(link.a, link.b): link for link in self.links}

    @cached_property
    def _neighbours(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for link in self.links:
            out[link.a].append(link.b)
            out[link.b].append(link.a)
        return out

    @cached_property
    def _strongest(self) -> dict[str, Link]:
        out: dict[str, Link] = {}
        for link in sorted(self.links, key=lambda k: (-k.support, k.a, k.b)):
            out.setdefault(link.a, link)
            out.setdefault(link.b, link)
        return out


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


class _Reading(NamedTuple):
    """One way to read a memory: its phrasing with one value position taken out."""

    key: str
    value: tuple[str, ...]
    value_text: str
    readable: str
    words: frozenset[str]


def infer(entries: Sequence[Entry], names: Collection[str], *, support: int = 2) -> Slots:
    """Find attributes stated in several phrasings and the memories filling them (see module doc)."""
    subjects: dict[int, tuple[tuple[str, ...], str]] = {}
    readings: dict[int, list[_Reading]] = {}
    key_count: dict[str, int] = defaultdict(int)
    for index, entry in enumerate(entries):
        content = entry.content
        if entry.statement is not None and entry.statement.negated:
            continue  # polarity is the subject rules' business
        # only texts that may have a subject: a known name, or the user
        if not any(w in names for w in entry.capitals) and not _SELF_RE.search(content):
            continue
        found = _read(content, names)
        if found is None:
            continue
        subject, subject_text, options = found
        subjects[index] = (subject, subject_text)
        readings[index] = options
        for option in options:
            key_count[option.key] += 1

    # phrasings: keys at least two subjects and two values fill
    key_subjects: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    key_values: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for index, options in readings.items():
        subject = subjects[index][0]
        for option in options:
            if key_count[option.key] >= 2:
                key_subjects[option.key].add(subject)
                key_values[option.key].add(option.value)
    chosen: dict[int, _Reading] = {}
    for index, options in readings.items():
        real = [o for o in options if len(key_subjects.get(o.key, ())) >= 2 and len(key_values[o.key]) >= 2]
        if real:
            chosen[index] = min(real, key=lambda o: (-len(key_subjects[o.key]), -len(key_values[o.key]), o.key))
    del key_subjects, key_values, key_count

    # per phrasing: members, kind, verb, attribute words
    members: dict[str, list[int]] = defaultdict(list)
    for index, reading in chosen.items():
        members[reading.key].append(index)
    phrasings = {key: idx for key, idx in members.items() if len({subjects[i][0] for i in idx}) >= 2}
    readable: dict[str, str] = {}
    words: dict[str, frozenset[str]] = {}
    kind: dict[str, str] = {}
    verb: dict[str, str | None] = {}
    for key, idx in phrasings.items():
        first = min(idx, key=lambda i: (entries[i].content, i))
        readable[key] = chosen[first].readable
        words[key] = chosen[first].words
        statements = [entries[i].statement for i in idx]
        kinds = {kind_of(st, names) if st is not None else None for st in statements}
        kind[key] = SINGLE if kinds == {SINGLE} else MULTI if MULTI in kinds else "other"
        verbs = {st.predicate for st in statements if st is not None and st.predicate != "be"}
        verb[key] = min(verbs) if len(verbs) == 1 else None

    # evidence: one person, one value, two phrasings, different times
    said: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, set[datetime]]] = defaultdict(lambda: defaultdict(set))
    for key, idx in phrasings.items():
        for i in idx:
            said[(subjects[i][0], chosen[i].value)][key].add(entries[i].observed)
    supporters: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for (subject, _), by_key in said.items():
        if len(by_key) < 2 or len(by_key) > _MAX_PHRASINGS:
            continue
        keys = sorted(by_key)
        for x, a in enumerate(keys):
            for b in keys[x + 1 :]:
                times_a, times_b = by_key[a], by_key[b]
                if len(times_a | times_b) > 1:  # at different times
                    supporters[(a, b)].add(subject)
    subjects_of: dict[str, set[tuple[str, ...]]] = {
        key: {subjects[i][0] for i in idx} for key, idx in phrasings.items()
    }
    links: list[Link] = []
    parent: dict[str, str] = {}
    for (a, b), people in sorted(supporters.items()):
        if len(people) < support or not _compatible(a, b, kind, verb, words):
            continue
        against = len((subjects_of[a] & subjects_of[b]) - people)
        if against >= len(people) or _clash(phrasings[a], phrasings[b], subjects, chosen, entries):
            continue
        links.append(Link(a=readable[a], b=readable[b], support=len(people), against=against))
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = _root(parent, a), _root(parent, b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    components: dict[str, list[str]] = defaultdict(list)
    for key in parent:
        components[_root(parent, key)].append(key)
    attributes = sorted(sorted(keys) for keys in components.values())
    filled: dict[int, Filled] = {}
    labels: dict[tuple[int, tuple[str, ...]], str] = {}
    for number, keys in enumerate(attributes):
        main = min(keys, key=lambda k: (-len(phrasings[k]), k))
        for key in keys:
            for i in sorted(phrasings[key], key=lambda i: (entries[i].content, i)):
                subject, subject_text = subjects[i]
                label = labels.setdefault((number, subject), f"{subject_text}: {readable[main]}")
                reading = chosen[i]
                filled[i] = Filled(
                    attribute=number,
                    subject=subject,
                    value=reading.value,
                    value_text=reading.value_text,
                    phrasing=reading.readable,
                    label=label,
                )
    links_out = tuple(
        sorted(
            (Link(a=min(k.a, k.b), b=max(k.a, k.b), support=k.support, against=k.against) for k in links),
            key=lambda k: (k.a, k.b),
        )
    )
    return Slots(
        filled=filled,
        attributes=tuple(tuple(sorted(readable[k] for k in keys)) for keys in attributes),
        links=links_out,
    )


def _compatible(a: str, b: str, kind: dict[str, str], verb: dict[str, str | None], words: dict[str, frozenset[str]]) -> bool:
    """The guards of the module doc, point 3 (all but the clash in time)."""
    if verb[a] is not None and verb[b] is not None and verb[a] != verb[b]:
        return False  # "was born in" / "lives in": verbs the parser tells apart
    if kind[a] == SINGLE and kind[b] == SINGLE:
        return True
    if kind[a] != SINGLE and kind[b] != SINGLE:
        return False
    return bool(words[a] & words[b])  # a multi-valued phrasing must name the attribute


def _clash(a: list[int], b: list[int], subjects, chosen, entries) -> bool:
    """One person, two different values of these phrasings, at the same time."""
    seen: dict[tuple[tuple[str, ...], datetime], tuple[str, ...]] = {}
    for i in a:
        seen[(subjects[i][0], entries[i].observed)] = chosen[i].value
    for i in b:
        value = seen.get((subjects[i][0], entries[i].observed))
        if value is not None and value != chosen[i].value:
            return True
    return False


def _root(parent: dict[str, str], key: str) -> str:
    while parent[key] != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _read(content: str, names: Collection[str]) -> tuple[tuple[str, ...], str, list[_Reading]] | None:
    """Subject and candidate phrasings of one memory, or None (no subject, a negation)."""
    tokens = [t for t in tokenize(content) if t.cls not in (FILLER, AUX)]
    if any(t.cls == NEG for t in tokens):
        return None
    subject: tuple[str, ...] | None = None
    n = len(tokens)
    for i, t in enumerate(tokens):
        if t.cls == SELF:
            subject, subject_text = ("user",), "user"
            break
        if t.cls == WORD and t.stem in names:
            j = i
            while j < n and tokens[j].cls == WORD and tokens[j].stem in names:
                j += 1
            subject = tuple(tok.stem for tok in tokens[i:j])
            subject_text = " ".join(tok.surface for tok in tokens[i:j])
            break
    if subject is None:
        return None
    # the template's parts: the subject (every mention) collapsed
    parts: list[Token | None] = []  # None = the subject
    i = 0
    while i < n:
        t = tokens[i]
        if subject == ("user",) and t.cls == SELF:
            parts.append(None)
            i += 1
        elif subject != ("user",) and tuple(tok.stem for tok in tokens[i : i + len(subject)]) == subject and all(
            tok.cls == WORD for tok in tokens[i : i + len(subject)]
        ):
            parts.append(None)
            i += len(subject)
        else:
            parts.append(t)
            i += 1
    # value positions: a run of names, or one other content word (not a known verb)
    units: list[tuple[int, int]] = []
    i = 0
    while i < len(parts):
        t = parts[i]
        if t is None or t.cls not in (WORD, NUMBER) or t.stem in PREDICATE_WORDS:
            i += 1
            continue
        j = i + 1
        if t.cls == WORD and t.stem in names:
            while j < len(parts) and parts[j] is not None and parts[j].cls == WORD and parts[j].stem in names:
                j += 1
        units.append((i, j))
        i = j
    # "Ana's home city" and "my home city" are one phrasing: a possessive after the subject is not in the key
    stems = [
        _SUBJECT if t is None else "" if t.cls == POSS and k and parts[k - 1] is None else t.stem
        for k, t in enumerate(parts)
    ]
    options = []
    for start, end in units:
        rest = [t for k, t in enumerate(parts) if t is not None and not start <= k < end]
        attribute_words = frozenset(t.stem for t in rest if t.cls == WORD and t.stem not in PREDICATE_WORDS)
        if not any(t.cls == WORD for t in rest):
            continue  # "X: V", "X is V": no attribute named
        value_tokens = parts[start:end]
        options.append(
            _Reading(
                key=" ".join([w for w in stems[:start] if w] + [_VALUE] + [w for w in stems[end:] if w]),
                value=tuple(t.stem for t in value_tokens),
                value_text=" ".join(t.surface for t in value_tokens),
                readable=_readable(parts, start, end),
                words=attribute_words,
            )
        )
    return subject, subject_text, options


def _readable(parts: list[Token | None], start: int, end: int) -> str:
    out: list[str] = []
    for k, t in enumerate(parts):
        if start <= k < end:
            if k == start:
                out.append("V")
        elif t is None:
            out.append("X")
        elif t.cls == POSS or t.surface == ":":
            out[-1:] = [(out[-1] if out else "") + t.surface]
        else:
            out.append(t.surface)
    return " ".join(out)
