"""Time machine benchmark: median latency of `at(random seq)` on a 100,000-event log
with snapshots, against reading the current table (and `at` without snapshots).

    python -m bench.timemachine                 # SQLite in a temporary directory
    python -m bench.timemachine --database postgresql+asyncpg://postgres@127.0.0.1/bench

The database must be empty: the log is written by `import_events` (the same
path as `flux import`), then snapshots are taken every `--every` events.
Target (issue 6): median under 50 ms for a random point of a 100,000-event log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.app.notes_store import open_notes_store
from server.store import format_timestamp
from server.store.history import import_events, snapshots, timemachine

USERS = ("ada", "bob", "cy", "dee")


def synthetic_log(count: int, seed: int = 6) -> list[str]:
    """`count` NDJSON lines of valid note events: adds, edits, removals, restores."""
    rng = random.Random(seed)
    live = _Pool()
    versions: dict[str, int] = {}
    gone: list[str] = []
    lines: list[str] = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, count + 1):
        moment += timedelta(milliseconds=rng.randrange(1, 2000))
        roll = rng.random()
        payload: dict[str, Any]
        if not live.ids or roll < 0.15:
            id = f"n{seq}"
            kind, payload = "noteAdded", {"id": id, "title": f"Note {seq}", "text": "hello world"}
            live.add(id)
            versions[id] = 1
        elif roll < 0.85:
            id = live.pick(rng)
            field = rng.choice(("title", "text"))
            kind = "noteTitleEdited" if field == "title" else "noteContentEdited"
            words = " ".join(rng.choice(("lorem", "ipsum", "dolor", "sit")) for _ in range(12))
            payload = {"id": id, field: words, "baseVersion": versions[id]}
            versions[id] += 1
        elif roll < 0.95 or not gone:
            id = live.pick(rng)
            kind, payload = "noteRemoved", {"id": id}
            live.remove(id)
            gone.append(id)
        else:
            id = gone.pop(rng.randrange(len(gone)))
            kind = "noteRestored"
            payload = {"id": id, "title": "Back", "text": "again", "private": False}
            live.add(id)
            versions[id] = 1
        event = {
            "seq": seq,
            "id": str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            "meta": {"user": rng.choice(USERS)},
            "timestamp": format_timestamp(moment),
        }
        lines.append(json.dumps(event))
    return lines


class _Pool:
    """A set of ids with O(1) add, remove and random pick."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.where: dict[str, int] = {}

    def add(self, id: str) -> None:
        self.where[id] = len(self.ids)
        self.ids.append(id)

    def remove(self, id: str) -> None:
        index = self.where.pop(id)
        last = self.ids.pop()
        if last != id:
            self.ids[index] = last
            self.where[last] = index

    def pick(self, rng: random.Random) -> str:
        return self.ids[rng.randrange(len(self.ids))]


async def median_ms(work: Callable[[], Awaitable[Any]], samples: int) -> float:
    timings = []
    for _ in range(samples):
        start = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


async def run(url: str, events: int, every: int, samples: int) -> None:
    store = await open_notes_store(url)
    database, reducer = store.get_database(), store.reducer
    started = time.perf_counter()
    await import_events(database, reducer, synthetic_log(events))
    print(f"log: {events} events written and replayed in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    await snapshots.take_snapshots(database, reducer, every)
    taken = len(await snapshots.seqs(database))
    print(f"snapshots: {taken} (every {every} events) in {time.perf_counter() - started:.1f} s")
    notes = len(await database.rows("notes"))
    rng = random.Random(1)

    async def at_random() -> None:
        await timemachine.at(database, reducer, rng.randint(1, events))

    async def current() -> None:
        await database.rows("notes")

    with_snapshots = await median_ms(at_random, samples)
    table = await median_ms(current, samples)
    async with database.engine.begin() as conn:
        await conn.run_sync(snapshots.clear)
    without = await median_ms(at_random, max(3, samples // 10))
    print(f"notes now: {notes}")
    print(f"median at(random seq), snapshots every {every}: {with_snapshots:8.1f} ms")
    print(f"median read of the current notes table:        {table:8.1f} ms")
    print(f"median at(random seq), no snapshots:           {without:8.1f} ms")
    print(f"target: at(random seq) median < 50 ms -> {'met' if with_snapshots < 50 else 'NOT met'}")
    await database.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timemachine", description=__doc__)
    parser.add_argument(
        "--database", metavar="URL", help="an EMPTY database (default: temp SQLite)"
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=snapshots.DEFAULT_EVERY)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        asyncio.run(run(url, args.events, args.every, args.samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
