"""dreaming: consolidate an AI agent's memory between sessions.

The public Python API.  ``Store`` opens a versioned memory store; ``dream``
runs one dream over it (``DreamConfig`` says how, ``DreamReport`` says what it
did); the records in ``dreaming.records`` are what every function takes and
returns.  ``dream`` and its records are loaded on first use, so importing
``dreaming`` stays cheap for scripts that only read a store.

    from dreaming import DreamConfig, Store, dream

    with Store.open("memory_store/memory.db") as store:
        report = dream(store, DreamConfig(transcripts=("transcripts",)))
    print(report.status, report.version, dict(report.counts))
"""

from typing import Any

from dreaming.errors import DreamingError, InputError, StoreError, VersionNotFound
from dreaming.records import Change, Changeset, Evidence, Memory, Run, Session, ToolCall, Turn, Version
from dreaming.store.core import Store, open_store
from dreaming.store.files import export_file, import_file, read_memories

__version__ = "0.1.0"

__all__ = [
    "Change",
    "DreamConfig",
    "DreamReport",
    "Changeset",
    "DreamingError",
    "Evidence",
    "InputError",
    "Memory",
    "Run",
    "Session",
    "Store",
    "StoreError",
    "ToolCall",
    "Turn",
    "Version",
    "VersionNotFound",
    "dream",
    "export_file",
    "import_file",
    "open_store",
    "read_memories",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in ("dream", "DreamConfig", "DreamReport"):
        from dreaming.pipeline import run as _run

        return getattr(_run, name)
    raise AttributeError(f"module 'dreaming' has no attribute {name!r}")
