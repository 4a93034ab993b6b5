"""Scenario 4: rebuild. Replaying a 100,000-event log into empty read-model
tables (`server.replay.replay`, what `flux replay` does) vs a Core
`executemany` of the final rows into an empty table."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import MetaData, delete, insert

from bench.harness import Result, Row, alternate, median, scratch_database
from bench.timemachine import synthetic_log
from server.notes_store import open_notes_store
from server.replay import replay
from server.schema import notes
from server.transfer import import_events

NAME = "rebuild"
TITLE = "4. Rebuild: replay the log into empty tables"
TARGET = "replay <= 2x a Core executemany of the final rows"


async def _one_backend(backend: str, events: int, rounds: int, workdir: Path) -> Row:
    async with scratch_database(backend, workdir) as url:
        store = await open_notes_store(url)
        database = store.get_database()
        await import_events(database, store.reducer, synthetic_log(events))
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
    return Row(
        f"{backend}\n{events:,} events, {len(final):,} rows",
        median(mine),
        median(theirs),
        "seconds",
        "Core executemany of the final rows",
        samples_ours=mine,
        samples_baseline=theirs,
    )


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    events = 5_000 if quick else 100_000
    rounds = 2 if quick else 4
    rows = [await _one_backend(backend, events, rounds, workdir) for backend in backends]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"The log ({events:,} note events: adds, edits, removals, restores) is written once "
            "through `import_events`; then replay and the baseline alternate "
            f"{rounds} times. Replay reads the log, runs the shared reducer in memory and bulk-inserts "
            "into fresh tables it swaps in; the baseline only inserts the rows it is given.",
        ],
        met=all(r.ratio <= 2.0 for r in rows),
    )
