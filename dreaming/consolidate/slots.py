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
   a phrasing in which no subject ever stated two values (a birthplace, a
   first language: the store never shows it change, so it cannot take part
   in an update -- "was born in" / "current residence of" agree for many
   people and nobody need ever restate a birthplace after a move); as many
   people whose values contradict one attribute as half the people whose
   restatements support it -- two different values at the same time, or a
   value stated again after another one came in between, across the two
   phrasings (coincidences between small value sets, such as numbers of
   cats and office floors, show up as such returns; a true revert is rarer
   than agreement); both
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

Cost: a handful of candidate phrasings per memory, counted as interned ints
in flat arrays (no object per reading: at a million memories the stage
adds ~170 MB at its peak, against ~580 MB with one object per reading; see
``_choose``); evidence pairs come only from one person's one value,
so the stage is linear in the memories (a value one person states in more than
``_MAX_PHRASINGS`` phrasings is too generic to count).  Deterministic: every
choice is broken by counts, then by the phrasing's text.
"""

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

import numpy as np

from dreaming.consolidate.subjects import MULTI, PREDICATE_WORDS, SINGLE, Statement, kind_of
from dreaming.consolidate.text import AUX, COPULA, FILLER, NEG, NUMBER, POSS, SELF, WORD, Token, tokenize, trim_cache

_SUBJECT = "\x00S"
_USER = ("user",)
_VALUE = "\x00V"
#: a value one person states in more phrasings than this is not evidence (and would cost pairs)
_MAX_PHRASINGS = 16
#: words cached while reading (``text.trim_cache``): the common ones, not every name and value
_WORDS_CACHED = 1 << 15
#: a cheap first look: texts that may name the user
_SELF_RE = re.compile(r"\b(?:i|me|my|mine|myself|users?)\b", re.IGNORECASE)


class Entry(NamedTuple):
    """One memory as slot inference reads it."""

    content: str
    observed: datetime
    statement: Statement | None
    #: stems of its capitalised words (``rules.Text.capitals``): a cheap look for names
    capitals: tuple[str, ...]
    #: when it was first and last stated (a merged memory spans its copies)
    first: datetime
    last: datetime


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
    #: people whose values contradict one attribute (see ``_overlaps``); a link needs fewer than half its support
    overlaps: int


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
    #: the value's position among the memory's parts (see ``_parts``)
    start: int
    end: int


def infer(entries: Sequence[Entry], names: Collection[str], *, support: int = 2) -> Slots:
    """Find attributes stated in several phrasings and the memories filling them (see module doc)."""
    kept = _choose(entries, names)
    at = kept.entry_index  # a kept memory's position -> its entry index

    # per phrasing: members (positions in ``kept``), kind, verb, attribute words
    members: dict[str, list[int]] = defaultdict(list)
    for position, key in enumerate(kept.key):
        members[key].append(position)
    phrasings = {key: idx for key, idx in members.items() if len({kept.subject[p] for p in idx}) >= 2}
    readable: dict[str, str] = {}
    words: dict[str, frozenset[str]] = {}
    kind: dict[str, str] = {}
    verb: dict[str, str | None] = {}
    #: some subject stated two values in this phrasing: the attribute is seen to change
    changes: dict[str, bool] = {}
    #: position -> when the memory was observed (entries are made when asked for: ask once)
    observed: list[datetime | None] = [None] * len(at)
    for key, idx in phrasings.items():
        rows = [entries[at[p]] for p in idx]
        first, row = min(zip(idx, rows), key=lambda pr: (pr[1].content, at[pr[0]]))
        parts = _parts(row.content, names)
        assert parts is not None  # it was read once already
        reading = kept.read(first, entries, names)[1]
        readable[key], words[key] = _describe(parts[2], reading.start, reading.end)
        statements = [e.statement for e in rows]
        for p, e in zip(idx, rows):
            observed[p] = e.observed
        kinds = {kind_of(st, names) if st is not None else None for st in statements}
        kind[key] = SINGLE if kinds == {SINGLE} else MULTI if MULTI in kinds else "other"
        verbs = {st.predicate for st in statements if st is not None and st.predicate != "be"}
        verb[key] = min(verbs) if len(verbs) == 1 else None
        values_of: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
        for p in idx:
            values_of[kept.subject[p]].add(kept.value[p])
        changes[key] = any(len(values) > 1 for values in values_of.values())

    # evidence: one person, one value, two phrasings, different times
    supporters = _supporters(kept, phrasings, observed)
    del observed
    subjects_of: dict[str, set[tuple[str, ...]]] = {
        key: {kept.subject[p] for p in idx} for key, idx in phrasings.items()
    }
    accepted: list[tuple[int, str, str, Link]] = []
    for (a, b), people in sorted(supporters.items()):
        if len(people) < support or not (changes[a] and changes[b]) or not _compatible(a, b, kind, verb, words):
            continue
        against = len((subjects_of[a] & subjects_of[b]) - people)
        if against >= len(people):
            continue
        overlaps = _overlaps(phrasings[a], phrasings[b], kept, entries)
        if overlaps * 2 >= len(people):
            continue
        accepted.append((len(people), a, b, Link(a=readable[a], b=readable[b], support=len(people), against=against,
                                                 overlaps=overlaps)))
    # attributes: strongest links first; never one attribute of two verbs the
    # parser tells apart, even through a third phrasing ("born in" ~ "home
    # city" ~ "lives in")
    links: list[Link] = []
    parent: dict[str, str] = {}
    verbs_of: dict[str, set[str | None]] = {}
    for _, a, b, link in sorted(accepted, key=lambda item: (-item[0], item[1], item[2])):
        for key in (a, b):
            if key not in parent:
                parent[key] = key
                verbs_of[key] = {verb[key]} - {None}
        ra, rb = _root(parent, a), _root(parent, b)
        if ra != rb:
            if len(verbs_of[ra] | verbs_of[rb]) > 1:
                continue
            keep, drop = min(ra, rb), max(ra, rb)
            parent[drop] = keep
            verbs_of[keep] |= verbs_of.pop(drop)
        links.append(link)

    components: dict[str, list[str]] = defaultdict(list)
    for key in parent:
        components[_root(parent, key)].append(key)
    attributes = sorted(sorted(keys) for keys in components.values())
    filled: dict[int, Filled] = {}
    labels: dict[tuple[int, tuple[str, ...]], str] = {}
    for number, keys in enumerate(attributes):
        main = min(keys, key=lambda k: (-len(phrasings[k]), k))
        for key in keys:
            for p in sorted(phrasings[key], key=lambda p: (entries[at[p]].content, at[p])):
                subject = kept.subject[p]
                subject_text, reading = kept.read(p, entries, names)
                label = labels.setdefault((number, subject), f"{subject_text}: {readable[main]}")
                filled[at[p]] = Filled(
                    attribute=number,
                    subject=subject,
                    value=reading.value,
                    value_text=reading.value_text,
                    phrasing=readable[key],
                    label=label,
                )
    links_out = tuple(
        sorted(
            (Link(a=min(k.a, k.b), b=max(k.a, k.b), support=k.support, against=k.against, overlaps=k.overlaps)
             for k in links),
            key=lambda k: (k.a, k.b),
        )
    )
    return Slots(
        filled=filled,
        attributes=tuple(tuple(sorted(readable[k] for k in keys)) for keys in attributes),
        links=links_out,
    )


class _Kept(NamedTuple):
    """The memories of shared phrasings, by position (ascending entry index):
    references to shared keys, subjects and values, no object per memory."""

    #: position -> entry index
    entry_index: list[int]
    key: list[str]
    subject: list[tuple[str, ...]]
    value: list[tuple[str, ...]]
    #: which of the memory's readings (``_read``'s order) was chosen
    option: list[int]

    def read(self, position: int, entries: Sequence[Entry], names: Collection[str]) -> tuple[str, _Reading]:
        """The memory's subject as written and its chosen reading in full."""
        found = _read(entries[self.entry_index[position]].content, names)
        assert found is not None  # it was read once already
        return found[1], found[2][self.option[position]]


def _choose(entries: Sequence[Entry], names: Collection[str]) -> _Kept:
    """Each memory's phrasing (module doc, point 1), for the memories of
    phrasings at least two subjects use.

    A million memories give about a million readings, so none is kept: each
    becomes two ints (its phrasing and its value, interned) in flat arrays,
    and the counts and the choice are numpy sorts over those.  What is kept
    per chosen memory is five references to shared objects (``_Kept``); the
    few readings needed in full later are read again.  The plain version,
    one dict of readings per memory, is :func:`dreaming.testing.oracles.slot_choices`; both
    choose alike.
    """
    key_ids: dict[str, int] = {}
    value_ids: dict[tuple[str, ...], int] = {}
    subject_ids: dict[tuple[str, ...], int] = {}
    read = array("i")  # entry index of each memory read with at least one reading
    subject_of = array("i")  # its subject
    ends = array("i")  # where its readings end in the two arrays below
    keys = array("i")
    values = array("i")
    for index in range(len(entries)):
        if not index & 0xFFFF:
            trim_cache(_WORDS_CACHED)  # the words of a million texts: most come up once
        entry = entries[index]
        if entry.statement is not None and entry.statement.negated:
            continue  # polarity is the subject rules' business
        content = entry.content
        # only texts that may have a subject: a known name, or the user
        if not entry.capitals and not _SELF_RE.search(content):
            continue
        found = _read(content, names)
        if found is None or not found[2]:
            continue
        read.append(index)
        subject_of.append(subject_ids.setdefault(found[0], len(subject_ids)))
        for option in found[2]:
            keys.append(key_ids.setdefault(option.key, len(key_ids)))
            values.append(value_ids.setdefault(option.value, len(value_ids)))
        ends.append(len(keys))
    trim_cache()
    if not read:
        return _Kept([], [], [], [], [])
    # the texts and tuples, by id, shared by the readings kept at the end
    key_text, value_list, subject_list = list(key_ids), list(value_ids), list(subject_ids)
    n_subjects = len(subject_list)
    del key_ids, value_ids, subject_ids
    key = np.frombuffer(keys, dtype=np.int32).astype(np.int64)
    value = np.frombuffer(values, dtype=np.int32)
    stop = np.frombuffer(ends, dtype=np.int32)
    per_entry = np.diff(stop, prepend=0)
    owner = np.repeat(np.arange(len(read), dtype=np.int32), per_entry)  # position in ``read`` of each reading
    subject = np.frombuffer(subject_of, dtype=np.int32)[owner]
    n_keys = len(key_text)
    # phrasings: keys at least two subjects and two values fill
    subjects_per_key = np.bincount(np.unique(key * n_subjects + subject) // n_subjects, minlength=n_keys)
    n_values = int(value.max()) + 1
    values_per_key = np.bincount(np.unique(key * n_values + value) // n_values, minlength=n_keys)
    real = np.flatnonzero((subjects_per_key[key] >= 2) & (values_per_key[key] >= 2))
    # each memory keeps the real phrasing most subjects use (then most values, then its text)
    rank = np.empty(n_keys, dtype=np.int64)
    rank[sorted(range(n_keys), key=key_text.__getitem__)] = np.arange(n_keys)
    k = key[real]
    order = real[np.lexsort((rank[k], -values_per_key[k], -subjects_per_key[k], owner[real]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order[1:]] != owner[order[:-1]]
    best = order[first]  # one reading per memory that has a real one
    # only phrasings two subjects choose matter to the rest of ``infer``
    pairs = np.unique(key[best] * n_subjects + subject[best])
    shared = np.bincount(pairs // n_subjects, minlength=n_keys) >= 2
    best = best[shared[key[best]]]
    position = owner[best]
    return _Kept(
        entry_index=np.frombuffer(read, dtype=np.int32)[position].tolist(),
        key=[key_text[k] for k in key[best].tolist()],
        subject=[subject_list[k] for k in np.frombuffer(subject_of, dtype=np.int32)[position].tolist()],
        value=[value_list[v] for v in value[best].tolist()],
        option=(best - np.where(position > 0, stop[position - 1], 0)).tolist(),
    )


def _supporters(
    kept: _Kept, phrasings: dict[str, list[int]], observed: Sequence[datetime | None]
) -> dict[tuple[str, str], set[tuple[str, ...]]]:
    """Per pair of phrasings ``(a, b)``, ``a < b``: the people who stated one
    value in both, at two or more different times (module doc, point 2).  A
    value one person states in more than ``_MAX_PHRASINGS`` phrasings is
    not evidence.

    Each statement is four ints (person, value, phrasing, time: ids of the
    shared objects) sorted together with numpy -- no tuple per memory, which
    at a million memories made this step the peak of the subject stage.  The
    plain version is :func:`dreaming.testing.oracles.slot_supporters`.
    """
    people: dict[tuple[str, ...], int] = {}
    values: dict[tuple[str, ...], int] = {}
    times: dict[datetime | None, int] = {}
    names = sorted(phrasings)  # phrasing ids in text order: pairs come out as (a, b), a < b
    person, value, phrasing, time = array("i"), array("i"), array("i"), array("i")
    for number, key in enumerate(names):
        for p in phrasings[key]:
            person.append(people.setdefault(kept.subject[p], len(people)))
            value.append(values.setdefault(kept.value[p], len(values)))
            phrasing.append(number)
            time.append(times.setdefault(observed[p], len(times)))
    if not person:
        return {}
    columns = [np.frombuffer(column, dtype=np.int32) for column in (person, value, phrasing, time)]
    order = np.lexsort(columns[::-1])  # by person, value, phrasing, time
    person_, value_, phrasing_, time_ = (column[order] for column in columns)
    del columns, order

    def starts(*keys: np.ndarray) -> np.ndarray:
        """Where each run of equal ``keys`` (rows sorted by them) begins."""
        new = np.zeros(keys[0].size, dtype=bool)
        new[0] = True
        for column in keys:
            new[1:] |= column[1:] != column[:-1]
        return np.flatnonzero(new)

    # one row per (person, value, phrasing): how many different times, and the first
    statement = starts(person_, value_, phrasing_, time_)
    person_, value_, phrasing_, time_ = person_[statement], value_[statement], phrasing_[statement], time_[statement]
    first = starts(person_, value_, phrasing_)
    several = np.diff(np.append(first, person_.size)) > 1
    person_, value_, phrasing_, time_ = person_[first], value_[first], phrasing_[first], time_[first]
    # one group per (person, value): its phrasings, in text order
    group = starts(person_, value_)
    size = np.diff(np.append(group, person_.size))
    end = np.repeat(group + size, size)
    usable = np.repeat((size >= 2) & (size <= _MAX_PHRASINGS), size)
    found: list[np.ndarray] = []
    for offset in range(1, _MAX_PHRASINGS):
        x = np.flatnonzero(usable & (np.arange(person_.size) + offset < end))
        if not x.size:
            break
        y = x + offset
        apart = several[x] | several[y] | (time_[x] != time_[y])  # at different times
        found.append(np.stack((phrasing_[x[apart]], phrasing_[y[apart]], person_[x[apart]])))
    person_list = list(people)
    supporters: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for a, b, who in np.concatenate(found, axis=1).T.tolist() if found else ():
        supporters[(names[a], names[b])].add(person_list[who])
    return supporters


def _compatible(a: str, b: str, kind: dict[str, str], verb: dict[str, str | None], words: dict[str, frozenset[str]]) -> bool:
    """The guards of the module doc, point 3 (all but the clash in time)."""
    if verb[a] is not None and verb[b] is not None and verb[a] != verb[b]:
        return False  # "was born in" / "lives in": verbs the parser tells apart
    if kind[a] == SINGLE and kind[b] == SINGLE:
        return True
    if kind[a] != SINGLE and kind[b] != SINGLE:
        return False
    return bool(words[a] & words[b])  # a multi-valued phrasing must name the attribute


def _overlaps(a: list[int], b: list[int], kept: _Kept, entries: Sequence[Entry]) -> int:
    """People whose values in these two phrasings contradict one attribute:
    a value stated again after another value came in between ("born in
    Porto", "resides in Ghent", "born in Porto"), or two values at the same
    time.  Each merged memory counts as stated when first and when last seen."""
    said: dict[tuple[str, ...], list[tuple[datetime, int, tuple[str, ...]]]] = defaultdict(list)
    for side, idx in ((0, a), (1, b)):
        for p in idx:
            e = entries[kept.entry_index[p]]
            value = kept.value[p]
            said[kept.subject[p]].append((e.first, side, value))
            if e.last != e.first:
                said[kept.subject[p]].append((e.last, side, value))
    return sum(_contradicts(events) for events in said.values())


def _contradicts(events: list[tuple[datetime, int, tuple[str, ...]]]) -> bool:
    events.sort()
    for x, (when, side, value) in enumerate(events):
        for when_y, side_y, value_y in events[x + 1 :]:
            if value_y != value and (when_y == when and side_y != side):
                return True  # two values at once
    # a value back after another, the three statements not all in one phrasing
    for x, (_, side_x, value_x) in enumerate(events):
        for y in range(x + 1, len(events)):
            _, side_y, value_y = events[y]
            if value_y == value_x:
                continue
            for _, side_z, value_z in events[y + 1 :]:
                if value_z == value_x and len({side_x, side_y, side_z}) == 2:
                    return True
    return False


def _root(parent: dict[str, str], key: str) -> str:
    while parent[key] != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _parts(content: str, names: Collection[str]) -> tuple[tuple[str, ...], str, list[Token | None]] | None:
    """Subject, subject as written, and the memory's tokens with every mention
    of the subject as one ``None``; None when it has no subject or a negation.

    The subject is the first name the input knows (a run of them: "Alice
    Moreno") or the user, whichever comes first -- or a capitalised first
    word right before a verb or a possessive.
    """
    tokens = []
    for t in tokenize(content):
        cls = t.cls
        if cls == NEG:
            return None  # polarity is the subject rules' business
        if cls != FILLER and cls != AUX:
            tokens.append(t)
    n = len(tokens)
    subject: tuple[str, ...] | None = None
    # "Bruno lives in Denver.", "Bruno's home city is ...": a capitalised first
    # word right before a verb or a possessive is the subject, known name or
    # not (a small store may not have shown it mid-sentence yet)
    start = 0 if n > 1 and tokens[0].cls == WORD and tokens[0].case == "title" else -1
    if start == 0:
        j = 1
        while j < n and tokens[j].cls == WORD and tokens[j].case == "title" and tokens[j].stem in names:
            j += 1
        after = tokens[j] if j < n else None
        if after is None or not (after.cls in (POSS, COPULA) or (after.cls == WORD and after.stem in PREDICATE_WORDS)):
            start = -1
        elif after.cls == WORD and j + 1 < n and tokens[j + 1].stem == "by":
            start = -1  # "Shell used by Ana: bash": a passive, the subject is the agent
        elif tokens[0].stem not in PREDICATE_WORDS:
            subject = tuple([tok.stem for tok in tokens[:j]])
            subject_text = " ".join([tok.surface for tok in tokens[:j]])
    if subject is None:
        for i, t in enumerate(tokens):
            if t.cls == SELF:
                subject, subject_text = _USER, "user"
                break
            if t.cls == WORD and t.stem in names:
                j = i + 1
                while j < n and tokens[j].cls == WORD and tokens[j].stem in names:
                    j += 1
                subject = tuple([tok.stem for tok in tokens[i:j]])
                subject_text = " ".join([tok.surface for tok in tokens[i:j]])
                break
    if subject is None:
        return None
    parts: list[Token | None] = []
    size = len(subject)
    i = 0
    while i < n:
        t = tokens[i]
        if subject is _USER:
            if t.cls == SELF:
                parts.append(None)
            else:
                parts.append(t)
            i += 1
        elif t.cls == WORD and t.stem == subject[0] and tuple([tok.stem for tok in tokens[i : i + size]]) == subject:
            parts.append(None)
            i += size
        else:
            parts.append(t)
            i += 1
    return subject, subject_text, parts


def _read(content: str, names: Collection[str]) -> tuple[tuple[str, ...], str, list[_Reading]] | None:
    """Subject and candidate phrasings of one memory, or None (no subject, a negation)."""
    found = _parts(content, names)
    if found is None:
        return None
    subject, subject_text, parts = found
    # the key's words: "Ana's home city" and "my home city" are one phrasing,
    # so a possessive right after the subject is left out
    stems: list[str] = []
    words = 0
    previous: Token | None = None
    for k, t in enumerate(parts):
        if t is None:
            stems.append(_SUBJECT)
        elif t.cls == POSS and k and previous is None:
            stems.append("")
        else:
            stems.append(t.stem)
            words += t.cls == WORD
        previous = t
    # value positions: a run of names, or one other content word (not a known verb)
    options: list[_Reading] = []
    i = 0
    count = len(parts)
    while i < count:
        t = parts[i]
        if t is None or (t.cls != WORD and t.cls != NUMBER) or t.stem in PREDICATE_WORDS:
            i += 1
            continue
        j = i + 1
        if t.cls == WORD and t.stem in names:
            while j < count:
                after = parts[j]
                if after is None or after.cls != WORD or after.stem not in names:
                    break
                j += 1
        unit = [u for u in parts[i:j] if u is not None]  # all of them: each was checked above
        if words > sum([u.cls == WORD for u in unit]):  # "X: V", "X is V": no attribute named
            options.append(
                _Reading(
                    key=" ".join([w for w in stems[:i] if w] + [_VALUE] + [w for w in stems[j:] if w]),
                    value=tuple([u.stem for u in unit]),
                    value_text=unit[0].surface if j == i + 1 else " ".join([u.surface for u in unit]),
                    start=i,
                    end=j,
                )
            )
        i = j
    return subject, subject_text, options


def _describe(parts: list[Token | None], start: int, end: int) -> tuple[str, frozenset[str]]:
    """A phrasing as people read it ("X's home city is V"), and the words naming
    its attribute (content words, not verbs the parser knows)."""
    out: list[str] = []
    words: set[str] = set()
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
            if t.cls == WORD and t.stem not in PREDICATE_WORDS:
                words.add(t.stem)
    return " ".join(out), frozenset(words)
