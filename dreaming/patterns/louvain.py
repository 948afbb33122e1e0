"""Louvain over the linked memories only, with networkx's exact result.

``networkx.community.louvain_communities(graph, weight="weight", seed=0)``
over a graph of n memories of which only a few are linked spends its time on
the isolated ones: every level shuffles, scans and aggregates all n nodes,
and modularity sums a zero for each.  Isolated nodes never move and add
nothing, but they do change the random order the linked nodes are visited
in (the shuffle runs over the whole node list), so simply leaving them out
would give other communities.

:func:`louvain_linked` runs the same algorithm - this is networkx 3's
undirected ``louvain_partitions`` / ``_one_level`` / ``_gen_graph``, step for
step, with its float arithmetic in the same order - over the linked nodes
alone, and draws each level's visiting order by shuffling the positions of
*all* the level's nodes with the same generator, then keeping the linked
ones.  So it returns exactly networkx's communities minus the isolated
singletons, in networkx's order (tests compare the two).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import networkx as nx
import numpy as np

THRESHOLD = 0.0000001  # networkx's default modularity gain per level


def louvain_linked(graph: nx.Graph[Any], positions: Sequence[int], total: int, *, seed: int = 0) -> list[set[Any]]:
    """Louvain communities of ``graph`` as if it had ``total`` nodes.

    ``graph`` holds the linked nodes, added in the order they have in the
    full graph, where they sit at ``positions`` (ascending) among ``total``
    nodes; the others are isolated.  No self-loops; weights in ``weight``.
    """
    rng = random.Random(seed)
    partition: list[set[Any]] = [{u} for u in graph.nodes()]
    if graph.number_of_edges() == 0:
        return partition
    mod = nx.community.modularity(graph, partition, weight="weight", resolution=1)
    level: nx.Graph[Any] = nx.Graph()
    level.add_nodes_from(graph)
    level.add_weighted_edges_from(graph.edges(data="weight", default=1))
    m = level.size(weight="weight")
    pos = np.asarray(positions, dtype=np.int64)
    partition, inner, kept, _ = _one_level(level, m, partition, _order(rng, pos, total))
    improvement = True
    while improvement:
        result = [s.copy() for s in partition]
        new_mod = nx.community.modularity(level, inner, weight="weight", resolution=1)
        if new_mod - mod <= THRESHOLD:
            return result
        mod = new_mod
        emptied_before = np.cumsum(~kept) - ~kept
        total -= int((~kept).sum())
        pos = (pos - emptied_before)[kept]
        level = _gen_graph(level, inner)
        partition, inner, kept, improvement = _one_level(level, m, partition, _order(rng, pos, total))
    return result


def _order(rng: random.Random, positions: np.ndarray, total: int) -> list[int]:
    """The linked nodes (by index) in the order networkx's shuffle of all ``total`` nodes puts them."""
    full = list(range(total))
    rng.shuffle(full)
    index = np.full(total, -1, dtype=np.int64)
    index[positions] = np.arange(len(positions))
    picked = index[np.asarray(full, dtype=np.int64)]
    kept: list[int] = picked[picked >= 0].tolist()
    return kept


def _one_level(
    graph: nx.Graph[Any], m: float, partition: list[set[Any]], visit: list[int]
) -> tuple[list[set[Any]], list[set[Hashable]], np.ndarray, bool]:
    """networkx's ``_one_level`` (undirected, resolution 1), visiting nodes in ``visit`` (indices).

    Also returns which of the level's communities are not empty (a boolean
    per node) and whether any node moved.
    """
    nodes = list(graph.nodes())
    node2com = {u: i for i, u in enumerate(nodes)}
    inner: list[set[Hashable]] = [{u} for u in nodes]
    degrees = dict(graph.degree(weight="weight"))
    stot = list(degrees.values())
    nbrs = {u: {v: data["weight"] for v, data in graph[u].items() if v != u} for u in graph}
    improvement = False
    moves = 1
    while moves > 0:
        moves = 0
        for k in visit:
            u = nodes[k]
            best_mod = 0
            best_com = node2com[u]
            weights2com: defaultdict[int, float] = defaultdict(float)
            for nbr, wt in nbrs[u].items():
                weights2com[node2com[nbr]] += wt
            degree = degrees[u]
            stot[best_com] -= degree
            remove_cost = -weights2com[best_com] / m + (stot[best_com] * degree) / (2 * m**2)
            for nbr_com, wt in weights2com.items():
                gain = remove_cost + wt / m - (stot[nbr_com] * degree) / (2 * m**2)
                if gain > best_mod:
                    best_mod = gain
                    best_com = nbr_com
            stot[best_com] += degree
            if best_com != node2com[u]:
                com = graph.nodes[u].get("nodes", {u})
                partition[node2com[u]].difference_update(com)
                inner[node2com[u]].remove(u)
                partition[best_com].update(com)
                inner[best_com].add(u)
                improvement = True
                moves += 1
                node2com[u] = best_com
    kept = np.array([len(s) > 0 for s in inner], dtype=bool)
    return [s for s in partition if s], [s for s in inner if s], kept, improvement


def _gen_graph(graph: nx.Graph[Any], partition: list[set[Hashable]]) -> nx.Graph[Any]:
    """networkx's ``_gen_graph``: one node per community, edge weights summed."""
    out: nx.Graph[Any] = nx.Graph()
    node2com = {}
    for i, part in enumerate(partition):
        nodes: set[Any] = set()
        for node in part:
            node2com[node] = i
            nodes.update(graph.nodes[node].get("nodes", {node}))
        out.add_node(i, nodes=nodes)
    for node1, node2, wt in graph.edges(data=True):
        com1, com2 = node2com[node1], node2com[node2]
        temp = out.get_edge_data(com1, com2, {"weight": 0})["weight"]
        out.add_edge(com1, com2, weight=wt["weight"] + temp)
    return out
