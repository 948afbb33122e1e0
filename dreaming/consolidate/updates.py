"""Two ways a memory says it replaced another, read from its form alone.

* **The same label, another value** (``label_update``): memories written as
  ``Label: value`` ("Signing target: 15 May 2026" / "Signing target: 29 May
  2026 - slipped two weeks"; also ``Label - value`` and ``Label = value``)
  name their attribute in the label.  Two memories of one file (or two with
  no file of their own) with the same label and different values are two
  values of one attribute; the later replaces the earlier -- unless the label
  is a list (held by more than two memories there), the older value is a
  sentence rather than a value (more than eight content words: "leo: mild
  asthma, inhaler in his bag ..." is a fact about Leo), or the older value is
  said again after the newer one (then both hold).
* **The newer names the old value** (``names_old_value``): "Gravedigger: HP 64
  (was 70, nerfed)", "we moved the -80 from 3.10 to 3.02", "Kofi has taken
  over from Bea": a construction that states a replacement (was, used to be,
  from X to, replaced, took over from, changed from, ``X -> Y``) followed by
  a word the older memory holds, and a second word they share that is what
  the older memory is about (one of its first three content words: its
  subject or label), in an older memory short enough to be one attribute
  (at most twelve content words).  Weaker constructions ("instead of", "no
  longer", "not") are left to the pair scorer and the judge: measured on the
  scenarios, they retired unrelated memories.  "not only X" and
  "as well as X" add; they do not replace.

Both are rules about the *form* of a memory, not about any topic; each
returns the reason and the words it rests on, for the decision trail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dreaming.consolidate.pairs import FUNCTION_WORDS, content_words, same_word
from dreaming.records import Memory

RULE_LABEL = "label-update"
RULE_NAMED = "names-old-value"

_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(?P<label>[A-Za-z][\w /&'().+-]{0,40}?)\s*(?::|\s[—–=-]\s)\s*(?P<value>\S.*)$", re.S)
_CHANGE_BEFORE_OLD = re.compile(
    r"\b(?:was|were|used to be|replacing|replaced|replaces|"
    r"(?:took|taken|takes|taking) over(?:\s+[\w-]+){0,3}?\s+from|changed from)\s+(?:the\s+|a\s+|an\s+|on\s+|at\s+|in\s+|to\s+)?"
    r"(?P<old>[\w./:@+£$€%-]+(?:\s+[\w./:@+£$€%-]+)?)"
    r"|\bfrom\s+(?:the\s+|a\s+|an\s+)?(?P<old2>[\w./:@+£$€%-]+(?:\s+[\w./:@+£$€%-]+){0,2})\s+to\b",
    re.I,
)
_ARROW = re.compile(r"(?P<old>[\w./:@+£$€%-]+)\s*(?:->|→|=>)\s*[\w./:@+£$€%-]+")
#: a value is short ("15 May 2026", "Pro (annual)", "desk 3.14"); a longer text after a label is a fact about it
_VALUE_WORDS = 8
#: a memory of more content words than this is not a single attribute's value
_SHORT = 12
_ADDITIVE = re.compile(r"\bnot (?:only|just)\b|\bas well as\b|\bin addition to\b", re.I)


@dataclass(frozen=True, kw_only=True)
class FormUpdate:
    old_id: str
    new_id: str
    rule: str
    reason: str
    words: tuple[str, ...]


def label_of(text: str) -> tuple[str, str] | None:
    """``(label, value)`` of a ``Label: value`` memory (a label of at most five words), else ``None``."""
    m = _LABEL.match(text.strip())
    if not m:
        return None
    label = " ".join(m.group("label").lower().split())
    if len(label.split()) > 5 or not any(w not in FUNCTION_WORDS for w in label.split()):
        return None
    return label, m.group("value").strip()


def _when(m: Memory) -> str:
    at = m.observed_at or m.created_at
    return at.isoformat() if at else ""


def _place(m: Memory) -> str:
    return m.path or ""


def label_updates(memories: Sequence[Memory]) -> list[FormUpdate]:
    """Older values of a label retired by the newest (see the module doc)."""
    groups: dict[tuple[str, str], list[tuple[Memory, str]]] = {}
    for m in memories:
        lv = label_of(m.content)
        if lv:
            groups.setdefault((_place(m), lv[0]), []).append((m, lv[1]))
    out = []
    for (place, label), held in sorted(groups.items()):
        if len(held) != 2:
            continue  # one value, or a list of several
        if _names_the_file(label, place):
            continue  # "settlement-svc: ..." in /services/settlement-svc.md: the label is the file's subject, not an attribute
        (older, old_value), (newer, new_value) = sorted(held, key=lambda mv: (_when(mv[0]), mv[0].id))
        if _when(older) == _when(newer):
            continue
        old_words, new_words = set(content_words(old_value)), set(content_words(new_value))
        if old_words == new_words or not new_words - old_words:
            continue  # the same value (a duplicate), or the newer only repeats part of it
        if len(content_words(old_value)) > _VALUE_WORDS:
            continue  # a sentence after a name ("leo: mild asthma, inhaler in his bag ..."): a fact, not a value
        out.append(FormUpdate(
            old_id=older.id, new_id=newer.id, rule=RULE_LABEL, words=(label,),
            reason=f"'{label}' is {new_value[:60]!r} since {_when(newer)[:10]}, no longer {old_value[:60]!r} ({RULE_LABEL})",
        ))
    return out


def _names_the_file(label: str, path: str) -> bool:
    """The label is what the file is about: its name, or a folder's ("/clients/harbor-bikes.md": "harbor bikes")."""
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    parts = [re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in re.sub(r"\.md$", "", path).split("/") if p]
    return bool(slug) and slug in parts


def old_values(text: str) -> list[str]:
    """The words a memory says it replaced ("was X", "from X to", "took over from X", "X -> Y"), if it says."""
    out: list[str] = []
    for m in list(_CHANGE_BEFORE_OLD.finditer(text)) + list(_ARROW.finditer(text)):
        out.extend(content_words(m.group("old") or m.group("old2") or ""))
    return out


def names_old_value(older: Memory, newer: Memory) -> FormUpdate | None:
    """``newer`` says it replaced ``older`` by naming older's value after a change construction."""
    if _when(older) >= _when(newer) or _ADDITIVE.search(newer.content):
        return None
    if len(content_words(older.content)) > _SHORT:
        return None  # a long memory holds many words; one of them named in passing is no evidence
    old_words = set(content_words(older.content))
    new_words = set(content_words(newer.content))
    named: list[str] = []
    for m in list(_CHANGE_BEFORE_OLD.finditer(newer.content)) + list(_ARROW.finditer(newer.content)):
        for w in content_words(m.group("old") or m.group("old2") or ""):
            held = w if w in old_words else next((x for x in old_words if same_word(x, w)), None)
            if held is not None:
                named.append(held)  # "from Fridays to" names the older "Friday lunch"
    # something else in common, and it is what the older memory is about (among its first words: its
    # subject or its label), not a word it mentions in passing
    labelled = label_of(older.content)
    lead = set(content_words(labelled[0])) if labelled else set(content_words(older.content)[:3])
    named = [w for w in named if w not in lead]  # the value, not the subject
    anchors = [w for w in (old_words & new_words & lead) - set(named) if len(w) >= 3 or any(c.isdigit() for c in w)]
    if not named or not anchors:
        return None
    return FormUpdate(
        old_id=older.id, new_id=newer.id, rule=RULE_NAMED, words=tuple(sorted(set(named))) + tuple(sorted(anchors))[:3],
        reason=f"the newer memory says it replaced {', '.join(sorted(set(named)))!r} "
               f"(about {', '.join(sorted(anchors)[:3])}) ({RULE_NAMED})",
    )
