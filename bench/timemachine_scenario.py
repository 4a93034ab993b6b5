"""Scenario 5: the time machine. Median latency of `at(random seq)` on a
100,000-event log with snapshots vs reading the current table."""

from __future__ import annotations

import random
import time
from pathlib import Path

from bench.harness import Result, Row, alternate, scratch_database
from bench.timemachine import synthetic_log
from server.app.notes_store import open_notes_store
from server.store.history import import_events, snapshots, timemachine

NAME = "timemachine"
TITLE = "5. Time machine: at(random seq) with snapshots"
TARGET = "median at(random seq) < 50 ms on a 100,000-event log"
EVERY = 1000


async def _one_backend(backend: str, events: int, samples: int, workdir: Path) -> Row:
    async with scratch_database(backend, workdir) as url:
        store = await open_notes_store(url)
        database, reducer = store.get_database(), store.reducer
        await import_events(database, reducer, synthetic_log(events))
        await snapshots.take_snapshots(database, reducer, EVERY)
        rng = random.Random(5)

        async def at_random(_: int) -> float:
            start = time.perf_counter()
            await timemachine.at(database, reducer, rng.randint(1, events))
            return (time.perf_counter() - start) * 1000

        async def current(_: int) -> float:
            start = time.perf_counter()
            await database.rows("notes")
            return (time.perf_counter() - start) * 1000

        try:
            mine, theirs = await alternate(at_random, current, samples)
        finally:
            await database.close()
    return Row.of_samples(
        f"{backend}\n{events:,} events", mine, theirs, "ms", "read the current notes table"
    )


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    events = 5_000 if quick else 100_000
    samples = 10 if quick else 60
    rows = [await _one_backend(backend, events, samples, workdir) for backend in backends]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"Snapshots every {EVERY} events; {samples} random points, alternating with a read "
            "of the current table."
        ],
        met=all(r.ours < 50 for r in rows),
    )
