"""The blocked candidate path against the exact all-pairs oracle.

On random memory-like text the fast path must find at least 99% of the pairs
the exact path finds at the same threshold, and never a pair the exact path
rejects.  Both score with the same rapidfuzz scorer, so a pair the fast path
reports must carry exactly the oracle's score.
"""

from __future__ import annotations

import random
import string

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dreaming.consolidate import ConsolidationConfig, consolidate, normal_form
from dreaming.consolidate.blocking import similar_pairs
from dreaming.consolidate.engine import _Work
from dreaming.consolidate.oracle import exact_pairs
from dreaming.testing.oracles import exact_memory_pairs
from dreaming.testing.synthetic import generate

THRESHOLD = ConsolidationConfig().similarity


def _random_texts(seed: int, bases: int) -> list[str]:
    """Sentences of random words, with typo, substituted-word and reordered copies."""
    rng = random.Random(seed)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))) for _ in range(2500)]

    def typo(word: str) -> str:
        i = rng.randrange(1, len(word))
        op = rng.randrange(3)
        if op == 0 and i + 1 < len(word):
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if op == 1:
            return word[:i] + word[i + 1 :]
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i:]

    texts = []
    for _ in range(bases):
        base = [rng.choice(words) for _ in range(rng.randint(2, 8))]
        texts.append(" ".join(base))
        for _ in range(rng.choice([0, 0, 1, 2])):
            copy = list(base)
            for _ in range(rng.choice([1, 1, 2])):
                k = rng.randrange(len(copy))
                copy[k] = typo(copy[k]) if rng.random() < 0.7 else rng.choice(words)
            if rng.random() < 0.3:
                rng.shuffle(copy)
            texts.append(" ".join(copy))
    return texts


def _pairs(i: np.ndarray, j: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(i.tolist(), j.tolist()))


def _compare(norms: list[str]) -> tuple[float, set, set]:
    fi, fj, fs, _ = similar_pairs(norms, threshold=THRESHOLD)
    ei, ej, es = exact_pairs(norms, threshold=THRESHOLD)
    fast, exact = _pairs(fi, fj), _pairs(ei, ej)
    oracle_score = dict(zip(zip(ei.tolist(), ej.tolist()), es.tolist()))
    for pair, score in zip(zip(fi.tolist(), fj.tolist()), fs.tolist()):
        if pair in oracle_score:
            assert score == oracle_score[pair]
    recall = len(fast & exact) / len(exact) if exact else 1.0
    return recall, fast, exact


def test_blocked_finds_99_percent_of_exact_pairs_on_random_text() -> None:
    for seed in (1, 2, 3):
        norms = sorted({normal_form(t) for t in _random_texts(seed, 2500)} - {""})
        recall, fast, exact = _compare(norms)
        assert len(exact) > 300, "the random set must contain similar pairs to be a test"
        assert recall >= 0.99, f"seed {seed}: recall {recall:.4f}"
        assert fast <= exact, f"seed {seed}: {len(fast - exact)} pairs the exact path rejects"


def test_blocked_finds_99_percent_of_exact_pairs_on_synthetic_memories() -> None:
    synthetic = generate(8000, seed=5)
    norms = sorted({normal_form(m.content) for m in synthetic.memories} - {""})
    recall, fast, exact = _compare(norms)
    assert len(exact) > 500
    assert recall >= 0.99, f"recall {recall:.4f}"
    assert fast <= exact


def test_fresh_mask_keeps_only_pairs_with_a_fresh_side() -> None:
    norms = sorted({normal_form(t) for t in _random_texts(7, 1500)} - {""})
    fresh = np.zeros(len(norms), dtype=bool)
    fresh[::7] = True
    fi, fj, _, _ = similar_pairs(norms, threshold=THRESHOLD, fresh=fresh)
    ei, ej, _ = exact_pairs(norms, threshold=THRESHOLD, fresh=fresh)
    fast, exact = _pairs(fi, fj), _pairs(ei, ej)
    all_i, all_j, _ = exact_pairs(norms, threshold=THRESHOLD)
    everything = _pairs(all_i, all_j)
    assert exact == {(a, b) for a, b in everything if fresh[a] or fresh[b]}
    assert fast <= exact and len(fast & exact) >= 0.99 * len(exact)


WORDS = st.sampled_from(
    "user prefers tabs spaces alice bob likes tea coffee server port 8080 8081 lives in paris berlin "
    "the editor is vim helix not never deadline 2024-05-01 project falcon uses pnpm npm".split()
)


@st.composite
def texts(draw) -> list[str]:
    base = draw(st.lists(st.lists(WORDS, min_size=1, max_size=7), min_size=1, max_size=12))
    out = [" ".join(words) for words in base]
    for words in base:
        if draw(st.booleans()):
            copy = list(words)
            k = draw(st.integers(0, len(copy) - 1))
            word = copy[k]
            cut = draw(st.integers(0, len(word) - 1))
            copy[k] = word[:cut] + word[cut + 1 :] if len(word) > 1 else word
            out.append(" ".join(draw(st.permutations(copy))))
    return out


@settings(max_examples=150, deadline=None)
@given(texts())
def test_blocked_pairs_are_exact_pairs(contents: list[str]) -> None:
    norms = sorted({normal_form(t) for t in contents} - {""})
    fi, fj, fs, _ = similar_pairs(norms, threshold=THRESHOLD, block_cap=4)
    ei, ej, es = exact_pairs(norms, threshold=THRESHOLD)
    oracle = dict(zip(zip(ei.tolist(), ej.tolist()), es.tolist()))
    for pair, score in zip(zip(fi.tolist(), fj.tolist()), fs.tolist()):
        assert pair in oracle and oracle[pair] == score


@settings(max_examples=60, deadline=None)
@given(texts())
def test_engine_normal_forms_match_cdist_with_the_normalise_processor(contents: list[str]) -> None:
    """The engine's own bookkeeping (analyse, group into nodes) against a plain
    cdist over the raw texts with ``normalise`` as rapidfuzz's processor."""
    memories = _memories(contents)
    work = _Work.build(memories, None, ConsolidationConfig(candidates="exact"), {})
    position = {m.id: k for k, m in enumerate(memories)}
    norm_of = {position[work.memories[i].id]: work.node_norm[u] for u, members in enumerate(work.node_members) for i in members}
    norms = sorted(set(norm_of.values()) - {""})
    ei, ej, _ = exact_pairs(norms, threshold=THRESHOLD)
    close = {(norms[a], norms[b]) for a, b in zip(ei.tolist(), ej.tolist())}
    n = len(memories)
    engine = {
        (a, b)
        for a in range(n)
        for b in range(a + 1, n)
        if norm_of[a] and norm_of[b] and (norm_of[a] == norm_of[b] or tuple(sorted((norm_of[a], norm_of[b]))) in close)
    }
    oracle = {(a, b) for a, b in exact_memory_pairs(contents, threshold=THRESHOLD) if norm_of[a] and norm_of[b]}
    assert engine == oracle


def _memories(contents: list[str]):
    from datetime import datetime, timezone

    from dreaming.records import Memory

    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return [Memory(id=f"m{k:04d}", content=c, observed_at=when, created_at=when) for k, c in enumerate(contents)]


def test_exact_and_blocked_engines_agree_when_their_pairs_agree() -> None:
    synthetic = generate(3000, seed=9)
    exact = consolidate(synthetic.memories, config=ConsolidationConfig(candidates="exact"))
    blocked = consolidate(synthetic.memories, config=ConsolidationConfig(candidates="blocked"))
    if exact.stats["similar_pairs"] == blocked.stats["similar_pairs"]:
        assert (exact.merges, exact.supersedes, exact.conflicts, exact.ambiguous) == (
            blocked.merges,
            blocked.supersedes,
            blocked.conflicts,
            blocked.ambiguous,
        )
    else:  # the blocked path missed a pair: at most a handful of decisions differ
        assert abs(len(exact.merges) - len(blocked.merges)) <= 3


def _look_alikes(seed: int) -> list[str]:
    """Facts of one template about many people: template blocks of 200
    members, with pairs two words apart (first and last name) that still
    score >= 88."""
    rng = random.Random(seed)
    firsts = ["alice", "bruno", "carla", "delia", "felix", "maria", "mario", "keiko", "kenji", "theo", "toma"]

    def coined() -> str:
        return "".join(
            rng.choice(["ra", "jo", "ne", "ka", "tu", "sa", "ri", "mo", "li", "art"]) for _ in range(rng.randint(2, 4))
        )

    people = [f"{rng.choice(firsts)} {coined()}" for _ in range(300)]
    templates = [
        "{} prefers phabricator for code review",
        "{} prefers spaces for indentation",
        "the favorite color of {} is yellow",
        "{} plays squash on weekends",
    ]
    return [template.format(person) for template in templates for person in rng.sample(people, 200)]


def test_blocked_finds_look_alikes_two_words_apart_in_big_template_blocks() -> None:
    norms = sorted({normal_form(t) for t in _look_alikes(3)} - {""})
    fi, fj, fs, stats = similar_pairs(norms, threshold=THRESHOLD)
    ei, ej, es = exact_pairs(norms, threshold=THRESHOLD)
    fast, exact = _pairs(fi, fj), _pairs(ei, ej)
    # one thread or two (the filter beside the small blocks): the same answer
    si, sj, ss, single = similar_pairs(norms, threshold=THRESHOLD, workers=1)
    assert (si.tolist(), sj.tolist(), ss.tolist(), single) == (fi.tolist(), fj.tolist(), fs.tolist(), stats)
    assert len(exact) > 200
    assert len(fast & exact) >= 0.99 * len(exact), f"recall {len(fast & exact) / len(exact):.4f}"
    assert fast <= exact
    fresh = np.zeros(len(norms), dtype=bool)
    fresh[::5] = True
    fi, fj, _, _ = similar_pairs(norms, threshold=THRESHOLD, fresh=fresh)
    fresh_fast = _pairs(fi, fj)
    assert fresh_fast == {(a, b) for a, b in fast if fresh[a] or fresh[b]}


def test_blocked_finds_pairs_in_big_leave_one_out_blocks_through_the_filter() -> None:
    """One template with 600 values ("the team deploys with X every friday"):
    its leave-one-out block is too big to expand, so the filter compares the
    left-out words, and the typo and near-value pairs inside it are found."""
    rng = random.Random(5)
    values = sorted({"".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9))) for _ in range(600)})
    texts = [f"the team deploys with {v} every friday" for v in values]
    texts += [f"the team deploys with {v[:2] + v[3:]} every friday" for v in values[::9]]  # typos
    texts += [f"the team deploys with {v}x every friday" for v in values[1::9]]
    norms = sorted({normal_form(t) for t in texts} - {""})
    fi, fj, fs, stats = similar_pairs(norms, threshold=THRESHOLD)
    assert stats.filtered_pairs > 0, "the block must be big enough to go through the filter"
    si, sj, ss, single = similar_pairs(norms, threshold=THRESHOLD, workers=1)
    assert (si.tolist(), sj.tolist(), ss.tolist(), single) == (fi.tolist(), fj.tolist(), fs.tolist(), stats)
    ei, ej, _ = exact_pairs(norms, threshold=THRESHOLD)
    fast, exact = _pairs(fi, fj), _pairs(ei, ej)
    assert len(exact) > 100
    assert len(fast & exact) >= 0.99 * len(exact), f"recall {len(fast & exact) / len(exact):.4f}"
    assert fast <= exact


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.one_of(WORDS, st.sampled_from(["tea", "teas", "coffee"])), max_size=1), st.integers(0, 2)),
        min_size=2,
        max_size=40,
    ),
    st.integers(0, 2),
    st.lists(st.integers(1, 39), max_size=3),
)
def test_block_filter_keeps_every_pair_within_the_bound(
    members: list[tuple[list[str], int]], fresh_step: int, cuts: list[int]
) -> None:
    """``_filtered_blocks`` against a plain double loop over each block:
    every pair of one block whose left-out word and noise words are within
    the bound, for one block or several filtered at once."""
    from rapidfuzz.distance import Indel

    from dreaming.consolidate.blocking import _filtered_blocks

    noise_texts = ["", "teh", "fro tje"]
    tokens = sorted({w for words, _ in members for w in words})
    left = np.array([tokens.index(words[0]) if words else -1 for words, _ in members], dtype=np.int32)
    n = len(members) + 3
    nodes = np.arange(3, n)
    edges = [0, *sorted({c for c in cuts if c < len(members)}), len(members)]
    blocks = [(nodes[a:b], left[a:b]) for a, b in zip(edges, edges[1:])]
    unsaid = np.array([0, 0, 0] + [k for _, k in members], dtype=np.int32)
    lengths = np.array([20 + (k * 5) % 11 for k in range(n)], dtype=np.int64)
    fresh = None if fresh_step == 0 else (np.arange(n) % (fresh_step + 1) == 0)
    codes = _filtered_blocks(
        blocks, tokens, lengths, (unsaid, noise_texts), fresh=fresh, threshold=THRESHOLD, workers=1, n=n
    )
    one_by_one = _filtered_blocks(
        blocks, tokens, lengths, (unsaid, noise_texts), fresh=fresh, threshold=THRESHOLD, workers=1, n=n, batch_size=1
    )
    assert sorted(codes.tolist()) == sorted(one_by_one.tolist())
    got = [(int(c) // n, int(c) % n) for c in codes]
    text = [" ".join([*sorted(words), noise_texts[k]]).strip() for words, k in members]
    want = set()
    for first, stop in zip(edges, edges[1:]):
        for x in range(first, stop):
            for y in range(x + 1, stop):
                a, b = int(nodes[x]), int(nodes[y])
                if fresh is not None and not (fresh[a] or fresh[b]):
                    continue
                if Indel.distance(text[x], text[y]) <= (100 - THRESHOLD) / 100 * (lengths[a] + lengths[b]) + 1e-9:
                    want.add((a, b))
    assert set(got) == want
    assert all(a < b for a, b in got)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=2, max_size=12), st.integers(60, 100))
def test_character_bound_never_rejects_a_pair_that_reaches_the_threshold(words: list[str], threshold: int) -> None:
    """``_CharBound`` is exact: every pair it turns away scores below the threshold."""
    from rapidfuzz import fuzz

    from dreaming.consolidate.blocking import _CharBound

    # and long texts: 256 or more characters in one group of eight buckets
    # ("a" to "h") is too many for the counts' sums, with or without a
    # partner that has fewer
    long = ["a" * 300, "a" * 299 + "b", "abcdefgh" * 40, "abcdefgh" * 39 + "abcdefgx", "ab" * 130, "ab" * 120 + "c" * 10]
    dates = ["2024-05-01 deadline", "2024-06-01 deadline", "2025-05-03 deadline", "port 8080", "port 8081", "v1.2.3"]
    texts = [*words, *(w[1:] + w[:1] + "x" for w in words), *long, *dates]
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    bound = _CharBound(texts, lengths, float(threshold))
    lo, hi = np.triu_indices(len(texts), k=1)
    admitted = bound.admits(lo, hi)
    for a, b, ok in zip(lo.tolist(), hi.tolist(), admitted.tolist()):
        score = fuzz.ratio(texts[a], texts[b], processor=None, score_cutoff=0)
        assert ok or score < threshold, (texts[a], texts[b], score)
    # and it does turn pairs away: texts with no character in common
    far = _CharBound(["abcdef", "uvwxyz"], np.array([6, 6]), 88.0)
    assert not far.admits(np.array([0]), np.array([1]))[0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abcdeé漢", min_size=3, max_size=9), min_size=1, max_size=30, unique=True))
def test_deletion_variant_hashes_match_the_strings(words: list[str]) -> None:
    """``_deletion_variants`` against the variants as Python strings: two
    hashes are equal exactly when the strings are (no collision here)."""
    from dreaming.consolidate.blocking import _deletion_variants

    hashes, owners = _deletion_variants(words, np.arange(len(words)) + 10)
    assert sorted(owners.tolist()) == [10 + k for k, w in enumerate(words) for _ in range(len(w) + 1)]
    # each word's hashes in order: without position 0, 1, ... then the word itself
    strings: list[str] = []
    for owner in dict.fromkeys(owners.tolist()):
        w = words[owner - 10]
        strings += [*(w[:k] + w[k + 1 :] for k in range(len(w))), w]
    by_string: dict[str, int] = {}
    by_hash: dict[int, str] = {}
    for text, h in zip(strings, hashes.tolist()):
        assert by_string.setdefault(text, h) == h
        assert by_hash.setdefault(h, text) == text


def _plain_spelling_classes(tokens: list[str], frequency: np.ndarray) -> np.ndarray:
    """The spelling classes the plain way: a dict from each one-deletion variant
    (as a string) to the words that have it, then the climb."""
    from dreaming.consolidate.blocking import _DIGIT

    best = np.arange(len(tokens))
    numbers = [k for k, w in enumerate(tokens) if _DIGIT.search(w)]
    best[numbers] = numbers[0] if numbers else 0
    groups: dict[str, list[int]] = {}
    for k, w in enumerate(tokens):
        if len(w) >= 3 and w.isalpha():
            for v in {w} | {w[:i] + w[i + 1 :] for i in range(len(w))}:
                groups.setdefault(v, []).append(k)
    top: dict[int, int] = {}
    for members in groups.values():
        winner = max(members, key=lambda k: (frequency[k], -k))
        for k in members:
            if k not in top or (frequency[winner], -winner) > (frequency[top[k]], -top[k]):
                top[k] = winner
    for k, winner in top.items():
        best[k] = winner
    while not np.array_equal(best[best], best):
        best = best[best]
    return best


def _plain_noise(tokens: list[str], frequency: np.ndarray) -> np.ndarray:
    from dreaming.consolidate.text import FUNCTION_WORDS

    near = set(FUNCTION_WORDS) | {w[:i] + w[i + 1 :] for w in FUNCTION_WORDS if len(w) >= 3 for i in range(len(w))}
    common = max(3, int(frequency.sum()) // 5000)
    return np.array(
        [
            2 <= len(w) <= 6
            and w.isalpha()
            and (len(w) <= 4 or frequency[k] <= common)
            and (w in near or any(w[:i] + w[i + 1 :] in near for i in range(len(w))))
            for k, w in enumerate(tokens)
        ],
        dtype=bool,
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(WORDS, st.text(alphabet="aehortsnfé1", min_size=1, max_size=8)), min_size=1, max_size=60, unique=True
    ),
    st.randoms(use_true_random=False),
)
def test_spelling_classes_and_noise_match_the_plain_versions(words: list[str], rng) -> None:
    from dreaming.consolidate.blocking import _noise, _spelling_classes

    tokens = sorted(set(words) | {"the", "teh", "fro", "for", "thhe", "tabs", "tbas", "tab"})
    frequency = np.array([rng.randint(1, 9) for _ in tokens], dtype=np.int64)
    assert _spelling_classes(tokens, frequency).tolist() == _plain_spelling_classes(tokens, frequency).tolist()
    assert _noise(tokens, frequency).tolist() == _plain_noise(tokens, frequency).tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=300), st.integers(min_value=0, max_value=7))
def test_key_order_sorts_by_the_top_48_bits(values: list[int], repeats: int) -> None:
    """The radix order against Python's sort: runs of equal top bits are the blocks."""
    from dreaming.consolidate.blocking import _key_order

    keys = np.array(values + values[:repeats] + [v ^ 0xFFFF for v in values[:repeats]], dtype=np.uint64)
    order, grouped = _key_order(keys)
    assert sorted(order.tolist()) == list(range(keys.size))
    assert grouped.tolist() == sorted(int(k) >> 16 for k in keys.tolist())
    assert (keys[order] >> np.uint64(16)).tolist() == grouped.tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=40))
def test_left_out_texts_match_the_plain_join(codes: list[tuple[int, int]]) -> None:
    """The element-wise sums against joining the non-empty parts by a space."""
    from dreaming.consolidate.blocking import _left_out_texts

    tokens = ["alpha", "b", "ccc", "dé", "e漢"]
    unsaid = ["", "teh", "fro thhe", "fpr"]
    word, noise = (np.array(part, dtype=np.int64) for part in zip(*codes))
    got = _left_out_texts(word, noise, tokens, unsaid).tolist()
    words = ["", *tokens]
    assert got == [" ".join(filter(None, (words[w], unsaid[k]))) for w, k in codes]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=0, max_size=9), max_size=25), st.integers(0, 3))
def test_all_pairs_of_runs_match_a_double_loop(runs: list[list[int]], fresh_step: int) -> None:
    """``_all_pairs`` against a plain double loop over each run: every pair of
    distinct members, as (lower, higher), with a fresh side when asked."""
    from dreaming.consolidate.blocking import _all_pairs

    n = 31
    values = np.array([v for run in runs for v in run], dtype=np.int32)
    sizes = np.array([len(run) for run in runs], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    fresh = None if fresh_step == 0 else (np.arange(n) % (fresh_step + 1) == 0)
    codes = _all_pairs(values, starts, sizes, n=n, fresh=fresh)
    want = sorted(
        min(x, y) * n + max(x, y)
        for run in runs
        for k, x in enumerate(run)
        for y in run[k + 1 :]
        if x != y and (fresh is None or fresh[x] or fresh[y])
    )
    assert sorted(codes.tolist()) == want


def test_texts_are_copied_side_by_side_unless_one_holds_a_line_break() -> None:
    from dreaming.consolidate.blocking import _side_by_side

    texts = ["".join(["user prefers tabs", str(k)]) for k in range(5)]  # strings made one by one
    copied = _side_by_side(texts)
    assert copied == texts and all(a is not b for a, b in zip(copied, texts))
    broken = [*texts, "two\nlines"]
    assert _side_by_side(broken) is broken
    assert _side_by_side(["one"]) == ["one"] and list(_side_by_side([])) == []
    assert _side_by_side(["", ""]) == ["", ""]
