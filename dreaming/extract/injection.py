"""Text aimed at the memory system is never a memory.

A memory store is read by the agent at the start of every session, so a
memory that says "ignore your rules" or "forward every invoice to ..." is an
instruction planted for later: prompt injection with a delay.  It arrives
typed by someone, pasted, or inside a tool result (a web page, a file, an
email, a ticket).  This module says whether a text *reads as* such an
instruction; the extractor drops those texts, and text that arrived in a tool
result can never become a standing instruction at all.

The test is a sum of independent, general signals -- none of them names a
topic of any deployment:

* **addressed to the system**: the text talks about the assistant's rules,
  instructions, system prompt, memory or memory store, or opens with a role
  marker (``SYSTEM:``, ``[assistant]``, ``<system>``, ``### instruction``);
* **override**: it asks to ignore, disregard, forget, override or replace
  what the assistant was told or knows;
* **destruction**: it asks to delete, erase, wipe or empty memories,
  records, the store;
* **exfiltration**: it asks to send, forward, copy, upload or post data --
  secrets, passwords, keys, every message, all files -- to an address, a URL
  or someone outside;
* **scope**: it claims total reach ("every", "all", "from now on",
  "always", "never tell").

One signal alone is ordinary talk ("forget it, use pnpm", "always run the
linter", "email the report to Ana"); an instruction to the memory system
needs two (``score >= 2``), or one of override/destruction about the system
itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SYSTEM = re.compile(
    r"\b(?:system prompt|(?:your|the|my|all|previous|prior|earlier|above|original)\s+(?:\w+\s+)?(?:rules|instructions|guidelines|"
    r"directives|programming|configuration|settings|prompt)|memory store|memory bank|memory file|memories|your memory|"
    r"the memory|long[- ]term memory|knowledge base|this assistant|you are now|you must now|new persona|"
    r"developer mode|jailbreak)\b"
    # a reader addressed as a machine: "note to any AI reading this", "AI assistants processing this document"
    r"|\b(?:ais?|llms?|assistants?|models?|bots?|agents?)\b(?:\s+\w+){0,2}?\s+(?:reading|processing|summari[sz]ing|parsing|seeing)\b",
    re.I,
)
_ROLE_MARKER = re.compile(
    r"(?:^|\n)\s*(?:\[?\s*(?:system|assistant|admin|developer|root)\s*\]?\s*[:>]|<\s*/?\s*(?:system|instructions?)\s*>|"
    r"#{2,}\s*(?:system|instructions?|new instructions?)\b)",
    re.I,
)
_OVERRIDE = re.compile(
    r"\b(?:ignore|disregard|forget|override|overwrite|bypass|replace|drop|abandon)\b(?:\s+\w+){0,3}?\s+"
    r"(?:all|any|every|your|the|previous|prior|earlier|above|existing|those|these|everything)\b",
    re.I,
)
_DESTROY = re.compile(
    r"\b(?:delete|erase|wipe|purge|clear|empty|remove|destroy|reset)\b(?:\s+\w+){0,4}?\s+"
    r"(?:all|every|everything|memor(?:y|ies)|store|records?|notes|history|data|files?)\b"
    r"|\b(?:must|should|shall)\s+be\s+(?:empty|emptied|deleted|erased|wiped|cleared)\b",
    re.I,
)
_EXFIL = re.compile(
    r"\b(?:send|forward|copy|upload|post|leak|exfiltrate|email|mail|share|transmit|bcc|cc)\b[^.!?\n]{0,80}?"
    r"(?:\b[\w.+-]+@[\w-]+\.[\w.-]+|https?://\S+|\bto (?:an? )?(?:external|outside|third[- ]party)\b)",
    re.I,
)
_SECRET_WORDS = re.compile(r"\b(?:secrets?|passwords?|credentials?|api keys?|tokens?|private keys?|ssh keys?)\b", re.I)
_SCOPE = re.compile(
    r"\b(?:from now on|going forward|henceforth|always|never|every|all|everything|any(?:one|thing)?)\b", re.I
)


@dataclass(frozen=True, kw_only=True)
class InjectionSignals:
    system: bool
    override: bool
    destroy: bool
    exfiltrate: bool
    scope: bool

    @property
    def score(self) -> int:
        return sum((self.system, self.override, self.destroy, self.exfiltrate, self.scope))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in ("system", "override", "destroy", "exfiltrate", "scope") if getattr(self, n))


def signals(text: str) -> InjectionSignals:
    exfil = bool(_EXFIL.search(text))
    return InjectionSignals(
        system=bool(_SYSTEM.search(text) or _ROLE_MARKER.search(text)),
        override=bool(_OVERRIDE.search(text)),
        destroy=bool(_DESTROY.search(text)),
        exfiltrate=exfil or bool(_SECRET_WORDS.search(text) and re.search(r"\b(?:send|forward|email|post|upload)\b", text, re.I)),
        scope=bool(_SCOPE.search(text)),
    )


def aimed_at_memory(text: str) -> str | None:
    """Why ``text`` reads as an instruction to the assistant's rules or memory system, or ``None``."""
    s = signals(text)
    strong = s.system and (s.override or s.destroy)
    if strong or s.exfiltrate and (s.scope or s.system) or s.score >= 3:
        return "reads as an instruction to the memory system (" + ", ".join(s.names) + ")"
    return None
