"""Scenario 4: rebuild. Replaying a 100,000-event log into empty read-model
tables (`server.replay.replay`, what `flux replay` does) vs a Core
`executemany` of the final rows into an empty table."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import MetaData, delete, insert

from bench.harness import Result, Row, alternate, scratch_database
from bench.timemachine import synthetic_log
from server.app.notes_store import open_notes_store
from server.app.schema import notes
from server.store import format_timestamp
from server.store.history import import_events, replay

NAME = "rebuild"
TITLE = "4. Rebuild: replay the log into empty tables"
TARGET = "replay <= 2x a Core executemany of the final rows"
START = datetime(2026, 1, 1, tzinfo=UTC)


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


async def _one_backend(backend: str, shape: str, log: list[str], rounds: int, workdir: Path) -> Row:
    events = len(log)
    async with scratch_database(backend, workdir) as url:
        store = await open_notes_store(url)
        database = store.get_database()
        await import_events(database, store.reducer, log)
        final = await database.rows("notes")
        target = notes.to_metadata(MetaData(), name="notes_bench_copy")
        async with database.engine.begin() as conn:
            await conn.run_sync(lambda c: target.create(c))

        async def ours(_: int) -> float:
            start = time.perf_counter()
            await replay(database, store.reducer)
            return time.perf_counter() - start

        async def executemany(_: int) -> float:
            async with database.engine.begin() as conn:
                await conn.execute(delete(target))
            start = time.perf_counter()
            async with database.engine.begin() as conn:
                await conn.execute(insert(target), final)
            return time.perf_counter() - start

        try:
            mine, theirs = await alternate(ours, executemany, rounds)
            assert await database.rows("notes") == final
        finally:
            await database.close()
    return Row.of_samples(
        f"{backend}, {shape}\n{events:,} events, {len(final):,} rows",
        mine,
        theirs,
        "seconds",
        "Core executemany of the final rows",
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
            "tables it swaps in; the baseline only inserts the final rows it is given.",
        ],
        met=all(r.ratio <= 2.0 for r in rows),
    )
