"""Flux Capacitor's store: events are the only way data changes.

The public API of the library; the app, the CLI and users import from here
(and from `server.store.sql`, `server.store.history`, `server.store.live`).

    from server.store import combine_reducers, connect, create_store

    database = await connect("sqlite+aiosqlite:///notes.db", metadata)
    store = create_store(combine_reducers({"notes": notes_reducer}), database)
    await store.dispatch({"type": "noteAdded", "payload": {...}})

Modules: `store` (Store, create_store), `committer` (one transaction per
dispatch, group commit), `middleware` (compose, apply_middleware), `events`
(checking and naming events), `errors`, `types`; subpackages `sql` (the
database adapter: connect, the event log, SQL collections), `history` (at,
history, snapshots, replay, verify, export/import) and `live` (the log
follower and the fan-out to many clients).
"""

from server.store.errors import (
    ChangesetConflict,
    ChangesetError,
    ConfigurationError,
    EventRejected,
    InvalidEvent,
    StoreError,
    StoreUnavailable,
)
from server.store.events import (
    check_event,
    check_events,
    format_timestamp,
    new_event_id,
    now_timestamp,
)
from server.store.middleware import Enhancer, Middleware, MiddlewareAPI, apply_middleware, compose
from server.store.sql.database import Database, connect
from server.store.store import PROBE_TYPE, Store, create_store
from server.store.types import Changeset, Dispatch, Event, Listener, RootReducer, Row
from shared_reducers.combine import combine_reducers

__all__ = [
    "PROBE_TYPE",
    "Changeset",
    "ChangesetConflict",
    "ChangesetError",
    "ConfigurationError",
    "Database",
    "Dispatch",
    "Enhancer",
    "Event",
    "EventRejected",
    "InvalidEvent",
    "Listener",
    "Middleware",
    "MiddlewareAPI",
    "RootReducer",
    "Row",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "apply_middleware",
    "check_event",
    "check_events",
    "combine_reducers",
    "compose",
    "connect",
    "create_store",
    "format_timestamp",
    "new_event_id",
    "now_timestamp",
]
