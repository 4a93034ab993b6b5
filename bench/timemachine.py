"""Time machine benchmark: median latency of `at(random seq)` read the way a
page reads it (the first 50 notes and one note by id) on a 100,000-event log,
against reading the current notes table's first page and one note with
SQLAlchemy Core, alternating rounds in the same run.

    python -m bench.timemachine                 # SQLite in a temporary directory
    python -m bench.timemachine --database postgresql+asyncpg://postgres@127.0.0.1/bench

The database must be empty: the log is written by `import_events` (the same
path as `flux import`), then the history index is built (`take_snapshots`).
Target (issue 6, issue 16 item 4): median under 50 ms for a random point.
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
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from bench.harness import alternate
from server.app.notes_store import open_notes_store
from server.store import Database, RootReducer, format_timestamp
from server.store.history import import_events, take_snapshots, timemachine

USERS = ("ada", "bob", "cy", "dee")


def synthetic_log(count: int, seed: int = 6) -> list[str]:
    """`count` NDJSON lines of valid note events: adds, edits, removals, restores."""
    return list(mixed_lines(count, seed))


def mixed_lines(
    count: int,
    seed: int,
    words: tuple[str, ...] = ("lorem", "ipsum", "dolor", "sit"),
    seeded_ids: bool = False,
) -> Iterator[str]:
    """`count` NDJSON lines, lazily: 15% adds, 70% title/text edits, 10% removals,
    5% restores of notes.  `seeded_ids`: the events' ids come from the seed too
    (the same log every run), else from uuid4."""
    rng = random.Random(seed)
    live = _Pool()
    versions: dict[str, int] = {}
    gone: list[str] = []
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
            text = " ".join(rng.choice(words) for _ in range(12))
            payload = {"id": id, field: text, "baseVersion": versions[id]}
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
        event_id = uuid.UUID(int=rng.getrandbits(128)) if seeded_ids else uuid.uuid4()
        event = {
            "seq": seq,
            "id": str(event_id),
            "type": kind,
            "payload": payload,
            "meta": {"user": rng.choice(USERS)},
            "timestamp": format_timestamp(moment),
        }
        yield json.dumps(event)


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


PAGE = 50


async def at_step(database: Database, reducer: RootReducer, seq: int, id: str) -> int:
    """What a page of the past costs: as_of(seq), its first 50 notes, one note by id."""
    past = await timemachine.as_of(database, reducer, seq)
    page = await past.rows("notes", limit=PAGE)
    await past.get("notes", id)
    return len(page)


async def current_step(database: Database, id: str) -> int:
    """The baseline: the current notes table's first 50 rows and one row, with Core."""
    notes = database.table("notes")

    def work(conn: Connection) -> int:
        page = conn.execute(select(notes).order_by(notes.c.id).limit(PAGE)).all()
        conn.execute(select(notes).where(notes.c.id == id)).first()
        return len(page)

    return await database.read(work)


async def timed(work: Awaitable[Any]) -> float:
    start = time.perf_counter()
    await work
    return (time.perf_counter() - start) * 1000


async def run(url: str, events: int, samples: int) -> None:
    store = await open_notes_store(url)
    database, reducer = store.get_database(), store.reducer
    started = time.perf_counter()
    await import_events(database, reducer, synthetic_log(events))
    print(f"log: {events} events written and replayed in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    await take_snapshots(database, reducer)
    print(f"history index built in {time.perf_counter() - started:.1f} s")
    notes = len(await database.rows("notes"))
    rng = random.Random(1)

    async def ours(_: int) -> float:
        seq = rng.randint(1, events)
        return await timed(at_step(database, reducer, seq, f"n{rng.randint(1, seq)}"))

    async def baseline(_: int) -> float:
        return await timed(current_step(database, f"n{rng.randint(1, events)}"))

    mine, theirs = await alternate(ours, baseline, samples)
    whole = [
        await timed(timemachine.state_at(database, reducer, rng.randint(1, events)))
        for _ in range(max(3, samples // 10))
    ]
    at_ms, table_ms = statistics.median(mine), statistics.median(theirs)
    print(f"notes now: {notes}")
    print(f"median at(random seq) + first {PAGE} notes + one get: {at_ms:8.2f} ms")
    print(f"median Core: current first {PAGE} notes + one get:     {table_ms:8.2f} ms")
    print(f"ratio: {at_ms / table_ms:.2f}x")
    print(f"median state_at(random seq), every row loaded:   {statistics.median(whole):8.1f} ms")
    print(f"target: at(random seq) median < 50 ms -> {'met' if at_ms < 50 else 'NOT met'}")
    await database.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timemachine", description=__doc__)
    parser.add_argument(
        "--database", metavar="URL", help="an EMPTY database (default: temp SQLite)"
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        asyncio.run(run(url, args.events, args.samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
