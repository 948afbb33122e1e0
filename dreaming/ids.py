"""Sortable unique ids (ULID layout: 48-bit milliseconds + 80 bits, Crockford base32).

``new_id("mem")`` -> ``"mem_01JD3X..."``.  Ids sort by creation time.  Pass
``at=`` and ``seed=`` to get a deterministic id (the same input always gives
the same id), which dreams use so that re-running a dream reproduces it.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import datetime, timezone

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# base64's RFC 4648 base32 alphabet, mapped symbol for symbol onto Crockford's
# (which sorts in ASCII order): b32encode does the bit work in C.
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").translate(_TO_CROCKFORD)


def new_id(prefix: str, *, at: datetime | None = None, seed: str | None = None) -> str:
    when = at if at is not None else datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    millis = max(0, int(when.timestamp() * 1000)) & ((1 << 48) - 1)
    rand = os.urandom(10) if seed is None else hashlib.sha256(seed.encode("utf-8")).digest()[:10]
    # 48 bits of time -> 10 symbols (left-aligned, so order is kept), 80 bits -> 16
    return f"{prefix}_{_b32(millis.to_bytes(6, 'big'))}{_b32(rand)}"
