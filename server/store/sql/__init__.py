"""The SQL adapter: connect to SQLite, PostgreSQL or MariaDB, the event log
table, and collections that read and write read-model tables in the dispatch
transaction."""

from server.store.sql.backends import Backend, backend_for, database_url
from server.store.sql.collection import SqlCollection, apply_changeset
from server.store.sql.columns import JsonText, exact_string
from server.store.sql.database import Database, connect
from server.store.sql.eventlog import events_table, last_seq, read_after, row_to_event

__all__ = [
    "Backend",
    "Database",
    "JsonText",
    "SqlCollection",
    "apply_changeset",
    "backend_for",
    "connect",
    "database_url",
    "events_table",
    "exact_string",
    "last_seq",
    "read_after",
    "row_to_event",
]
