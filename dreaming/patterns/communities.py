"""Surfacing patterns: what keeps coming back across sessions.

A graph (networkx) links memories to the sessions they came from and to the
salient terms they mention (tool and file names, commands, capitalised
names, rare words).  Memories that share terms are grouped by community
detection over the memory-term part of the graph; a community whose memories
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

from dreaming.ids import new_id
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


def build_graph(memories: Sequence[Memory]) -> nx.Graph[tuple[str, str]]:
    """Memories, their sessions and their terms, as one graph."""
    graph: nx.Graph[tuple[str, str]] = nx.Graph()
    for m in memories:
        graph.add_node(("memory", m.id), memory=m)
        for s in _sessions_of(m):
            graph.add_edge(("memory", m.id), ("session", s))
        for t in terms_of(m.content):
            graph.add_edge(("memory", m.id), ("term", t))
    return graph


def find_communities(
    memories: Sequence[Memory], config: PatternConfig = PatternConfig(), *, focus: Collection[str] | None = None
) -> list[Community]:
    """Communities of memories linked by shared terms that span enough sessions.

    With ``focus`` (ids of new memories), only terms those memories use link
    anything, and only communities holding one of them are returned: the
    work follows what is new, not the size of the store.
    """
    usable = sorted((m for m in memories if m.kind in config.kinds), key=lambda m: m.id)
    if len(usable) < config.min_members:
        return []
    graph = build_graph(usable)
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
        sessions = sorted(set().union(*(_sessions_of(m) for m in members)))
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
    """Offline wording: one clear templated sentence per community."""

    name = "offline"

    def __init__(self, **options: object):
        pass

    def write(self, communities: Sequence[Community], ctx: StageContext) -> list[Candidate]:
        return [self.write_one(c) for c in communities]

    def write_one(self, c: Community) -> Candidate:
        kinds = Counter(m.kind for m in c.members)
        lead = sorted(c.members, key=lambda m: (-(m.last_seen or m.observed_at or m.created_at).timestamp(), m.id))[0]
        topic = ", ".join(f"`{t}`" for t in c.terms[:3])
        what = "workarounds" if kinds.get("workaround") else "mentions"
        if kinds.get("workaround"):
            # the newest workaround is what to do; a fact is only one member of a topic, not the pattern
            content = (f"Recurring pattern across {len(c.sessions)} sessions ({len(c.members)} {what} of {topic}): "
                       f"{lead.content}")
        else:
            content = f"Recurring pattern across {len(c.sessions)} sessions: {len(c.members)} {what} of {topic}."
        return pattern_candidate(c, content, rule="pattern", confidence=min(0.9, 0.5 + 0.1 * len(c.sessions)))


def pattern_evidence(candidate: Candidate) -> tuple[Evidence, ...]:
    return candidate.memory.provenance


def members_of(candidate: Candidate) -> Iterable[str]:
    members: Iterable[str] = candidate.memory.metadata.get("members", [])
    return members
