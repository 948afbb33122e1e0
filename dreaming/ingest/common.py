"""What every transcript reader shares: the file it reads, its options, the
warnings it yields, and line-by-line JSON decoding that survives bad input.

A reader is a generator ``read(source, options) -> Iterator[Item]`` that
yields, in this order per session: the session's ``Turn`` records as they
are read, then its ``Session`` record (complete: times, metadata) once its
last turn has been yielded.  ``Skip`` records (something was dropped, with
``file:line`` and the reason) can come at any point.  Readers never hold a
whole file in memory; they read only ``source.size`` bytes, so a file that
is still growing is read exactly as far as it was hashed.

A reader raises ``InputError`` only when the file as a whole is not in its
format (a forced ``--format`` that does not fit); anything smaller is a
``Skip``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dreaming.records import Session, Turn, ensure_aware, parse_time

#: a tool input is summarised in at most this many characters
INPUT_SUMMARY_CHARS = 200


@dataclass(frozen=True, kw_only=True)
class ReadOptions:
    """Limits a reader applies while it reads."""

    #: tool results are kept as an excerpt of at most this many characters
    excerpt_chars: int = 500
    #: a longer line is skipped (read through, never held in memory)
    max_line_bytes: int = 32 << 20


@dataclass(frozen=True, kw_only=True)
class Source:
    """A file to read: its path, how many bytes of it to read, and its mtime
    (the time of sessions that carry no time of their own)."""

    path: Path
    size: int
    mtime: datetime
    #: how warnings name the file (the path as the user gave it)
    display: str

    @classmethod
    def of(cls, path: str | os.PathLike[str], *, display: str | None = None) -> Source:
        p = Path(path)
        st = p.stat()
        return cls(
            path=p,
            size=st.st_size,
            mtime=datetime.fromtimestamp(st.st_mtime, timezone.utc),
            display=display if display is not None else str(path),
        )

    def at(self, line: int | None) -> str:
        return f"{self.display}:{line}" if line is not None else self.display


@dataclass(frozen=True, kw_only=True)
class Skip:
    """Something a reader dropped, and why (one warning)."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


Item = Session | Turn | Skip


def iter_raw_lines(source: Source, max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each line of the first ``source.size``
    bytes; ``None`` instead of bytes for a line longer than
    ``max_line_bytes`` (read through in pieces, never held whole)."""
    remaining = source.size
    line_no = 0
    with open(source.path, "rb") as fh:
        while remaining > 0:
            raw = fh.readline(min(max_line_bytes + 1, remaining))
            if not raw:  # the file shrank since it was measured
                return
            remaining -= len(raw)
            line_no += 1
            if len(raw) > max_line_bytes:
                while remaining > 0 and not raw.endswith(b"\n"):
                    raw = fh.readline(min(1 << 20, remaining))
                    if not raw:
                        return
                    remaining -= len(raw)
                yield line_no, None
                continue
            yield line_no, raw


def is_blank(raw: bytes | None) -> bool:
    return raw is not None and not raw.strip()


def decode_json_line(raw: bytes | None, *, line_no: int, max_line_bytes: int) -> tuple[Any, str | None]:
    """Parse one JSONL line: ``(value, None)`` or ``(None, reason)``."""
    if raw is None:
        return None, f"line longer than {max_line_bytes} bytes"
    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, f"invalid UTF-8 (byte {err.start})"
    try:
        return json.loads(text), None
    except RecursionError:
        return None, "malformed JSON (nested too deeply)"
    except ValueError as err:
        if not raw.endswith(b"\n"):
            return None, "truncated last line (the file may still be being written)"
        msg = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
        return None, f"malformed JSON ({msg})"


def iter_json_lines(source: Source, options: ReadOptions) -> Iterator[tuple[int, Any] | Skip]:
    """Each non-blank line parsed as JSON, or a ``Skip`` saying why not."""
    for line_no, raw in iter_raw_lines(source, options.max_line_bytes):
        if is_blank(raw):
            continue
        value, problem = decode_json_line(raw, line_no=line_no, max_line_bytes=options.max_line_bytes)
        if problem is not None:
            yield Skip(location=source.at(line_no), reason=problem)
        else:
            yield line_no, value


def to_time(value: Any) -> datetime | None:
    """An ISO 8601 string, or epoch seconds (milliseconds when > 1e11).

    Raises ``ValueError`` with a readable message for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"timestamp out of range: {value!r}") from None
    if isinstance(value, str):
        try:
            return parse_time(value)
        except (ValueError, OverflowError):
            raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}") from None
    raise ValueError(f"not a timestamp: {type(value).__name__}")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


class SeqClock:
    """Hands out ``Turn.seq`` values for one session.

    ``seq`` orders turns within a session.  A turn with a time gets its time
    in milliseconds since the epoch, forced strictly above the previous seq,
    so file order is kept and turns that different files add to one session
    (a Claude Code sub-agent's) interleave by time; a turn without a time
    gets the previous seq + 1.
    """

    def __init__(self) -> None:
        self.last = -1

    def next(self, at: datetime | None) -> int:
        value = self.last + 1
        if at is not None:
            value = max(value, int(at.timestamp() * 1000))
        self.last = value
        return value


@dataclass(kw_only=True)
class SessionTimes:
    """min/max of a session's turn times, falling back to the file's mtime."""

    first: datetime | None = None
    last: datetime | None = None

    def see(self, at: datetime | None) -> None:
        if at is None:
            return
        at = ensure_aware(at)
        if self.first is None or at < self.first:
            self.first = at
        if self.last is None or at > self.last:
            self.last = at

    def fields(self, mtime: datetime) -> dict[str, Any]:
        """``started_at``/``ended_at``/``time_source`` for a ``Session``."""
        if self.first is None:
            return {"started_at": mtime, "ended_at": mtime, "time_source": "file_mtime"}
        return {"started_at": self.first, "ended_at": self.last, "time_source": "transcript"}


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_id(value: Any) -> str | None:
    """A usable id from a string (not blank, at most 200 characters) or an
    integer field (not bool), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 200:
        return value
    return None
