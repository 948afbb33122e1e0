"""The memory store: versions of memory states in one SQLite file (the only package that speaks SQL)."""

import sqlite3

from dreaming.store.core import Store, open_store

#: What SQLite raises (the base class, a damaged or foreign file, a busy or
#: locked database), named here so that code above the store can catch them
#: without importing ``sqlite3``: only this package speaks SQL.
DatabaseError = sqlite3.DatabaseError
OperationalError = sqlite3.OperationalError
SQLiteError = sqlite3.Error

__all__ = ["DatabaseError", "OperationalError", "SQLiteError", "Store", "open_store"]
