"""Errors a user can act on.

Every error raised for a user mistake (bad input, unknown version, a file
that is not a store) is a ``DreamingError``: the CLI prints its message on
one line and exits non-zero, never a traceback.
"""

from __future__ import annotations


class DreamingError(Exception):
    """A problem the user can fix; ``str(err)`` says what and how."""

    exit_code = 1


class InputError(DreamingError):
    """Malformed input (a file the user gave us).  ``location`` is file:line."""

    def __init__(self, message: str, *, location: str | None = None):
        self.location = location
        self.reason = message
        super().__init__(f"{location}: {message}" if location else message)


class StoreError(DreamingError):
    """The store cannot be opened or the operation does not fit its state."""


class VersionNotFound(StoreError):
    pass


class CandidatePending(StoreError):
    pass


class StaleParent(StoreError):
    """A version computed from an older tip: another writer got there first."""
