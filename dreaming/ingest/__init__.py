"""Reading agent session transcripts into typed records.

One module per format, each documenting what it reads and what comes out:

* :mod:`~dreaming.ingest.claude_code` - Claude Code session JSONL
  (live branch of the uuid DAG, joined messages, tool calls, compact
  summaries, sub-agents attached to their parent session);
* :mod:`~dreaming.ingest.anthropic_messages` - Anthropic Messages JSON;
* :mod:`~dreaming.ingest.chat_jsonl` - generic chat logs, a turn per line;
* :mod:`~dreaming.ingest.locomo` - LoCoMo conversations.

Readers are pure streaming generators (see :mod:`~dreaming.ingest.common`
for the contract); :mod:`~dreaming.ingest.detect` picks one per file;
:mod:`~dreaming.ingest.inbox` stores what they read, incrementally.
"""

from __future__ import annotations

from dreaming.ingest.common import Item, ReadOptions, Skip, Source
from dreaming.ingest.detect import FORMATS, check_file, detect, iter_files, known_formats, read_transcript
from dreaming.ingest.inbox import IngestConfig, IngestReport, ingest_paths

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
