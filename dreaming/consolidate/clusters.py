"""Duplicate groups that do not chain.

Duplicate verdicts form a match graph (networkx).  Its connected components
are *not* the groups: typos and near-misses chain ("tabs" ~ "tbas" ~ "tba"
~ ...), and a component can join texts that are far apart.  Groups are
stars instead:

1. nodes are ranked once by their own member count (the wording stated most
   often is the best centre; a one-off typo that happens to resemble two
   facts is not), then by support (their count plus their neighbours'), then
   by index (deterministic);
2. walking that ranking, each node not yet placed becomes a *centre* and
   takes every still-unplaced neighbour;
3. a neighbour is left for another group when its explicit ``key``
   disagrees with the group's, or when it was judged *different* from a
   member already taken (a similar pair the rules told apart).

So every member of a group matched the centre itself (a duplicate verdict at
or above the similarity threshold), a group's diameter is two edges at most,
and A ~ B ~ C never pulls C into A's group through B unless B is the centre
that both matched directly -- and not even then when A and C were seen side
by side and told apart ("Leila Siokur" may be a typo of both "Leila Siokres"
and "Leila Ziokur", who are two people).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True, slots=True)
class Cluster:
    centre: int
    #: node indices, the centre first, then by decreasing score to the centre
    members: tuple[int, ...]
    #: lowest similarity of a member to the centre
    score: float


def tight_clusters(
    edges: Sequence[tuple[int, int, float]],
    *,
    weights: Sequence[int],
    keys: Sequence[str | None],
    apart: Collection[tuple[int, int]] = frozenset(),
) -> list[Cluster]:
    """Star clusters over duplicate edges ``(u, v, score)`` between node indices.

    ``weights`` are the nodes' member counts, ``keys`` their explicit keys,
    ``apart`` the pairs ``(u, v)`` with ``u < v`` judged not to be duplicates.
    Nodes without edges are not returned.
    """
    graph: nx.Graph[int] = nx.Graph()
    graph.add_weighted_edges_from(edges, weight="score")
    support = {u: weights[u] + sum(weights[v] for v in graph.adj[u]) for u in graph.nodes}
    ranking = sorted(graph.nodes, key=lambda u: (-weights[u], -support[u], u))
    placed: set[int] = set()
    clusters: list[Cluster] = []
    for centre in ranking:
        if centre in placed:
            continue
        placed.add(centre)
        key = keys[centre]
        neighbours = sorted(
            ((v, data["score"]) for v, data in graph.adj[centre].items() if v not in placed),
            key=lambda item: (-item[1], item[0]),
        )
        members = [centre]
        lowest = 100.0
        for v, score in neighbours:
            if keys[v] is not None and key is not None and keys[v] != key:
                continue
            if apart and any((min(m, v), max(m, v)) in apart for m in members):
                continue
            if keys[v] is not None:
                key = keys[v]
            members.append(v)
            placed.add(v)
            lowest = min(lowest, score)
        if len(members) > 1:
            clusters.append(Cluster(centre=centre, members=tuple(members), score=lowest))
    return clusters
