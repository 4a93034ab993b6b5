"""Export the event log as NDJSON, import it into an empty database.

One event per line, exactly as the log holds it:
`{"seq": 1, "id": "...", "type": "noteAdded", "payload": {...}, "meta": {...}, "timestamp": "..."}`.

Import streams its input: each line is checked (seq 1, 2, 3... without gaps,
unique ids, timestamps that never go back) and folded in memory with the
current reducers as it is read, and the log is written in batches, keeping
seq, id and timestamp, all inside ONE write transaction holding the log lock;
the folded rows are then bulk-inserted into the read-model tables in that same
transaction.  A bad line or an event the reducers reject raises inside the
transaction, which rolls back: nothing reaches the log or the tables.
Memory holds one batch of events and the folded rows, never the whole log nor
a set of every id: a batch's ids are checked against each other and against
the batches already written (one `SELECT id ... WHERE id IN (...)` on the
log's unique index) before any of its events is folded, so a repeated id is
still named by its line, and the first bad line is the one reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from functools import partial
from typing import Any, TextIO

from sqlalchemy import Connection, func, insert, select

from server.store.errors import InvalidEvent
from server.store.events import check_event
from server.store.history.inmemory import Replayer, State, collection_names
from server.store.history.progress import Reporter, Silent
from server.store.history.replay import pages
from server.store.sql import eventlog
from server.store.sql.database import Database
from server.store.types import Event, RootReducer

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
STORED_KEYS = ("seq", "id", "type", "payload", "meta", "error", "timestamp")
WRITE_BATCH = 2000
ID_QUERY = 500
"""Ids per `WHERE id IN (...)` lookup (well under every driver's parameter limit)."""


class TransferError(ValueError):
    """The input is not an exported log, or the database is not empty."""


@dataclass
class ImportReport:
    events: int
    rows: dict[str, int]


async def export_events(database: Database, out: TextIO, progress: Reporter | None = None) -> int:
    """Write every logged event as one JSON line; returns how many."""
    progress = progress or Silent()
    end = await database.last_seq()
    progress.start("exporting", end)
    count = 0
    async for batch in pages(database, 0, end):
        out.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in batch))
        count += len(batch)
        progress.advance(len(batch))
    progress.finish()
    out.flush()
    return count


def iter_events(lines: Iterable[str]) -> Iterator[tuple[int, Event]]:
    """Check the lines of an export one at a time, yielding (line number, event);
    raise TransferError naming the first bad line (the ones before were yielded).
    Ids are not checked for repeats here: see `_first_repeat`."""
    last_timestamp = ""
    seq = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            data = json.loads(line)
        except ValueError as error:
            raise TransferError(
                f"{where} is not JSON ({error}); expected one event per line."
            ) from error
        event = _check_stored(data, where, seq + 1, last_timestamp)
        last_timestamp = event["timestamp"]
        seq += 1
        yield number, event


def batches(events: Iterator[tuple[int, Event]], size: int) -> Iterator[list[tuple[int, Event]]]:
    """The checked lines in lists of `size`; at a bad line, the lines before it
    come out first (a repeated id or a rejected event among them is the first
    error), then its TransferError is raised."""
    batch: list[tuple[int, Event]] = []
    try:
        for item in events:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
    except TransferError:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def _first_repeat(conn: Connection, batch: list[tuple[int, Event]], logged: bool) -> int | None:
    """The index in `batch` of the first event whose id is already in the log
    (`logged`: earlier batches were written) or earlier in the batch; None if none."""
    ids = [event["id"] for _, event in batch]
    taken: set[str] = set()
    if logged:
        column = eventlog.events_table.c.id
        for start in range(0, len(ids), ID_QUERY):
            chunk = ids[start : start + ID_QUERY]
            taken.update(conn.scalars(select(column).where(column.in_(chunk))))
    for index, id in enumerate(ids):
        if id in taken:
            return index
        taken.add(id)
    return None


def _check_stored(data: Any, where: str, seq: int, last_timestamp: str) -> Event:
    if not isinstance(data, dict):
        raise TransferError(f"{where} must be a JSON object (an event); got {type(data).__name__}.")
    unknown = sorted(set(data) - set(STORED_KEYS))
    if unknown:
        raise TransferError(f"{where} has unexpected keys {unknown}; an event has {STORED_KEYS}.")
    if data.get("seq") != seq or isinstance(data.get("seq"), bool):
        raise TransferError(
            f"{where}: expected seq {seq} (the log is gap-free from 1); got {data.get('seq')!r}."
        )
    stamp = data.get("timestamp")
    if not isinstance(stamp, str) or not TIMESTAMP.match(stamp):
        raise TransferError(
            f"{where}: expected a timestamp like 2026-11-26T23:22:24.123Z; got {stamp!r}."
        )
    if stamp < last_timestamp:
        raise TransferError(
            f"{where}: timestamp {stamp} is before the previous event's {last_timestamp}."
        )
    if "id" not in data:
        raise TransferError(f"{where} has no id; an exported event keeps its id.")
    try:
        checked = check_event({k: v for k, v in data.items() if k not in ("seq", "timestamp")})
    except InvalidEvent as error:
        raise TransferError(f"{where}: {error}") from error
    return {"seq": seq, **checked, "timestamp": stamp}


def _counts(conn: Connection, database: Database, head: tuple[int, str]) -> tuple[int, int]:
    rows = sum(
        int(conn.scalar(select(func.count()).select_from(table)) or 0)
        for table in database.tables.values()
    )
    return head[0], rows


async def import_events(
    database: Database,
    reducer: RootReducer,
    lines: Iterable[str],
    progress: Reporter | None = None,
) -> ImportReport:
    """Load an export into an empty database and build the read model.

    Streams `lines`: each line is checked, folded in memory with the reducers
    and buffered; the log is written in batches of WRITE_BATCH, all inside ONE
    write transaction holding the log lock, and the folded rows are
    bulk-inserted at its end.  Any bad line or rejected event raises inside
    that transaction, which rolls back: nothing reaches the log.  Memory holds
    one batch of events and the folded rows (no set of every id: each batch's
    ids are looked up in the log before it is folded).
    """
    progress = progress or Silent()
    total = len(lines) if isinstance(lines, Sized) else 0
    return await database.write(
        partial(
            _import_work,
            database=database,
            reducer=reducer,
            lines=lines,
            total=total,
            progress=progress,
        )
    )


def _import_work(
    conn: Connection,
    head: tuple[int, str],
    *,
    database: Database,
    reducer: RootReducer,
    lines: Iterable[str],
    total: int,
    progress: Reporter,
) -> ImportReport:
    seq, rows = _counts(conn, database, head)
    if seq or rows:
        raise TransferError(
            f"Import needs an empty database; this one holds {seq} events and {rows} "
            "read-model rows. Import into a new database URL."
        )
    replayer = Replayer(reducer, collection_names(reducer, database))
    progress.start("importing", total)
    count = 0
    for batch in batches(iter_events(lines), WRITE_BATCH):
        repeat = _first_repeat(conn, batch, logged=count > 0)
        events = [event for _, event in batch[:repeat]]
        for event in events:
            replayer.apply(event)  # a rejected event raises: the transaction rolls back
        if repeat is not None:  # after folding the lines before it: the first error wins
            number, event = batch[repeat]
            raise TransferError(
                f"line {number}: the id {event['id']!r} appears twice; ids are unique."
            )
        eventlog.append(conn, events)
        count += len(events)
        progress.advance(len(events))
    progress.finish()
    written = write_rows(conn, database, replayer.state, progress)
    return ImportReport(count, written)


def write_rows(
    conn: Connection, database: Database, state: State, progress: Reporter
) -> dict[str, int]:
    """Bulk-insert the folded rows into the (empty) read-model tables, in chunks."""
    total = sum(len(state.get(name, {})) for name in database.tables)
    progress.start("writing the read model", total)
    written: dict[str, int] = {}
    for name, table in database.tables.items():
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in state.get(name, {}).values():
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for group in groups.values():
            for start in range(0, len(group), WRITE_BATCH):
                chunk = group[start : start + WRITE_BATCH]
                conn.execute(insert(table), chunk)
                progress.advance(len(chunk))
        written[name] = len(state.get(name, {}))
    progress.finish()
    return written
