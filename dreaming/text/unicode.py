"""Text that SQLite, JSON and files can take: no lone UTF-16 surrogates.

A JSON string may hold ``"\\ud83c"`` alone (what JavaScript writes when a
string is cut inside an emoji); Python decodes it into a string that cannot
be encoded as UTF-8, so the first insert, export or request that meets it
fails.  Text is therefore cleaned where it enters: a surrogate pair becomes
its character and a lone surrogate U+FFFD.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, TypeVar

_SURROGATE = re.compile(r"[\ud800-\udfff]")
T = TypeVar("T")


def fix_surrogates(text: str) -> str:
    """``text`` with surrogate pairs joined and lone surrogates as U+FFFD."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def has_surrogates(value: Any) -> bool:
    """Whether a string anywhere in ``value`` (strings, mappings and their
    keys, lists, tuples, dataclasses) holds a surrogate."""
    if isinstance(value, str):
        return not value.isascii() and _SURROGATE.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_surrogates(k) or has_surrogates(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_surrogates(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(has_surrogates(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def fix_value(value: T) -> T:
    """``value`` with :func:`fix_surrogates` applied to every string in it
    (itself when it holds none: the common case costs one walk)."""
    return _fix(value) if has_surrogates(value) else value


def _fix(value: Any) -> Any:
    if isinstance(value, str):
        return fix_surrogates(value)
    if isinstance(value, Mapping):
        return {_fix(k): _fix(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix(v) for v in value]
    if isinstance(value, tuple):
        return type(value)(_fix(v) for v in value) if not hasattr(value, "_fields") else type(value)(*map(_fix, value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _fix(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value
