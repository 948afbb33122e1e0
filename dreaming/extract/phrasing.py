"""Turning first-person statements into third-person memories.

"I prefer tabs" said by the user becomes "User prefers tabs."; "My dog is
called Rex" said by Caroline becomes "Caroline's dog is called Rex."  The
rules are deliberately small: the subject pronoun, the first verb after it,
and possessive/object pronouns.  Anything else is kept word for word, so a
memory never says more than the turn did.
"""

from __future__ import annotations

import re

from dreaming.text.words import IRREGULAR_PAST

#: an adverb between "I" and the verb ("I finally took"): the listed ones, or a word in -ly that is not a verb
_ADVERB = (r"also|really|now|usually|always|never|still|just|generally|strongly|mostly|even|often|"
           r"(?!(?:fly|apply|reply|rely|supply|imply|comply|multiply|ally|rally|tally|bully)\b)[a-z]+ly(?=\s+[a-z])")
_MODALS = {"can", "could", "will", "would", "should", "must", "might", "may", "shall"}
_THIRD = {"have": "has", "do": "does", "go": "goes", "be": "is", "am": "is"}
_CONTRACTIONS = [
    (re.compile(r"^I'm\b", re.I), "{S} is"),
    (re.compile(r"^I am\b", re.I), "{S} is"),
    (re.compile(r"^I've\b", re.I), "{S} has"),
    (re.compile(r"^I'd\b", re.I), "{S} would"),
    (re.compile(r"^I'll\b", re.I), "{S} will"),
    (re.compile(r"^I (?:don't|do not)\b", re.I), "{S} does not"),
    (re.compile(r"^I (?:can't|cannot|can not)\b", re.I), "{S} cannot"),
    (re.compile(r"^I (?:didn't|did not)\b", re.I), "{S} did not"),
    (re.compile(r"^I (?:won't|will not)\b", re.I), "{S} will not"),
    (re.compile(r"^I (?:haven't|have not)\b", re.I), "{S} has not"),
    (re.compile(r"^I (?:wasn't|was not)\b", re.I), "{S} was not"),
]


def _possessive(noun: str) -> str:
    """ "Mel's", "Mel and others'" """
    return f"{noun}'" if noun.endswith("s") else f"{noun}'s"


def conjugate(verb: str) -> str:
    """Third-person singular present of ``verb`` (past forms unchanged)."""
    low = verb.lower()
    if low in _THIRD:
        return _THIRD[low]
    if low in IRREGULAR_PAST or low in _MODALS or low.endswith("ed") or not low.isalpha():
        return verb
    if re.search(r"(s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


def third_person(sentence: str, subject: str, *, listener: str = "the assistant", group: str | None = None) -> str:
    """Rewrite a first-person ``sentence`` about ``subject``.

    ``listener`` replaces "you"; ``group`` replaces "we/our/us" (default:
    ``"the team"`` for the user, ``"<subject> and others"`` for a named
    speaker).
    """
    text = sentence.strip()
    group = group or ("the team" if subject == "User" else f"{subject} and others")
    possessive = f"{subject}'s"
    for pattern, repl in _CONTRACTIONS:
        if pattern.match(text):
            text = pattern.sub(repl.format(S=subject), text, count=1)
            break
    else:
        match = re.match(rf"^I\s+(?:({_ADVERB})\s+)?(\w+(?:'\w+)?)(?!\w)", text)
        if match:
            adverb = f"{match.group(1)} " if match.group(1) else ""
            text = f"{subject} {adverb}{conjugate(match.group(2))}" + text[match.end():]
        elif re.match(r"^My\b", text):
            text = possessive + text[2:]
        elif re.match(r"^We\b", text):
            rest = text[2:]
            rest = re.sub(r"^'re\b", " are", rest)
            rest = re.sub(r"^'ve\b", " have", rest)
            rest = re.sub(r"^'ll\b", " will", rest)
            rest = re.sub(r"^'d\b", " would", rest)
            text = group[0].upper() + group[1:] + rest
        elif re.match(r"^Our\b", text):
            text = _possessive(group[0].upper() + group[1:]) + text[3:]
    # the rest of the sentence
    text = re.sub(r"\bI'm\b|\bI am\b", f"{subject} is", text)
    text = re.sub(r"\bI have\b", f"{subject} has", text)
    text = re.sub(r"\bI do\b", f"{subject} does", text)
    text = re.sub(r"\bI've\b", f"{subject} has", text)
    text = re.sub(r"\bI'll\b", f"{subject} will", text)
    text = re.sub(r"\bI'd\b", f"{subject} would", text)
    text = re.sub(r"\bI\b", subject, text)
    text = re.sub(r"\bmy\b", possessive, text, flags=re.I)
    text = re.sub(r"\bmyself\b", "themselves", text, flags=re.I)
    text = re.sub(r"\bmine\b", possessive, text, flags=re.I)
    text = re.sub(r"\bme\b(?!-)", subject if subject != "User" else "the user", text)  # "me-time" stays
    text = re.sub(r"\bour\b", _possessive(group), text)
    text = re.sub(r"\bus\b", group, text)
    text = re.sub(r"\bwe're\b", f"{group} are", text)
    text = re.sub(r"\bwe've\b", f"{group} have", text)
    text = re.sub(r"\bwe'll\b", f"{group} will", text)
    text = re.sub(r"\bwe'd\b", f"{group} would", text)
    text = re.sub(r"\bwe\b", group, text)
    text = re.sub(r"\byour\b", f"{listener}'s", text, flags=re.I)
    text = re.sub(r"\byou\b", listener, text, flags=re.I)
    text = text.strip()
    text = text[0].upper() + text[1:] if text else text
    if text and text[-1] not in ".!":
        text += "."
    return re.sub(r"!$", ".", text)
