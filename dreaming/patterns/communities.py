"""Surfacing patterns: what keeps coming back across sessions.

Memories are linked by the salient terms they share (tool and file names,
commands, capitalised names, rare words) and grouped by community detection
(Louvain) over those links; a community whose memories
come from at least ``min_sessions`` different sessions is a pattern
candidate, citing its member memories and sessions.  The offline wording is a
templated sentence; a Claude pattern writer words it better.

A pattern gets a deterministic id from its members' subject terms, so the
same pattern found again is recognised (and merged) rather than duplicated.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from dreaming.ids import new_id
from dreaming.patterns.louvain import louvain_linked
from dreaming.pipeline.stages import Community, StageContext
from dreaming.records import Candidate, Evidence, Memory, merge_provenance
from dreaming.text.words import PATTERN_STOP_WORDS

_TOKEN = re.compile(r"`([^`]{2,60})`|([A-Za-z][\w.+#/-]{2,})")


@dataclass(frozen=True, kw_only=True)
class PatternConfig:
    #: a community must recur in at least this many sessions
    min_sessions: int = 2
    #: and hold at least this many memories
    min_members: int = 2
    #: terms shared by more than this share of memories are too common to link them ...
    max_term_share: float = 0.2
    #: ... or by more than this many (linking is quadratic in a term's memories)
    max_term_memories: int = 40
    #: kinds that can take part in a pattern (summaries and patterns do not)
    kinds: tuple[str, ...] = ("fact", "preference", "procedure", "workaround", "note")


def terms_of(text: str) -> set[str]:
    """Salient terms: code spans' first word, names, identifiers, rare words."""
    out: set[str] = set()
    for code, word in _TOKEN.findall(text):
        if code:
            # a command: its program and its arguments (flags and tiny words aside)
            for part in code.split():
                part = part.strip("'\"./()").lower()
                if len(part) >= 3 and not part.startswith("-") and part not in PATTERN_STOP_WORDS:
                    out.add(part)
            continue
        w = word.strip(".,/-").lower()
        if len(w) >= 4 and w not in PATTERN_STOP_WORDS and not w.isdigit():
            out.add(w)
    return out


def _sessions_of(memory: Memory) -> set[str]:
    return {e.session_id for e in memory.provenance if e.session_id}


def find_communities(
    memories: Sequence[Memory], config: PatternConfig = PatternConfig(), *, focus: Collection[str] | None = None
) -> list[Community]:
    """Communities of memories linked by shared terms that span enough sessions.

    With ``focus`` (ids of new memories), only terms those memories use link
    anything, and only communities holding one of them are returned: the
    work follows what is new, not the size of the store.

    Memories are linked when they share at least two salient terms (each
    shared by 2 to ``max_term_memories`` memories); Louvain (networkx, seed
    0) groups the linked graph.  The pairs are counted over numpy arrays and
    the graph is built in exactly the order the plain graph-of-terms
    construction (``dreaming.testing.oracles.reference_communities``, the
    test oracle) would build it, so Louvain sees the same graph and returns
    the same communities.  When the memories come from fewer than
    ``min_sessions`` sessions no community can qualify, and nothing is
    computed (an imported store carries no sessions).
    """
    usable = sorted((m for m in memories if m.kind in config.kinds), key=lambda m: m.id)
    if len(usable) < config.min_members:
        return []
    if len(set().union(*(_sessions_of(m) for m in usable))) < config.min_sessions:
        return []
    terms = [terms_of(m.content) for m in usable]
    links = _linking_terms(terms, config, None if focus is None else [i for i, m in enumerate(usable) if m.id in focus])
    singletons = config.min_members < 2  # then an unlinked memory can be a community: Louvain sees every node
    graph = _strong_graph(len(usable), links, every_node=singletons)
    if graph.number_of_edges() == 0:
        return []
    if singletons:
        groups = nx.community.louvain_communities(graph, weight="weight", seed=0)
    else:
        groups = louvain_linked(graph, list(graph.nodes), len(usable), seed=0)
    names = sorted(links)
    out = []
    for group in groups:
        members = tuple(usable[i] for i in sorted(group))
        sessions = sorted(set().union(*(_sessions_of(m) for m in members)))
        if len(members) < config.min_members or len(sessions) < config.min_sessions:
            continue
        if focus is not None and not any(m.id in focus for m in members):
            continue
        shared = Counter(names[t] for _, _, d in graph.subgraph(group).edges(data=True) for t in d["terms"])
        top = tuple(t for t, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
        out.append(
            Community(community_id="pat:" + "+".join(sorted(top[:3])), members=members, sessions=tuple(sessions),
                      terms=top)
        )
    return sorted(out, key=lambda c: c.community_id)


def _linking_terms(
    terms: Sequence[set[str]], config: PatternConfig, focus: Sequence[int] | None
) -> dict[str, list[int]]:
    """Term -> the (sorted) memory indices using it, for terms that may link memories."""
    doc_freq = Counter(t for ts in terms for t in ts)
    limit = min(config.max_term_memories, max(config.min_members, int(config.max_term_share * len(terms))))
    allowed = {t for t, n in doc_freq.items() if 2 <= n <= limit}
    if focus is not None:
        allowed &= {t for i in focus for t in terms[i]}
    by_term: dict[str, list[int]] = {t: [] for t in allowed}
    for i, ts in enumerate(terms):
        for t in ts:
            if t in by_term:
                by_term[t].append(i)
    return by_term


def _strong_graph(n: int, by_term: Mapping[str, list[int]], *, every_node: bool) -> nx.Graph[int]:
    """Memories 0..n-1 linked when they share two or more terms (``every_node``:
    the unlinked ones too, else only the linked ones).

    An edge's weight is the number of shared terms, its ``terms`` their
    ranks in sorted order.  Nodes are added in index order and edges sorted
    by (first memory, rank of the first shared term, second memory): the
    order in which the reference's term-by-term construction first links
    each pair, which is what Louvain's tie-breaking depends on.
    """
    firsts, seconds, ranks = [], [], []
    for rank, term in enumerate(sorted(by_term)):
        ids = np.asarray(by_term[term], dtype=np.int64)
        i, j = np.triu_indices(len(ids), k=1)
        firsts.append(ids[i])
        seconds.append(ids[j])
        ranks.append(np.full(len(i), rank, dtype=np.int64))
    graph: nx.Graph[int] = nx.Graph()
    if every_node:
        graph.add_nodes_from(range(n))
    if not firsts:
        return graph
    a, b, r = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(ranks)
    order = np.lexsort((r, b, a))  # by pair, then term rank
    a, b, r = a[order], b[order], r[order]
    new_pair = np.ones(len(a), dtype=bool)
    new_pair[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(new_pair)
    weights = np.diff(np.append(starts, len(a)))
    strong = weights >= 2
    sa, sb, first_rank = a[starts][strong], b[starts][strong], r[starts][strong]
    spans = [(int(s), int(s + w)) for s, w in zip(starts[strong], weights[strong])]
    order = np.lexsort((sb, first_rank, sa))
    graph.add_nodes_from(np.union1d(sa, sb).tolist())
    graph.add_edges_from(
        (int(sa[k]), int(sb[k]), {"weight": spans[k][1] - spans[k][0], "terms": tuple(r[slice(*spans[k])].tolist())})
        for k in order.tolist()
    )
    return graph


def pattern_candidate(
    community: Community,
    content: str,
    *,
    rule: str,
    confidence: float,
    members: Sequence[Memory] | None = None,
    sessions: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Candidate:
    """The pattern memory for ``community``, worded ``content``, citing ``members`` (default: all of them).

    The id and key come from the community, so the same pattern found again
    (by any writer) updates the stored one instead of adding another.
    """
    cited = tuple(members) if members is not None else community.members
    when = max((m.last_seen or m.observed_at or m.created_at) for m in cited)
    first = min((m.first_seen or m.observed_at or m.created_at) for m in cited)
    memory = Memory(
        id=new_id("mem", at=first, seed=community.community_id),
        content=content,
        path="/patterns.md",
        kind="pattern",
        key=community.community_id,
        observed_at=when,
        created_at=first,
        first_seen=first,
        last_seen=when,
        mentions=sum(m.mentions for m in cited),
        metadata={"rule": rule, "terms": list(community.terms), "members": [m.id for m in cited],
                  "sessions": list(sessions if sessions is not None else community.sessions), **(metadata or {})},
        provenance=merge_provenance(*(m.provenance for m in cited)),
    )
    return Candidate(memory=memory, rule=rule, confidence=confidence)


class TemplatePatternWriter:
    """Offline wording: a rule that keeps coming back, in the words of its latest statement.

    A community recurs across sessions; it becomes a pattern memory only when what recurs is something to
    *do* -- a standing instruction, a correction, a preference, a procedure or a tool workaround -- and
    then the pattern is that rule, worded as its most recent statement and citing every member
    ("Said in 3 sessions: the Makefile wants tabs, not spaces").  A community of facts that merely share
    words is no insight: offline, nothing is written for it (a keyword list like "7 mentions of `jira`"
    would mislead every later session); with Claude, the pattern writer judges it.
    """

    name = "offline"

    #: kinds of memory that say what to do
    RULE_KINDS = frozenset({"procedure", "workaround", "preference"})

    def __init__(self, **options: object):
        pass

    def write(self, communities: Sequence[Community], ctx: StageContext) -> list[Candidate]:
        out = []
        for c in communities:
            written = self.write_one(c)
            if written is not None:
                out.append(written)
        return out

    def write_one(self, c: Community) -> Candidate | None:
        rules = [m for m in c.members if m.kind in self.RULE_KINDS or m.content.startswith("Standing instruction")]
        if len(rules) < 2:
            return None
        lead = sorted(rules, key=lambda m: (-(m.last_seen or m.observed_at or m.created_at).timestamp(), m.id))[0]
        text = lead.content.removeprefix("Standing instruction: ")
        content = f"Said in {len(c.sessions)} sessions: {text[0].upper()}{text[1:]}"
        return pattern_candidate(c, content, rule="pattern", confidence=min(0.9, 0.5 + 0.1 * len(c.sessions)))


def pattern_evidence(candidate: Candidate) -> tuple[Evidence, ...]:
    return candidate.memory.provenance


def members_of(candidate: Candidate) -> Iterable[str]:
    members: Iterable[str] = candidate.memory.metadata.get("members", [])
    return members
