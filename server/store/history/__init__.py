"""The log as history: the read model at any past moment, each row's history,
the history index, rebuilding the read model by replay, verifying it, and export/import."""

from server.store.history.inmemory import Replayer, ReplayError
from server.store.history.progress import Reporter, Silent, progress_for
from server.store.history.replay import ReplayReport, replay
from server.store.history.snapshots import keep_snapshots, take_snapshots
from server.store.history.timemachine import (
    AsOf,
    OutOfRange,
    as_of,
    at,
    deleted_rows,
    history,
    last_content,
    parse_moment,
    state_at,
)
from server.store.history.transfer import TransferError, export_events, import_events
from server.store.history.verify import VerifyReport, verify

__all__ = [
    "AsOf",
    "OutOfRange",
    "ReplayError",
    "ReplayReport",
    "Replayer",
    "Reporter",
    "Silent",
    "TransferError",
    "VerifyReport",
    "as_of",
    "at",
    "deleted_rows",
    "export_events",
    "history",
    "import_events",
    "keep_snapshots",
    "last_content",
    "parse_moment",
    "progress_for",
    "replay",
    "state_at",
    "take_snapshots",
    "verify",
]
