"""Scenario 1: single-event dispatches vs SQLAlchemy Core doing the same statements.

Each operation is one transaction: half are inserts (noteAdded), half updates
(noteContentEdited).  The baseline does by hand what the store does (lock the
log head, read the row, write it, append the event); a second, "bare"
baseline only writes the row, to show what keeping the log costs at all.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.core_baseline import bare_write, logged_write, store_event
from bench.harness import Result, Row, alternate, scratch_database
from server.app.notes_store import open_notes_store

NAME = "dispatch"
TITLE = "1. Dispatch overhead: one event per transaction"
TARGET = "ours <= 1.3x the Core baseline doing the same statements"


async def _one_backend(backend: str, total: int, rounds: int, workdir: Path) -> list[Row]:
    per_round = max(2, total // rounds)
    async with (
        scratch_database(backend, workdir) as ours_url,
        scratch_database(backend, workdir) as core_url,
        scratch_database(backend, workdir) as bare_url,
    ):
        store = await open_notes_store(ours_url)
        core_store = await open_notes_store(core_url)
        bare_store = await open_notes_store(bare_url)
        core = core_store.get_database()
        bare = bare_store.get_database()

        def plan(round_: int) -> list[tuple[str, str, str]]:
            half = per_round // 2
            ids = [f"r{round_}n{i}" for i in range(half)]
            return [("add", id, "first") for id in ids] + [("edit", id, "second") for id in ids]

        async def ours(round_: int) -> float:
            ops = plan(round_)
            start = time.perf_counter()
            for kind, id, text in ops:
                await store.dispatch(store_event(kind, id, text))
            return (time.perf_counter() - start) / len(ops)

        async def by_hand(round_: int) -> float:
            ops = plan(round_)
            start = time.perf_counter()
            for kind, id, text in ops:
                await logged_write(core.engine, core.backend.lock_with_for_update, kind, id, text)
            return (time.perf_counter() - start) / len(ops)

        async def bare_only(round_: int) -> float:
            ops = plan(round_)
            start = time.perf_counter()
            for kind, id, text in ops:
                await bare_write(bare.engine, kind, id, text)
            return (time.perf_counter() - start) / len(ops)

        try:
            mine, theirs = await alternate(ours, by_hand, rounds)
            # the bare baseline in its own alternation with ours, same rounds
            mine2, bare_times = await alternate(
                lambda r: ours(r + rounds), lambda r: bare_only(r + rounds), max(2, rounds // 5)
            )
        finally:
            for s in (store, core_store, bare_store):
                await s.get_database().close()
    us = 1e6
    return [
        Row.of_samples(
            f"{backend}\nvs Core, same statements",
            mine,
            theirs,
            "µs per dispatch",
            "Core: same statements",
            scale=us,
        ),
        Row.of_samples(
            f"{backend}\nvs bare row write",
            mine2,
            bare_times,
            "µs per dispatch",
            "Core: row write only",
            scale=us,
        ),
    ]


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    total = 400 if quick else 10_000
    rounds = 4 if quick else 10
    rows: list[Row] = []
    for backend in backends:
        rows.extend(await _one_backend(backend, total, rounds, workdir))
    same = [r for r in rows if "same statements" in r.label]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"{total:,} dispatches per backend for flux and for Core with the same statements, in "
            f"{rounds} alternating rounds; then {max(2, rounds // 5)} more rounds of flux against "
            "the bare row write. Medians of per-round means."
        ],
        met=all(r.ratio <= 1.3 for r in same),
    )
