"""The memory store: versions of memory states in one SQLite file (the only package that speaks SQL)."""

from dreaming.store.core import Store, open_store

__all__ = ["Store", "open_store"]
