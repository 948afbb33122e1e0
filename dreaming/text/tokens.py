"""Splitting text into words: one tokenizer per rule, named by what it keeps.

Every function lowercases first.  Where two stages split text differently the
difference is deliberate (a stage's thresholds were tuned on its own split),
so each rule has its own name here rather than one compromise.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
_TERM = re.compile(r"[a-z0-9][a-z0-9'+-]{2,}")
_LETTER_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def words(text: str) -> list[str]:
    """Runs of letters and digits: ``"GPT-4o's key"`` -> ``gpt``, ``4o``, ``s``, ``key``.

    Keys, slugs and groundedness checks use this split.
    """
    return _WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """Words of three or more characters that may hold ``'``, ``+`` or ``-``
    inside: ``"C++ and gpt-4o don't"`` -> ``c++``, ``and``, ``gpt-4o``, ``don't``."""
    return _TERM.findall(text.lower())


def letter_words(text: str) -> list[str]:
    """Words that start with a letter and hold only letters, ``'`` and ``-``
    (digits split them off): ``"I'm re-reading 2 books"`` -> ``i'm``, ``re-reading``, ``books``."""
    return _LETTER_WORD.findall(text.lower())
