"""Scenario 4: rebuild. Replaying a 100,000-event log into empty read-model
tables (`server.store.history.replay`, what `flux replay` does) vs the baseline
of issue 16: read the same events with SQLAlchemy Core (pages of 5,000, payload
and meta decoded by the JSON column type) and write the final rows with
`executemany` into empty copies of the read-model tables (the same rows replay
writes: every table, its indexes included), in one transaction."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, MetaData, Table, delete, insert, select

from bench.harness import Result, Row, alternate, scratch_database
from bench.timemachine import synthetic_log
from server.app.notes_store import open_notes_store
from server.store import Row as TableRow
from server.store import format_timestamp
from server.store.history import import_events, replay
from server.store.sql.eventlog import events_table

NAME = "rebuild"
TITLE = "4. Rebuild: replay the log into empty tables"
TARGET = "replay <= 2x Core: read the events + executemany the final rows"
START = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 5000


def adds_only(count: int) -> list[str]:
    """`count` noteAdded events: a log whose every event leaves a row behind."""
    return [
        json.dumps(
            {
                "seq": i,
                "id": str(uuid.UUID(int=i)),
                "type": "noteAdded",
                "payload": {"id": f"n{i}", "title": f"Note {i}", "text": "some words of text"},
                "meta": {"user": "ada"},
                "timestamp": format_timestamp(START + timedelta(milliseconds=i)),
            }
        )
        for i in range(1, count + 1)
    ]


def copies(tables: dict[str, Table]) -> dict[str, Table]:
    """Empty copies of the read-model tables (`<name>_bench_copy`, indexes renamed)."""
    metadata = MetaData()
    out: dict[str, Table] = {}
    for name, table in tables.items():
        copy = table.to_metadata(metadata, name=f"{name}_bench_copy")
        for index in copy.indexes:
            if index.name:
                index.name = f"{index.name}_bench_copy"  # type: ignore[assignment]
        out[name] = copy
    return out


def read_with_core(conn: Connection) -> int:
    """Every event, a page at a time, as an app would read them with Core."""
    after, count = 0, 0
    while True:
        query = select(events_table).where(events_table.c.seq > after)
        rows = conn.execute(query.order_by(events_table.c.seq).limit(PAGE)).all()
        if not rows:
            return count
        count += len(rows)
        after = rows[-1].seq


async def _one_backend(backend: str, shape: str, log: list[str], rounds: int, workdir: Path) -> Row:
    events = len(log)
    async with scratch_database(backend, workdir) as url:
        store = await open_notes_store(url)
        database = store.get_database()
        await import_events(database, store.reducer, log)
        final: dict[str, list[TableRow]] = {n: await database.rows(n) for n in database.tables}
        targets = copies(database.tables)
        metadata = next(iter(targets.values())).metadata
        async with database.engine.begin() as conn:
            await conn.run_sync(lambda c: metadata.create_all(c))

        async def ours(_: int) -> float:
            start = time.perf_counter()
            await replay(database, store.reducer)
            return time.perf_counter() - start

        async def core(_: int) -> float:
            async with database.engine.begin() as conn:
                for target in targets.values():
                    await conn.execute(delete(target))
            start = time.perf_counter()
            async with database.engine.connect() as conn:
                read = await conn.run_sync(read_with_core)
            async with database.engine.begin() as conn:
                for name, target in targets.items():
                    if final[name]:
                        await conn.execute(insert(target), final[name])
            elapsed = time.perf_counter() - start
            assert read == events
            return elapsed

        try:
            mine, theirs = await alternate(ours, core, rounds)
            assert {n: await database.rows(n) for n in final} == final
            async with database.engine.begin() as conn:
                await conn.run_sync(lambda c: metadata.drop_all(c))
        finally:
            await database.close()
    rows = sum(len(r) for r in final.values())
    return Row.of_samples(
        f"{backend}, {shape}\n{events:,} events, {rows:,} rows",
        mine,
        theirs,
        "seconds",
        "Core: read the events + executemany the final rows",
    )


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    events = 2_000 if quick else 100_000
    rounds = 2 if quick else 4
    logs = {"mixed log": synthetic_log(events), "adds only": adds_only(events)}
    rows = [
        await _one_backend(backend, shape, log, rounds, workdir)
        for backend in backends
        for shape, log in logs.items()
    ]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"Two logs of {events:,} events, each written once through `import_events`: a mixed "
            "one (adds, edits, removals, restores; about one row left per ten events) and one of "
            f"adds only (one row per event). Replay and the baseline then alternate {rounds} times. "
            "Replay reads the log, runs the shared reducer in memory and bulk-inserts into fresh "
            "tables it swaps in; the baseline reads the same events with Core (pages of "
            f"{PAGE:,}, JSON decoded by the column type) and inserts the final rows of every "
            "read-model table (notes, removed notes, search rows) with one executemany each "
            "into empty copies of the tables, in one transaction.",
        ],
        met=all(r.ratio <= 2.0 for r in rows),
    )
