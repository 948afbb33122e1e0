"""Reading agent session transcripts into typed records.

One module per format, each documenting what it reads and what comes out:

* :mod:`~dreaming.transcripts.claude_code` - Claude Code session JSONL
  (live branch of the uuid DAG, joined messages, tool calls, compact
  summaries, sub-agents attached to their parent session);
* :mod:`~dreaming.transcripts.anthropic_messages` - Anthropic Messages JSON;
* :mod:`~dreaming.transcripts.chat_jsonl` - generic chat logs, a turn per line;
* :mod:`~dreaming.transcripts.locomo` - LoCoMo conversations.

Readers are pure streaming generators (see :mod:`~dreaming.transcripts.common`
for the contract); :mod:`~dreaming.transcripts.detect` picks one per file;
:mod:`~dreaming.transcripts.ingest` stores what they read, incrementally.
"""

from __future__ import annotations

from .common import Item, ReadOptions, Skip, Source
from .detect import FORMATS, check_file, detect, iter_files, known_formats, read_transcript
from .ingest import IngestConfig, IngestReport, ingest_paths

__all__ = [
    "FORMATS",
    "IngestConfig",
    "IngestReport",
    "Item",
    "ReadOptions",
    "Skip",
    "Source",
    "check_file",
    "detect",
    "ingest_paths",
    "iter_files",
    "known_formats",
    "read_transcript",
]
