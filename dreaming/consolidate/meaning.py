"""The second pass: pairs the words alone could not settle, decided by meaning.

After the core (:mod:`.engine`) has merged what it can prove and replaced
what it can parse, this pass looks again at the fresh memories (new
candidates and new imports) and asks, for each, which memories of the store
could be the same fact or an older value of it:

1. **candidates**: the nearest memories by sentence vector (cosine,
   :mod:`.vectors`), and the memories that share a *rare* word with it (a
   name, a number, a URL that few memories of the store hold: an update
   often shares only its subject -- "i switched from pycharm to neovim" and
   "User's editor is PyCharm" meet on "pycharm");
2. **scored** by the pair model (:mod:`.pairs`): duplicate / update /
   distinct with a probability;
3. **acted on** only above a confidence: a duplicate at ``merge_at`` is
   merged (the wording that says more is kept -- more dates, numbers, names;
   the newer on a tie -- and never a pair whose numbers differ, whose
   explicit keys differ, or whose words differ only by one swap at the
   subject: "the search service ..." / "the queue service ..."), an update at
   ``update_sure_at`` -- or at ``update_at`` when the newer memory says
   something changed ("now", "moved to", "from X to Y") -- retires the older
   memory unless the older one narrates an event (events add up; they do not
   replace each other), the two are numbered things with different numbers
   ("Unit 4" / "Unit 9"), or the newer names the value it replaced and the
   older does not hold it; an older memory this pass merged with a duplicate
   is replaced as the merged memory; a call between ``review_at`` and those becomes an
   *ambiguous* pair for the judge (Claude when enabled; offline, listed for
   review).  Everything below ``review_at`` is left alone.

Pairs the core already decided, pairs kept apart by their files
(:mod:`.scope`), and pairs of two memories that are both already
consolidated are never looked at.  Every decision carries its rule id
(``meaning:duplicate``, ``meaning:update``) and its inputs (cosine, the
model's probabilities) in its reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

import numpy as np

from dreaming.consolidate import scope, updates
from dreaming.consolidate.merged import merged_memory
from dreaming.consolidate.pairs import (
    DocumentFrequency,
    PairModel,
    Side,
    content_words,
    features,
    narrates,
    same_word,
    says_it_changed,
    shipped_model,
    substitution,
    value_words,
)
from dreaming.consolidate.results import Ambiguous, Consolidation, Merge, Supersede
from dreaming.consolidate.vectors import Embedder, WordLlamaEmbedder
from dreaming.records import Memory
from dreaming.text.english import commonness

_WORDS = re.compile(r"[a-z0-9][a-z0-9._/@:+'-]*[a-z0-9]|[a-z0-9]")

RULE_DUPLICATE = "meaning:duplicate"
RULE_UPDATE = "meaning:update"


@dataclass(frozen=True, kw_only=True)
class MeaningConfig:
    enabled: bool = True
    #: nearest memories scored per fresh memory
    neighbours: int = 6
    #: a neighbour closer than this cosine is scored
    min_cosine: float = 0.45
    #: memories sharing a word this rare (at most this many holders) are scored too
    rare_holders: int = 3
    #: ... at most this many per fresh memory
    rare_neighbours: int = 6
    #: act on a duplicate call at this probability or above
    merge_at: float = 0.60
    #: act on an update call at this probability or above when the newer memory says something changed ("now",
    #: "moved to", "no longer", "from X to Y": :func:`dreaming.consolidate.pairs.says_it_changed`) ...
    update_at: float = 0.60
    #: ... and at this probability or above whatever it says
    update_sure_at: float = 0.70
    #: an update is acted on only between memories at least this close in meaning (a shared word alone is not enough)
    update_min_cosine: float = 0.45
    #: a duplicate or update call at this probability or above (but below acting) goes to the judge
    review_at: float = 0.45
    #: at most this many fresh rows are compared at once (bounds memory at 256 x 4 bytes x rows x memories)
    chunk: int = 2048
    #: above this many (fresh x all) comparisons -- a first dream over a large import -- only the pairs the
    #: core left ambiguous are scored (see ``refine``); :func:`_bucket_neighbours` is a faster neighbour search
    #: kept for measurement, not used by default (at 100k it still costs more than the dream)
    exact_budget: int = 20_000_000
    #: hash tables and bits per table of that search
    hash_tables: int = 24
    hash_bits: int = 8


def _observed(m: Memory) -> str:
    at = m.observed_at or m.created_at
    return at.isoformat() if at else ""


def _anchor(word: str) -> bool:
    """A word that can tie two memories to one subject: a real word or name, not a bare small number."""
    return len(word) >= 3 and not word.replace(".", "").replace(",", "").isdigit()


def _anchored(a: Memory, b: Memory, cos: float, config: MeaningConfig) -> bool:
    """Enough in common to be about one thing: close in meaning, or a shared anchor word."""
    if cos >= config.min_cosine:
        return True
    shared = set(content_words(a.content)) & set(content_words(b.content))
    return any(_anchor(w) for w in shared)


def _candidate_pairs(
    alive: Sequence[Memory], fresh_rows: Sequence[int], vectors: np.ndarray, df: DocumentFrequency,
    config: MeaningConfig,
) -> dict[tuple[int, int], float]:
    """(i, j) with i < j -> cosine, for the fresh rows' nearest and rare-word neighbours."""
    pairs: dict[tuple[int, int], float] = {}
    holders: dict[str, list[int]] = {}
    for index, m in enumerate(alive):
        for w in set(content_words(m.content)):
            if df.counts.get(w, 0) <= config.rare_holders and _anchor(w):
                holders.setdefault(w, []).append(index)
    k = config.neighbours
    for start in range(0, len(fresh_rows), config.chunk):
        rows = np.asarray(fresh_rows[start : start + config.chunk])
        sims = vectors[rows] @ vectors.T
        for r, i in enumerate(rows.tolist()):
            row = sims[r]
            row[i] = -1.0
            top = np.argpartition(-row, min(k, len(row) - 1))[: k + 1] if len(row) > k + 1 else np.arange(len(row))
            for j in top.tolist():
                if j != i and row[j] >= config.min_cosine:
                    pairs[(min(i, j), max(i, j))] = float(row[j])
    for i in fresh_rows:
        shared: list[int] = []
        for w in set(content_words(alive[i].content)):
            shared.extend(h for h in holders.get(w, ()) if h != i)
        near = sorted(set(shared), key=lambda h: -float(vectors[i] @ vectors[h]))[: config.rare_neighbours]
        for j in near:
            pairs.setdefault((min(i, j), max(i, j)), float(vectors[i] @ vectors[j]))
    return pairs


def _bucket_neighbours(vectors: np.ndarray, fresh_rows: Sequence[int], config: MeaningConfig) -> dict[tuple[int, int], float]:
    """Nearest neighbours among the memories sharing a random-hyperplane hash bucket (several seeded tables):
    close vectors share a bucket in some table with high probability, so only those are compared, a bucket
    at a time with numpy.  Each fresh memory keeps its ``neighbours`` closest, as the exact search does."""
    rng = np.random.default_rng(20261207)
    fresh = np.zeros(len(vectors), dtype=bool)
    fresh[np.asarray(fresh_rows, dtype=np.int64)] = True
    weights = 1 << np.arange(config.hash_bits, dtype=np.int64)
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_c: list[np.ndarray] = []
    for _ in range(config.hash_tables):
        planes = rng.standard_normal((vectors.shape[1], config.hash_bits)).astype(np.float32)
        codes = ((vectors @ planes) > 0).astype(np.int64) @ weights
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for members in np.split(order, bounds):
            if len(members) < 2:
                continue
            rows = members[fresh[members]]
            for start in range(0, len(rows), config.chunk):
                part = rows[start : start + config.chunk]
                sims = vectors[part] @ vectors[members].T
                r, c = np.nonzero(sims >= config.min_cosine)
                i, j = part[r], members[c]
                keep = i != j
                found_i.append(i[keep])
                found_j.append(j[keep])
                found_c.append(sims[r[keep], c[keep]])
    if not found_i:
        return {}
    i = np.concatenate(found_i)
    j = np.concatenate(found_j)
    cos = np.concatenate(found_c)
    # each (fresh, other) once, then the closest few per fresh memory
    order = np.lexsort((j, -cos, i))
    i, j, cos = i[order], j[order], cos[order]
    first = np.ones(len(i), dtype=bool)
    same = (i[1:] == i[:-1]) & (j[1:] == j[:-1])
    first[1:] = ~same
    i, j, cos = i[first], j[first], cos[first]
    rank = np.arange(len(i)) - np.searchsorted(i, i, side="left")
    pick = rank < config.neighbours
    out: dict[tuple[int, int], float] = {}
    for a, b, s in zip(i[pick].tolist(), j[pick].tolist(), cos[pick].tolist()):
        out.setdefault((min(a, b), max(a, b)), float(s))
    return out


def _user_full_names(memories: Sequence[Memory]) -> tuple[str, ...]:
    """The name a memory of the store gives the user ("User's name is Dana Whitfield.")."""
    out = []
    for m in memories:
        match = re.match(r"(?i:^(?:the\s+)?user(?:'s|’s)\s+(?:full\s+)?name\s+is\s+)([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){0,2})",
                         m.content)
        if match:
            out.append(match.group(1))
    return tuple(sorted(set(out)))


def _user_names(full: Sequence[str]) -> frozenset[str]:
    """The words that name "the user" in this store: the words of its name, and "user" itself."""
    return frozenset({"user"} | {w.lower() for name in full for w in name.split()})


def _as_user(text: str, full: Sequence[str]) -> str:
    """``text`` with the user's name written as "User", so "Dana Whitfield is the SRE on call" and "User is
    the SRE on call" are scored as the one fact they are."""
    for name in full:
        text = re.sub(rf"\b{re.escape(name)}\b", "User", text)
    return text


def _other_subject(a: Memory, b: Memory, *, names: frozenset[str] = frozenset({"user"})) -> bool:
    """Two memories about different things by their form: explicit keys that differ, or the same words but
    one swapped near the start -- where the subject is ("The search service runs Go 1.21" / "The queue
    service runs Go 1.21", "Kitchen printer: ..." / "Bar printer: ...")."""
    if a.key and b.key and a.key != b.key:
        return True
    ia, ib = _identifiers(a.content), _identifiers(b.content)
    if ia and ib and not ia & ib:
        return True  # "exp-41 ..." / "exp-42 ...", "Unit 4 ..." / "Unit 9 ...": numbered things, different numbers
    if _names_differ(a.content, b.content):
        return True  # "our maya goes to bed at 8:15pm" / "Ava's bed time is still 8:00pm"
    wa, wb = _WORDS.findall(a.content.lower()), _WORDS.findall(b.content.lower())
    spans, swap, at = substitution(wa, wb)
    if swap and 0 <= at <= 1:
        # "User is the SRE ..." / "Dana Whitfield is the SRE ...": the user by name is the user
        ops = [op for op in SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes() if op[0] != "equal"]
        swapped = set(wa[ops[0][1]:ops[0][2]]) | set(wb[ops[0][3]:ops[0][4]])
        return not (len(names) > 1 and swapped - {"the"} <= names)
    return False


_CODE = re.compile(r"^[a-z]{2,}-\d+[a-z]?$")


def _lead_names(text: str) -> set[str]:
    """The names a memory opens with: among its first three content words, those that are not English words
    (a person, a company, a code: ``dreaming.text.english``), digits aside."""
    words = content_words(text)[:3]
    return {w for w in (x.removesuffix("'s").removesuffix("’s") for x in words)
            if (w.isalpha() and commonness(w) < 3.0 and len(w) >= 3) or _CODE.match(w)}


def _names_differ(a: str, b: str) -> bool:
    """Each memory opens with a name the other never mentions: two entities ("maya" / "ava", "Initech" /
    "ACC-1259"), whatever else they share."""
    na, nb = _lead_names(a), _lead_names(b)
    if not na or not nb:
        return False
    wa, wb = set(content_words(a)), set(content_words(b))
    mentioned_a = {w for w in na if any(same_word(w, x.removesuffix("'s")) for x in wb)}
    mentioned_b = {w for w in nb if any(same_word(w, x.removesuffix("'s")) for x in wa)}
    return not mentioned_a and not mentioned_b


def _identifiers(text: str) -> set[str]:
    """The numbered names among a memory's first content words -- where its subject is: a code of letters and
    digits ("exp-41", "pok-104") or a word and a small number ("unit 4", "tier 1", "rig 2") -- and the
    hyphenated codes anywhere in it ("... billing at ACC-1490")."""
    every = content_words(text)
    words = every[:4]
    out = {w for w in words if re.search(r"[a-z]", w) and re.search(r"\d", w) and not re.fullmatch(r"\d+[a-z]{1,3}", w)}
    out |= {w for w in every if _CODE.match(w)}  # "ACC-1490", "PRJ-12": a code names its thing wherever it stands
    out |= {f"{x} {y}" for x, y in zip(words, words[1:]) if x.isalpha() and re.fullmatch(r"\d{1,3}", y)}
    return out


def _may_be_the_old_value(older: Memory, newer: Memory) -> bool:
    """A newer memory that says which value it replaced ("... is now 300,000 (was 50,000)") replaces only a
    memory holding that value; one that does not say may replace any."""
    named = updates.old_values(newer.content)
    if not named:
        return True
    held = content_words(older.content)
    return any(same_word(x, y) for x in named for y in held)


def _numbers_differ(a: str, b: str) -> bool:
    """Each side holds a number the other lacks: one fact cannot say both (never merged as a duplicate)."""
    na = {w for w in content_words(a) if any(c.isdigit() for c in w)}
    nb = {w for w in content_words(b) if any(c.isdigit() for c in w)}
    only_a = {x for x in na if not any(same_word(x, y) for y in nb)}
    only_b = {y for y in nb if not any(same_word(x, y) for x in na)}
    return bool(only_a) and bool(only_b)


def _fuller(newer: Memory, older: Memory) -> Memory:
    """The wording a merge keeps: the one that says more (dates, numbers, names), the newer on a tie."""
    def said(m: Memory) -> tuple[int, int]:
        return len(value_words(m.content)), len(content_words(m.content))

    return older if said(older) > said(newer) else newer


def refine(
    consolidation: Consolidation,
    memories: Sequence[Memory],
    *,
    fresh: Collection[str] | None,
    config: MeaningConfig = MeaningConfig(),
    embedder: Embedder | None = None,
    model: PairModel | None = None,
    store_texts: Sequence[str] | None = None,
) -> Consolidation:
    """``consolidation`` plus the decisions of the second pass (see the module doc)."""
    if not config.enabled or len(memories) < 2:
        return consolidation
    canon = {mg.memory.id: mg.memory for mg in consolidation.merges}
    retired = {i for mg in consolidation.merges for i in mg.retired} | {s.old_id for s in consolidation.supersedes}
    alive = [canon.get(m.id, m) for m in memories if m.id not in retired]
    alive.sort(key=lambda m: m.id)
    fresh_set = set(fresh) if fresh is not None else {m.id for m in alive}
    fresh_rows = [i for i, m in enumerate(alive) if m.id in fresh_set]
    if not fresh_rows:
        return consolidation
    decided = {frozenset((s.old_id, s.new_id)) for s in consolidation.supersedes}
    decided |= {frozenset(c.ids[:2]) for c in consolidation.conflicts if len(c.ids) >= 2}
    # the core's ambiguous pairs are what this pass is for: scored again, and settled when the scorer is sure
    unsure = {frozenset(a.ids) for a in consolidation.ambiguous}
    df = DocumentFrequency(store_texts if store_texts is not None else [m.content for m in alive])
    index = {m.id: i for i, m in enumerate(alive)}
    if len(fresh_rows) * len(alive) > config.exact_budget:
        # a first dream over a large import: only the pairs the core could not settle are looked at again
        # (embedding and scoring every pair would cost many times the dream; later dreams, with few fresh
        # memories, compare each of them with the whole store)
        rows = sorted({index[i] for ids in unsure for i in ids if i in index})
        alive = [alive[r] for r in rows]
        fresh_rows = []
        index = {m.id: i for i, m in enumerate(alive)}
    vectors = (embedder or WordLlamaEmbedder()).embed([m.content for m in alive])
    model = model or shipped_model()
    calls = []
    full_names = _user_full_names(alive)
    names = _user_names(full_names)
    pairs = _candidate_pairs(alive, fresh_rows, vectors, df, config) if fresh_rows else {}
    for ids in unsure:
        x, y = sorted(index[i] for i in ids if i in index) if all(i in index for i in ids) else (None, None)
        if x is not None and y is not None and x != y:
            pairs.setdefault((x, y), float(vectors[x] @ vectors[y]))
    for (i, j), cos in sorted(pairs.items()):
        a, b = alive[i], alive[j]
        if frozenset((a.id, b.id)) in decided or scope.apart(a, b) or not _anchored(a, b, cos, config):
            continue
        if a.id not in fresh_set and b.id not in fresh_set:
            continue
        sa = Side(text=_as_user(a.content, full_names), path=a.path, observed_at=a.observed_at)
        sb = Side(text=_as_user(b.content, full_names), path=b.path, observed_at=b.observed_at)
        call = model.call(features(sa, sb, cos=cos, df=df))
        calls.append((call.confidence, a, b, call, cos))
    calls.sort(key=lambda c: (-c[0], c[1].id, c[2].id))
    taken: set[str] = set()
    core = {mg.memory.id: mg for mg in consolidation.merges}  # the core's merges, by the id they keep
    absorbed: set[str] = set()  # core merges this pass joined into one (replaced by the joined merge)
    group: dict[str, str] = {}  # a member of a merge made here -> the merged memory's id
    replaced: set[str] = set()  # ids this pass retired by a newer value
    merges: list[Merge] = []
    supersedes: list[Supersede] = []
    ambiguous: list[Ambiguous] = []
    # first what the memories' form says outright: the same label with a new value, a newer one naming the old value
    by_id = {m.id: m for m in alive}
    form = [u for u in updates.label_updates(alive) if u.old_id in fresh_set or u.new_id in fresh_set]
    for _, a, b, _, _ in calls:
        older, newer = sorted((a, b), key=lambda m: (_observed(m), m.id))
        named = updates.names_old_value(older, newer)
        if named is not None:
            form.append(named)
    entities = scope.EntityFiles(memories)  # the whole store: which folders hold parallel entity files
    for u in form:
        old, new = by_id[u.old_id], by_id[u.new_id]
        if u.old_id in taken or frozenset((u.old_id, u.new_id)) in decided or scope.apart(old, new) \
                or not entities.may_replace(old, new):
            continue
        taken.add(u.old_id)
        replaced.add(u.old_id)
        supersedes.append(Supersede(old_id=u.old_id, new_id=u.new_id, subject=", ".join(u.words), old_value=old.content,
                                    new_value=new.content, score=100.0, rule=u.rule, reason=u.reason))
    for confidence, a, b, call, cos in calls:
        older, newer = sorted((a, b), key=lambda m: (_observed(m), m.id))
        probs = ", ".join(f"{k} {v:.2f}" for k, v in call.probabilities.items())
        why = f"cosine {cos:.2f}; pair model: {probs}"
        if call.label == "duplicate" and confidence >= config.merge_at and not taken & {a.id, b.id} \
                and not _numbers_differ(a.content, b.content) and not _other_subject(a, b, names=names):
            # a memory the core already merged others into keeps its id (its merge names it); two such
            # groups become one merge of all their members; otherwise the merge rule's keeper does; the
            # wording is the one that says more
            cores = [core[m.id] for m in (older, newer) if m.id in core]
            pinned = older if older.id in core else newer if newer.id in core else None
            # a newer memory that says something changed ("off late shifts, onto night shifts") is never
            # folded into the older wording: that would keep the old value
            wording = newer.content if says_it_changed(newer.content) else _fuller(newer, older).content
            merged = merged_memory([older, newer], content=wording, keep=pinned if len(cores) < 2 else None)
            members = {older.id, newer.id}.union(*(c.members for c in cores)) if len(cores) == 2 else {older.id, newer.id}
            if len(cores) == 2:
                absorbed.update(c.memory.id for c in cores)
            taken |= {a.id, b.id}
            group.update({older.id: merged.id, newer.id: merged.id})
            merges.append(Merge(memory=merged, members=tuple(sorted(members)),
                                score=round(confidence * 100, 2),
                                reason=f"the same fact in other words ({RULE_DUPLICATE}: {why})",
                                rule=RULE_DUPLICATE,
                                rules=tuple(sorted({RULE_DUPLICATE, *(r for c in cores if len(cores) == 2 for r in c.rules)}))))
        elif call.label == "update" and confidence >= config.update_at and newer.id not in taken \
                and (confidence >= config.update_sure_at or says_it_changed(newer.content)) \
                and (older.id not in taken or group.get(older.id) not in (None, *replaced)) \
                and _observed(older) != _observed(newer) and not narrates(older.content) \
                and cos >= config.update_min_cosine and not _other_subject(a, b, names=names) \
                and entities.may_replace(older, newer) and _may_be_the_old_value(older, newer):
            # an older memory this pass merged with its duplicate: the merged memory is what the newer replaces
            old_id = group.get(older.id, older.id)
            taken.add(older.id)
            replaced.add(old_id)
            supersedes.append(Supersede(
                old_id=old_id, new_id=newer.id, subject="", old_value=older.content, new_value=newer.content,
                score=round(confidence * 100, 2), rule=RULE_UPDATE,
                reason=f"a later value of the same fact, observed {_observed(newer)[:10]} ({RULE_UPDATE}: {why})",
            ))
        elif call.label in ("duplicate", "update") and confidence >= config.review_at:
            ambiguous.append(Ambiguous(ids=(a.id, b.id), score=round(confidence * 100, 2), kind="meaning",
                                       why=f"maybe {call.label}: {why}"))
    if not (merges or supersedes or ambiguous):
        return consolidation
    settled = {frozenset(m.members) for m in merges} | {frozenset((s.old_id, s.new_id)) for s in supersedes}
    known = {frozenset(a.ids) for a in consolidation.ambiguous}
    return replace(
        consolidation,
        merges=tuple(m for m in consolidation.merges if m.memory.id not in absorbed) + tuple(merges),
        supersedes=consolidation.supersedes + tuple(supersedes),
        ambiguous=tuple(a for a in consolidation.ambiguous if frozenset(a.ids) not in settled)
        + tuple(a for a in ambiguous if frozenset(a.ids) not in known),
    )

