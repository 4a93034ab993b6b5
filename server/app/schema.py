"""The sample app's read model: the notes table (an ordinary SQL table)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text, event
from sqlalchemy.dialects.mysql import MEDIUMTEXT

from server.app.search_index import SEARCH, create_search_index, drop_sqlite_index
from server.store.sql import JsonText, exact_string

metadata = MetaData()

notes = Table(
    "notes",
    metadata,
    Column("id", exact_string(120), primary_key=True),
    Column("title", String(400), nullable=False),
    # MySQL/MariaDB's TEXT holds 65,535 bytes; a note may hold 100,000 characters.
    Column("text", Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb"), nullable=False),
    Column("author", String(100), nullable=False),
    Column("private", Boolean, nullable=False),
    Column("createdAt", String(24), nullable=False),
    Column("updatedAt", String(24), nullable=False),
    Column("updatedBy", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    # The latest changes as [[version, field, splices], ...] (shared_reducers/notes.py).
    Column("recent", JsonText(), nullable=False, default=list),
)

# What a restore needs of each removed note, and whose it was
# (shared_reducers/notes_app.py).
removed_notes = Table(
    "removed_notes",
    metadata,
    Column("id", exact_string(120), primary_key=True),
    Column("title", String(400), nullable=False),
    Column("text", Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb"), nullable=False),
    Column("author", String(100), nullable=False),
    Column("private", Boolean, nullable=False),
    Column("createdAt", String(24), nullable=False),
    Column("removedAt", String(24), nullable=False),
    Column("removedBy", String(100), nullable=False),
)

# One row per note with its words normalised, under the database's own
# full-text index (server/app/search_index.py keeps it; server/app/search.py
# queries it); `propagate` lets replay's copies of the table get their index too.
note_search = Table(
    SEARCH,
    metadata,
    Column("id", exact_string(120), primary_key=True),
    Column("author", String(100), nullable=False),
    Column("private", Boolean, nullable=False),
    Column("updatedAt", String(24), nullable=False),
    Column("body", Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb"), nullable=False),
)

event.listen(note_search, "after_create", create_search_index, propagate=True)
event.listen(note_search, "after_drop", drop_sqlite_index, propagate=True)
