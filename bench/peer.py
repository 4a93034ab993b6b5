"""Scenario 2: a peer. The `eventsourcing` library appending the same number of
events with its SQLite and PostgreSQL recorders, one event per transaction,
vs our dispatch (which also maintains the read model).

Same durability, checked in the run: on SQLite both connections are read back
for `PRAGMA journal_mode` and `PRAGMA synchronous` (eventsourcing sets WAL and
leaves synchronous at SQLite's default, FULL; ours sets WAL and FULL); on
PostgreSQL neither changes `synchronous_commit` (the server's, read back).
Besides wall time per event, each row has the process's CPU time per event
(both run in this process, ours with its writer thread), which a loaded
machine disturbs less; and a diagnostic SQLite row runs both with
synchronous=OFF, the work without the fsync."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.core_baseline import store_event
from bench.harness import FLUX_PG_DRIVER, Result, Row, alternate, flux_url, scratch_database
from server.app.notes_store import open_notes_store

NAME = "peer"
TITLE = "2. A peer: eventsourcing's recorders vs our dispatch"
TARGET = "ours at least as fast (ratio <= 1.0)"


def _recorder(backend: str, url: str, workdir: Path, synchronous: str | None) -> tuple[Any, Any]:
    from eventsourcing.persistence import StoredEvent  # noqa: F401 - imported for availability

    if backend == "sqlite":
        from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

        path = make_url(url).database
        sqlite_store = SQLiteDatastore(db_name=f"{path}-es")
        if synchronous is not None:  # the diagnostic row: set it on each new connection
            create = sqlite_store.pool._create_connection

            def with_synchronous() -> Any:
                connection = create()
                connection._sqlite_conn.execute(f"PRAGMA synchronous={synchronous}")
                return connection

            sqlite_store.pool._create_connection = with_synchronous  # type: ignore[method-assign]
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


_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _sqlite_settings(connection: Any) -> str:
    mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    level = connection.execute("PRAGMA synchronous").fetchone()[0]
    return f"journal_mode={mode.upper()}, synchronous={_SYNCHRONOUS.get(level, level)}"


async def _durability(backend: str, store: Any, datastore: Any) -> str:
    """What each side really runs with, read back from its own connection."""
    if backend == "sqlite":
        writer = store.get_database().writer_engine
        with writer.connect() as conn:
            ours = _sqlite_settings(conn.connection.dbapi_connection)
        with datastore.get_connection(commit=False) as es_conn:
            theirs = _sqlite_settings(es_conn._sqlite_conn)
        return f"flux {ours}; eventsourcing {theirs}"
    from sqlalchemy import text

    async with store.get_database().engine.connect() as conn:
        ours = (await conn.execute(text("SHOW synchronous_commit"))).scalar()
    with datastore.get_connection() as es_conn, es_conn.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        theirs = cursor.fetchone()["synchronous_commit"]
    return f"flux synchronous_commit={ours}; eventsourcing synchronous_commit={theirs}"


async def _one_backend(
    backend: str,
    total: int,
    rounds: int,
    workdir: Path,
    synchronous: str | None = None,
) -> tuple[Row, Row, str]:
    """(wall time row, CPU time row, the durability both ran with)."""
    from eventsourcing.persistence import StoredEvent

    per_round = max(1, total // rounds)
    cpu: dict[str, list[float]] = {"ours": [], "theirs": []}
    async with (
        scratch_database(backend, workdir) as ours_url,
        scratch_database(backend, workdir) as es_url,
    ):
        ours_url = flux_url(ours_url)  # psycopg: the write transaction in two round trips
        store = await (
            open_notes_store(ours_url, sqlite_synchronous=synchronous)
            if synchronous
            else open_notes_store(ours_url)
        )
        recorder, datastore = _recorder(backend, es_url, workdir, synchronous)
        durability = await _durability(backend, store, datastore)

        async def ours(round_: int) -> float:
            start, start_cpu = time.perf_counter(), time.process_time()
            for i in range(per_round):
                await store.dispatch(store_event("add", f"r{round_}n{i}", "text"))
            cpu["ours"].append((time.process_time() - start_cpu) / per_round)
            return (time.perf_counter() - start) / per_round

        def append_all(round_: int) -> float:
            start, start_cpu = time.perf_counter(), time.process_time()
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
            cpu["theirs"].append((time.process_time() - start_cpu) / per_round)
            return (time.perf_counter() - start) / per_round

        async def peer(round_: int) -> float:
            return append_all(round_)  # synchronous library: run it on this thread, like ours

        try:
            mine, theirs = await alternate(ours, peer, rounds)
        finally:
            await store.get_database().close()
            datastore.close()
    us = 1e6
    label = backend if synchronous is None else f"{backend}, synchronous={synchronous} (both)"
    wall = Row.of_samples(label, mine, theirs, "µs per event", "eventsourcing recorder", scale=us)
    cpu_row = Row.of_samples(
        f"{label}, CPU",
        cpu["ours"],
        cpu["theirs"],
        "µs of this process's CPU per event",
        "eventsourcing recorder",
        scale=us,
    )
    return wall, cpu_row, durability


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    total = 600 if quick else 10_000
    rounds = 6 if quick else 10
    rows: list[Row] = []
    notes = [
        f"{total} single-event appends per backend and contender, {rounds} alternating rounds.",
        "eventsourcing only appends to its log; our dispatch also reads and writes the notes table "
        "and its search row.",
    ]
    met = True
    for backend in backends:
        wall, cpu_row, durability = await _one_backend(backend, total, rounds, workdir)
        rows += [wall, cpu_row]
        met = met and wall.ratio <= 1.0
        notes.append(f"{backend}: {durability} (read back from each side's connection).")
        if backend == "postgresql":
            notes.append(f"postgresql: flux on postgresql+{FLUX_PG_DRIVER} (FLUX_BENCH_PG_DRIVER).")
        if backend == "sqlite":  # diagnostic: the same work without the fsync at commit
            off, off_cpu, durability = await _one_backend(
                backend, total, rounds, workdir, synchronous="OFF"
            )
            rows += [off, off_cpu]
            notes.append(f"diagnostic row: {durability}.")
    notes.append(
        "CPU rows: time.process_time() per event (this process, all threads); "
        "PostgreSQL's own CPU is not in them. The target is on the wall-time rows."
    )
    return Result(NAME, TITLE, TARGET, rows, notes=notes, met=met)
