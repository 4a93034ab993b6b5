"""Replaying the event log in memory: the time machine's, verify's and replay's engine.

A `Replayer` holds a state shaped like the browser's (`{"notes": {id: row}}`)
and feeds it one logged event after another through the root reducer, which
reads it through the shared in-memory collection (`shared_reducers.memory`).
It applies changesets in place (the shared `apply_changeset` copies the whole
collection on every operation, which is right for Redux and too slow for a
100,000-event log) with the same rules: an insert of an existing id, or an
update or removal of a missing one, is a conflict.  Rows are never mutated
once stored, so a caller may keep a reference to one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.store.sql import eventlog
from server.store.sql.database import Database
from server.store.types import Changeset, Event, RootReducer, Row
from shared_reducers.errors import ChangesetConflict, EventRejected
from shared_reducers.memory import MemoryDatabase

State = dict[str, dict[str, Row]]
BATCH = 2000


class ReplayError(RuntimeError):
    """A logged event cannot be replayed with the current reducers."""


class Replayer:
    """The read model after `seq` events, kept in memory."""

    def __init__(
        self, reducer: RootReducer, names: Iterable[str], state: State | None = None, seq: int = 0
    ) -> None:
        self.reducer = bare(reducer)
        self.state: State = state if state is not None else {}
        for name in names:
            self.state.setdefault(name, {})
        self.seq = seq

    def apply(self, event: Event) -> Changeset:
        """Run one logged event; returns the changeset it produced."""
        if event["seq"] != self.seq + 1:
            raise ReplayError(
                f"The log must be replayed in order: expected seq {self.seq + 1}, "
                f"got {event['seq']}. Is the events table missing rows?"
            )
        try:
            changeset = self.reducer(MemoryDatabase(self.state), event)
            for op in changeset:
                self._apply(op)
        except EventRejected as error:
            raise ReplayError(
                f"Event seq {event['seq']} ({event['type']}, id {event['id']}) is in the log, "
                f"but the current reducers reject it: {error}. A reducer must accept every "
                "event it once accepted; fix the reducer (or handle the old event shape)."
            ) from error
        self.seq = event["seq"]
        return list(changeset)

    def _apply(self, op: Mapping[str, Any]) -> None:
        rows = self.state.setdefault(op["collection"], {})
        kind, id = op["op"], op["id"]
        if kind == "insert":
            if id in rows:
                raise ChangesetConflict(f"A row with id {id} already exists in {op['collection']}.")
            rows[id] = dict(op["values"])
        elif kind == "update":
            if id not in rows:
                raise ChangesetConflict(f"There is no row {id} in {op['collection']} to update.")
            rows[id] = {**rows[id], **op["values"]}
        elif kind == "remove":
            if id not in rows:
                raise ChangesetConflict(f"There is no row {id} in {op['collection']} to remove.")
            del rows[id]
        else:
            raise ChangesetConflict(f"Unknown operation {kind!r}.")


def bare(reducer: RootReducer) -> RootReducer:
    """The reducer without its server-only wrappers (`__wrapped__`, as functools.wraps
    sets it), such as the policy check: the log holds events that were already
    authorized, and replaying must not ask again (the check reads SQL tables)."""
    seen = 0
    while hasattr(reducer, "__wrapped__") and seen < 10:
        reducer = reducer.__wrapped__
        seen += 1
    return reducer


def collection_names(reducer: RootReducer, database: Database) -> list[str]:
    names = list(getattr(reducer, "collection_names", []) or [])
    return names + [name for name in database.tables if name not in names]


def canonical(table: Table, row: Mapping[str, Any] | None) -> Row | None:
    """A row with exactly the table's columns (missing ones None), as SQL returns it."""
    if row is None:
        return None
    return {name: row.get(name) for name in table.c.keys()}


def canonical_rows(table: Table, rows: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Canonical rows sorted by id (a row that already has exactly the columns is not copied)."""
    names = table.c.keys()
    wanted = set(names)
    out: list[Row] = [
        row if isinstance(row, dict) and row.keys() == wanted else {n: row.get(n) for n in names}
        for row in rows
    ]
    out.sort(key=lambda r: str(r["id"]))
    return out


def read_between(conn: Connection, after: int, upto: int, limit: int) -> list[Event]:
    query = (
        select(eventlog.events_table)
        .where(eventlog.events_table.c.seq > after, eventlog.events_table.c.seq <= upto)
        .order_by(eventlog.events_table.c.seq)
        .limit(limit)
    )
    return [eventlog.row_to_event(row) for row in conn.execute(query)]


async def events_between(
    database: Database, after: int, upto: int, batch: int = BATCH
) -> AsyncIterator[list[Event]]:
    """The logged events with after < seq <= upto, in batches, in seq order."""
    while after < upto:
        events = await database.read(
            lambda conn, start=after: read_between(conn, start, upto, batch)  # type: ignore[misc]
        )
        if not events:
            return
        yield events
        after = events[-1]["seq"]


@asynccontextmanager
async def writing(database: Database) -> AsyncIterator[AsyncConnection]:
    """A write transaction outside the log lock (BEGIN IMMEDIATE on SQLite, so it waits
    for the write lock instead of failing to upgrade a read transaction)."""
    async with database.engine.connect() as conn:
        conn = await conn.execution_options(flux_write=True)
        async with conn.begin():
            yield conn
