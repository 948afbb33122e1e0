"""Reference implementations kept as test oracles of the fast paths.

Each function here is the plain, obviously-correct way to compute what a
fast path in the product computes; the tests compare the two on the same
inputs (differential tests, hypothesis).  They are public so that users who
extend a fast path can test it the same way.  ``dreaming.consolidate.oracle.exact_pairs``
stays in the product: the engine uses it while all-pairs scoring is cheap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

import networkx as nx
import numpy as np
from rapidfuzz import fuzz, process

from dreaming.consolidate import slots
from dreaming.consolidate.text import normal_form
from dreaming.patterns.communities import PatternConfig, terms_of
from dreaming.patterns.communities import _sessions_of as sessions_of
from dreaming.pipeline.stages import Community
from dreaming.records import Memory
from dreaming.store.core import Store, fts_terms
from dreaming.text.redact import Finding, _find, _Plan


def reference_find(text: str) -> list[Finding]:
    """The redaction oracle: every scanner over the whole text and every line, no shortcuts
    (the reference for :func:`dreaming.text.redact.find`)."""
    return _find(text, _Plan.full(), gated=False)


def exact_memory_pairs(contents: Sequence[str], *, threshold: float, workers: int = -1) -> set[tuple[int, int]]:
    """Pairs of raw texts whose normal forms score ``>= threshold``.

    Independent of the engine's own normalisation bookkeeping: rapidfuzz
    applies :func:`.text.normalise` as the ``processor`` here, so tests can
    check the whole fast path (normalise, group, block, score) against it.
    """
    scores = process.cdist(
        contents,
        contents,
        scorer=fuzz.ratio,
        processor=normal_form,
        score_cutoff=threshold,
        workers=workers,
        dtype=np.float32,
    )
    i, j = np.nonzero(np.triu(scores, k=1))
    return set(zip(i.tolist(), j.tolist()))


def slot_choices(
    entries: Sequence[slots.Entry], names: Collection[str]
) -> tuple[dict[int, tuple[tuple[str, ...], str]], dict[int, slots._Reading]]:
    """Every memory's phrasing, the plain way: all readings of every memory
    kept in dicts, then counted and chosen (module doc of :mod:`.slots`,
    point 1).  The reference for ``slots._choose``, which returns the same
    choices restricted to phrasings that two subjects choose."""
    subjects: dict[int, tuple[tuple[str, ...], str]] = {}
    readings: dict[int, list[slots._Reading]] = {}
    key_count: dict[str, int] = defaultdict(int)
    for index, entry in enumerate(entries):
        content = entry.content
        if entry.statement is not None and entry.statement.negated:
            continue
        if not entry.capitals and not slots._SELF_RE.search(content):
            continue
        found = slots._read(content, names)
        if found is None:
            continue
        subject, subject_text, options = found
        subjects[index] = (subject, subject_text)
        readings[index] = options
        for option in options:
            key_count[option.key] += 1
    key_subjects: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    key_values: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for index, options in readings.items():
        subject = subjects[index][0]
        for option in options:
            if key_count[option.key] >= 2:
                key_subjects[option.key].add(subject)
                key_values[option.key].add(option.value)
    chosen: dict[int, slots._Reading] = {}
    for index, options in readings.items():
        real = [o for o in options if len(key_subjects.get(o.key, ())) >= 2 and len(key_values[o.key]) >= 2]
        if real:
            chosen[index] = min(real, key=lambda o: (-len(key_subjects[o.key]), -len(key_values[o.key]), o.key))
    return subjects, chosen


def slot_supporters(
    kept: slots._Kept, phrasings: dict[str, list[int]], observed: Sequence[datetime | None]
) -> dict[tuple[str, str], set[tuple[str, ...]]]:
    """The evidence, the plain way: per person and value, the times each
    phrasing stated it, then every pair of phrasings (module doc of
    :mod:`.slots`, point 2).  The reference for ``slots._supporters``."""
    said: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, set[datetime | None]]] = defaultdict(dict)
    for key, idx in phrasings.items():
        for p in idx:
            said[(kept.subject[p], kept.value[p])].setdefault(key, set()).add(observed[p])
    supporters: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for (subject, _), by_key in said.items():
        if not 2 <= len(by_key) <= slots._MAX_PHRASINGS:
            continue
        keys = sorted(by_key)
        for x, a in enumerate(keys):
            for b in keys[x + 1 :]:
                if len(by_key[a] | by_key[b]) > 1:  # at different times
                    supporters[(a, b)].add(subject)
    return supporters


def _reference_graph(memories: Sequence[Memory]) -> nx.Graph[tuple[str, str]]:
    """Memories, their sessions and their terms, as one graph."""
    graph: nx.Graph[tuple[str, str]] = nx.Graph()
    for m in memories:
        graph.add_node(("memory", m.id), memory=m)
        for s in sessions_of(m):
            graph.add_edge(("memory", m.id), ("session", s))
        for t in terms_of(m.content):
            graph.add_edge(("memory", m.id), ("term", t))
    return graph


def reference_communities(
    memories: Sequence[Memory], config: PatternConfig | None = None, *, focus: Collection[str] | None = None
) -> list[Community]:
    """The patterns oracle: a graph of memories, sessions and terms, every
    pair of a term's memories linked one by one, Louvain over every memory
    (the reference for :func:`dreaming.patterns.communities.find_communities`)."""
    config = config or PatternConfig()
    usable = sorted((m for m in memories if m.kind in config.kinds), key=lambda m: m.id)
    if len(usable) < config.min_members:
        return []
    graph = _reference_graph(usable)
    doc_freq = Counter(t for m in usable for t in terms_of(m.content))
    limit = min(config.max_term_memories, max(config.min_members, int(config.max_term_share * len(usable))))
    focus_terms = None if focus is None else {t for m in usable if m.id in focus for t in terms_of(m.content)}
    # memory-memory projection: weight = number of shared salient terms
    projection: nx.Graph[str] = nx.Graph()
    projection.add_nodes_from(m.id for m in usable)
    by_term: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node[0] == "term" and 2 <= doc_freq[node[1]] <= limit and (focus_terms is None or node[1] in focus_terms):
            by_term[node[1]] = sorted(n[1] for n in graph.neighbors(node) if n[0] == "memory")
    for term, ids in sorted(by_term.items()):
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                w = projection.get_edge_data(a, b, {"weight": 0})["weight"] + 1
                projection.add_edge(a, b, weight=w, terms=projection.get_edge_data(a, b, {}).get("terms", ()) + (term,))
    # two shared terms make a link strong enough to group on
    strong: nx.Graph[str] = nx.Graph()
    strong.add_nodes_from(projection.nodes)
    strong.add_edges_from((a, b, d) for a, b, d in projection.edges(data=True) if d["weight"] >= 2)
    if strong.number_of_edges() == 0:
        return []
    groups = nx.community.louvain_communities(strong, weight="weight", seed=0)
    by_id = {m.id: m for m in usable}
    out = []
    for group in groups:
        members = tuple(sorted((by_id[i] for i in group), key=lambda m: m.id))
        sessions = sorted(set().union(*(sessions_of(m) for m in members)))
        if len(members) < config.min_members or len(sessions) < config.min_sessions:
            continue
        if focus is not None and not any(m.id in focus for m in members):
            continue
        shared = Counter(t for a, b, d in strong.subgraph(group).edges(data=True) for t in d["terms"])
        terms = tuple(t for t, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
        out.append(
            Community(community_id="pat:" + "+".join(sorted(terms[:3])), members=members, sessions=tuple(sessions),
                      terms=terms)
        )
    return sorted(out, key=lambda c: c.community_id)


def reference_related(store: Store, texts: Iterable[str], *, version: int | None = None, per_text: int = 20) -> list[Memory]:
    """The related-memories oracle: every text searched with its eight
    longest words, however common (the reference for
    :meth:`dreaming.store.core.Store.related`)."""
    seen: dict[str, Memory] = {}
    queries = {" ".join(sorted(fts_terms(text), key=lambda t: (-len(t), t))[:8]) for text in texts}
    for query in sorted(q for q in queries if q):
        for memory, _ in store.search(query, version=version, limit=per_text):
            seen.setdefault(memory.id, memory)
    return sorted(seen.values(), key=lambda m: m.id)
