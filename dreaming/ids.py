"""Sortable unique ids (ULID layout: 48-bit milliseconds + 80 bits, Crockford base32).

``new_id("mem")`` -> ``"mem_01JD3X..."``.  Ids sort by creation time.  Pass
``at=`` and ``seed=`` to get a deterministic id (the same input always gives
the same id), which dreams use so that re-running a dream reproduces it.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_id(prefix: str, *, at: datetime | None = None, seed: str | None = None) -> str:
    when = at if at is not None else datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    millis = max(0, int(when.timestamp() * 1000)) & ((1 << 48) - 1)
    if seed is None:
        rand = int.from_bytes(os.urandom(10), "big")
    else:
        rand = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:10], "big")
    return f"{prefix}_{_encode(millis, 10)}{_encode(rand, 16)}"
