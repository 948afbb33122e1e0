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
* every number is the same blocking word ("8080", "2024-05-01", "11"): a
  changed number plus a typo is still one difference;
* a misspelt function word ("fpr", "thhe") is dropped (:func:`_noise`).

More signatures leave out two of a text's four rarest blocking words (every
pair of them): look-alikes that differ in the two words that make them
particular ("Carla Krain" / "Chiara Krizan plays squash on weekends") meet
in their template's block (:func:`_leave_two_out`).

Signatures are 64-bit multiset hashes (the sum of a random 64-bit number per
blocking word, modulo 2**64), so a node's ``k`` leave-one-out keys are
``total - word`` -- all vectorised with numpy, no Python tuple per key.
Blocks are runs of equal top 48 bits, found with a radix sort
(:func:`_key_order`).  A hash collision can only add a candidate, which the
scorer then rejects, so collisions cost time, never correctness.

Blocks (entries sharing a key) are expanded into pairs up to
``_TEMPLATE_CAP`` (250) members when they hold leave-two-out entries
(templates), up to ``_PAIR_BLOCK`` (256) otherwise: the character bound
below turns a pair away in a few nanoseconds.  Bigger leave-one-out blocks
come from templates ("prefers X" for a thousand X); up to ``block_cap``
members they are compared all against all on the word their members leave
out, with a cheap Indel distance under the bound the threshold implies, and
only the close pairs become candidates (:func:`_filtered_blocks`).  Bigger
still, they are split by the left-out word's deletion neighbourhood (the
word and every way of deleting one character: two words within one edit
share one).  Pieces still bigger than ``block_cap`` are dropped and counted,
and so are the template entries of blocks bigger than ``_TEMPLATE_CAP``.

Before a pair is de-duplicated and scored, an exact bound on character
counts (:class:`_CharBound`: a pair whose texts share too few characters
cannot reach the threshold) turns away 19 candidates out of 20.  With two
threads, the character counts are made beside the blocks' sort, the big
blocks' filter runs beside the small blocks' pairs, and the scoring is
shared out too.  At 100k memories on two cores, the filter and the small
blocks' pairs take 1.3x less time side by side than one after the other:
both are many short numpy calls, and the GIL is held between them.

Every candidate is scored with rapidfuzz ``ratio`` on the normal forms and
kept at ``>= threshold``: the fast path can only miss pairs, never invent
one the exact path (:mod:`.oracle`) would reject.  Pairs that differ in two
or more blocking words and still clear the threshold are the misses; tests
and the benchmark measure how many there are against the exact path.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeVar

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from dreaming.consolidate.quiet import quiet_gc
from dreaming.consolidate.text import FUNCTION_WORDS

#: Candidate pairs scored per cpdist call (bounds the temporary lists).
_SCORE_CHUNK = 1 << 17
#: Leave-one-out blocks up to this size are expanded into pairs; bigger ones
#: are filtered with cdist first.  Each way is about as quick at this size
#: (at 100k memories, 32 to 256 here made no difference to the whole).
_PAIR_BLOCK = 256
#: Pairs of small blocks made per numpy pass (the temporaries stay small).
_PAIR_PIECE = 1 << 16
#: ``removed`` marker of leave-two-out entries (not split further)
_TWO_OUT = -2
#: Leave-two-out signatures drop two of a text's this many rarest words.
_RAREST = 4
#: Texts of fewer blocking words get no leave-two-out signatures.
_TEMPLATE_WORDS = 4
#: Leave-two-out (template) blocks up to this size are expanded into pairs.
_TEMPLATE_CAP = 250
#: Signatures beyond this many are blocked in four shards of the key space.
_SHARDED = 1 << 21
#: Distance matrices smaller than this are computed on one thread.
_THREADED = 1 << 18
#: Members of the big blocks filtered together (bounds the filter's tables).
_FILTER_BATCH = 1 << 16
#: Rows of a block filtered per cdist call (bounds the distance matrix).
_FILTER_ROWS = 256
_SEED = 0x5EED_D12E
_DIGIT = re.compile(r"\d")
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class BlockingStats:
    """What blocking did, for the benchmark and the run report."""

    signatures: int
    #: distinct pairs scored on the whole texts
    candidates: int
    #: pairs of bigger blocks compared on their left-out words (the filter)
    filtered_pairs: int
    #: blocks larger than the cap that were split by deletion neighbourhood
    refined_blocks: int
    #: pairs not generated because a refined sub-block was still too large
    dropped_pairs: int


def similar_pairs(
    norms: Sequence[str],
    *,
    threshold: float,
    fresh: np.ndarray | None = None,
    block_cap: int = 4000,
    workers: int = -1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, BlockingStats]:
    """Pairs ``i < j`` of ``norms`` with ``ratio >= threshold``, found by blocking.

    ``norms`` must be distinct (one per node); ``fresh`` (boolean mask)
    restricts the result to pairs with at least one fresh side.  Returns
    ``(i, j, score, stats)`` sorted by ``(i, j)``.
    """
    with quiet_gc():  # a few million short-lived objects, none in a cycle
        return _similar_pairs(_side_by_side(norms), threshold=threshold, fresh=fresh, block_cap=block_cap, workers=workers)


def _side_by_side(norms: Sequence[str]) -> Sequence[str]:
    """The texts again, as new strings made one after the other (one join,
    one split) when none holds a line break.  Every stage reads them; a
    caller's are often scattered over a big heap, and reading them in place
    cost 20-30 ms more at 100k memories than this copy (5 ms)."""
    joined = "\n".join(norms)
    if len(norms) < 2 or joined.count("\n") != len(norms) - 1:
        return norms
    return joined.split("\n")


def _similar_pairs(
    norms: Sequence[str], *, threshold: float, fresh: np.ndarray | None, block_cap: int, workers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, BlockingStats]:
    n = len(norms)
    keys, nodes, removed, left, unsaid, tokens = _signatures(norms)
    signatures = int(keys.size)
    lengths = np.fromiter(map(len, norms), dtype=np.int64, count=n)
    # with two threads, numpy and rapidfuzz work (which lets go of the GIL)
    # runs on the second: the character counts beside the blocks' sort, then
    # the big blocks' filter beside the small blocks' pairs
    with ThreadPoolExecutor(1) if _threads(workers) > 1 else nullcontext() as pool:
        counting = _later(pool, _CharBound, norms, lengths, threshold)
        found = _candidates(keys, nodes, removed, left, tokens, fresh=fresh, cap=block_cap)
        del keys, nodes, removed, left
        bound = counting()
        filtering = _later(
            pool,
            _filtered_blocks,
            found.blocks,
            tokens,
            lengths,
            unsaid,
            fresh=fresh,
            threshold=threshold,
            workers=workers,
            n=n,
            bound=bound,
        )
        parts = _small_pairs(found.small, n=n, fresh=fresh, bound=bound)
        parts.append(filtering())
    stats = BlockingStats(
        signatures=signatures,
        candidates=0,
        filtered_pairs=found.block_pairs,
        refined_blocks=found.refined,
        dropped_pairs=found.dropped,
    )
    del found, bound
    codes = distinct_codes(parts)
    i, j, s = score_pairs(norms, codes, n=n, threshold=threshold, workers=workers)
    return i, j, s, replace(stats, candidates=int(codes.size))


def _later(pool: ThreadPoolExecutor | None, function: Callable[..., T], *args: Any, **kwargs: Any) -> Callable[[], T]:
    """``function(*args, **kwargs)`` started on ``pool`` -- or called now, with
    no pool; the result is a function that waits for the value."""
    if pool is None:
        value = function(*args, **kwargs)
        return lambda: value
    return pool.submit(function, *args, **kwargs).result


def distinct_codes(parts: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct pair codes of ``parts`` (which it empties).

    Sorted in place, so the peak is one copy of the codes plus the result:
    at a million memories there are tens of millions of them, and
    ``np.unique`` or an argsort would hold three or four copies.
    """
    codes = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    parts.clear()
    codes.sort()
    if codes.size:
        first = np.empty(codes.size, dtype=bool)
        first[0] = True
        np.not_equal(codes[1:], codes[:-1], out=first[1:])
        codes = codes[first]
    return codes


def score_pairs(
    norms: Sequence[str], codes: np.ndarray, *, n: int, threshold: float, workers: int = -1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score candidate pairs (codes ``i * n + j``) with rapidfuzz; keep those ``>= threshold``.

    ``cpdist`` spends most of its time reading the Python strings, which
    its own ``workers`` do not share out; chunks scored on our threads
    (one rapidfuzz worker each) do run side by side, as rapidfuzz lets go
    of the GIL while it scores.
    """
    table = np.asarray(norms, dtype=object)

    def score(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        chunk = codes[start : start + _SCORE_CHUNK]
        ca, cb = chunk // n, chunk % n
        scores = process.cpdist(
            table[ca],
            table[cb],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=threshold,
            workers=1,
            dtype=np.float32,
        )
        hit = scores >= threshold
        return ca[hit], cb[hit], scores[hit]

    starts = range(0, codes.size, _SCORE_CHUNK)
    threads = min(_threads(workers), len(starts))
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            kept = list(pool.map(score, starts))
    else:
        kept = [score(start) for start in starts]
    if not kept:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    rows, cols, scores = (np.concatenate(part) for part in zip(*kept))
    return rows, cols, scores


def _threads(workers: int) -> int:
    """rapidfuzz's meaning of ``workers``: -1 (or any negative) is every core we may use."""
    if workers > 0:
        return workers
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _signatures(
    norms: Sequence[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, list[str]], list[str]]:
    """Leave-one-out and full multiset hashes of every normal form.

    Returns ``(keys, nodes, removed, left, unsaid, tokens)``: one entry per (node,
    left-out word), one per node with ``removed == -1`` (the full multiset)
    and three per node of three or more words with ``removed == -2`` (see
    :func:`_leave_two_out`); ``removed`` indexes ``tokens``, the sorted
    vocabulary, by blocking word.  ``left`` holds the word as written that a
    leave-one-out entry leaves out (-1 for the others): what two members of
    a block differ in (see :func:`_filtered_blocks`).  ``unsaid`` are the
    noise words no signature has: per node an index into a list of their
    texts (0: none).
    """
    vocab, ids, counts = _word_ids(norms)
    tokens = sorted(vocab)
    position = {t: r for r, t in enumerate(tokens)}
    # vocab iterates in first-seen order, i.e. by id: id -> rank in sorted order
    rank = np.fromiter((position[t] for t in vocab), dtype=np.int32, count=len(vocab))
    spelt = rank[ids] if ids.size else np.empty(0, dtype=np.int32)
    del ids, vocab, position, rank
    frequency = np.bincount(spelt, minlength=len(tokens))
    tok = _spelling_classes(tokens, frequency).astype(np.int32)[spelt]
    noise = _noise(tokens, frequency)
    unsaid = np.zeros(len(norms), dtype=np.int32)
    unsaid_texts = [""]
    if noise.any():
        # misspelt function words ("fpr", "tje") are dropped: the leftover
        # "the" of one text must not count as the one difference a pair has
        keep = ~noise[tok]
        owners = np.repeat(np.arange(len(norms), dtype=np.int32), counts)
        texts: dict[str, int] = {"": 0}
        noisy: dict[int, list[str]] = {}
        for owner, word in zip(owners[~keep].tolist(), spelt[~keep].tolist()):
            noisy.setdefault(owner, []).append(tokens[word])
        for owner, words in noisy.items():
            unsaid[owner] = texts.setdefault(" ".join(words), len(texts))
        unsaid_texts = list(texts)
        counts = np.bincount(owners[keep], minlength=len(norms))
        tok, spelt = tok[keep], spelt[keep]
        del owners, keep, noisy
    weights = np.random.default_rng(_SEED).integers(0, np.iinfo(np.uint64).max, size=len(tokens), dtype=np.uint64, endpoint=True)
    has_words = counts > 0
    owner = np.repeat(np.arange(len(norms), dtype=np.int32), counts)
    totals = np.zeros(len(norms), dtype=np.uint64)
    if tok.size:
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[has_words]
        totals[has_words] = np.add.reduceat(weights[tok], starts)
    full_nodes = np.flatnonzero(has_words).astype(np.int32)
    # filled part by part (leave one out, full, leave two out) in place: one copy at a time
    words, full = tok.size, full_nodes.size
    size = words + full + sum(int((counts >= _template_size(second)).sum()) for second, _ in _PAIRS_OF_RAREST)
    keys = np.empty(size, dtype=np.uint64)
    nodes = np.empty(size, dtype=np.int32)
    removed = np.empty(size, dtype=np.int32)
    left = np.full(size, -1, dtype=np.int32)
    _leave_two_out(tok, spelt, owner, totals, weights, counts, out=(keys[words + full :], nodes[words + full :]))
    removed[words + full :] = _TWO_OUT
    with np.errstate(over="ignore"):
        np.subtract(totals[owner], weights[tok], out=keys[:words])
    nodes[:words], removed[:words], left[:words] = owner, tok, spelt
    del owner, tok, spelt
    keys[words : words + full], nodes[words : words + full], removed[words : words + full] = totals[full_nodes], full_nodes, -1
    return keys, nodes, removed, left, (unsaid, unsaid_texts), tokens


#: (second, first) ranks of the rarest words each leave-two-out signature drops
_PAIRS_OF_RAREST = [(second, first) for second in range(1, _RAREST) for first in range(second)]


def _template_size(second: int) -> int:
    """Texts of at least this many words have a leave-two-out signature dropping their ``second`` rarest."""
    return max(_TEMPLATE_WORDS, second + 1)


def _word_ids(norms: Sequence[str]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Every word of every text as an id (first seen first), and each text's word count.

    Texts are split a slice at a time, joined by spaces and split as one
    string (the same words as splitting each text), so a million texts
    never hold a Python string per word at once; the ids are a flat int32
    array.  Normal forms are words joined by single spaces, so a text's
    words are its spaces plus one -- checked on the joined slice (nothing
    but single spaces between printable characters), else counted by
    splitting each text.
    """
    vocab: dict[str, int] = {}
    ids: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    step = 1 << 16
    for start in range(0, len(norms), step):
        chunk = norms[start : start + step]
        joined = " ".join(filter(None, chunk))
        words = joined.split()
        for word in dict.fromkeys(words):
            if word not in vocab:
                vocab[word] = len(vocab)
        ids.append(np.fromiter(map(vocab.__getitem__, words), dtype=np.int32, count=len(words)))
        if joined.isprintable() and "  " not in joined and joined[:1] != " " and joined[-1:] != " ":
            count = np.fromiter(map(str.count, chunk, [" "] * len(chunk)), dtype=np.int64, count=len(chunk))
            count += np.fromiter(map(bool, chunk), dtype=np.int64, count=len(chunk))
        else:
            count = np.fromiter(map(len, map(str.split, chunk)), dtype=np.int64, count=len(chunk))
        counts.append(count)
    if not ids:
        return vocab, np.empty(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    return vocab, np.concatenate(ids), np.concatenate(counts)


def _leave_two_out(
    tok: np.ndarray,
    spelt: np.ndarray,
    owner: np.ndarray,
    totals: np.ndarray,
    weights: np.ndarray,
    counts: np.ndarray,
    *,
    out: tuple[np.ndarray, np.ndarray],
) -> None:
    """More signatures per text of three or more words: without two of its
    ``_RAREST`` rarest blocking words (every pair of them).  Two texts that
    differ in the words that make them particular ("Carla Krain" / "Chiara
    Krizan" ... "plays squash on weekends") share one; the block it makes is
    the template, whose pairs are all candidates (up to ``_TEMPLATE_CAP``
    members).  The rarest words are not always the differing ones -- a first
    name is commoner than "phabricator" -- hence more than the rarest three.
    Fills ``out``: the keys and their nodes, one ``_PAIRS_OF_RAREST`` at a
    time.
    """
    keys_out, nodes_out = out
    # rarity as written: a spelling class can gather many rare words ("mon",
    # "mona", "moni" ...) into one common blocking word
    frequency = np.bincount(spelt, minlength=weights.size)
    vocabulary, rarest = max(weights.size, 1), int(frequency.max()) + 1 if frequency.size else 1
    if len(counts) * rarest * vocabulary < 1 << 62:
        # by text, then rarest first, as one int64 key (made in place): the
        # words come in text order already, and a stable sort of near-sorted
        # keys is quick
        key = owner.astype(np.int64)
        key *= rarest
        key += frequency[spelt]
        key *= vocabulary
        key += tok
        order = np.argsort(key, kind="stable")
        del key
    else:
        order = np.lexsort((tok, frequency[spelt], owner))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    at = 0
    for second, first in _PAIRS_OF_RAREST:
        eligible = np.flatnonzero(counts >= _template_size(second))
        a, b = order[starts[eligible] + first], order[starts[eligible] + second]
        end = at + eligible.size
        with np.errstate(over="ignore"):
            np.subtract(totals[eligible], weights[tok[a]], out=keys_out[at:end])
            keys_out[at:end] -= weights[tok[b]]
        nodes_out[at:end] = eligible
        at = end


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
    short = [index for index, word in enumerate(tokens) if 2 <= len(word) <= 6 and word.isalpha()]
    chosen = np.array(short, dtype=np.int64)
    if chosen.size:
        chosen = chosen[(np.array([len(tokens[k]) for k in short]) <= 4) | (frequency[chosen] <= common)]
    if not chosen.size:
        return out
    # a word is noise when it or one of its one-deletion variants is near a
    # function word: compared as hashes (see :func:`_deletion_variants`)
    near_hashes, near_owner = _deletion_variants(sorted(near), np.arange(len(near)))
    itself = np.append(near_owner[1:] != near_owner[:-1], True)  # each word's last hash is its own
    hashes, owner = _deletion_variants([tokens[k] for k in chosen.tolist()], chosen)
    out[owner[np.isin(hashes, near_hashes[itself])]] = True
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
    texts have ~3 million variants (see :func:`_deletion_variants`).
    """
    size = len(tokens)
    best = np.arange(size, dtype=np.int64)
    # numbers are values, not typos, but "port 8080" / "port 8081",
    # "2024-05-01" / "2024-06-01", "11 steps" / "6 steps" are near-identical
    # texts: every number is one blocking word, so a number change plus
    # another difference is still one difference
    numbers = [index for index, word in enumerate(tokens) if _DIGIT.search(word)]
    if numbers:
        best[numbers] = numbers[0]
    # one- and two-letter words are never typos
    typable = np.array([len(word) >= 3 and word.isalpha() for word in tokens], dtype=bool)
    key, owner = _deletion_variants([tokens[k] for k in np.flatnonzero(typable).tolist()], np.flatnonzero(typable))
    if key.size:
        # rank: more frequent first, then alphabetically first (smaller index)
        rank = frequency.astype(np.int64)[owner] * (size + 1) + (size - owner)
        order = np.argsort(key)
        sorted_key = key[order]
        starts = np.concatenate(([0], np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1))
        group_best = np.empty_like(rank)
        group_best[order] = np.repeat(np.maximum.reduceat(rank[order], starts), np.diff(np.append(starts, key.size)))
        # each word's best over all its variants' groups (a word's variants
        # are next to each other)
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


def _deletion_variants(words: list[str], owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every word and of each of its one-deletion variants,
    with the owner of each (``owners[k]`` for ``words[k]``); a word's hashes
    are next to each other (without position 0, 1, ..., then the word).

    Computed with numpy, a length at a time, on the words' code points: a
    string's hash is ``sum(char[i] * weight[i])`` over its positions
    (random odd 64-bit weights, modulo 2**64), so the variant without
    position ``k`` is the prefix sum before ``k`` plus the suffix after it
    shifted by one place -- no Python string per variant.  Only equality
    matters: a 64-bit collision merely joins two words' neighbourhoods,
    which widens a block.
    """
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    if not words:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    weights = np.random.default_rng(_SEED + 1).integers(0, 1 << 63, size=int(lengths.max()), dtype=np.uint64)
    weights = weights * np.uint64(2) + np.uint64(1)
    hashes: list[np.ndarray] = []
    owned: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        for m in np.unique(lengths).tolist():
            chosen = np.flatnonzero(lengths == m)
            chars = np.array([words[k] for k in chosen.tolist()], dtype=f"<U{m}").view(np.uint32).reshape(-1, m)
            chars = chars.astype(np.uint64)
            prefix = np.zeros((chars.shape[0], m + 1), dtype=np.uint64)
            np.cumsum(chars * weights[:m], axis=1, out=prefix[:, 1:])
            suffix = np.zeros((chars.shape[0], m), dtype=np.uint64)  # after k, one place left
            suffix[:, : m - 1] = np.cumsum((chars[:, 1:] * weights[: m - 1])[:, ::-1], axis=1)[:, ::-1]
            variants = np.empty((chars.shape[0], m + 1), dtype=np.uint64)
            variants[:, :m] = prefix[:, :m] + suffix
            variants[:, m] = prefix[:, m]  # the word itself
            hashes.append(variants.reshape(-1))
            owned.append(np.repeat(owners[chosen], m + 1))
    return np.concatenate(hashes), np.concatenate(owned).astype(np.int64)


class _CharBound:
    """A cheap, exact test that a pair cannot reach the threshold, on
    character counts.

    ``ratio`` is ``100 * (1 - d / (len(a) + len(b)))`` with ``d`` the Indel
    distance, ``len(a) + len(b) - 2 * LCS``.  Every character of a common
    subsequence is in both texts, so ``LCS`` is at most ``sum(min(count_a,
    count_b))`` over characters -- or over any buckets of characters.  Each
    text's counts in 32 buckets (letters, digits, space, other ASCII,
    everything else) are 32 bytes; a pair whose bound already exceeds the threshold's
    distance is never scored.  At 100k memories 19 candidates out of 20 go
    here, before they are de-duplicated and scored.  The counts are
    summed eight at a time by one multiplication (the bytes of ``x *
    0x0101010101010101`` add up into the top one), exact while they add up
    to less than 256; a text with 256 characters or more in one group of
    eight buckets (only a text that long can have them) asks for nothing of
    its partner's counts -- see ``half``.
    """

    _BUCKETS = 32
    #: pairs tested per numpy pass (the temporaries stay in the cache)
    _CHUNK = 1 << 15
    _BYTES = np.uint64(0x0101010101010101)

    def __init__(self, norms: Sequence[str], lengths: np.ndarray, threshold: float) -> None:
        n = len(norms)
        # a letter each but the rare j, q, x and z (one between them), the
        # digits in six (by their value modulo 6: two dates or versions
        # differ there), space, other ASCII, everything else
        bucket_of = np.full(129, self._BUCKETS - 2, dtype=np.uint8)
        bucket_of[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = np.arange(26)
        bucket_of[np.frombuffer(b"jqxz", dtype=np.uint8)] = ord("j") - ord("a")
        bucket_of[np.frombuffer(b"0123456789", dtype=np.uint8)] = [26, 28, 29, 16, 23, 25, 26, 28, 29, 16]
        bucket_of[ord(" ")] = 27
        bucket_of[128] = self._BUCKETS - 1
        counts = np.zeros((n, self._BUCKETS), dtype=np.uint8)
        wide = np.zeros(n, dtype=bool)
        step = 1 << 14  # texts per pass: the temporaries stay small
        for start in range(0, n, step):
            stop = min(n, start + step)
            chars = np.frombuffer("".join(norms[start:stop]).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            bucket = bucket_of[np.minimum(chars, 128)].astype(np.intp)
            bucket += np.repeat(np.arange(0, (stop - start) * self._BUCKETS, self._BUCKETS), lengths[start:stop])
            full = np.bincount(bucket, minlength=(stop - start) * self._BUCKETS).reshape(-1, self._BUCKETS)
            wide[start:stop] = full.reshape(-1, self._BUCKETS // 8, 8).sum(axis=2).max(axis=1) > 255
            counts[start:stop] = np.minimum(full, 255)
        self.counts = counts.view(np.uint64)  # four words of eight counts per text
        # a pair may reach the threshold when its shared count is at least
        # half[a] + half[b]; a wide text asks for nothing (and the sums of
        # the smaller counts stay exact when one side is not wide)
        self.half = (1.0 - (100.0 - threshold) / 100.0) * lengths / 2.0 - 5e-10
        self.half[wide] = -1.0

    def admits(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Which pairs ``(lo[k], hi[k])`` may score ``>= threshold``."""
        out = np.empty(lo.size, dtype=bool)
        for start in range(0, lo.size, self._CHUNK):
            a, b = lo[start : start + self._CHUNK], hi[start : start + self._CHUNK]
            # np.take of whole rows, several times quicker than fancy indexing of a 2-d array
            common = np.minimum(
                np.take(self.counts, a, axis=0).view(np.uint8), np.take(self.counts, b, axis=0).view(np.uint8)
            ).view(np.uint64)
            # each word's eight bytes summed into its top byte, then the words
            common *= self._BYTES
            common >>= np.uint64(56)
            shared = common[:, 0] + common[:, 1]
            shared += common[:, 2]
            shared += common[:, 3]
            np.greater_equal(shared, self.half[a] + self.half[b], out=out[start : start + a.size])
        return out


class _Candidates(NamedTuple):
    #: per shard of the key space, the small blocks whose pairs are all
    #: candidates: (members, start, size) of runs, see :func:`_small_pairs`
    small: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]
    #: bigger blocks, filtered on what their members leave out: (nodes, left)
    blocks: list[tuple[np.ndarray, np.ndarray]]
    #: pairs of those blocks the filter looks at
    block_pairs: int
    refined: int
    dropped: int


def _candidates(
    keys: np.ndarray,
    nodes: np.ndarray,
    removed: np.ndarray,
    left: np.ndarray,
    tokens: list[str],
    *,
    fresh: np.ndarray | None,
    cap: int,
) -> _Candidates:
    """Blocks of two or more entries sharing a signature, by size:

    * up to ``_PAIR_BLOCK`` members: every pair is a candidate;
    * up to ``cap``: the whole block, filtered on the word its members
      leave out (:func:`_filtered_blocks`);
    * bigger: split by the left-out word's deletion neighbourhood, and the
      pieces treated the same way; a piece still bigger than ``cap`` is
      dropped (and counted).

    Every pair of a block holding leave-two-out entries (templates) is a
    candidate up to ``_TEMPLATE_CAP`` members (or ``cap``, if smaller);
    beyond, its template entries are dropped (and counted) and the rest is
    treated as above.
    """
    small: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    dropped = refined = 0
    # blocks never straddle shards of the key space: sorting one shard at a
    # time holds a fraction of the sort's temporaries (for big inputs)
    bits = 2 if keys.size > _SHARDED else 0
    shard_of = (keys >> np.uint64(64 - bits)).astype(np.int8) if bits else np.zeros(keys.size, dtype=np.int8)
    for shard in range(1 << bits):
        small.append([])
        entries = np.flatnonzero(shard_of == shard)
        d, r = _shard_candidates(entries, keys, nodes, removed, left, tokens, small[-1], blocks, fresh=fresh, cap=cap)
        dropped, refined = dropped + d, refined + r
    if fresh is None:
        block_pairs = sum(len(block) * (len(block) - 1) // 2 for block, _ in blocks)
    else:
        block_pairs = sum(int(fresh[block].sum()) * (len(block) - 1) for block, _ in blocks)
    return _Candidates(small, blocks, block_pairs, refined, dropped)


def _small_pairs(
    shards: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]], *, n: int, fresh: np.ndarray | None, bound: _CharBound
) -> list[np.ndarray]:
    """Every pair of the small blocks that ``bound`` admits, as codes; with
    several shards, de-duplicated shard by shard (one shard's raw codes at a
    time)."""
    codes: list[np.ndarray] = []
    for runs in shards:
        found = [_all_pairs(members, starts, sizes, n=n, fresh=fresh, bound=bound) for members, starts, sizes in runs]
        if len(shards) > 1:
            codes.append(distinct_codes(found))
        else:
            codes.extend(found)
    return codes


def _shard_candidates(
    entries: np.ndarray,
    keys: np.ndarray,
    nodes: np.ndarray,
    removed: np.ndarray,
    left: np.ndarray,
    tokens: list[str],
    small: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    blocks: list[tuple[np.ndarray, np.ndarray]],
    *,
    fresh: np.ndarray | None,
    cap: int,
) -> tuple[int, int]:
    """:func:`_candidates` over some ``entries``; returns (dropped pairs, refined blocks)."""
    # one key space: a text's leave-two-out key meets another's leave-one-out
    # key when they differ by two words against one
    order, grouped = _key_order(keys[entries])  # the order within a block does not matter
    entries = entries[order]
    starts, sizes = _runs(grouped, fresh=fresh, nodes=nodes[entries])
    whole = sizes <= min(cap, _TEMPLATE_CAP)
    _take(entries, starts[whole], sizes[whole], nodes, left, small, blocks, expand=_TEMPLATE_CAP)
    # bigger blocks lose their template entries, and the rest goes on
    rest = _expand(starts[~whole], sizes[~whole])
    entries, grouped = entries[rest], grouped[rest]
    dropped = int((sizes[~whole] * (sizes[~whole] - 1) // 2).sum())
    rest = removed[entries] != _TWO_OUT
    entries, grouped = entries[rest], grouped[rest]
    starts, sizes = _runs(grouped, fresh=fresh, nodes=nodes[entries])
    dropped -= int((sizes * (sizes - 1) // 2).sum())
    big = sizes > cap
    _take(entries, starts[~big], sizes[~big], nodes, left, small, blocks)
    if big.any():
        member = entries[_expand(starts[big], sizes[big])]
        sub_keys, sub_entry = _deletion_keys(keys[member], removed[member], tokens)
        sub_order = np.argsort(sub_keys, kind="stable")
        sub_keys, sub_entries = sub_keys[sub_order], member[sub_entry[sub_order]]
        s_starts, s_sizes = _runs(sub_keys, fresh=fresh, nodes=nodes[sub_entries])
        too_big = s_sizes > cap
        dropped += int((s_sizes[too_big] * (s_sizes[too_big] - 1) // 2).sum())
        _take(sub_entries, s_starts[~too_big], s_sizes[~too_big], nodes, left, small, blocks)
    return dropped, int(big.sum())


def _key_order(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts ``keys`` by their top 48 bits, and those bits in that order.

    A least-significant-digit radix sort on three 16-bit digits: numpy's
    stable sort of 16-bit integers is a radix sort, each pass about ten
    times quicker than ``argsort`` of the 64-bit keys (the three with their
    gathers, about twice as quick).  Blocks are runs of equal top bits;
    two signatures that differ only below them (a chance of 2**-48 per pair
    of signatures) share a block, which only adds candidates.
    """
    order = np.argsort((keys >> np.uint64(16)).astype(np.uint16), kind="stable")
    for shift in (32, 48):
        order = order[np.argsort((keys[order] >> np.uint64(shift)).astype(np.uint16), kind="stable")]
    return order, keys[order] >> np.uint64(16)


def _take(
    entries: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
    nodes: np.ndarray,
    left: np.ndarray,
    small_runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    blocks: list[tuple[np.ndarray, np.ndarray]],
    *,
    expand: int = _PAIR_BLOCK,
) -> None:
    """Runs of ``entries`` (positions into ``nodes`` / ``left``): those of up
    to ``expand`` members kept as their members, packed (for
    :func:`_small_pairs`), the others as blocks to filter."""
    small = sizes <= expand
    kept = sizes[small]
    small_runs.append((nodes[entries[_expand(starts[small], kept)]], np.cumsum(kept) - kept, kept))
    for start, size in zip(starts[~small].tolist(), sizes[~small].tolist()):
        run = entries[start : start + size]
        blocks.append((nodes[run], left[run]))


def _filtered_blocks(
    blocks: list[tuple[np.ndarray, np.ndarray]],
    tokens: list[str],
    lengths: np.ndarray,
    unsaid: tuple[np.ndarray, list[str]],
    *,
    fresh: np.ndarray | None,
    threshold: float,
    workers: int,
    n: int,
    bound: _CharBound | None = None,
    batch_size: int = _FILTER_BATCH,
) -> np.ndarray:
    """Candidate pairs of the bigger blocks: those whose left-out words are close.

    Members of a block share every blocking word but the one they leave out
    (none for a full multiset), so what tells them apart is there -- with
    their noise words (``unsaid``: per node an
    index into their texts), which no signature has.  ``ratio >= threshold``
    means an Indel distance of at most ``(100 - threshold)% * (len(a) +
    len(b))`` between the whole texts; with the shared words aligned, the
    distance of what they leave out is within that bound too.  So each block
    is compared all against all on those few words alone -- short strings,
    several times cheaper than the whole texts -- with ``Indel.distance``
    under the bound, and only the survivors are scored on the whole texts.
    (Shared words that are typo or number variants of each other use some of
    the budget too, which is why this is a filter and not the score.)

    Blocks are handled in batches of about ``batch_size`` members --
    members grouped by (block, left-out word) in one sort, close pairs of
    groups expanded to member pairs ``_SCORE_CHUNK`` at a time -- and only
    the distance matrices are made block by block: a million memories have
    thousands of blocks of a hundred members.
    """
    out: list[np.ndarray] = []
    batch: list[tuple[np.ndarray, np.ndarray]] = []
    held = 0
    for number, block in enumerate(blocks, start=1):
        batch.append(block)
        held += len(block[0])
        if held >= batch_size or number == len(blocks):
            out.append(
                _filter_batch(
                    batch, tokens, lengths, unsaid, fresh=fresh, threshold=threshold, workers=workers, n=n, bound=bound
                )
            )
            batch, held = [], 0
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _filter_batch(
    blocks: list[tuple[np.ndarray, np.ndarray]],
    tokens: list[str],
    lengths: np.ndarray,
    unsaid: tuple[np.ndarray, list[str]],
    *,
    fresh: np.ndarray | None,
    threshold: float,
    workers: int,
    n: int,
    bound: _CharBound | None,
) -> np.ndarray:
    """:func:`_filtered_blocks` for some blocks at once (see there)."""
    if not blocks:
        return np.empty(0, dtype=np.int64)
    # members leaving out the same word are compared once, as that word:
    # code of its token id shifted by one (-1 is none), and of the noise words
    unsaid_of, unsaid_texts = unsaid
    kinds = len(unsaid_texts)
    members = np.concatenate([block for block, _ in blocks])
    block_of = np.repeat(np.arange(len(blocks)), [len(block) for block, _ in blocks])
    word = (np.concatenate([words for _, words in blocks]).astype(np.int64) + 1) * kinds + unsaid_of[members]
    order = np.lexsort((word, block_of))  # by block, then left-out word
    new = np.ones(members.size, dtype=bool)
    new[1:] = (word[order[1:]] != word[order[:-1]]) | (block_of[order[1:]] != block_of[order[:-1]])
    group_start = np.flatnonzero(new)
    group_size = np.diff(np.append(group_start, members.size))
    # within a block, the groups with the longest texts first: each chunk of
    # rows is compared with a cutoff for its own lengths (see _close_words)
    group_block = block_of[order[group_start]]
    group_length = np.maximum.reduceat(lengths[members[order]], group_start)
    group_fresh = None if fresh is None else np.logical_or.reduceat(fresh[members[order]], group_start)
    regroup = np.lexsort((-group_length, group_block))
    group_start, group_size, group_length = group_start[regroup], group_size[regroup], group_length[regroup]
    group_fresh = None if group_fresh is None else group_fresh[regroup]
    distinct, text_of = np.unique(word[order[group_start]], return_inverse=True)
    text_of = text_of.reshape(-1)
    texts = _left_out_texts(*np.divmod(distinct, kinds), tokens, unsaid_texts)
    # each block's groups are a run: first_group[b] up to first_group[b + 1]
    first_group = np.searchsorted(group_block, np.arange(len(blocks) + 1)).tolist()
    slack = (100.0 - threshold) / 100.0
    reach = slack * group_length
    out: list[np.ndarray] = []

    def keep(a: np.ndarray, b: np.ndarray, distance: np.ndarray) -> None:
        """Member pairs whose own bound holds, as codes."""
        close = distance <= slack * (lengths[a] + lengths[b]) + 1e-9
        a, b = a[close], b[close]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        kept = lo != hi
        if fresh is not None:
            kept &= fresh[lo] | fresh[hi]
        lo, hi = lo[kept], hi[kept]
        if bound is not None:
            kept = bound.admits(lo, hi)
            lo, hi = lo[kept], hi[kept]
        out.append(lo.astype(np.int64) * n + hi)

    head = members[order[group_start]]

    def expand(p: np.ndarray, q: np.ndarray, close: np.ndarray) -> None:
        """Every member of group p against every member of group q."""
        pairs = group_size[p] * group_size[q]
        # most groups are one member: those pairs of groups are pairs of members
        single = pairs == 1
        keep(head[p[single]], head[q[single]], close[single])
        p, q, close, pairs = p[~single], q[~single], close[~single], pairs[~single]
        if not p.size:
            return
        # in pieces of about _SCORE_CHUNK member pairs
        ends = np.cumsum(pairs)
        cuts = np.searchsorted(ends, np.arange(_SCORE_CHUNK, int(ends[-1]), _SCORE_CHUNK), side="right").tolist()
        for lo_g, hi_g in zip([0, *cuts], [*cuts, p.size]):
            if lo_g >= hi_g:
                continue
            gp, gq, counts = p[lo_g:hi_g], q[lo_g:hi_g], pairs[lo_g:hi_g]
            which = np.repeat(np.arange(gp.size), counts)
            offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            width = group_size[gq][which]
            i = order[group_start[gp][which] + offset // width]
            j = order[group_start[gq][which] + offset % width]
            keep(members[i], members[j], close[lo_g:hi_g][which])

    # close pairs of groups, gathered over blocks and expanded a chunk at a time
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    waiting = 0
    for b in range(len(blocks)):
        g0, g1 = first_group[b], first_group[b + 1]
        words_b = texts[text_of[g0:g1]].tolist()
        rows = np.arange(g1 - g0) if group_fresh is None else np.flatnonzero(group_fresh[g0:g1])
        if not rows.size:
            continue
        close_words = _close_words(words_b, rows, symmetric=fresh is None, reach=reach[g0:g1], workers=workers)
        for p, q, close in close_words:
            # each pair of groups once: (q, p) for q < p comes as its own row
            # unless q is not a row (an old group, with ``fresh``)
            once = q >= p if group_fresh is None else (q >= p) | ~group_fresh[q + g0]
            found.append((p[once] + g0, q[once] + g0, close[once].astype(np.int32)))
            waiting += int(once.sum())
            if waiting >= _SCORE_CHUNK:
                expand(*(np.concatenate(part) for part in zip(*found)))
                found, waiting = [], 0
    if found:
        expand(*(np.concatenate(part) for part in zip(*found)))
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _left_out_texts(word: np.ndarray, noise: np.ndarray, tokens: list[str], unsaid_texts: list[str]) -> np.ndarray:
    """What members leave out, as text: the word ``word`` (token id shifted
    by one, 0 for none) and the noise words, joined by a space -- an object
    array, built with numpy's element-wise string sums (most have no noise).
    """
    texts: np.ndarray = np.array(["", *tokens], dtype=object)[word]
    noisy = np.flatnonzero(noise > 0)
    if noisy.size:
        said = texts[noisy]
        said[word[noisy] > 0] += " "
        texts[noisy] = said + np.array(unsaid_texts, dtype=object)[noise[noisy]]
    return texts


def _close_words(
    words: list[str], rows: np.ndarray, *, symmetric: bool, reach: np.ndarray, workers: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(p, q, distance)`` of ``rows`` against all ``words`` with
    ``Indel.distance <= reach[p] + reach[q]`` or a little more
    (``symmetric``: only ``q >= p``), by chunks.

    ``reach`` must not increase: a chunk's cutoff is that of its first row
    and first column, the biggest it holds.
    """
    for start in range(0, rows.size, _FILTER_ROWS):
        chunk = rows[start : start + _FILTER_ROWS]
        first = int(chunk[0]) if symmetric else 0
        cutoff = int(reach[chunk[0]] + reach[first]) + 1
        dtype = np.uint8 if cutoff < 255 else np.int32
        distances = process.cdist(
            [words[k] for k in chunk.tolist()],
            words[first:],
            scorer=Indel.distance,
            processor=None,
            score_cutoff=cutoff,
            # threads cost more than they save on a small matrix
            workers=workers if len(chunk) * (len(words) - first) > _THREADED else 1,
            dtype=dtype,
        )
        p, q = np.nonzero(distances <= cutoff)
        yield chunk[p], q + first, distances[p, q]


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
    found: np.ndarray = (cumulative[starts + sizes] - cumulative[starts]) > 0
    return found


def _expand(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Every position inside the given runs."""
    if starts.size == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    positions: np.ndarray = np.repeat(starts, sizes) + offsets
    return positions


def _all_pairs(
    values: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
    *,
    n: int,
    fresh: np.ndarray | None,
    bound: _CharBound | None = None,
) -> np.ndarray:
    """All pairs within each run, as codes ``lo * n + hi`` with ``lo < hi``
    and, with ``fresh``, a fresh side; with ``bound``, only those it admits.

    Runs of one size are taken together, about ``_PAIR_PIECE`` pairs at a
    time, as a matrix of members (a row per run) and the upper triangle's
    column pairs: two gathers per pair (work = pairs).
    """
    out: list[np.ndarray] = []
    by_size = np.argsort(sizes, kind="stable")
    bounds = np.flatnonzero(np.diff(sizes[by_size])) + 1
    for runs in np.split(by_size, bounds) if by_size.size else []:
        size = int(sizes[runs[0]])
        if size < 2:
            continue
        first, second = np.triu_indices(size, 1)
        step = max(1, _PAIR_PIECE // first.size)
        for at in range(0, runs.size, step):
            rows = np.take(values, starts[runs[at : at + step], None] + np.arange(size))
            a, b = np.take(rows, first, axis=1).reshape(-1), np.take(rows, second, axis=1).reshape(-1)
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            keep = lo != hi
            if fresh is not None:
                keep &= fresh[lo] | fresh[hi]
            lo, hi = lo[keep], hi[keep]
            if bound is not None:
                keep = bound.admits(lo, hi)
                lo, hi = lo[keep], hi[keep]
            out.append(lo.astype(np.int64) * n + hi)
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _deletion_keys(keys: np.ndarray, removed: np.ndarray, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Split big blocks: key + hash of each one-deletion variant of the left-out word.

    Full-multiset entries (``removed == -1``) share one piece per block: they
    are the texts whose blocking words are all alike (typo or number variants).
    Returns the sub-keys and, for each, the position of its entry.
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
    take = np.repeat(offsets[slot], per_entry) + (
        np.arange(int(per_entry.sum())) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
    )
    with np.errstate(over="ignore"):
        sub_keys = np.repeat(keys, per_entry) * np.uint64(0x9E3779B97F4A7C15) + flat_hashes[take]
    return sub_keys, np.repeat(np.arange(keys.size), per_entry)


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
