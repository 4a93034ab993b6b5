"""Scenario: search latency on 100,000 notes (quick: 10,000), per backend.

Ours is a page of `GET /api/notes?q=` as the endpoint computes it
(`server.app.search.search_notes`: the database's full-text index over the
note_search read model, the visible notes only, newest first, 20 per page);
the baseline is the plain scan a first version would write: the visible notes
whose title or text is `LIKE '%word%'` (lowercased, every word), newest
first, 20.  Both run as one read transaction through the same Database.

The notes are loaded with import_events (one log, then one replay), not
one request each (PostgreSQL is then ANALYZEd, as autovacuum soon would: without
statistics its planner scans instead of using the GIN index).  Queries: a rare word, a common prefix as typed ("meet"),
and two words.  MariaDB runs when `--backends` names mysql (server at
FLUX_BENCH_MYSQL_URL, default mysql+aiomysql://root@127.0.0.1:3306).
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, and_, false, func, or_, select, text
from sqlalchemy.engine import make_url

from bench.harness import Result, Row, alternate, scratch_database
from server.app.notes_store import open_notes_store
from server.app.schema import notes
from server.app.search import search_notes
from server.app.search_text import search_terms
from server.store import Database
from server.store.history import import_events

NAME = "search"
TITLE = "Search: full-text index vs a LIKE scan of the notes"
TARGET = "a page of results well under the scan (ratio < 0.5) on the full run"
MYSQL_SERVER = os.environ.get("FLUX_BENCH_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306")
QUERIES = [("rare word", "zephyrine"), ("prefix as typed", "meet"), ("two words", "cafe meet")]
PAGE = 20


def vocabulary(count: int, rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnoprstuvw"
    return ["".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(count)]


def log_lines(count: int) -> Iterator[str]:
    """`count` noteAdded events: 30 words each, 'meeting' in 1 of 20, 'Café' in 1 of 50,
    'Zephyrine' in 1 of 10,000; one note in 10 private; ada and bob."""
    rng = random.Random(15)
    words = vocabulary(3000, rng)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, count + 1):
        text = rng.choices(words, k=30)
        if seq % 20 == 0:
            text[rng.randrange(30)] = "meeting"
        if seq % 50 == 0:
            text[rng.randrange(30)] = "Café"
        if seq % 10_000 == 7:
            text[rng.randrange(30)] = "Zephyrine"
        moment += timedelta(milliseconds=10)
        payload: dict[str, object] = {
            "id": f"n{seq}",
            "title": " ".join(rng.choices(words, k=3)),
            "text": " ".join(text),
        }
        if seq % 10 == 0:
            payload["private"] = True
        yield json.dumps(
            {
                "seq": seq,
                "id": str(uuid.uuid4()),
                "type": "noteAdded",
                "payload": payload,
                "meta": {"user": "ada" if seq % 2 else "bob"},
                "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
        )


def like_scan(conn: Connection, user: str, query: str) -> list[str]:
    """The baseline: every word LIKE '%word%' in the lowercased title or text."""
    words = query.lower().split()
    matches = [
        or_(func.lower(notes.c.title).like(f"%{w}%"), func.lower(notes.c.text).like(f"%{w}%"))
        for w in words
    ]
    visible = or_(notes.c.private == false(), notes.c.author == user)
    statement = (
        select(notes)
        .where(and_(*matches), visible)
        .order_by(notes.c.updatedAt.desc(), notes.c.id.desc())
        .limit(PAGE)
    )
    return [row.id for row in conn.execute(statement)]


@asynccontextmanager
async def mysql_database() -> AsyncIterator[str]:
    import aiomysql

    server = make_url(MYSQL_SERVER)
    name = f"flux_bench_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        conn = await aiomysql.connect(
            host=server.host,
            port=server.port or 3306,
            user=server.username or "root",
            password=server.password or "",
            autocommit=True,
        )
        try:
            async with conn.cursor() as cursor:
                await cursor.execute(statement)
        finally:
            conn.close()

    await admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(f"DROP DATABASE IF EXISTS `{name}`")


@asynccontextmanager
async def database_for(backend: str, workdir: Path) -> AsyncIterator[str]:
    if backend == "mysql":
        async with mysql_database() as url:
            yield url
        return
    async with scratch_database(backend, workdir) as url:
        yield url


async def timed(database: Database, work: object) -> float:
    start = time.perf_counter()
    await database.read(work)  # type: ignore[arg-type]
    return (time.perf_counter() - start) * 1000


async def _one_backend(backend: str, count: int, samples: int, workdir: Path) -> list[Row]:
    rows: list[Row] = []
    async with database_for(backend, workdir) as url:
        store = await open_notes_store(url)
        database = store.get_database()
        try:
            await import_events(database, store.reducer, log_lines(count))
            if backend == "postgresql":  # as autovacuum would soon: the planner needs statistics
                async with database.engine.begin() as conn:
                    await conn.execute(text("ANALYZE"))
            for label, query in QUERIES:
                terms = search_terms(query)

                async def ours(_: int, terms: list[str] = terms) -> float:
                    return await timed(
                        database, lambda c: search_notes(c, "ada", terms, PAGE, None)
                    )

                async def baseline(_: int, query: str = query) -> float:
                    return await timed(database, lambda c: like_scan(c, "ada", query))

                mine, theirs = await alternate(ours, baseline, samples)
                rows.append(
                    Row.of_samples(
                        f"{backend}\n{label}\n{query!r}",
                        mine,
                        theirs,
                        "ms",
                        "LIKE '%word%' scan of notes",
                    )
                )
        finally:
            await database.close()
    return rows


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    count = 10_000 if quick else 100_000
    samples = 10 if quick else 30
    rows = [
        row for backend in backends for row in await _one_backend(backend, count, samples, workdir)
    ]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"{count:,} notes of 30 words (1 in 10 private), loaded with import_events; a page of "
            f"{PAGE}, newest first, visible to ada; medians of {samples} alternated samples. "
            "The baseline ignores accents ('cafe' misses 'Café') and is not a prefix match."
        ],
        met=None if quick else all(row.ratio < 0.5 for row in rows),
    )
