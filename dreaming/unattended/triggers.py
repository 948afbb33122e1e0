"""When a scheduled dream should actually run.

Schedulers fire often (a session hook after every session, cron every
hour); dreaming each time would spend money and churn versions for one
small session.  A :class:`Trigger` says what must hold first: at least
``min_sessions`` sessions pending, and at least ``min_interval`` since the
last accepted dream.  :func:`check` evaluates it over the store; the hook
uses it to decide whether to start a dream, and ``dreaming run
--min-sessions/--min-interval`` uses it to exit quietly when not met.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dreaming.errors import InputError
from dreaming.records import format_time, utcnow
from dreaming.store.core import Store

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``6h``, ``1h30m``, ``2d``, ``1w``, ``90s`` (or bare seconds) -> timedelta."""
    raw = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return timedelta(seconds=float(raw))
    pos = 0
    seconds = 0.0
    for match in _DURATION.finditer(raw):
        if raw[pos : match.start()].strip():
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or raw[pos:].strip():
        raise InputError(f"not a duration: {text!r} (use e.g. 30m, 6h, 1h30m, 2d)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration` for whole units: ``6h``, ``1h30m``, ``45s``."""
    seconds = int(round(value.total_seconds()))
    if seconds <= 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


@dataclass(frozen=True, kw_only=True)
class Trigger:
    """Conditions for a scheduled dream."""

    #: dream only once at least this many sessions are pending
    min_sessions: int = 1
    #: not sooner than this after the last accepted dream
    min_interval: timedelta | None = None

    def options(self) -> list[str]:
        """The same conditions as ``dreaming run`` options."""
        out = ["--min-sessions", str(self.min_sessions)]
        if self.min_interval is not None:
            out += ["--min-interval", format_duration(self.min_interval)]
        return out


@dataclass(frozen=True, kw_only=True)
class TriggerCheck:
    """Whether a trigger holds, and why (not)."""

    ready: bool
    reason: str
    pending_sessions: int
    last_dream: datetime | None = None
    #: the earliest time ``min_interval`` allows the next dream
    not_before: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "reason": self.reason,
            "pending_sessions": self.pending_sessions,
            "last_dream": format_time(self.last_dream),
            "not_before": format_time(self.not_before),
        }


def _sessions(n: int) -> str:
    return f"{n} session{'' if n == 1 else 's'}"


def check(store: Store, trigger: Trigger, *, now: datetime | None = None) -> TriggerCheck:
    """Evaluate ``trigger`` over ``store`` (pending sessions; time since
    ``Store.last_dream()``).  A candidate awaiting review blocks every dream."""
    now = now or utcnow()
    pending, _ = store.pending_count()
    last = store.last_dream()
    last_at = last.created_at if last else None
    not_before = last_at + trigger.min_interval if last_at is not None and trigger.min_interval else None
    candidate = store.candidate()
    if candidate is not None:
        reason = f"version {candidate.number} is a candidate awaiting review (`dreaming accept` or `dreaming reject` it first)"
        return TriggerCheck(ready=False, reason=reason, pending_sessions=pending, last_dream=last_at, not_before=not_before)
    if pending < trigger.min_sessions:
        reason = f"{_sessions(pending)} pending; waiting for {trigger.min_sessions} (--min-sessions)"
        return TriggerCheck(ready=False, reason=reason, pending_sessions=pending, last_dream=last_at, not_before=not_before)
    if last is not None and not_before is not None and now < not_before:
        reason = (
            f"the last dream (version {last.number}) ran {format_duration(now - last.created_at)} ago; "
            f"the next may run in {format_duration(not_before - now)} "
            f"(--min-interval {format_duration(not_before - last.created_at)})"
        )
        return TriggerCheck(ready=False, reason=reason, pending_sessions=pending, last_dream=last_at, not_before=not_before)
    reason = f"{_sessions(pending)} pending"
    if last_at is not None:
        reason += f"; last dream {format_duration(now - last_at)} ago"
    return TriggerCheck(ready=True, reason=reason, pending_sessions=pending, last_dream=last_at, not_before=not_before)
