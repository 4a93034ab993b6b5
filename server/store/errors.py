"""The store's exceptions.  Driver errors are translated into these at the edge."""

from __future__ import annotations

from shared_reducers.errors import ChangesetConflict, EventRejected

__all__ = [
    "ChangesetConflict",
    "ChangesetError",
    "ConfigurationError",
    "EventRejected",
    "InvalidEvent",
    "StoreError",
    "StoreUnavailable",
]


class InvalidEvent(ValueError):
    """The event is not a Flux Standard Action; the message names the key."""


class StoreError(RuntimeError):
    """The database refused a statement for a reason that is not the event's fault."""


class StoreUnavailable(StoreError):
    """The database did not answer or dropped the connection; nothing was written."""


class ChangesetError(TypeError):
    """A reducer returned something that is not a valid changeset (a programming error)."""


class ConfigurationError(RuntimeError):
    """The store, its reducers and its tables do not fit together."""
