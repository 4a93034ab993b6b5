"""Scenario 5: the time machine. Median latency of `at(random seq)` read the way
a page reads it (its first 50 notes and one note by id) on a 100,000-event log
with the history index built, vs the same reads of the current table with Core."""

from __future__ import annotations

import random
import time
from pathlib import Path

from bench.harness import Result, Row, alternate, scratch_database
from bench.timemachine import at_step, current_step, synthetic_log
from server.app.notes_store import open_notes_store
from server.store.history import import_events, take_snapshots

NAME = "timemachine"
TITLE = "5. Time machine: at(random seq) from the history index"
TARGET = "median at(random seq) < 50 ms on a 100,000-event log"


async def _one_backend(backend: str, events: int, samples: int, workdir: Path) -> Row:
    async with scratch_database(backend, workdir) as url:
        store = await open_notes_store(url)
        database, reducer = store.get_database(), store.reducer
        await import_events(database, reducer, synthetic_log(events))
        await take_snapshots(database, reducer)
        rng = random.Random(5)

        async def at_random(_: int) -> float:
            seq = rng.randint(1, events)
            start = time.perf_counter()
            await at_step(database, reducer, seq, f"n{rng.randint(1, seq)}")
            return (time.perf_counter() - start) * 1000

        async def current(_: int) -> float:
            start = time.perf_counter()
            await current_step(database, f"n{rng.randint(1, events)}")
            return (time.perf_counter() - start) * 1000

        try:
            mine, theirs = await alternate(at_random, current, samples)
        finally:
            await database.close()
    return Row.of_samples(
        f"{backend}\n{events:,} events",
        mine,
        theirs,
        "ms",
        "Core: the current notes table's first 50 rows + one row",
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
            f"The history index built from the log first; {samples} random points, each "
            "as_of(seq) + its first 50 notes + one note by id, alternating with the same reads "
            "of the current table with SQLAlchemy Core."
        ],
        met=all(r.ours < 50 for r in rows),
    )
