"""Scenario: the deleted-notes list and a restore cost the same on a short and
a long log (the hardening issue: they used to replay the whole log per call).

Two logs with the same 100 removed notes, one short and one ten times longer
(the rest are edits), served by the real app in-process; each sample is
GET /api/notes/deleted, or POST /api/notes/{id}/restore followed by the
removal that deletes the note again.  Ours is the long log, the baseline the
short one: a ratio near 1 means the cost does not grow with the log.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.harness import Result, Row, alternate, scratch_database
from server.app.app import close_app, open_app
from server.app.users import Users
from server.store.history import import_events, take_snapshots

NAME = "restore"
TITLE = "Deleted notes and restore on a short and a 10x longer log"
TARGET = "cost independent of the log's length (ratio <= 1.5)"
NOTES = 200
REMOVED = 100
PASSWORD = "correct horse battery"


def log_lines(count: int) -> Iterator[str]:
    """NOTES adds, REMOVED removals, then edits of the remaining notes up to `count`."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    versions = {f"n{i}": 1 for i in range(NOTES)}
    kinds: list[tuple[str, dict[str, object]]] = [
        ("noteAdded", {"id": f"n{i}", "title": f"Note {i}", "text": "hello"}) for i in range(NOTES)
    ]
    kinds += [("noteRemoved", {"id": f"n{i}"}) for i in range(REMOVED)]
    live = [f"n{i}" for i in range(REMOVED, NOTES)]
    while len(kinds) < count:
        note = live[len(kinds) % len(live)]
        kinds.append(
            (
                "noteContentEdited",
                {"id": note, "text": f"edit {len(kinds)}", "baseVersion": versions[note]},
            )
        )
        versions[note] += 1
    for seq, (kind, payload) in enumerate(kinds, start=1):
        moment += timedelta(milliseconds=10)
        event = {
            "seq": seq,
            "id": str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            "meta": {"user": "ada"},
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        yield json.dumps(event)


class Served:
    """The app over a database holding a log of `count` events, ada signed in."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def open(self, count: int) -> None:
        self.app = await open_app(database_url=self.url)
        flux = self.app.state.flux
        await import_events(flux.database, flux.store.reducer, log_lines(count))
        # Indexed as a server that has been running would have it: otherwise the
        # first restore's commit starts indexing the whole log in this process,
        # during the samples (10x the work on the longer log).
        await take_snapshots(flux.database, flux.store.reducer)
        await Users(flux.database).add("ada", PASSWORD, "editor")
        base = "http://bench.local"
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=base, headers={"Origin": base}
        )
        signed_in = await self.http.post("/login", data={"username": "ada", "password": PASSWORD})
        if signed_in.status_code not in (200, 303):
            raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
        self.round = 0

    async def deleted(self, _: int) -> float:
        start = time.perf_counter()
        answer = await self.http.get("/api/notes/deleted")
        elapsed = time.perf_counter() - start
        if answer.status_code != 200 or len(answer.json()["deleted"]) != REMOVED:
            raise RuntimeError(f"GET /api/notes/deleted: {answer.status_code} {answer.text[:200]}")
        return elapsed * 1000

    async def restore(self, _: int) -> float:
        note = f"n{self.round % REMOVED}"
        self.round += 1
        start = time.perf_counter()
        answer = await self.http.post(f"/api/notes/{note}/restore")
        elapsed = time.perf_counter() - start
        if answer.status_code != 200:
            raise RuntimeError(f"restore {note}: {answer.status_code} {answer.text[:200]}")
        removal = {"type": "noteRemoved", "payload": {"id": note}}
        if (await self.http.post("/api/events", json=removal)).status_code != 200:
            raise RuntimeError(f"removing {note} again failed")
        return elapsed * 1000

    async def close(self) -> None:
        await self.http.aclose()
        await close_app(self.app)


async def _one_backend(backend: str, short: int, samples: int, workdir: Path) -> list[Row]:
    async with (
        scratch_database(backend, workdir) as long_url,
        scratch_database(backend, workdir) as short_url,
    ):
        long_log, short_log = Served(long_url), Served(short_url)
        await long_log.open(short * 10)
        await short_log.open(short)
        try:
            rows = []
            for label, method in (("GET deleted", "deleted"), ("POST restore", "restore")):
                mine, theirs = await alternate(
                    getattr(long_log, method), getattr(short_log, method), samples
                )
                rows.append(
                    Row.of_samples(
                        f"{backend}\n{label}\n{short * 10:,} vs {short:,} events",
                        mine,
                        theirs,
                        "ms",
                        f"the same on a {short:,}-event log",
                    )
                )
        finally:
            await long_log.close()
            await short_log.close()
    return rows


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    short = 200 if quick else 5_000
    samples = 10 if quick else 40
    rows = [
        row for backend in backends for row in await _one_backend(backend, short, samples, workdir)
    ]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"{NOTES} notes, {REMOVED} of them removed, the rest of each log edits; medians of "
            f"{samples} alternated samples through the real app (in-process ASGI)."
        ],
        met=all(row.ratio <= 1.5 for row in rows),
    )
