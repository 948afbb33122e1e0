"""Duplicate groups that do not chain.

Duplicate verdicts form a match graph (networkx).  Its connected components
are *not* the groups: typos and near-misses chain ("tabs" ~ "tbas" ~ "tba"
~ ...), and a component can join texts that are far apart.  Groups are
stars instead:

1. nodes are ranked once by support -- their own member count plus that of
   their neighbours -- then by index (deterministic);
2. walking that ranking, each node not yet placed becomes a *centre* and
   takes every still-unplaced neighbour;
3. a neighbour whose explicit ``key`` disagrees with the group's is left for
   another group.

So every member of a group matched the centre itself (a duplicate verdict at
or above the similarity threshold): a group's diameter is two edges at most,
and A ~ B ~ C never pulls C into A's group through B unless B is the centre
that both matched directly.
"""

from __future__ import annotations

from collections.abc import Sequence
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
) -> list[Cluster]:
    """Star clusters over duplicate edges ``(u, v, score)`` between node indices.

    ``weights`` are the nodes' member counts, ``keys`` their explicit keys.
    Nodes without edges are not returned.
    """
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges, weight="score")
    support = {u: weights[u] + sum(weights[v] for v in graph.adj[u]) for u in graph.nodes}
    ranking = sorted(graph.nodes, key=lambda u: (-support[u], u))
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
            if keys[v] is not None:
                if key is None:
                    key = keys[v]
                elif keys[v] != key:
                    continue
            members.append(v)
            placed.add(v)
            lowest = min(lowest, score)
        if len(members) > 1:
            clusters.append(Cluster(centre=centre, members=tuple(members), score=lowest))
    return clusters
