"""The time machine: the read model as it was after any event, a row's history,
and what a deleted note looked like (to restore it).

    past = await state_at(database, reducer, seq=120)      # or time="2026-11-26T10:00Z"
    past.collections["notes"]                              # rows sorted by id
    await history(database, reducer, "notes", "n1")        # [{"event", "row"}, ...]

`at` starts from the nearest snapshot at or below the point (see snapshots.py)
and replays the remaining events in memory with the store's reducers.  Rows
are returned canonical: every column of the table, as a SELECT returns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from server.store.events import format_timestamp
from server.store.history import snapshots
from server.store.history.inmemory import (
    Replayer,
    canonical,
    canonical_rows,
    collection_names,
    events_between,
)
from server.store.history.replay import pages
from server.store.sql import eventlog
from server.store.sql.database import Database
from server.store.types import RootReducer, Row


class OutOfRange(ValueError):
    """The point asked for is not in the log (a seq past the end, a malformed time)."""


@dataclass
class AsOf:
    """The read model after event `seq` (0: before the first event)."""

    seq: int
    timestamp: str | None
    collections: dict[str, list[Row]] = field(default_factory=dict)


def parse_moment(text: str) -> str:
    """An ISO-8601 time (naive means UTC) as a log timestamp: 2026-11-26T10:00:00.000Z."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise OutOfRange(
            f"Expected an ISO-8601 time such as 2026-11-26T10:00:00Z; got {text!r}."
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_timestamp(moment)


async def seq_at_time(database: Database, time: str) -> int:
    """The last seq whose timestamp is at or before `time` (0 when none is)."""
    stamp = parse_moment(time)
    table = eventlog.events_table

    def work(conn: Connection) -> int:
        found = conn.scalar(select(func.max(table.c.seq)).where(table.c.timestamp <= stamp))
        return int(found) if found is not None else 0

    return await database.read(work)


async def _timestamp_of(database: Database, seq: int) -> str | None:
    if seq == 0:
        return None
    table = eventlog.events_table
    return await database.read(
        lambda conn: conn.scalar(select(table.c.timestamp).where(table.c.seq == seq))
    )


async def _point(database: Database, seq: int | None, time: str | None) -> int:
    if seq is not None and time is not None:
        raise OutOfRange("Give either seq or time, not both.")
    last = await database.last_seq()
    if time is not None:
        return await seq_at_time(database, time)
    if seq is None:
        return last
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= last:
        raise OutOfRange(f"Expected a seq between 0 and {last} (the last event); got {seq!r}.")
    return seq


async def replayer_at(database: Database, reducer: RootReducer, seq: int) -> Replayer:
    """A Replayer holding the state after event `seq`, started from the nearest snapshot."""
    start, state = await snapshots.load_nearest(database, seq)
    replayer = Replayer(reducer, collection_names(reducer, database), state, start)
    async for batch in pages(database, start, seq):
        for event in batch:
            replayer.apply(event)
    return replayer


async def state_at(
    database: Database, reducer: RootReducer, seq: int | None = None, time: str | None = None
) -> AsOf:
    """The read model after event `seq`, or at the moment `time` (ISO-8601); default now."""
    point = await _point(database, seq, time)
    replayer = await replayer_at(database, reducer, point)
    collections = {
        name: canonical_rows(table, replayer.state.get(name, {}).values())
        for name, table in database.tables.items()
    }
    return AsOf(point, await _timestamp_of(database, point), collections)


async def at(
    database: Database, reducer: RootReducer, seq: int | None = None, time: str | None = None
) -> dict[str, list[Row]]:
    """`{"notes": [rows sorted by id]}` as it was after event `seq` (or at `time`)."""
    return (await state_at(database, reducer, seq, time)).collections


async def history(
    database: Database, reducer: RootReducer, name: str, id: str
) -> list[dict[str, Any]]:
    """Every event that touched row `id` of `name`: `[{"event": ..., "row": row after it}]`.

    The row is None after a removal.  The whole log is replayed: whichever
    event's changeset names the row touched it, whatever its payload says
    (a conflict copy `<id>~<event id>` is made by an edit of `<id>`).
    """
    table = database.table(name)
    replayer = Replayer(reducer, collection_names(reducer, database))
    found: list[dict[str, Any]] = []
    last = await database.last_seq()
    async for batch in events_between(database, 0, last):
        for event in batch:
            changeset = replayer.apply(event)
            if any(op["collection"] == name and op["id"] == id for op in changeset):
                row = replayer.state[name].get(id)
                found.append({"event": event, "row": canonical(table, row)})
    return found


async def deleted_rows(database: Database, reducer: RootReducer, name: str) -> list[dict[str, Any]]:
    """The rows of `name` removed and not back now: `[{"row": last content, "event": removal}]`."""
    table = database.table(name)
    replayer = Replayer(reducer, collection_names(reducer, database))
    removed: dict[str, dict[str, Any]] = {}
    seen: dict[str, Row] = {}
    last = await database.last_seq()
    async for batch in events_between(database, 0, last):
        for event in batch:
            for op in replayer.apply(event):
                if op["collection"] != name:
                    continue
                if op["op"] == "remove":
                    removed[op["id"]] = {
                        "row": canonical(table, seen.get(op["id"])),
                        "event": event,
                    }
                else:
                    seen[op["id"]] = replayer.state[name][op["id"]]
    rows = replayer.state[name]
    gone = [entry for row_id, entry in removed.items() if row_id not in rows]
    return sorted(gone, key=lambda entry: str(entry["row"]["id"]))


async def last_content(database: Database, reducer: RootReducer, name: str, id: str) -> Row:
    """The last content of a removed row, read from its history.

    Raises OutOfRange when the row exists now or never existed.
    """
    entries = await history(database, reducer, name, id)
    if not entries:
        raise OutOfRange(f"There never was a row {id!r} in {name}; nothing to restore.")
    if entries[-1]["row"] is not None:
        raise OutOfRange(f"Row {id!r} of {name} is not deleted, so it cannot be restored.")
    for entry in reversed(entries):
        if entry["row"] is not None:
            return dict(entry["row"])
    raise OutOfRange(f"Row {id!r} of {name} never had content to restore.")  # pragma: no cover
