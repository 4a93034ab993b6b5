"""Scenario 2: a peer. The `eventsourcing` library appending the same number of
events with its SQLite and PostgreSQL recorders, one event per transaction,
vs our dispatch (which also maintains the read model)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.core_baseline import store_event
from bench.harness import Result, Row, alternate, scratch_database
from server.app.notes_store import open_notes_store

NAME = "peer"
TITLE = "2. A peer: eventsourcing's recorders vs our dispatch"
TARGET = "ours at least as fast (ratio <= 1.0)"


def _recorder(backend: str, url: str, workdir: Path) -> tuple[Any, Any]:
    from eventsourcing.persistence import StoredEvent  # noqa: F401 - imported for availability

    if backend == "sqlite":
        from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

        path = make_url(url).database
        sqlite_store = SQLiteDatastore(db_name=f"{path}-es")
        sqlite_recorder = SQLiteApplicationRecorder(sqlite_store)
        sqlite_recorder.create_table()
        return sqlite_recorder, sqlite_store
    else:
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

        u = make_url(url)
        datastore = PostgresDatastore(
            dbname=u.database or "",
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username or "postgres",
            password=u.password or "",
        )
        recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    return recorder, datastore


async def _one_backend(backend: str, total: int, rounds: int, workdir: Path) -> Row:
    from eventsourcing.persistence import StoredEvent

    per_round = max(1, total // rounds)
    async with (
        scratch_database(backend, workdir) as ours_url,
        scratch_database(backend, workdir) as es_url,
    ):
        store = await open_notes_store(ours_url)
        recorder, datastore = _recorder(backend, es_url, workdir)

        async def ours(round_: int) -> float:
            start = time.perf_counter()
            for i in range(per_round):
                await store.dispatch(store_event("add", f"r{round_}n{i}", "text"))
            return (time.perf_counter() - start) / per_round

        def append_all(round_: int) -> float:
            start = time.perf_counter()
            for i in range(per_round):
                state = json.dumps(
                    {"id": f"r{round_}n{i}", "title": "Bench", "text": "text"}
                ).encode()
                recorder.insert_events(
                    [
                        StoredEvent(
                            originator_id=uuid.uuid4(),
                            originator_version=1,
                            topic="notes:NoteAdded",
                            state=state,
                        )
                    ]
                )
            return (time.perf_counter() - start) / per_round

        async def peer(round_: int) -> float:
            return append_all(round_)  # synchronous library: run it on this thread, like ours

        try:
            mine, theirs = await alternate(ours, peer, rounds)
        finally:
            await store.get_database().close()
            datastore.close()
    us = 1e6
    return Row.of_samples(backend, mine, theirs, "µs per event", "eventsourcing recorder", scale=us)


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    total = 300 if quick else 10_000
    rounds = 4 if quick else 10
    rows = [await _one_backend(backend, total, rounds, workdir) for backend in backends]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"{total} single-event appends per backend and contender, {rounds} alternating rounds.",
            "eventsourcing only appends to its log; our dispatch also reads and writes the notes table.",
            "SQLite: both in WAL mode with synchronous=FULL (eventsourcing's default); PostgreSQL: server defaults.",
        ],
        met=all(r.ratio <= 1.0 for r in rows),
    )
