"""Two memories: the same fact, a newer value, or two facts?  A calibrated scorer.

The consolidation core (:mod:`.engine`) decides what it can prove from the
words: the same content words up to typos, a keyed or parsed subject with a
new value.  People say one fact in many ways ("Our CI runs on GitHub
Actions" / "The CI pipeline is GitHub Actions.") and change it in many ways
("i switched from pycharm to neovim last week"); this module scores such
pairs from general features and a small model fitted on labelled pairs:

* **meaning**: the cosine of the two texts' sentence vectors
  (:mod:`.vectors`, a static embedding shipped in a wheel);
* **words**: rapidfuzz token-set ratio and ratio, the Jaccard overlap of
  content words, and how *rare* the shared and the unshared words are in the
  store (inverse document frequency: names, places, numbers and URLs that
  few memories share say more than common words);
* **values**: numbers or capitalised words that only one side has (a value
  that differs), on one side or on both;
* **shape**: same file, same first content word (the subject), opposite
  polarity (one negated), a change marker in the newer text ("now", "from X
  to Y", "moved", "instead of", "no longer", "since"), the time order.

``features`` computes them; :class:`PairModel` is a multinomial logistic
regression over them (duplicate / update / distinct), fitted on the dev half
of ``evals/pairs`` by ``evals/pairs/train.py`` and shipped as data
(``dreaming/data/pair_model.json``).  It returns a probability per label; the
caller acts only above a confidence it chooses (see
:class:`dreaming.consolidate.meaning.MeaningConfig`) and sends the uncertain
middle to the judge or lists it for review.  Nothing in the features names a
topic: the word lists here are closed-class (negations, change markers,
function words).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from typing import Any

from rapidfuzz import fuzz, utils

LABELS = ("duplicate", "update", "distinct")

#: function words: never a value, never evidence of the same fact
FUNCTION_WORDS = frozenset(
    "a an the and or but so to of in on at for with from by about as into onto over under is are was were be been "
    "being am i me my mine we our ours us you your yours he him his she her hers it its they them their theirs this "
    "that these those there here have has had do does did can could will would should might may shall must then than "
    "just also too very really some any all each every more most much many such own same other which who whom whose "
    "what when where why how if else not no nor yes s t ll d re ve m".split()
)
_NEGATIONS = frozenset("not no never none nobody nothing neither nor without cannot can't don't doesn't didn't "
                       "isn't aren't wasn't weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't".split())
#: words and signs that mark a change of value ("now", "from X to Y", "moved to", "no longer", "->")
_CHANGE = re.compile(
    r"\b(?:now|no longer|anymore|any more|instead(?: of)?|switched|switching|migrated|migrating|changed|"
    r"changing|replaced|replacing|swapped|upgraded|downgraded|bumped|renamed|took over|taken over|takes over|"
    r"from now on|as of|used to|previously|formerly|moved (?:to|from|back|up|forward)|from \S+(?: \S+)? to)\b"
    r"|->|→|=>",
    re.I,
)
#: a sentence that narrates what happened ("Caroline attended a support group", "we went to Rome"):
#: a past-tense verb in the first words and no key-value colon -- events add up, they do not replace each other
_NARRATION = re.compile(r"^\W*(?:[\w'’-]+\s+){0,3}?(?:[a-z]+ed|" + "|".join(sorted({
    "went", "got", "made", "took", "came", "saw", "gave", "found", "told", "became", "left", "began", "brought",
    "bought", "built", "wrote", "ran", "met", "paid", "sent", "spent", "won", "lost", "sold", "taught", "held",
    "heard", "drove", "flew", "grew", "chose", "fell", "did", "had", "ate", "sang", "swam", "rode", "wore", "broke",
    "spoke", "woke", "threw", "drew", "read"})) + r")\b", re.I)


#: auxiliaries that make the participle after them a state or a passive present ("lunch is paid by the
#: partners", "keys are kept at reception"), not a narrated event
_STATE_AUXILIARIES = frozenset("is are am be being isn't aren't 's".split())


def says_it_changed(text: str) -> bool:
    """The text says a value changed: a change marker ("now", "moved to", "no longer", "from X to Y", "->")."""
    return bool(_CHANGE.search(text))


def narrates(text: str) -> bool:
    """``text`` tells an event in the past tense (see ``_NARRATION``), rather than a state or a rule."""
    match = _NARRATION.match(text) if ":" not in text[:60] else None
    if match is None:
        return False
    before = re.findall(r"[\w'’]+", text[: match.end()].lower())[:-1]
    return not (before and before[-1].replace("’", "'") in _STATE_AUXILIARIES)


_WORD = re.compile(r"[a-z0-9][a-z0-9._/@:+'-]*[a-z0-9]|[a-z0-9]")
_RAW_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+'-]*[A-Za-z0-9]|[A-Za-z0-9]")
_DIGIT = re.compile(r"\d")

#: the order of the feature vector (the model's coefficients follow it)
FEATURES = (
    "bias", "cos", "cos2", "tsr", "ratio", "jaccard", "shared_idf", "only_min_idf", "only_max_idf", "only_a_values",
    "values_both_sides", "numbers_both_sides", "same_path", "same_first", "negation_differs", "change_marker",
    "time_apart", "short", "contained", "substitution", "substitution_first", "edit_spans", "older_narrates",
)


def substitution(a: Sequence[str], b: Sequence[str]) -> tuple[int, bool, int]:
    """How the two word sequences differ, aligned: ``(spans, one_swap, at)``: the
    number of differing spans, whether they differ by exactly one short swap
    (a word or three replaced by another -- a value or an entity changed, the
    rest said the same way), and where that swap starts (0: the subject)."""
    ops = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    swap = len(ops) == 1 and ops[0][0] == "replace" and ops[0][2] - ops[0][1] <= 3 and ops[0][4] - ops[0][3] <= 3
    return len(ops), swap, (ops[0][1] if ops else -1)


def content_words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text.lower()) if w not in FUNCTION_WORDS]


def value_words(text: str) -> set[str]:
    """Words that carry a value: with a digit, or capitalised inside the sentence (a name)."""
    out = set()
    words = _RAW_WORD.findall(text)
    for i, w in enumerate(words):
        lw = w.lower()
        if lw in FUNCTION_WORDS:
            continue
        if _DIGIT.search(w) or (i > 0 and w[0].isupper()) or any(c in w for c in "/@:."):
            out.add(lw)
    return out


@dataclass(frozen=True, kw_only=True)
class Side:
    """One memory as the scorer sees it."""

    text: str
    path: str | None = None
    observed_at: datetime | None = None


class DocumentFrequency:
    """How many memories of the store hold each content word (for rarity)."""

    def __init__(self, texts: Sequence[str] = ()) -> None:
        self.counts: dict[str, int] = {}
        self.total = 0
        for t in texts:
            self.add(t)

    def add(self, text: str) -> None:
        self.total += 1
        for w in set(content_words(text)):
            self.counts[w] = self.counts.get(w, 0) + 1

    def idf(self, word: str) -> float:
        # smoothed, and floored by a store of at least 50 memories so a tiny store does not call every word rare
        total = max(self.total, 50)
        return math.log((total + 1) / (self.counts.get(word, 0) + 1))


#: paths that say nothing of where a memory belongs (a new memory's default)
_UNPLACED = frozenset({"", "/", "/notes.md"})


def _same_place(a: str | None, b: str | None) -> float:
    """1: the same file; -1: two different files; 0: unknown (a side has no file of its own yet)."""
    if not a or not b or a in _UNPLACED or b in _UNPLACED:
        return 0.0
    return 1.0 if a == b else -1.0


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _number_of(word: str) -> str | None:
    """The number a word writes, units and times of day dropped ("11am", "11:00" -> "11"; "3.5s" -> "3.5";
    "4°c" -> "4"); ``None`` for a word that is not one number (a code like "r1.2/1.3", a date, an id)."""
    m = _NUMBER.match(word)
    if m is None:
        return None
    rest = word[m.end():]
    if rest in ("", "%") or re.fullmatch(r"(?::00)?(?:am|pm)?|°?[a-z]{1,3}|[a-z]{1,3}", rest):
        number = m.group(0).rstrip("0").rstrip(".") if "." in m.group(0) else m.group(0)
        return number + "pm" if rest.endswith("pm") else number  # "11pm" is not 11 in the morning
    return None


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s", "ly"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def abbreviates(short: str, long: str) -> bool:
    """``short`` is a shortening of ``long``: same first letter, its letters in order in ``long``, and shorter
    ("qtrly" / "quarterly", "mtg" / "meeting", "thu" / "thursdays", "res" / "resolution")."""
    if not (2 <= len(short) < len(long)) or short[0] != long[0] or not (short.isalpha() and long.isalpha()):
        return False
    if long.startswith(short) and len(short) < 3:
        return False  # "go" / "good": two letters cut from the front say too little
    rest = iter(long[1:])
    return all(c in rest for c in short[1:])


def same_word(x: str, y: str) -> bool:
    """Two words that say one thing: equal, the same stem, the same number, or one a shortening of the other."""
    if x == y:
        return True
    nx, ny = _number_of(x), _number_of(y)
    if nx is not None or ny is not None:
        return nx is not None and nx == ny
    return _stem(x) == _stem(y) or abbreviates(x, y) or abbreviates(y, x)


def aligned(wa: Sequence[str], wb: Sequence[str]) -> list[str]:
    """``wb`` with each word that says the same as a word of ``wa`` (:func:`same_word`) written as that word,
    so the two texts' shared words include "qtrly"/"quarterly", "11am"/"11:00", "thursdays"/"thu"."""
    sa = set(wa)
    out = []
    for w in wb:
        if w not in sa:
            w = next((x for x in wa if same_word(x, w)), w)
        out.append(w)
    return out


def features(a: Side, b: Side, *, cos: float, df: DocumentFrequency) -> list[float]:
    """The feature vector of a pair, in :data:`FEATURES` order."""
    wa, wb = content_words(a.text), content_words(b.text)
    wb = aligned(wa, wb)
    sa, sb = set(wa), set(wb)
    shared, only_a, only_b = sa & sb, sa - sb, sb - sa
    va = value_words(a.text) - shared
    vb = set(aligned(sorted(sa), sorted(value_words(b.text)))) - shared
    na = {w for w in only_a if _DIGIT.search(w)}
    nb = {w for w in only_b if _DIGIT.search(w)}
    idf_a = sum(df.idf(w) for w in only_a)
    idf_b = sum(df.idf(w) for w in only_b)
    neg_a = any(w in _NEGATIONS for w in re.findall(r"[a-z']+", a.text.lower()))
    neg_b = any(w in _NEGATIONS for w in re.findall(r"[a-z']+", b.text.lower()))
    newer = a if a.observed_at and b.observed_at and a.observed_at > b.observed_at else b
    apart = 0.0
    if a.observed_at and b.observed_at:
        apart = min(abs((a.observed_at - b.observed_at).total_seconds()) / 86400.0, 365.0) / 365.0
    fa, fb = a.text.lower(), b.text.lower()
    spans, swap, at = substitution(_WORD.findall(fa), _WORD.findall(fb))
    return [
        1.0,
        cos,
        cos * cos,
        fuzz.token_set_ratio(a.text, b.text, processor=utils.default_process) / 100.0,
        fuzz.ratio(a.text, b.text, processor=utils.default_process) / 100.0,
        len(shared) / max(1, len(sa | sb)),
        min(sum(df.idf(w) for w in shared) / 20.0, 2.0),
        min(min(idf_a, idf_b) / 20.0, 2.0),
        min(max(idf_a, idf_b) / 20.0, 3.0),
        float(bool(va) != bool(vb)),
        float(bool(va) and bool(vb)),
        float(bool(na) and bool(nb)),
        _same_place(a.path, b.path),
        float(bool(wa) and bool(wb) and wa[0] == wb[0]),
        float(neg_a != neg_b),
        float(says_it_changed(newer.text)),
        apart,
        float(min(len(wa), len(wb)) <= 3),
        float(bool(fa) and bool(fb) and (fa in fb or fb in fa)),
        float(swap),
        float(swap and at == 0),
        min(spans, 6) / 6.0,
        float(narrates((b if newer is a else a).text)),
    ]


@dataclass(frozen=True, kw_only=True)
class PairCall:
    """The model's call on a pair: probabilities per label, the winner and its confidence."""

    probabilities: Mapping[str, float]

    @property
    def label(self) -> str:
        return max(LABELS, key=lambda k: self.probabilities[k])

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]


class PairModel:
    """A multinomial logistic regression over :data:`FEATURES`."""

    def __init__(self, weights: Mapping[str, Sequence[float]], *, meta: Mapping[str, Any] | None = None) -> None:
        for label in LABELS:
            if len(weights[label]) != len(FEATURES):
                raise ValueError(f"the pair model has {len(weights[label])} weights for {label}, not {len(FEATURES)}")
        self.weights = {k: list(map(float, v)) for k, v in weights.items()}
        self.meta = dict(meta or {})

    def call(self, vector: Sequence[float]) -> PairCall:
        scores = {k: sum(w * x for w, x in zip(self.weights[k], vector)) for k in LABELS}
        top = max(scores.values())
        exp = {k: math.exp(v - top) for k, v in scores.items()}
        total = sum(exp.values())
        return PairCall(probabilities={k: exp[k] / total for k in LABELS})

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "labels": list(LABELS), "weights": self.weights, "meta": self.meta}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PairModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError("the pair model was fitted on other features; refit it with evals/pairs/train.py")
        return cls(data["weights"], meta=data.get("meta"))


@lru_cache(maxsize=1)
def shipped_model() -> PairModel:
    """The model shipped with the package (``dreaming/data/pair_model.json``)."""
    text = resources.files("dreaming").joinpath("data/pair_model.json").read_text(encoding="utf-8")
    return PairModel.from_json(json.loads(text))
