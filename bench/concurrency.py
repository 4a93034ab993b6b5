"""Scenario 3: 64 concurrent dispatchers with durable settings (SQLite
synchronous=FULL, PostgreSQL defaults): events/s with group commit vs the
same writes as one Core transaction per request (and vs our own store with
group commit off)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.core_baseline import logged_write, store_event
from bench.harness import FLUX_PG_DRIVER, Result, Row, alternate, flux_url, scratch_database
from server.app.notes_store import reducer
from server.app.schema import metadata
from server.store import connect, create_store

NAME = "concurrency"
TITLE = "3. Concurrent throughput: 64 dispatchers, durable settings"
TARGET = "group commit >= 3x one Core transaction per request"
WRITERS = 64


async def _one_backend(backend: str, per_writer: int, rounds: int, workdir: Path) -> list[Row]:
    async with (
        scratch_database(backend, workdir) as grouped_url,
        scratch_database(backend, workdir) as single_url,
        scratch_database(backend, workdir) as core_url,
    ):
        # flux on its PostgreSQL driver (FLUX_BENCH_PG_DRIVER, psycopg: pipelined writes)
        grouped = create_store(reducer, await connect(flux_url(grouped_url), metadata))
        single = create_store(
            reducer, await connect(flux_url(single_url), metadata), group_commit=False
        )
        core_db = await connect(core_url, metadata)
        # The Core baseline gets a connection per request, as a web app would.
        from sqlalchemy.ext.asyncio import create_async_engine

        if backend == "postgresql":
            core_engine = create_async_engine(core_db.engine.url, pool_size=WRITERS, max_overflow=0)
        else:
            core_engine = core_db.engine
        for_update = core_db.backend.lock_with_for_update

        def plan(round_: int, w: int) -> list[tuple[str, str]]:
            ids = [f"r{round_}w{w}n{i}" for i in range(per_writer // 2 or 1)]
            return [("add", id) for id in ids] + [("edit", id) for id in ids]

        def through_store(store):
            async def go(round_: int) -> float:
                async def writer(w: int) -> int:
                    ops = plan(round_, w)
                    for kind, id in ops:
                        await store.dispatch(store_event(kind, id, "text"))
                    return len(ops)

                start = time.perf_counter()
                done = sum(await asyncio.gather(*(writer(w) for w in range(WRITERS))))
                return done / (time.perf_counter() - start)

            return go

        async def by_hand(round_: int) -> float:
            async def writer(w: int) -> int:
                ops = plan(round_, w)
                for kind, id in ops:
                    await logged_write(core_engine, for_update, kind, id, "text")
                return len(ops)

            start = time.perf_counter()
            done = sum(await asyncio.gather(*(writer(w) for w in range(WRITERS))))
            return done / (time.perf_counter() - start)

        try:
            mine, theirs = await alternate(through_store(grouped), by_hand, rounds)
            mine2, singles = await alternate(
                lambda r: through_store(grouped)(r + rounds),
                lambda r: through_store(single)(r + rounds),
                max(2, rounds // 2),
            )
        finally:
            for db in (grouped.get_database(), single.get_database(), core_db):
                await db.close()
            if core_engine is not core_db.engine:
                await core_engine.dispose()
    return [
        Row.of_samples(
            f"{backend}\nvs Core txn per request",
            mine,
            theirs,
            "events/s",
            "Core: one transaction per request",
            higher_is_better=True,
        ),
        Row.of_samples(
            f"{backend}\nvs group commit off",
            mine2,
            singles,
            "events/s",
            "flux, group_commit=False",
            higher_is_better=True,
        ),
    ]


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    per_writer = 4 if quick else 20
    rounds = 2 if quick else 4
    rows: list[Row] = []
    for backend in backends:
        rows.extend(await _one_backend(backend, per_writer, rounds, workdir))
    core_rows = [r for r in rows if "Core" in r.baseline_name]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"{WRITERS} concurrent writers x {per_writer} events per round, {rounds} alternating rounds; "
            "ratio here is the speed-up: baseline time / flux time (events/s flux / baseline).",
            f"PostgreSQL: flux on postgresql+{FLUX_PG_DRIVER} (FLUX_BENCH_PG_DRIVER), the Core "
            "baseline on postgresql+asyncpg.",
        ],
        met=all(r.ours / r.baseline >= 3.0 for r in core_rows),
    )
