"""Candidate pairs without comparing all pairs.

Two normal forms (sorted content stems, see :mod:`.text`) that score at or
above the similarity threshold -- 88 by default -- differ by little: a typo
in one word, one word replaced ("port 8080" / "port 8081", "Alice" / "Alise"),
one word added.  So they almost always share every word *but one*.  The
blocking key of a normal form is therefore the multiset of its words with one
word left out ("leave-one-out signatures"), and the multiset itself:

* same multiset but one word substituted: they share the signature that
  leaves that word out;
* one word added: the longer one's signature without it is the shorter one's
  full multiset.

Before signing, words are mapped to coarser *blocking words* so that a pair
with a second, small difference still differs by one blocking word:

* a word goes to the most frequent word within one edit of it, climbing
  ("tbas" -> "tabs"): typos vanish (:func:`_spelling_classes`);
* a number goes to its shape ("8080" -> "9999", "2024-05-01" ->
  "9999-99-99"): a changed number plus a typo is still one difference;
* a misspelt function word ("fpr", "thhe") is dropped (:func:`_noise`).

Three more signatures leave out two of a text's three rarest blocking words:
look-alikes that differ in the two words that make them particular ("Carla
Krain" / "Chiara Krizan plays squash on weekends") meet in their template's
block (:func:`_leave_two_out`).

Signatures are 64-bit multiset hashes (the sum of a random 64-bit number per
blocking word, modulo 2**64), so a node's ``k`` leave-one-out keys are
``total - word`` -- all vectorised with numpy, no Python tuple per key.  A
hash collision can only add a candidate, which the scorer then rejects, so
collisions cost time, never correctness.

Blocks (entries sharing a key) of up to 64 members are expanded into pairs;
blocks of up to ``block_cap`` members are scored all against all with
``cdist``; bigger blocks come from templates ("prefers X" for a thousand X)
and are split again by the left-out word's deletion neighbourhood (the word
and every way of deleting one character: two words within one edit share
one).  Pieces still bigger than ``block_cap`` are dropped and counted, and
so are big template blocks of the leave-two-out signature.

Every candidate is scored with rapidfuzz ``ratio`` on the normal forms and
kept at ``>= threshold``: the fast path can only miss pairs, never invent
one the exact path (:mod:`.oracle`) would reject.  Pairs that differ in two
or more blocking words and still clear the threshold are the misses; tests
and the benchmark measure how many there are against the exact path.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from .text import FUNCTION_WORDS

#: Candidate pairs scored per cpdist call (bounds the temporary lists).
_SCORE_CHUNK = 1 << 17
#: Blocks up to this size are expanded into pairs; bigger ones go to cdist.
_PAIR_BLOCK = 64
#: ``removed`` marker of leave-two-out entries (not split further)
_TWO_OUT = -2
#: Leave-two-out (template) blocks up to this size are compared whole.
_TEMPLATE_BLOCK = 250
_SEED = 0x5EED_D12E
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, kw_only=True)
class BlockingStats:
    """What blocking did, for the benchmark and the run report."""

    signatures: int
    candidates: int
    #: blocks larger than the cap that were split by deletion neighbourhood
    refined_blocks: int
    #: pairs not generated because a refined sub-block was still too large
    dropped_pairs: int


def similar_pairs(
    norms: Sequence[str],
    *,
    threshold: float,
    fresh: np.ndarray | None = None,
    block_cap: int = 2000,
    workers: int = -1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, BlockingStats]:
    """Pairs ``i < j`` of ``norms`` with ``ratio >= threshold``, found by blocking.

    ``norms`` must be distinct (one per node); ``fresh`` (boolean mask)
    restricts the result to pairs with at least one fresh side.  Returns
    ``(i, j, score, stats)`` sorted by ``(i, j)``.
    """
    n = len(norms)
    keys, nodes, removed, token_strings = _signatures(norms)
    signatures = int(keys.size)
    found = _candidates(keys, nodes, removed, token_strings, fresh=fresh, cap=block_cap, n=n)
    del keys, nodes, removed
    i, j, s = score_pairs(norms, found.codes, n=n, threshold=threshold, workers=workers)
    pieces = [(i, j, s)] + [_score_block(norms, block, fresh, threshold, workers) for block in found.blocks]
    i = np.concatenate([p[0] for p in pieces])
    j = np.concatenate([p[1] for p in pieces])
    s = np.concatenate([p[2] for p in pieces])
    code, first = distinct(i * n + j)
    stats = BlockingStats(
        signatures=signatures,
        candidates=int(found.codes.size) + found.block_pairs,
        refined_blocks=found.refined,
        dropped_pairs=found.dropped,
    )
    return code // n, code % n, s[first], stats


def distinct(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and the index of each one's first occurrence.

    ``np.unique`` does the same, but numpy 2's hash-based version is several
    times slower than a stable sort on the millions of pair codes here.
    """
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    first = np.ones(ordered.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first], order[first]


def score_pairs(
    norms: Sequence[str], codes: np.ndarray, *, n: int, threshold: float, workers: int = -1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score candidate pairs (codes ``i * n + j``) with rapidfuzz; keep those ``>= threshold``."""
    table = np.asarray(norms, dtype=object)
    keep_a: list[np.ndarray] = []
    keep_b: list[np.ndarray] = []
    keep_s: list[np.ndarray] = []
    for start in range(0, codes.size, _SCORE_CHUNK):
        chunk = codes[start : start + _SCORE_CHUNK]
        ca, cb = chunk // n, chunk % n
        scores = process.cpdist(
            table[ca],
            table[cb],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=threshold,
            workers=workers,
            dtype=np.float32,
        )
        hit = scores >= threshold
        keep_a.append(ca[hit])
        keep_b.append(cb[hit])
        keep_s.append(scores[hit])
    if not keep_a:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    return np.concatenate(keep_a), np.concatenate(keep_b), np.concatenate(keep_s)


def _signatures(norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Leave-one-out and full multiset hashes of every normal form.

    Returns ``(keys, nodes, removed, tokens)``: one entry per (node, left-out
    word), one per node with ``removed == -1`` (the full multiset) and three
    per node of three or more words with ``removed == -2`` (see
    :func:`_leave_two_out`); ``removed`` indexes ``tokens``, the sorted
    vocabulary.
    """
    vocab: dict[str, int] = {}
    flat = array("l")  # C longs: a million texts' words without a Python int each
    counts = np.zeros(len(norms), dtype=np.int64)
    setdefault = vocab.setdefault
    for index, norm in enumerate(norms):
        words = norm.split()
        counts[index] = len(words)
        flat.extend([setdefault(w, len(vocab)) for w in words])
    tokens = sorted(vocab)
    position = {t: r for r, t in enumerate(tokens)}
    # vocab iterates in first-seen order, i.e. by id: id -> rank in sorted order
    rank = np.fromiter((position[t] for t in vocab), dtype=np.int64, count=len(vocab))
    tok = rank[np.frombuffer(flat, dtype=np.int_)] if len(flat) else np.empty(0, dtype=np.int64)
    frequency = np.bincount(tok, minlength=len(tokens))
    tok = _spelling_classes(tokens, frequency)[tok]
    noise = _noise(tokens, frequency)
    if noise.any():
        # misspelt function words ("fpr", "tje") are dropped: the leftover
        # "the" of one text must not count as the one difference a pair has
        keep = ~noise[tok]
        counts = np.bincount(np.repeat(np.arange(len(norms)), counts)[keep], minlength=len(norms))
        tok = tok[keep]
    weights = np.random.default_rng(_SEED).integers(0, np.iinfo(np.uint64).max, size=len(tokens), dtype=np.uint64, endpoint=True)
    has_words = counts > 0
    owner = np.repeat(np.arange(len(norms), dtype=np.int32), counts)
    totals = np.zeros(len(norms), dtype=np.uint64)
    if tok.size:
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[has_words]
        totals[has_words] = np.add.reduceat(weights[tok], starts)
    with np.errstate(over="ignore"):
        loo = totals[owner] - weights[tok]
    full_nodes = np.flatnonzero(has_words).astype(np.int32)
    two_nodes, two_keys = _leave_two_out(tok, owner, totals, weights, counts)
    keys = np.concatenate((loo, totals[full_nodes], two_keys))
    nodes = np.concatenate((owner, full_nodes, two_nodes))
    removed = np.concatenate(
        (tok.astype(np.int32), np.full(full_nodes.size, -1, dtype=np.int32), np.full(two_nodes.size, _TWO_OUT, dtype=np.int32))
    )
    return keys, nodes, removed, tokens


def _leave_two_out(
    tok: np.ndarray, owner: np.ndarray, totals: np.ndarray, weights: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Three more signatures per text of three or more words: without two of
    its three rarest blocking words.  Two texts that differ in the words that
    make them particular ("Carla Krain" / "Chiara Krizan" ... "plays squash on
    weekends") share one; the block it makes is the template, compared as a
    whole while it is small and dropped when it is not.
    """
    frequency = np.bincount(tok, minlength=weights.size)
    order = np.lexsort((tok, frequency[tok], owner))  # by text, then rarest first
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    eligible = np.flatnonzero(counts >= 3)
    first, second, third = (weights[tok[order[starts[eligible] + k]]] for k in range(3))
    with np.errstate(over="ignore"):
        base = totals[eligible]
        keys = np.concatenate((base - first - second, base - first - third, base - second - third))
    return np.tile(eligible.astype(np.int32), 3), keys


def _noise(tokens: list[str], frequency: np.ndarray) -> np.ndarray:
    """Short words one deletion from a function word: typos of "the", "for", "note" ...

    Generous on purpose: dropping a word from every signature of the texts
    that have it cannot lose a pair that differs in one word (it becomes a
    pair that differs in none); it only widens some blocks.
    """
    near: set[str] = set()
    for word in FUNCTION_WORDS:
        near.add(word)
        if len(word) >= 3:
            near.update(word[:k] + word[k + 1 :] for k in range(len(word)))
    common = max(3, int(frequency.sum()) // 5000)
    out = np.zeros(len(tokens), dtype=bool)
    for index, word in enumerate(tokens):
        if 2 <= len(word) <= 6 and word.isalpha() and (len(word) <= 4 or frequency[index] <= common):
            if word in near or any(word[:k] + word[k + 1 :] in near for k in range(len(word))):
                out[index] = True
    return out


def _spelling_classes(tokens: list[str], frequency: np.ndarray) -> np.ndarray:
    """Map every word to a representative reached by climbing to the most
    frequent word within one edit, again and again.

    A typo ("tbas") is rare and one edit away from the word it misspells
    ("tabs"); mapping both to the same representative lets blocking treat a
    typo as no difference at all, so a pair with two misspelt words still
    differs by at most one *representative* and shares a signature.  Ties go
    to the alphabetically first word, so the map does not depend on input
    order.  Climbing merges some real words too, which only widens blocks:
    the scorer still sees the words as written, and :mod:`.rules` decides
    what a typo is.

    Neighbours are found through the deletion neighbourhood (two words within
    one edit share a one-deletion variant), held as two numpy arrays of
    variant hashes and owners rather than a dictionary of strings: a million
    texts have ~3 million variants.  Only equality of hashes matters, so the
    per-process string hash is fine (a 64-bit collision merely widens a block).
    """
    size = len(tokens)
    best = np.arange(size, dtype=np.int64)
    numbers: dict[str, int] = {}
    hashes = array("q")
    owners = array("l")
    for index, word in enumerate(tokens):
        if _DIGIT.search(word):
            # numbers are values, not typos, but "port 8080" / "port 8081" and
            # "2024-05-01" / "2024-06-01" are near-identical texts: block
            # numbers by shape (digits and separators) so that a number change
            # plus one typo still leaves a single difference
            best[index] = numbers.setdefault(_DIGIT.sub("9", word), index)
        elif len(word) >= 3 and word.isalpha():  # one- and two-letter words: never typos
            variant_hashes = [hash(word[:k] + word[k + 1 :]) for k in range(len(word))]
            variant_hashes.append(hash(word))
            hashes.extend(variant_hashes)
            owners.extend([index] * len(variant_hashes))
    if len(hashes):
        key = np.frombuffer(hashes, dtype=np.int64)
        owner = np.frombuffer(owners, dtype=np.int_).astype(np.int64)
        # rank: more frequent first, then alphabetically first (smaller index)
        rank = frequency.astype(np.int64)[owner] * (size + 1) + (size - owner)
        order = np.argsort(key, kind="stable")
        key, owner, rank = key[order], owner[order], rank[order]
        starts = np.concatenate(([0], np.flatnonzero(key[1:] != key[:-1]) + 1))
        group_best = np.repeat(np.maximum.reduceat(rank, starts), np.diff(np.append(starts, key.size)))
        # each word's best over all its variants' groups
        by_owner = np.argsort(owner, kind="stable")
        owner, group_best = owner[by_owner], group_best[by_owner]
        owner_starts = np.concatenate(([0], np.flatnonzero(owner[1:] != owner[:-1]) + 1))
        top = np.maximum.reduceat(group_best, owner_starts)
        best[owner[owner_starts]] = size - (top % (size + 1))
    # follow the links to the top ("tbas" -> "tabs" -> "tab"): each step goes
    # to a more frequent word, so a typo and its word always end together
    while True:
        nxt = best[best]
        if np.array_equal(nxt, best):
            return best
        best = nxt


class _Candidates(NamedTuple):
    #: distinct pair codes ``lo * n + hi`` to score one by one (small blocks)
    codes: np.ndarray
    #: node sets to score all against all with cdist (medium blocks)
    blocks: list[np.ndarray]
    block_pairs: int
    refined: int
    dropped: int


def _candidates(
    keys: np.ndarray,
    nodes: np.ndarray,
    removed: np.ndarray,
    tokens: list[str],
    *,
    fresh: np.ndarray | None,
    cap: int,
    n: int,
) -> _Candidates:
    """Blocks of two or more entries sharing a signature, by size:

    * up to ``_PAIR_BLOCK`` members: every pair, scored one by one;
    * up to ``cap``: the whole block, scored all-against-all by cdist;
    * bigger: split by the left-out word's deletion neighbourhood, and the
      pieces treated the same way; a piece still bigger than ``cap`` is
      dropped (and counted).

    Leave-two-out blocks are templates: taken whole up to ``_TEMPLATE_BLOCK``
    members, dropped (and counted) beyond.
    """
    codes: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    template = removed == _TWO_OUT
    t_order = np.argsort(keys[template], kind="stable")
    t_keys, t_nodes = keys[template][t_order], nodes[template][t_order]
    t_starts, t_sizes = _runs(t_keys, fresh=fresh, nodes=t_nodes)
    small = t_sizes <= min(cap, _TEMPLATE_BLOCK)
    _take(t_nodes, t_starts[small], t_sizes[small], codes, blocks, n=n, fresh=fresh)
    dropped = int((t_sizes[~small] * (t_sizes[~small] - 1) // 2).sum())
    keys, nodes, removed = keys[~template], nodes[~template], removed[~template]
    order = np.argsort(keys, kind="stable")
    keys, nodes, removed = keys[order], nodes[order], removed[order]
    starts, sizes = _runs(keys, fresh=fresh, nodes=nodes)
    big = sizes > cap
    _take(nodes, starts[~big], sizes[~big], codes, blocks, n=n, fresh=fresh)
    if big.any():
        member = _expand(starts[big], sizes[big])
        sub_keys, sub_nodes = _deletion_keys(keys[member], nodes[member], removed[member], tokens)
        sub_order = np.argsort(sub_keys, kind="stable")
        sub_keys, sub_nodes = sub_keys[sub_order], sub_nodes[sub_order]
        s_starts, s_sizes = _runs(sub_keys, fresh=fresh, nodes=sub_nodes)
        too_big = s_sizes > cap
        dropped += int((s_sizes[too_big] * (s_sizes[too_big] - 1) // 2).sum())
        _take(sub_nodes, s_starts[~too_big], s_sizes[~too_big], codes, blocks, n=n, fresh=fresh)
    distinct_codes, _ = distinct(np.concatenate(codes)) if codes else (np.empty(0, dtype=np.int64), None)
    if fresh is None:
        block_pairs = sum(len(block) * (len(block) - 1) // 2 for block in blocks)
    else:
        block_pairs = sum(int(fresh[block].sum()) * (len(block) - 1) for block in blocks)
    return _Candidates(distinct_codes, blocks, block_pairs, int(big.sum()), dropped)


def _take(
    values: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
    codes: list[np.ndarray],
    blocks: list[np.ndarray],
    *,
    n: int,
    fresh: np.ndarray | None,
) -> None:
    small = sizes <= _PAIR_BLOCK
    codes.append(_all_pairs(values, starts[small], sizes[small], n=n, fresh=fresh))
    for start, size in zip(starts[~small].tolist(), sizes[~small].tolist()):
        block = np.sort(values[start : start + size])
        blocks.append(block[np.concatenate(([True], block[1:] != block[:-1]))])


def _score_block(
    norms: Sequence[str], block: np.ndarray, fresh: np.ndarray | None, threshold: float, workers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of one medium block with ``ratio >= threshold`` (cdist)."""
    texts = [norms[k] for k in block.tolist()]
    rows = block if fresh is None else block[fresh[block]]
    scores = process.cdist(
        texts if fresh is None else [norms[k] for k in rows.tolist()],
        texts,
        scorer=fuzz.ratio,
        processor=None,
        score_cutoff=threshold,
        workers=workers,
        dtype=np.float32,
    )
    qi, cj = np.nonzero(scores >= threshold)
    i, j = rows[qi], block[cj]
    keep = i != j
    i, j, s = i[keep], j[keep], scores[qi[keep], cj[keep]]
    return np.minimum(i, j), np.maximum(i, j), s


def _runs(sorted_keys: np.ndarray, *, fresh: np.ndarray | None, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and size of every run of equal keys holding two or more entries
    (and, with ``fresh``, at least one fresh node)."""
    if sorted_keys.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    boundary = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    starts = np.concatenate(([0], boundary))
    sizes = np.diff(np.concatenate((starts, [sorted_keys.size])))
    multi = sizes >= 2
    starts, sizes = starts[multi], sizes[multi]
    if fresh is not None and starts.size:
        any_fresh = _run_any(fresh[nodes], starts, sizes)
        starts, sizes = starts[any_fresh], sizes[any_fresh]
    return starts.astype(np.int64), sizes.astype(np.int64)


def _run_any(flags: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    cumulative = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    return (cumulative[starts + sizes] - cumulative[starts]) > 0


def _expand(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Every position inside the given runs."""
    if starts.size == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(starts, sizes) + offsets


def _all_pairs(
    values: np.ndarray, starts: np.ndarray, sizes: np.ndarray, *, n: int, fresh: np.ndarray | None
) -> np.ndarray:
    """All pairs within each run, vectorised offset by offset (work = pairs),
    as codes ``lo * n + hi`` with ``lo < hi`` and, with ``fresh``, a fresh side."""
    positions = _expand(starts, sizes)
    ends = np.repeat(starts + sizes, sizes)
    out: list[np.ndarray] = []
    offset = 1
    live = (ends - positions) > offset
    positions, ends = positions[live], ends[live]
    while positions.size:
        a, b = values[positions], values[positions + offset]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keep = lo != hi
        if fresh is not None:
            keep &= fresh[lo] | fresh[hi]
        out.append(lo[keep].astype(np.int64) * n + hi[keep])
        offset += 1
        live = (ends - positions) > offset
        positions, ends = positions[live], ends[live]
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _deletion_keys(
    keys: np.ndarray, nodes: np.ndarray, removed: np.ndarray, tokens: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Split big blocks: key + hash of each one-deletion variant of the left-out word.

    Full-multiset entries (``removed == -1``) share one piece per block: they
    are the texts whose blocking words are all alike (typo or number variants).
    """
    distinct = np.unique(removed)
    variant_hashes: list[np.ndarray] = []
    for t in distinct.tolist():
        word = tokens[t] if t >= 0 else ""
        variants = {word} | {word[:k] + word[k + 1 :] for k in range(len(word))}
        variant_hashes.append(np.array(sorted(_hash(v) for v in variants), dtype=np.uint64))
    lengths = np.array([v.size for v in variant_hashes], dtype=np.int64)
    slot = np.searchsorted(distinct, removed)
    flat_hashes = np.concatenate(variant_hashes) if variant_hashes else np.empty(0, dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    per_entry = lengths[slot]
    take = np.repeat(offsets[slot], per_entry) + (np.arange(int(per_entry.sum())) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry))
    with np.errstate(over="ignore"):
        sub_keys = np.repeat(keys, per_entry) * np.uint64(0x9E3779B97F4A7C15) + flat_hashes[take]
    return sub_keys, np.repeat(nodes, per_entry)


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
