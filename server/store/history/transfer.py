"""Export the event log as NDJSON, import it into an empty database.

One event per line, exactly as the log holds it:
`{"seq": 1, "id": "...", "type": "noteAdded", "payload": {...}, "meta": {...}, "timestamp": "..."}`.

Import reads and checks the whole input first (seq 1, 2, 3... without gaps,
unique ids, timestamps that never go back), so a bad line writes nothing;
replays them in memory with the current reducers (an event they reject stops
the import before anything is written), then writes the rows straight into
the log under the log lock, keeping seq, id and timestamp, and rebuilds the
read model with `replay`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TextIO

from sqlalchemy import Connection, func, select

from server.store.errors import InvalidEvent
from server.store.events import check_event
from server.store.history.inmemory import Replayer, collection_names, events_between
from server.store.history.progress import Reporter, Silent
from server.store.history.replay import replay
from server.store.sql import eventlog
from server.store.sql.database import Database
from server.store.types import Event, RootReducer

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
STORED_KEYS = ("seq", "id", "type", "payload", "meta", "error", "timestamp")
WRITE_BATCH = 2000


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
    async for batch in events_between(database, 0, end):
        out.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in batch))
        count += len(batch)
        progress.advance(len(batch))
    progress.finish()
    out.flush()
    return count


def parse_events(lines: Iterable[str]) -> list[Event]:
    """Check every line of an export; raise TransferError naming the first bad one."""
    events: list[Event] = []
    ids: set[str] = set()
    last_timestamp = ""
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
        event = _check_stored(data, where, len(events) + 1, last_timestamp)
        if event["id"] in ids:
            raise TransferError(f"{where}: the id {event['id']!r} appears twice; ids are unique.")
        ids.add(event["id"])
        last_timestamp = event["timestamp"]
        events.append(event)
    return events


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


async def _is_empty(database: Database) -> tuple[int, int]:
    def work(conn: Connection) -> tuple[int, int]:
        rows = sum(
            int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in database.tables.values()
        )
        return eventlog.last_seq(conn), rows

    return await database.read(work)


async def import_events(
    database: Database,
    reducer: RootReducer,
    lines: Iterable[str],
    progress: Reporter | None = None,
) -> ImportReport:
    """Load an export into an empty database and rebuild the read model."""
    progress = progress or Silent()
    events = parse_events(lines)
    seq, rows = await _is_empty(database)
    if seq or rows:
        raise TransferError(
            f"Import needs an empty database; this one holds {seq} events and {rows} "
            "read-model rows. Import into a new database URL."
        )
    _dry_run(database, reducer, events)
    progress.start("importing", len(events))
    for start in range(0, len(events), WRITE_BATCH):
        batch = events[start : start + WRITE_BATCH]
        await database.write(partial(_append, batch=batch))
        progress.advance(len(batch))
    progress.finish()
    report = await replay(database, reducer, progress)
    return ImportReport(len(events), report.rows)


def _dry_run(database: Database, reducer: RootReducer, events: list[Event]) -> None:
    """Replay in memory first: an event the reducers reject must not reach the log."""
    replayer = Replayer(reducer, collection_names(reducer, database))
    for event in events:
        replayer.apply(event)


def _append(conn: Connection, head: tuple[int, str], *, batch: list[Event]) -> None:
    if head[0] != batch[0]["seq"] - 1:
        raise TransferError(
            f"Someone else wrote to the log during the import (its last seq is {head[0]}, "
            f"expected {batch[0]['seq'] - 1}); import into a database nobody uses."
        )
    eventlog.append(conn, batch)
