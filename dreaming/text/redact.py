"""Secrets out of transcripts before anything is stored.

Transcripts hold whatever passed through a session: API keys pasted into a
prompt, tokens in a ``curl`` command, a ``.env`` file a tool printed, a
private key.  Ingest replaces each secret with a marker such as
``[REDACTED:aws-access-key]`` before the turn is written, so it is never
stored, never quoted as evidence and never sent to the API.

Detection is Yelp's ``detect-secrets`` (a maintained library with one
detector per credential kind): every built-in detector except the
high-entropy-string ones (they flag commit hashes, digests and ids, which are
legitimate memory content) and the public-IP one (an address is a fact, not
a credential), with its false-positive filters (templated values,
``$VARIABLES``, UUIDs, sequences, indirect references).  Its regex detectors
run over each whole string, and each match is confirmed by the detector
itself (so a JWT must decode); its keyword detector (``password = "..."``)
runs per line, as it is written to.  A few patterns supplement it where it
misses common kinds: PEM private key *blocks* (it flags only the header
line), Anthropic and current OpenAI keys, whole JWTs, fine-grained GitHub
tokens, Slack app tokens, Google API keys, ``Authorization``/``Bearer``
values, passwords in connection strings with an empty user, unquoted
``password=...``/``TOKEN: ...`` assignments, and known token prefixes cut
off by an excerpt's ``…``.

Every pattern runs in time linear in the text it scans (issue 16: the old
assignment pattern took 14.6 s on 40 kB of ``keykeykey...``): bounded
repeats, repeats that start only where a run of their characters starts,
checks done in Python after a match instead of by backtracking, linear
stand-ins for the detect-secrets patterns that backtrack
(:data:`LINEAR_REPLACEMENTS`; its keyword detector is replaced by
:data:`_ASSIGNMENT` and :data:`_QUOTED`), and a cap on the matches checked
one by one in a string (:data:`MAX_CHECKS`, :data:`MAX_FINDINGS`: past it
the whole string is one ``bulk-secrets`` finding).  Beyond formats, a
secret-looking value introduced in prose ("my VPN password is ...") is
found by :data:`_PROSE`, and a secret found in one string of a turn is
removed from its other strings too (a tool call's one-line summary).

Fast path: most regexes contain literal text that every match must contain
(``AKIA``, ``eyJ``, ``password``...) and long runs of one character class
(``[a-f0-9]{64}``), found by reading the regex with the standard library's
own parser; a turn without them is not scanned with that regex (one check
per turn for all its strings).  :func:`dreaming.testing.oracles.reference_find` scans everything with
everything and is the test oracle.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any

from dreaming.records import Session, ToolCall, Turn

try:  # the regex parser of the standard library (private, but stable for decades)
    from re import _constants as _sre  # type: ignore[attr-defined]  # (Python 3.11+; mypy checks as 3.10)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]  # (Python 3.11+)
except ImportError:  # Python 3.10
    import sre_constants as _sre
    import sre_parse as _sre_parse

#: detect-secrets detectors left out, and why (see the module docstring); the
#: keyword detector's regexes backtrack without bound (41 s on an 8 kB line of
#: "pwdpwd..."): :data:`_ASSIGNMENT` and :data:`_QUOTED` do its work in linear time
EXCLUDED = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector", "KeywordDetector"})

#: marker kinds for detect-secrets secret types (others: the type, slugified)
_KIND_NAMES = {
    "AWS Access Key": "aws-access-key",
    "Basic Auth Credentials": "password",
    "Secret Keyword": "secret",
    "JSON Web Token": "jwt",
    "Private Key": "private-key",
    "OpenAI Token": "openai-key",
}

#: kinds found by a secret-sounding name rather than by the secret's own format
GENERIC_KINDS = frozenset({
    "secret", "password", "token", "ibm-cloud-iam-key", "ibm-cos-hmac-credentials", "cloudant-credentials",
    "softlayer-credentials",
})

#: strings shorter than this are not scanned (no credential is that short)
MIN_LENGTH = 8
#: matches of the format scanners confirmed one by one in a string; past
#: this many (only in pathological text: 1 MB of "AKIA..." holds 50,000) the
#: rest are redacted unconfirmed, which keeps a string's cost linear
MAX_CHECKS = 4000
#: a longer match is not handed to its detector to confirm (it would scan it again)
MAX_CONFIRM = 4096
#: findings in one string past which the whole string is redacted
MAX_FINDINGS = 2000


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


_MARKER = re.compile(r"\[REDACTED:[a-z0-9-]+\]")


def slug(secret_type: str) -> str:
    return _KIND_NAMES.get(secret_type) or re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A secret at ``text[start:end]``."""

    start: int
    end: int
    kind: str


# --- what to look for ---------------------------------------------------------------


@dataclass(frozen=True)
class _Scanner:
    """One regex, the kind it finds, and where in a match the secret is."""

    kind: str
    regex: re.Pattern[str]
    #: the group holding the secret (None: a detect-secrets detector decides, see _secret_span)
    group: int | None = 0
    #: the detect-secrets detector that confirms each match
    plugin: Any = None
    #: a test the secret must pass (what a regex could only say by backtracking)
    check: Callable[[str], bool] | None = None


_TOKEN_PREFIXES = (
    r"sk-ant-|sk-(?:proj|svcacct|admin)-|gh[pousr]_|github_pat_|xox[abposr]-|xapp-|AKIA|ASIA|eyJ|glpat-|AIza|"
    r"[rs]k_live_|SG\.|npm_|pypi-|hf_|dop_v1_|shp(?:at|ss|ca|pa)_|dapi|whsec_"
)
_TOKEN_CHARS = r"A-Za-z0-9_\-"


def _random_looking(value: str) -> bool:
    """A digit and an upper-case letter somewhere (real keys are random;
    hyphenated words such as ``sk-learn-...`` are not)."""
    return any(c.isdigit() for c in value) and any(c.isupper() for c in value)


# Every pattern here runs in time linear in the text: no two unbounded
# repeats can share characters, and a repeat that could restart at every
# position either starts only where a run of its characters starts (a
# look-behind) or has a bound.  ``tests/test_safety_secrets.py`` times each on
# text built from its own literals (``sk-sk-sk-...``, ``keykeykey...``).
SUPPLEMENTS = (
    _Scanner("private-key", re.compile(
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)"
    )),
    _Scanner("private-key", re.compile(r"PuTTY-User-Key-File-\d{1,3}:[\s\S]*?(?:Private-MAC: {0,8}[0-9a-fA-F]+|\Z)")),
    _Scanner("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}")),
    # sk-proj-..., sk-svcacct-..., legacy sk-...: a digit and a capital letter required
    _Scanner("openai-key", re.compile(rf"(?<![{_TOKEN_CHARS}])sk-(?!ant-)[{_TOKEN_CHARS}]{{20,}}"), check=_random_looking),
    # header.payload.signature: the detector's own pattern stops before the signature
    _Scanner("jwt", re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-+/=]+")),
    _Scanner("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}")),
    _Scanner("slack-token", re.compile(r"\bxapp-\d-[A-Za-z0-9\-]{10,}")),
    _Scanner("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    # the whole of a Stripe key (detect-secrets' pattern takes its first 24 characters)
    _Scanner("stripe-access-key", re.compile(r"\b[rsp]k_(?:live|test)_[0-9a-zA-Z]{24,}")),
    _Scanner("stripe-webhook-secret", re.compile(r"\bwhsec_[A-Za-z0-9+/=]{24,}")),
    _Scanner("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}"), check=_random_looking),
    _Scanner("digitalocean-token", re.compile(r"\bdo[por]_v1_[a-f0-9]{64}")),
    _Scanner("shopify-token", re.compile(r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}")),
    _Scanner("databricks-token", re.compile(r"\bdapi[a-f0-9]{32}(?:-\d)?\b")),
    _Scanner("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}")),
    _Scanner("django-secret-key", re.compile(r"\bdjango-insecure-[^\s'\"`]{20,}")),
    _Scanner("token", re.compile(
        r"(?i)\bauthorization[\"']?\s{0,8}[:=]\s{0,8}[\"']?(?:bearer|basic|token|bot)\s{1,8}([A-Za-z0-9._~+/=\-]{8,})"
    ), group=1),
    _Scanner("token", re.compile(r"(?i)\bbearer\s{1,8}([A-Za-z0-9._~+/\-]{20,}=*)"), group=1),
    # scheme://user:password@host, also with an empty user name
    _Scanner("password", re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]{0,30}://[^\s:/@]{0,256}:([^\s@/]{1,256})@"), group=1),
    # curl -u user:password, curl --user user:password
    _Scanner("password", re.compile(r"(?:^|\s)(?:-u|--user)[ =]{1,4}[\"']?[^\s:\"']{1,128}:([^\s\"']{1,256})"), group=1),
    # mysql -pPASSWORD (the password glued to the flag), also mysqldump, mariadb
    _Scanner("password", re.compile(
        r"\b(?:mysql\w{0,10}|mariadb\w{0,10})\s[^\n]{0,200}?(?<=\s)-p([^\s\"'-][^\s\"']{0,255})"
    ), group=1),
    # sshpass -p PASSWORD, redis-cli -a PASSWORD
    _Scanner("password", re.compile(r"\b(?:sshpass\s{1,4}-p|redis-cli\b[^\n]{0,200}?\s-a)\s{1,4}([^\s\"']{3,256})"), group=1),
    # a known token prefix running into an excerpt's cut
    _Scanner("secret", re.compile(rf"(?<![{_TOKEN_CHARS}.])(?:{_TOKEN_PREFIXES})[A-Za-z0-9_\-.]*…")),
)

# NAME=value or NAME: value, where NAME names a secret (checked by sensitive_name).
# Linear: NAME starts only where a run of name characters starts, holds one of
# the words within its first 60 characters and is at most 100 long.
_NAME = r"(?<![A-Za-z0-9_.\-])(?=[A-Za-z0-9_.\-]{0,60}?(?:pass|pwd|secret|token|key|credential))([A-Za-z0-9_.\-]{1,100})"
_ASSIGNMENT = re.compile(
    rf"(?i){_NAME}[\"']?"
    r"[ \t]{0,16}([:=])([ \t]{0,16})([\"']?)([^\s\"'`,;&)\]}>]+)(\4)(?=(.?))"
)
# NAME = "a quoted value, spaces and all" (and "NAME": "...", NAME := '...')
_QUOTED = re.compile(
    rf"(?i){_NAME}[\"']?[ \t]{{0,16}}(?::=|=>|==|[:=])[ \t]{{0,16}}([\"'])([^\"'\n]{{1,256}})\2"
)
_SENSITIVE_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "pwd")
_SENSITIVE_PAIRS = frozenset({
    ("api", "key"), ("access", "key"), ("auth", "key"), ("private", "key"), ("secret", "key"), ("signing", "key"),
    ("encryption", "key"), ("master", "key"), ("client", "secret"),
})
#: type names and literals that follow a secret-sounding name in code, not secrets
_NOT_VALUES = frozenset({
    "none", "null", "nil", "true", "false", "undefined", "str", "string", "bytes", "int", "bool", "any", "number",
    "object", "optional", "secretstr", "required", "redacted",
})
_CODE_REFERENCE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Za-z]+_[A-Za-z0-9_]*")
#: one part of an identifier: a word, maybe with a number (``access``, ``Token``, ``v2``, ``API``)
_IDENTIFIER_PART = re.compile(r"[A-Za-z][a-z]{0,23}[0-9]{0,3}|[A-Z][A-Z0-9]{0,23}|[0-9]{1,3}")


def _code_reference(value: str) -> bool:
    """``settings.api_key``, ``access_token``, ``DB_PASSWORD``: an
    identifier, not a value.  ``hf_AbC123...`` is shaped like one but a part
    of it is random: a secret."""
    if not _CODE_REFERENCE.fullmatch(value):
        return False
    return all(_IDENTIFIER_PART.fullmatch(p) for p in re.split(r"[._]", value) if p)


@lru_cache(maxsize=8192)
def _segments(name: str) -> list[str]:
    """``DB_PASSWORD`` -> [db, password]; ``apiKey`` -> [api, key]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [s for s in re.split(r"[\s_.\-]+", spaced.lower()) if s]


@lru_cache(maxsize=8192)
def sensitive_name(name: str) -> bool:
    """Whether a variable or field name says its value is a secret
    (``PGPASSWORD``, ``client_secret``, ``apiKey``; not ``max_tokens``)."""
    parts = _segments(name)
    if any(p.endswith(_SENSITIVE_ENDINGS) or p in ("credential", "credentials") for p in parts):
        return True
    return any(pair in _SENSITIVE_PAIRS for pair in zip(parts, parts[1:]))


def _unchecked(matches: Iterator[re.Match[str]], group: int, kind: str) -> Iterator[re.Match[str]]:
    """The first :data:`MAX_CHECKS` matches, to be checked; the rest become
    findings unchecked (pathological text: it then floods, see :func:`_find`)."""
    for count, m in enumerate(matches):
        if count < MAX_CHECKS:
            yield m
        else:
            raise _Unchecked(Finding(start=m.start(group), end=m.end(group), kind=kind))


class _Unchecked(Exception):
    def __init__(self, finding: Finding):
        self.finding = finding


def _assignments(text: str) -> Iterator[Finding]:
    """``NAME=value`` / ``NAME: value`` findings.  A match refused as a whole is
    searched again from its value: in "the credential: AWS_SECRET_ACCESS_KEY=..."
    the prose around the first name hides the assignment inside the value."""
    pos = checked = 0
    while (m := _ASSIGNMENT.search(text, pos)) is not None:
        checked += 1
        if checked > MAX_CHECKS:  # pathological text: it floods, see _find
            raise _Unchecked(Finding(start=m.start(5), end=m.end(5), kind="secret"))
        finding = _assignment(m)
        if finding is not None:
            yield finding
            pos = m.end()
        else:
            pos = max(m.start(5), m.start() + 1)


def _assignment(m: re.Match[str]) -> Finding | None:
    name, sep, space_after, quote, value, _, following = m.groups()
    if not sensitive_name(name) or not _plausible(value) or value.lower() in (name.lower(), *_NOT_VALUES):
        return None
    if _code_reference(value) or value[0] in "/~.<" or any(c in value for c in "([{"):
        return None  # a code reference (settings.api_key), a path, a <placeholder>, a call: not a value
    if sensitive_name(value) or value.lower() in _segments(name):
        return None  # api_key=key, token=access_token: a variable named like the field
    if (space_after or (sep == ":" and not quote)) and following not in ("", "\n", "\r", ",", "}", "]", ")", "#"):
        return None  # "The secret: use small commits" is prose (or an expression), not a value
    kind = "password" if any(w in name.lower() for w in ("pass", "pwd")) else "secret"
    return Finding(start=m.start(5), end=m.end(5), kind=kind)


def _quoted(text: str) -> Iterator[Finding]:
    """``password = "correct horse battery"``: the keyword detector's work, linearly."""
    for m in _unchecked(_QUOTED.finditer(text), 3, "secret"):
        name, _, value = m.groups()
        if not sensitive_name(name) or not _plausible(value) or value.strip().lower() in (name.lower(), *_NOT_VALUES):
            continue
        if _code_reference(value) or value.startswith(("${", "{{", "<", "%(")) or len(value.strip()) < 4:
            continue
        kind = "password" if any(w in name.lower() for w in ("pass", "pwd")) else "secret"
        yield Finding(start=m.start(3), end=m.end(3), kind=kind)


# "my VPN password is Tr0ub4dor&3horse", "the wifi password is now Gl4cier-Moss"
_PROSE = re.compile(
    r"(?i)\b(?:password|passphrase|passcode|passwd|pwd|pin|token|secret|api[ _-]?key|access[ _-]?key)s?"
    r"(?:[ \t]{1,4}(?:for|of|to|on)[ \t]{1,4}[\w.@-]{1,40}(?:[ \t]{1,4}[\w.@-]{1,40})?)?"
    r"[ \t]{0,4}(?:is|was|=|:|became|becomes|will be|are|is now|was changed to|changed to|set to|reset to|is still)"
    r"(?:[ \t]{1,4}(?:now|still|just|simply))?[ \t]{1,4}[\"'`“‘]?([^\s\"'`”’]{6,64})"
)
_PROSE_TRAILING = ".,;:!?)]}"


def _prose(text: str) -> Iterator[Finding]:
    """A secret-looking value introduced by a password / token / key word in prose."""
    for m in _unchecked(_PROSE.finditer(text), 1, "password"):
        value = m.group(1).rstrip(_PROSE_TRAILING)
        if len(value) >= 6 and _secret_looking(value):
            yield Finding(start=m.start(1), end=m.start(1) + len(value), kind="password")


def _secret_looking(value: str) -> bool:
    """Mixed character classes (at least three of lower, upper, digit,
    symbol, or a digit among letters), no template or reference, not a path or URL."""
    if value.startswith(("$", "{", "<", "[", "%", "/", "~", "http", "`")) or "://" in value or value.endswith((".md", ".txt")):
        return False
    if _code_reference(value) or not _plausible(value):
        return False
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    symbol = any(not c.isalnum() for c in value)
    letters = lower or upper
    classes = lower + upper + digit + symbol
    if value.replace("-", "").replace(".", "").isdigit():
        return False  # a number, a date, a version
    return classes >= 3 or (letters and digit and len(value) >= 8)


# --- detect-secrets -------------------------------------------------------------------


@lru_cache(maxsize=1)
def _detectors() -> tuple[tuple[_Scanner, ...], tuple[tuple[str, Any], ...]]:
    """The detect-secrets regex detectors (one scanner per regex), and the
    line-oriented ones (the keyword detector) as (kind, plugin)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    scanners: list[_Scanner] = []
    by_line: list[tuple[str, Any]] = []
    # detect-secrets types its classes by an unbound TypeVar (which mypy reads as Never)
    detectors: dict[str, type[Any]] = get_mapping_from_secret_type_to_class()
    for secret_type, cls in sorted(detectors.items()):
        if cls.__name__ in EXCLUDED:
            continue
        plugin = cls()
        if isinstance(plugin, RegexBasedDetector):
            for regex in plugin.denylist:
                if regex.pattern not in LINEAR_REPLACEMENTS:
                    scanners.append(_Scanner(slug(secret_type), regex, group=None, plugin=plugin))
                    continue
                linear = LINEAR_REPLACEMENTS[regex.pattern]
                if linear is not None:
                    scanners.append(_Scanner(slug(secret_type), re.compile(linear[0]), group=linear[1],
                                             plugin=plugin if linear[1] is None else None))
        else:
            by_line.append((slug(secret_type), plugin))
    return tuple(scanners), tuple(by_line)


#: detect-secrets regexes that backtrack without bound on their own literals
#: (``//`` x n for the npm one, ``sk-`` x n), each with a linear pattern doing
#: its work: ``(pattern, group)`` (group None: the detector confirms each
#: match), or None where a supplement here covers it
LINEAR_REPLACEMENTS: dict[str, tuple[str, int | None] | None] = {
    r"\/\/.+\/:_authToken=\s*((npm_.+)|([A-Fa-f0-9-]{36})).*": (
        r"/:_authToken=[ \t]{0,8}(npm_[^\s\"']{8,}|[A-Fa-f0-9-]{36})", 1),
    r"sk-[A-Za-z0-9-_]*[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}": None,  # the openai-key supplement
    r"eyJ[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.?[A-Za-z0-9-_.+/=]*?": (
        r"(?<![A-Za-z0-9_=-])eyJ[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.?[A-Za-z0-9_.+/=-]*", None),
}


@lru_cache(maxsize=1)
def _filters() -> tuple[Any, ...]:
    from detect_secrets.filters import heuristic

    return (
        heuristic.is_sequential_string, heuristic.is_potential_uuid, heuristic.is_templated_secret,
        heuristic.is_prefixed_with_dollar_sign, heuristic.is_not_alphanumeric_string,
    )


@lru_cache(maxsize=8192)
def _plausible(value: str) -> bool:
    """detect-secrets' value filters: not ``{templated}``, ``$VAR``, a UUID, a sequence, all symbols."""
    return bool(value) and not any(f(value) for f in _filters())


def _line_filtered(value: str, line: str, plugin: Any) -> bool:
    from detect_secrets.filters import heuristic

    return heuristic.is_likely_id_string(value, line, plugin) or heuristic.is_indirect_reference(line)


_SEPARATORS = frozenset(" \t\r\n\"'=:/@")


def _secret_span(m: re.Match[str]) -> tuple[int, int]:
    """The secret within a detector's match: its longest group of 8+
    characters (``aws_secret = '<secret>'``), else the whole match without
    the separators around it (a group can be a mere prefix, as ``ghp``)."""
    best = (0, 0)
    for i in range(1, m.re.groups + 1):
        start, end = m.span(i)
        if start >= 0 and end - start >= 8 and end - start > best[1] - best[0]:
            best = (start, end)
    if best != (0, 0):
        return best
    start, end = m.span()
    while start < end and m.string[start] in _SEPARATORS:
        start += 1
    while end > start and m.string[end - 1] in _SEPARATORS:
        end -= 1
    return start, end


# --- the fast path ------------------------------------------------------------------


def _required(seq: Any) -> list[frozenset[str]]:
    """Sets of strings such that every match of the parsed regex ``seq``
    contains a member of each set (empty: nothing known)."""
    found: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in seq:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            found.append(frozenset({"".join(run)}))
            run = []
        if op is _sre.SUBPATTERN and not av[1] and not av[2]:  # a group that sets no flags
            found.extend(_required(av[-1]))
        elif op is _sre.BRANCH:  # one set of each alternative's, preferring sets they share
            options = [_required(alt) for alt in av[1]]
            if all(options):
                shared = Counter(s for sets in options for s in set(sets))
                chosen = [max(sets, key=lambda s: (shared[s], min(map(len, s)))) for sets in options]
                found.append(frozenset().union(*chosen))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found.extend(_required(av[2]))
        elif op is _sre.ASSERT:  # what a look-ahead or look-behind requires is in the text too
            found.extend(_required(av[1]))
        elif op is _sre.IN and av and all(kind is _sre.LITERAL for kind, _ in av):  # [abc]
            found.append(frozenset(chr(c) for _, c in av))
    if run:
        found.append(frozenset({"".join(run)}))
    return found


#: the non-ASCII characters re.IGNORECASE takes for an ASCII letter (a test checks this list)
IGNORECASE_FOLDS = {"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"}  # İ ı K(elvin) ſ
_FOLD = str.maketrans(IGNORECASE_FOLDS)


#: a repeat of one character class at least this long is a gate of its own (``[a-f0-9]{64}``)
MIN_RUN = 16
_CATEGORIES = {
    _sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D", _sre.CATEGORY_WORD: r"\w",
    _sre.CATEGORY_NOT_WORD: r"\W", _sre.CATEGORY_SPACE: r"\s", _sre.CATEGORY_NOT_SPACE: r"\S",
}


def _runs(seq: Any, flags: int) -> list[tuple[str, int]]:
    """``(character class, length)`` runs every match of the parsed regex
    ``seq`` contains, for repeats of one class at least MIN_RUN long."""
    found: list[tuple[str, int]] = []
    for op, av in seq:
        if op is _sre.SUBPATTERN and not av[1] and not av[2]:
            found.extend(_runs(av[-1], flags))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            body = list(av[2])
            source = _class_source(body[0], flags) if len(body) == 1 and av[0] >= MIN_RUN else None
            found.extend([(source, av[0])] if source else _runs(body, flags))
    return found


def _class_source(item: tuple[Any, Any], flags: int) -> str | None:
    """A case-sensitive character class (without brackets) matching what
    ``item`` (``[...]`` or one literal) matches under ``flags``; None when
    that cannot be said simply."""
    op, av = item
    members = av if op is _sre.IN else [item] if op is _sre.LITERAL else None
    if not members:
        return None
    chars: list[str] = []
    categories: list[str] = []
    for kind, value in members:
        if kind is _sre.LITERAL:
            chars.append(re.escape(chr(value)))
        elif kind is _sre.RANGE:
            chars.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind is _sre.CATEGORY and value in _CATEGORIES:
            categories.append(_CATEGORIES[value])
        else:  # a negated class, or something newer
            return None
    if flags & re.IGNORECASE and chars:
        plain = re.compile(f"[{''.join(chars)}]")
        if any((kind is _sre.LITERAL and v > 127) or (kind is _sre.RANGE and v[1] > 127) for kind, v in members):
            return None  # non-ASCII letters fold in ways this does not spell out
        ascii_members = {chr(c) for c in range(128) if plain.fullmatch(chr(c))}
        ascii_members |= {c.swapcase() for c in ascii_members}
        folded = {k for k, letter in IGNORECASE_FOLDS.items() if letter in ascii_members}
        chars = [re.escape(c) for c in sorted(ascii_members | folded)]
    return "".join(chars + categories)


@cache
def _run_regex(source: str, length: int) -> re.Pattern[str]:
    return re.compile(f"[{source}]{{{length}}}")


@dataclass(frozen=True)
class Needles:
    """What every match of a regex contains: a member of each set
    (lower-cased when ``fold``, for an IGNORECASE regex), and a run of each
    ``(class, length)`` in ``runs``."""

    sets: tuple[frozenset[str], ...]
    fold: bool
    runs: tuple[tuple[str, int], ...] = ()


@cache
def needles(regex: re.Pattern[str]) -> Needles:
    """Read ``regex`` with the standard library's parser."""
    fold = bool(regex.flags & re.IGNORECASE)
    try:
        parsed = _sre_parse.parse(regex.pattern, regex.flags)
        found, runs = _required(parsed), _runs(parsed, regex.flags)
    except Exception:  # a parser we do not know: always scan
        found, runs = [], []
    sets = {frozenset(n.lower() if fold else n for n in s) for s in found}
    return Needles(sets=tuple(sorted(sets, key=sorted)), fold=fold, runs=tuple(sorted(set(runs))))


@dataclass(frozen=True)
class _Universe:
    """The needles to look for, shortest first, each with the longest
    shorter needle it contains: when that one is absent, so is it."""

    exact: tuple[tuple[str, str | None], ...]
    folded: tuple[tuple[str, str | None], ...]

    @classmethod
    def of(cls, regexes: Iterable[re.Pattern[str]]) -> _Universe:
        exact: set[str] = set()
        folded: set[str] = set()
        for regex in regexes:
            n = needles(regex)
            (folded if n.fold else exact).update(*n.sets)
        return cls(exact=cls.ordered(exact), folded=cls.ordered(folded))

    @staticmethod
    def ordered(found: Iterable[str]) -> tuple[tuple[str, str | None], ...]:
        ordered = sorted(set(found), key=lambda n: (len(n), n))
        return tuple(
            (n, max((m for m in ordered[:i] if m in n), key=len, default=None)) for i, n in enumerate(ordered)
        )


def _present(text: str, needles: tuple[tuple[str, str | None], ...]) -> frozenset[str]:
    present: set[str] = set()
    for needle, within in needles:
        if (within is None or within in present) and needle in text:
            present.add(needle)
    return frozenset(present)


class Haystack:
    """Text, and which needles (of ``universe``) it contains.  One haystack
    can stand for several strings (joined by NUL, which no needle contains):
    it then says whether a regex could match any of them."""

    def __init__(self, *texts: str, universe: _Universe | None = None):
        self.text = text = "\0".join(texts)
        self._runs: dict[tuple[str, int], bool] = {}
        universe = universe or _every_needle()
        self.exact = _present(text, universe.exact)
        self.folded: frozenset[str] = frozenset()
        if universe.folded:
            if text.isascii() or not any(c in text for c in IGNORECASE_FOLDS):
                lowered = text.lower()
            else:  # as re.IGNORECASE compares: 'ſ' is an 's', KELVIN SIGN a 'k', ...
                lowered = text.translate(_FOLD).lower()
            self.folded = _present(lowered, universe.folded)

    def could_match(self, regex: re.Pattern[str]) -> bool:
        wanted = needles(regex)
        return self._has_all(wanted.fold, wanted.sets, wanted.runs)

    def _has_all(self, fold: bool, sets: tuple[frozenset[str], ...], runs: tuple[tuple[str, int], ...] = ()) -> bool:
        present = self.folded if fold else self.exact
        for options in sets:
            if present.isdisjoint(options):
                return False
        for run in runs:
            hit = self._runs.get(run)
            if hit is None:
                hit = self._runs[run] = _run_regex(*run).search(self.text) is not None
            if not hit:
                return False
        return True


@lru_cache(maxsize=1)
def _keyword_regexes() -> tuple[re.Pattern[str], ...]:
    """The regexes detect-secrets' keyword detector runs over a line."""
    from detect_secrets.plugins.keyword import QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP

    return tuple(QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)


@lru_cache(maxsize=1)
def _every_needle() -> _Universe:
    return _Universe.of((*(s.regex for s in _Plan.full().scanners), _ASSIGNMENT, _QUOTED, _PROSE, *_keyword_regexes()))


@lru_cache(maxsize=1)
def _keyword_gate() -> tuple[frozenset[str], ...]:
    """Needle sets (lower-cased) that every one of the keyword detector's
    regexes shares - a quote character and a denylisted word: a line
    without them is skipped.  (A case-sensitive needle present in a text
    is present, lower-cased, in the lower-cased text too.)"""
    shared: set[frozenset[str]] | None = None
    for regex in _keyword_regexes():
        sets = {frozenset(n.lower() for n in options) for options in needles(regex).sets}
        shared = sets if shared is None else shared & sets
    return tuple(sorted(shared or (), key=sorted))


def _keyword_line(line: str) -> bool:
    """Whether the keyword detector could find something in ``line``."""
    return Haystack(line, universe=_keyword_universe())._has_all(True, _keyword_gate())


@lru_cache(maxsize=1)
def _keyword_universe() -> _Universe:
    return _Universe(exact=(), folded=_Universe.ordered(set().union(*_keyword_gate())))


@lru_cache(maxsize=1)
def _gate_index() -> tuple[tuple[int, ...], dict[tuple[str, bool], tuple[int, ...]]]:
    """Which gates (by position) each needle can open: a gate is a candidate
    only when a needle of its smallest set is present (gates without needles
    always are)."""
    always: list[int] = []
    by_needle: dict[tuple[str, bool], list[int]] = {}
    for i, (_, fold, sets, _) in enumerate(_gates()):
        if not sets:
            always.append(i)
            continue
        for needle in min(sets, key=len):
            by_needle.setdefault((needle, fold), []).append(i)
    return tuple(always), {k: tuple(v) for k, v in by_needle.items()}


@lru_cache(maxsize=1)
def _gates() -> tuple[tuple[_Scanner, bool, tuple[frozenset[str], ...], tuple[tuple[str, int], ...]], ...]:
    """(scanner, fold, needle sets, runs) for every scanner."""
    return tuple((s, needles(s.regex).fold, needles(s.regex).sets, needles(s.regex).runs) for s in _Plan.full().scanners)


@dataclass(frozen=True)
class _Plan:
    """The scanners worth running over some text."""

    scanners: tuple[_Scanner, ...]
    assignments: bool
    keywords: bool
    quoted: bool = True
    prose: bool = True

    @classmethod
    def full(cls) -> _Plan:
        return cls(scanners=(*_detectors()[0], *SUPPLEMENTS), assignments=True, keywords=True)

    @classmethod
    def for_(cls, hay: Haystack) -> _Plan:
        """Only what could match somewhere in ``hay`` (the fast path)."""
        gates = _gates()
        always, by_needle = _gate_index()
        candidates = set(always)
        for needle in hay.exact:
            candidates.update(by_needle.get((needle, False), ()))
        for needle in hay.folded:
            candidates.update(by_needle.get((needle, True), ()))
        return cls(
            scanners=tuple(gates[i][0] for i in sorted(candidates) if hay._has_all(*gates[i][1:])),
            assignments=hay.could_match(_ASSIGNMENT),
            quoted=hay.could_match(_QUOTED),
            prose=hay.could_match(_PROSE),
            keywords=any(hay.could_match(r) for r in _keyword_regexes()),
        )


class _Flood(Exception):
    """More findings in one string than any real text holds."""


def _capped(found: list[Finding], more: Iterable[Finding]) -> None:
    for f in more:
        found.append(f)
        if len(found) > MAX_FINDINGS:
            raise _Flood


def _find(text: str, plan: _Plan, *, gated: bool) -> list[Finding]:
    """The findings of ``plan``'s scanners in ``text``; ``gated``: skip the
    keyword detector on lines without its words.  A string holding more than
    :data:`MAX_FINDINGS` is one finding from end to end (a dump of
    credentials, or text made to be slow to redact)."""
    if len(text) < MIN_LENGTH:
        return []
    try:
        return _find_all(text, plan, gated=gated)
    except (_Flood, _Unchecked):
        return [Finding(start=0, end=len(text), kind="bulk-secrets")]


def _find_all(text: str, plan: _Plan, *, gated: bool) -> list[Finding]:
    found: list[Finding] = []
    checks = MAX_CHECKS
    for scanner in plan.scanners:
        for m in scanner.regex.finditer(text):
            checks -= 1
            if scanner.plugin is not None:
                confirm = checks > 0 and m.end() - m.start() <= MAX_CONFIRM
                if confirm and next(iter(scanner.plugin.analyze_string(m.group(0))), None) is None:
                    continue  # the detector's own checks refuse it (e.g. a JWT that does not decode)
                start, end = _secret_span(m)
            else:
                assert scanner.group is not None  # a scanner without a detector names the secret's group
                start, end = m.span(scanner.group)
            if end <= start or (checks > 0 and scanner.check is not None and not scanner.check(text[start:end])):
                continue
            if checks <= 0 or scanner.kind == "private-key" or _plausible(text[start:end]):
                _capped(found, (Finding(start=start, end=end, kind=scanner.kind),))
    if plan.assignments:
        _capped(found, _assignments(text))
    if plan.quoted:
        _capped(found, _quoted(text))
    if plan.prose:
        _capped(found, _prose(text))
    by_line = _detectors()[1]
    if plan.keywords and by_line:
        start = 0
        for line in text.split("\n"):
            end = start + len(line)
            if not gated or _keyword_line(line):
                for kind, plugin in by_line:
                    for value in plugin.analyze_string(line):
                        value = value.strip()
                        if _plausible(value) and not _line_filtered(value, line, plugin):
                            found.extend(_occurrences(text, value, kind, start, end))
            start = end + 1
    if "[REDACTED:" in text:  # text redacted before: its markers are not secrets
        done = [m.span() for m in _MARKER.finditer(text)]
        found = [f for f in found if not any(a < f.end and f.start < b for a, b in done)]
    return _merge(found)


def _occurrences(text: str, value: str, kind: str, lo: int, hi: int) -> Iterator[Finding]:
    at = text.find(value, lo, hi)
    while at >= 0:
        yield Finding(start=at, end=at + len(value), kind=kind)
        at = text.find(value, at + len(value), hi)


def _merge(findings: Iterable[Finding]) -> list[Finding]:
    """Overlapping findings become one, named by the most specific kind
    (a token's own format beats a secret-sounding name), then the longest."""
    spans: list[list[int]] = []
    kinds: list[tuple[tuple[bool, int], str]] = []
    for f in sorted(findings, key=lambda f: (f.start, -(f.end - f.start))):
        rank = ((f.kind not in GENERIC_KINDS, f.end - f.start), f.kind)
        if spans and f.start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], f.end)
            kinds[-1] = max(kinds[-1], rank, key=lambda r: r[0])
        else:
            spans.append([f.start, f.end])
            kinds.append(rank)
    return [Finding(start=a, end=b, kind=k[1]) for (a, b), k in zip(spans, kinds)]


def find(text: str, *, plan: _Plan | None = None) -> list[Finding]:
    """The secrets in ``text``: the same answer as :func:`dreaming.testing.oracles.reference_find`,
    faster.  ``plan``: made for a haystack that includes ``text`` (one per
    turn: which regexes to run is then decided once for all its strings)."""
    return _find(text, plan or _Plan.for_(Haystack(text)), gated=True)


def apply(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each finding replaced by its marker."""
    out = []
    pos = 0
    for f in findings:
        out.append(text[pos : f.start])
        out.append(marker(f.kind))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


class Redactor:
    """Replaces secrets in text, turns and sessions, counting them by kind."""

    def __init__(self) -> None:
        self.kinds: dict[str, int] = {}
        #: the secrets found in the record being redacted, with their kind (see :meth:`turn`)
        self._found: dict[str, str] = {}

    @property
    def count(self) -> int:
        return sum(self.kinds.values())

    def text(self, text: str, *, plan: _Plan | None = None) -> str:
        findings = find(text, plan=plan)
        for f in findings:
            self.kinds[f.kind] = self.kinds.get(f.kind, 0) + 1
            secret = text[f.start : f.end]
            if len(secret) >= MIN_SECRET_ECHO:
                self._found.setdefault(secret, f.kind)
        return apply(text, findings) if findings else text

    def _echoes(self, text: str) -> str:
        """``text`` without the secrets found elsewhere in the same record: a
        tool call's summary collapses the whitespace that told a multi-line
        command's ``password:`` line apart, but holds the same value."""
        if not self._found or not text:
            return text
        hits = [
            Finding(start=at, end=at + len(secret), kind=kind)
            for secret, kind in self._found.items()
            for at in _all(text, secret)
        ]
        if not hits:
            return text
        for f in hits:
            self.kinds[f.kind] = self.kinds.get(f.kind, 0) + 1
        return apply(text, _merge(hits))

    def value(self, value: Any, *, plan: _Plan | None = None) -> Any:
        """Strings inside JSON-like data (mapping keys are left alone)."""
        plan = plan or _Plan.for_(Haystack(*_strings(value)))
        if isinstance(value, str):
            return self.text(value, plan=plan)
        if isinstance(value, Mapping):
            return {k: self.value(v, plan=plan) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v, plan=plan) for v in value)
        return value

    def turn(self, turn: Turn) -> Turn:
        """``turn`` with its secrets replaced; a secret found in one of its
        strings is replaced wherever else in the turn it appears."""
        plan = _Plan.for_(Haystack(*_strings(turn)))
        before = self.count
        self._found = {}
        text = self.text(turn.text, plan=plan)
        calls = tuple(self._call(c, plan) for c in turn.tool_calls)
        metadata = self.value(turn.metadata, plan=plan)
        if self.count == before:
            return turn
        text = self._echoes(text)
        calls = tuple(
            replace(c, input_summary=self._echoes(c.input_summary), result_excerpt=self._echoes(c.result_excerpt))
            for c in calls
        )
        self._found = {}
        return replace(turn, text=text, tool_calls=calls, metadata=metadata)

    def _call(self, call: ToolCall, plan: _Plan) -> ToolCall:
        before = self.count
        summary = self.text(call.input_summary, plan=plan)
        excerpt = self.text(call.result_excerpt, plan=plan)
        data = self.value(call.input, plan=plan)
        if self.count == before:
            return call
        return replace(call, input_summary=summary, result_excerpt=excerpt, input=data)

    def session(self, session: Session) -> Session:
        before = self.count
        metadata = self.value(session.metadata)
        return session if self.count == before else replace(session, metadata=metadata)


#: a secret this long found in one string of a record is looked for in the others
MIN_SECRET_ECHO = 6


def _all(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + len(needle))


def redact_text(text: str) -> tuple[str, dict[str, int]]:
    """``text`` with its secrets replaced, and the count of each kind."""
    redactor = Redactor()
    return redactor.text(text), redactor.kinds


def has_marker(text: str) -> bool:
    """Whether ``text`` holds a ``[REDACTED:kind]`` marker."""
    return "[REDACTED:" in text and _MARKER.search(text) is not None


def _strings(value: Any) -> Iterator[str]:
    """Every string a turn holds (what its haystack must cover)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Turn):
        yield value.text
        for call in value.tool_calls:
            yield from (call.input_summary, call.result_excerpt)
            yield from _strings(call.input)
        yield from _strings(value.metadata)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
