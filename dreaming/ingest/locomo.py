"""LoCoMo conversations (format ``locomo``; Maharana et al., ACL 2024).

A JSON list of conversations (or one conversation object)::

    {"sample_id": "conv-26",
     "conversation": {"speaker_a": "Caroline", "speaker_b": "Melanie",
                      "session_1_date_time": "1:56 pm on 8 May, 2023",
                      "session_1": [{"speaker": "Caroline", "dia_id": "D1:1", "text": "..."}, ...],
                      ...},
     "qa": [...], "observation": {...}, ...}

Each ``session_N`` becomes one ``Session`` with id ``<sample_id>:session_N``,
``started_at = ended_at =`` its ``session_N_date_time`` (``time_source=
"session_date"``) and metadata ``conversation``, ``session`` (N) and
``speakers``.  Each turn keeps its ``dia_id`` as its id (evals cite them as
evidence), ``role="speaker"`` and ``speaker`` = the speaker's name, and the
session's date as its timestamp.  A shared image is appended to the text as
``[image: <blip_caption>]``.  Date keys without a session are ignored;
``qa``, ``observation`` and the summaries are evaluation data, not turns.

A list is read one conversation at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from dreaming.errors import InputError
from dreaming.ingest.blocks import Conversation
from dreaming.ingest.common import Item, ReadOptions, Skip, Source, as_id, as_str
from dreaming.ingest.jsonstream import first_char, iter_json_array, load_document
from dreaming.records import Session, ensure_aware

FORMAT = "locomo"

_SESSION_KEY = re.compile(r"session_(\d{1,6})")
_DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%H:%M on %d %B, %Y")


def looks_like(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and isinstance(obj.get("conversation"), Mapping)
        and "speaker_a" in obj["conversation"]
    )


def parse_date(text: str) -> datetime:
    """``"1:56 pm on 8 May, 2023"`` -> an aware datetime (UTC: LoCoMo gives
    no zone).  Raises ``ValueError``."""
    cleaned = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return ensure_aware(datetime.strptime(cleaned, fmt))
        except ValueError:
            continue
    raise ValueError(f"unrecognised LoCoMo date {text[:40]!r}")


def read(source: Source, options: ReadOptions) -> Iterator[Item]:
    start = first_char(source)
    if start == "[":
        for item in iter_json_array(source):
            if isinstance(item, Skip):
                yield item
            else:
                yield from _conversation(source, options, *item)
        return
    if start != "{":
        raise InputError("not a LoCoMo file (expected a JSON list or object)", location=source.display)
    try:
        doc = load_document(source)
    except ValueError as err:
        raise InputError(str(err), location=source.display) from None
    if not looks_like(doc):
        raise InputError("not a LoCoMo conversation (no 'conversation' with 'speaker_a')", location=source.display)
    yield from _conversation(source, options, None, doc)


def _conversation(source: Source, options: ReadOptions, line: int | None, conv: Any) -> Iterator[Item]:
    where = source.at(line)
    if not looks_like(conv):
        yield Skip(location=where, reason="not a LoCoMo conversation (no 'conversation' with 'speaker_a')")
        return
    sample_id = as_id(conv.get("sample_id"))
    if sample_id is None:
        yield Skip(location=where, reason="conversation without a 'sample_id'")
        return
    body = conv["conversation"]
    speakers = [s for s in (as_str(body.get("speaker_a")), as_str(body.get("speaker_b"))) if s]
    numbers = sorted(
        int(m.group(1)) for k in body if (m := _SESSION_KEY.fullmatch(k)) and isinstance(body[k], list)
    )
    for n in numbers:
        name = f"session_{n}"
        session_id = f"{sample_id}:{name}"
        date_text = body.get(f"{name}_date_time")
        date: datetime | None = None
        if isinstance(date_text, str):
            try:
                date = parse_date(date_text)
            except ValueError as err:
                yield Skip(location=where, reason=f"{session_id}: {err}; using the file's time")
        else:
            yield Skip(location=where, reason=f"{session_id}: no {name}_date_time; using the file's time")
        talk = Conversation(session_id=session_id, excerpt_chars=options.excerpt_chars)
        for k, turn in enumerate(body[name]):
            label = f"{session_id} turn {k}"
            if not isinstance(turn, Mapping):
                yield Skip(location=where, reason=f"{label}: not a JSON object")
                continue
            dia_id = as_id(turn.get("dia_id"))
            speaker = as_str(turn.get("speaker"))
            text = as_str(turn.get("text"))
            if dia_id is None or speaker is None or text is None:
                missing = [f for f, v in (("dia_id", dia_id), ("speaker", speaker), ("text", text)) if v is None]
                yield Skip(location=where, reason=f"{label}: missing field {', '.join(repr(f) for f in missing)}")
                continue
            caption = as_str(turn.get("blip_caption"))
            if caption:
                text = f"{text} [image: {caption}]"
            yield from talk.add_user(turn_id=dia_id, text=text, timestamp=date, role="speaker", speaker=speaker)
        if not talk.turns:
            continue
        metadata = {"conversation": sample_id, "session": n, "speakers": speakers}
        if date is None:
            times: dict[str, Any] = talk.times.fields(source.mtime)
        else:
            times = {"started_at": date, "ended_at": date, "time_source": "session_date"}
        yield Session(id=session_id, source=str(source.path), format=FORMAT, metadata=metadata, **times)
