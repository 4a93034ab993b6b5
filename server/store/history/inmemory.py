"""Replaying the event log in memory: the time machine's, verify's and replay's engine.

A `Replayer` holds a state shaped like the browser's (`{"notes": {id: row}}`)
and feeds it one logged event after another through the root reducer, which
reads it through the shared in-memory collection (`shared_reducers.memory`).
It applies changesets in place (the shared `apply_changeset` copies the whole
collection on every operation, which is right for Redux and too slow for a
100,000-event log) with the same rules: an insert of an existing id, or an
update or removal of a missing one, is a conflict.  Rows are never mutated
once stored, so a caller may keep a reference to one.

Derived collections.  A root reducer may declare that a collection is a
function of another one's rows (a search index of the notes, say):

    reducer.derived_collections = {"note_search": ("notes", search_row)}
    reducer.without_derived = <the same reducer, not keeping note_search>

meaning: after every event, collection `note_search` holds `search_row(row)`
under the same id for every row of `notes`, and nothing else; the reducer
keeps it so event by event (what a dispatch writes), and `without_derived`
changes every other collection exactly as the reducer does and never reads
or writes the derived ones.  A bulk fold (`Replayer(..., derive_at_end=True)`,
what `replay` uses) then runs `without_derived` and computes the derived
rows once, from the final source rows (`derive()`), instead of once per
event.  `flux verify` folds with the full reducer and compares with the tables,
so a reducer that breaks the declaration shows up there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.store.sql import eventlog
from server.store.sql.database import Database
from server.store.types import Changeset, Event, RootReducer, Row
from shared_reducers.errors import ChangesetConflict, EventRejected
from shared_reducers.memory import LiveCollection, MemoryDatabase

State = dict[str, dict[str, Row]]
Derived = dict[str, tuple[str, Callable[[Row], Row]]]
BATCH = 2000


class ReplayError(RuntimeError):
    """A logged event cannot be replayed with the current reducers."""


class StateCollection(LiveCollection):
    """A collection of the Replayer's state: `get` is one lookup in the rows
    mapping (the state is always in the plain form here), same answers as the
    shared `find_row`: None for an id that is not a string or not there."""

    def get(self, id: Any) -> Row | None:
        rows = self.database.state.get(self.name)
        if rows is None or not isinstance(id, str):
            return None
        return rows.get(id)


class StateView(MemoryDatabase):
    """The one view of the state that every event of a fold reads (what a root
    reducer receives); its collections are made once, on first use."""

    def collection(self, name: str) -> StateCollection:
        found = self.collections.get(name)
        if found is None:
            found = self.collections[name] = StateCollection(name, self)
        return found


class Replayer:
    """The read model after `seq` events, kept in memory."""

    def __init__(
        self,
        reducer: RootReducer,
        names: Iterable[str],
        state: State | None = None,
        seq: int = 0,
        *,
        derive_at_end: bool = False,
    ) -> None:
        self.reducer = bare(reducer)
        self.state: State = state if state is not None else {}
        for name in names:
            self.state.setdefault(name, {})
        self.seq = seq
        self.view = StateView(self.state)
        self.pending: Derived = {}
        """The derived collections not kept by the fold (computed by derive())."""
        self._full = self.reducer
        if derive_at_end:
            derived, base = derived_collections(self.reducer)
            if derived:
                self.pending, self.reducer = derived, base

    def apply(self, event: Event) -> Changeset:
        """Run one logged event; returns the changeset it produced."""
        if event["seq"] != self.seq + 1:
            raise ReplayError(
                f"The log must be replayed in order: expected seq {self.seq + 1}, "
                f"got {event['seq']}. Is the events table missing rows?"
            )
        try:
            changeset = self.reducer(self.view, event)
            for op in changeset:
                self._apply(op)
        except EventRejected as error:
            raise self._rejected(event, error) from error
        self.seq = event["seq"]
        return list(changeset)

    @staticmethod
    def _rejected(event: Event, error: EventRejected) -> ReplayError:
        return ReplayError(
            f"Event seq {event['seq']} ({event['type']}, id {event['id']}) is in the log, "
            f"but the current reducers reject it: {error}. A reducer must accept every "
            "event it once accepted; fix the reducer (or handle the old event shape)."
        )

    def fold(self, events: Iterable[Event]) -> None:
        """apply() each event, in order, keeping no changeset: the same checks,
        errors and final state, with apply's and _apply's per-event work inlined
        (replay folds 100,000s of events through here)."""
        reducer, view, state, pending = self.reducer, self.view, self.state, self.pending
        for event in events:
            if event["seq"] != self.seq + 1:
                self.apply(event)  # raises the ReplayError
            try:
                for op in reducer(view, event):
                    name = op["collection"]
                    rows = state.get(name)
                    if rows is None or name in pending:
                        self._apply(op)
                        continue
                    kind, id = op["op"], op["id"]
                    if kind == "update" and id in rows:
                        rows[id] = {**rows[id], **op["values"]}
                    elif kind == "insert" and id not in rows:
                        rows[id] = dict(op["values"])
                    elif kind == "remove" and id in rows:
                        del rows[id]
                    else:
                        self._apply(op)  # raises the ChangesetConflict
            except EventRejected as error:
                raise self._rejected(event, error) from error
            self.seq = event["seq"]

    def derive(self) -> None:
        """Compute the derived collections left to the end from their sources'
        final rows; the events applied after this are folded with the full reducer."""
        for name, (source, row_of) in self.pending.items():
            rows = self.state.get(source, {})
            self.state[name] = {id: dict(row_of(row)) for id, row in rows.items()}
        self.pending = {}
        self.reducer = self._full

    def _apply(self, op: Mapping[str, Any]) -> None:
        if op["collection"] in self.pending:
            raise ReplayError(
                f"The reducer's `without_derived` changed {op['collection']}, which it declares "
                "derived (`derived_collections`); it must leave derived collections alone."
            )
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


def derived_collections(reducer: RootReducer) -> tuple[Derived, RootReducer]:
    """The reducer's declared derived collections and the reducer without them
    (see the module's docstring); ({}, reducer) when it declares none."""
    derived = getattr(reducer, "derived_collections", None)
    base = getattr(reducer, "without_derived", None)
    if not derived:
        return {}, reducer
    if not callable(base):
        raise ReplayError(
            "A reducer that declares `derived_collections` must also give `without_derived`, "
            "the same reducer without keeping them; got "
            f"{type(base).__name__}."
        )
    for name, pair in derived.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and callable(pair[1])):
            raise ReplayError(
                f"derived_collections[{name!r}] must be (source collection name, "
                f"function row -> derived row); got {pair!r}."
            )
    return dict(derived), bare(base)


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
