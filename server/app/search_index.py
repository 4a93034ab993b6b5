"""The search read model: one row per note in `note_search`, kept by a reducer.

    reducer = with_search(notes_app)        # the server's root reducer

`with_search` runs the notes app's root reducer, then derives the search
rows from *its changeset*: every note the changeset inserts, updates or
removes gets its search row inserted, updated or removed, computed from the
notes row as it is after the event (the row before the event, which the
notes reducer has just read, with the changeset's values laid over it).
`combine_reducers` would not do: each reducer there sees the event and its
own collection, not what the notes reducer made of the event, so a search
reducer would have to repeat the merge of a `noteSpliced` (the operational
transform) to know the text.  The browser keeps running `notes_app` alone.

A search row: `id`, `author`, `private` (the note's, for the visibility
filter in SQL), `updatedAt` (the order of the results) and `body`, the
title's and the text's words normalised (server/app/search_text.py).

The full-text index over `body` is the database's own:
- PostgreSQL: a GIN index on `to_tsvector('simple', body)`;
- MariaDB/MySQL: a FULLTEXT index on `body`;
- SQLite: an FTS5 table cannot be an ordinary table's index, so each
  `note_search` table gets a contentless FTS5 companion and three triggers
  that keep it (made here, when the table is created).  The companion is
  named `note_search_fts_<token>`; `flux replay` renames the tables, not
  the companions, so the search finds the live one through the triggers of
  `note_search` (`sqlite_index_name`), and companions whose triggers are gone
  (the old table's, after a replay's swap) are dropped when the next table
  is created and when the app starts (`drop_stale_sqlite_indexes`).  The
  companion is keyed by the table's rowid: `VACUUM` may renumber those, so
  run `flux replay` after a VACUUM.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, Table

from server.app.search_text import index_text
from server.store import RootReducer, Row
from shared_reducers.notes_app import NOTES

SEARCH = "note_search"
INDEXED = ("title", "text")
FTS_PREFIX = SEARCH + "_fts_"
# PostgreSQL's index expression; the search's condition uses the same (or the index is not used).
TSVECTOR = "to_tsvector('simple'::regconfig, body)"


def search_row(note: Row) -> Row:
    return {
        "id": note["id"],
        "author": note["author"],
        "private": note["private"],
        "updatedAt": note["updatedAt"],
        "body": index_text(note["title"], note["text"]),
    }


def search_changes(notes: Any, search: Any, changeset: list[Any]) -> list[Any]:
    """The search collection's changes that follow the notes changes of `changeset`."""
    before: dict[str, Row | None] = {}
    after: dict[str, Row | None] = {}
    changed: dict[str, set[str]] = {}
    for op in changeset:
        if op["collection"] != NOTES:
            continue
        id = op["id"]
        if id not in before:
            before[id] = notes.get(id)
            after[id] = before[id]
            changed[id] = set()
        if op["op"] == "insert":
            after[id] = dict(op["values"])
        elif op["op"] == "update":
            after[id] = {**(after[id] or {}), **op["values"]}
            changed[id].update(op["values"])
        else:
            after[id] = None
    out: list[Any] = []
    for id, old in before.items():
        new = after[id]
        if new is None:
            if old is not None:
                out.extend(search.remove(id))
        elif old is None:
            out.extend(search.insert(search_row(new)))
        else:
            values: Row = {}
            if changed[id].intersection(INDEXED):
                values["body"] = index_text(new["title"], new["text"])
            if "updatedAt" in changed[id]:
                values["updatedAt"] = new["updatedAt"]
            if "private" in changed[id]:
                values["private"] = new["private"]
            if values:
                out.extend(search.update(id, values))
    return out


def with_search(root: RootReducer) -> RootReducer:
    """`root` (over `notes`) plus the search rows that follow its notes changes.

    No `__wrapped__` here: replay strips wrappers that carry one (the policy
    check), and this one must be replayed."""

    def notes_with_search(database: Any, event: Any) -> Any:
        changeset = root(database, event)
        extra = search_changes(database.collection(NOTES), database.collection(SEARCH), changeset)
        return list(changeset) + extra if extra else changeset

    names = list(getattr(root, "collection_names", []))
    notes_with_search.collection_names = [*names, SEARCH]  # type: ignore[attr-defined]
    # A search row is search_row(note) for every note (server/store/history/inmemory.py,
    # "Derived collections"): a replay folds `root` and computes them from the final notes.
    notes_with_search.derived_collections = {SEARCH: (NOTES, search_row)}  # type: ignore[attr-defined]
    notes_with_search.without_derived = root  # type: ignore[attr-defined]
    return notes_with_search


# The full-text index of each note_search table (the live one or a replay's
# fresh copy), made after its CREATE TABLE by an event listener: replay copies
# a table's listeners, not the dialect conditions of its Index objects.


def create_search_index(table: Table, connection: Connection, **_: Any) -> None:
    dialect = connection.dialect.name
    quote = connection.dialect.identifier_preparer.quote
    index, name = quote(f"{table.name}_fts"), quote(table.name)
    if dialect == "postgresql":
        vector = TSVECTOR.replace("body", quote("body"))
        connection.exec_driver_sql(f"CREATE INDEX {index} ON {name} USING gin ({vector})")
    elif dialect in ("mysql", "mariadb"):
        connection.exec_driver_sql(f"CREATE FULLTEXT INDEX {index} ON {name} (body)")
    elif dialect == "sqlite":
        _create_sqlite_index(table, connection)


def _create_sqlite_index(table: Table, connection: Connection) -> None:
    drop_stale_sqlite_indexes(connection)
    quote = connection.dialect.identifier_preparer.quote
    fts = FTS_PREFIX + secrets.token_hex(4)
    q, t = quote(fts), quote(table.name)
    insert_new = f"INSERT INTO {q}(rowid, body) VALUES (new.rowid, new.body);"
    delete_old = f"INSERT INTO {q}({q}, rowid, body) VALUES ('delete', old.rowid, old.body);"
    for statement in (
        f"CREATE VIRTUAL TABLE {q} USING fts5(body, content='', tokenize='unicode61')",
        f"CREATE TRIGGER {quote(fts + '_ai')} AFTER INSERT ON {t} BEGIN {insert_new} END",
        f"CREATE TRIGGER {quote(fts + '_ad')} AFTER DELETE ON {t} BEGIN {delete_old} END",
        f"CREATE TRIGGER {quote(fts + '_au')} AFTER UPDATE OF body ON {t} "
        f"BEGIN {delete_old} {insert_new} END",
    ):
        connection.exec_driver_sql(statement)


def sqlite_index_name(conn: Connection, table: str = SEARCH) -> str | None:
    """The FTS5 companion that the triggers of `table` keep, or None."""
    row = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
        "AND name LIKE ? ESCAPE '\\'",
        (table, FTS_PREFIX.replace("_", "\\_") + "%\\_ai"),
    ).first()
    return None if row is None else str(row[0])[: -len("_ai")]


def drop_sqlite_index(_table: Table, connection: Connection, **_: Any) -> None:
    """After DROP TABLE of a note_search table (a failed replay's fresh copy)."""
    drop_stale_sqlite_indexes(connection)


def drop_stale_sqlite_indexes(conn: Connection) -> list[str]:
    """Drop the FTS5 companions that no table's triggers keep any more; returns their names."""
    if conn.dialect.name != "sqlite":
        return []
    like = (FTS_PREFIX.replace("_", "\\_") + "%", "\\")
    companions = {
        str(name)
        for (name,) in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE ? "
            "AND sql LIKE 'CREATE VIRTUAL TABLE%'",
            like,
        )
    }
    kept = {
        str(name)[: -len("_ai")]
        for (name,) in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE ?", like
        )
    }
    stale = sorted(companions - kept)
    quote = conn.dialect.identifier_preparer.quote
    for name in stale:
        conn.exec_driver_sql(f"DROP TABLE {quote(name)}")
    return stale
