"""dreaming: consolidate an AI agent's memory between sessions.

The public Python API.  ``Store`` opens a versioned memory store; the records
in ``dreaming.records`` are what every function takes and returns.
"""

from dreaming.errors import DreamingError, InputError, StoreError, VersionNotFound
from dreaming.store.files import export_file, import_file, read_memories
from dreaming.records import Change, Changeset, Evidence, Memory, Run, Session, ToolCall, Turn, Version
from dreaming.store.core import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "Change",
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
    "export_file",
    "import_file",
    "open_store",
    "read_memories",
    "__version__",
]
