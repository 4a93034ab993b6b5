"""Snapshots of the read model every K events, so the time machine starts near any point.

A snapshot is the in-memory state (as JSON) after event `seq`, computed by
replaying the log with the store's reducers, never by copying the tables:
so a snapshot is exactly what `replay(events[:seq])` gives.  They live in the
`flux_snapshots` table, next to the event log, and are only a cache: delete
them and the time machine replays from the start (`flux replay` does, since
new reducers make old snapshots wrong).

`keep_snapshots(store, every=1000)` subscribes a listener that, after a
commit that passes a multiple of K, takes the missing snapshots in a
background task: a dispatch never waits for one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import weakref
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from server.store.errors import ConfigurationError, StoreError
from server.store.history.inmemory import Replayer, State, collection_names, events_between, writing
from server.store.sql.database import Database
from server.store.types import Event, RootReducer

log = logging.getLogger("flux.snapshots")
DEFAULT_EVERY = 1000
TABLE_NAME = "flux_snapshots"

snapshot_metadata = MetaData()
snapshots_table = Table(
    TABLE_NAME,
    snapshot_metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("state", Text().with_variant(mysql.LONGTEXT(), "mysql"), nullable=False),
)

_ready: weakref.WeakSet[Database] = weakref.WeakSet()


async def ensure_table(database: Database) -> None:
    """Create `flux_snapshots` when missing (once per Database object)."""
    if database in _ready:
        return
    if TABLE_NAME in database.tables:
        raise ConfigurationError(
            f"The table name {TABLE_NAME!r} is reserved for the time machine's snapshots; "
            "rename the read-model table."
        )
    try:
        async with writing(database) as conn:
            await conn.run_sync(lambda c: snapshot_metadata.create_all(c, checkfirst=True))
    except SQLAlchemyError as error:
        if not await _exists(database):  # another process may have created it meanwhile
            raise StoreError(f"Could not create {TABLE_NAME}: {error}") from error
    _ready.add(database)


async def _exists(database: Database) -> bool:
    async with database.engine.connect() as conn:
        return await conn.run_sync(lambda c: c.dialect.has_table(c, TABLE_NAME))


async def load_nearest(database: Database, seq: int | None = None) -> tuple[int, State | None]:
    """The newest snapshot at or below `seq` (any when None): (its seq, state), or (0, None)."""
    await ensure_table(database)

    def work(conn: Connection) -> tuple[int, str | None]:
        query = select(snapshots_table.c.seq, snapshots_table.c.state)
        if seq is not None:
            query = query.where(snapshots_table.c.seq <= seq)
        row = conn.execute(query.order_by(snapshots_table.c.seq.desc()).limit(1)).first()
        return (int(row.seq), str(row.state)) if row is not None else (0, None)

    found, text = await database.read(work)
    return found, (json.loads(text) if text is not None else None)


async def save(database: Database, seq: int, text: str) -> None:
    """Store one snapshot; one that already exists (taken by another process) is kept."""
    try:
        async with writing(database) as conn:
            await conn.execute(snapshots_table.insert().values(seq=seq, state=text))
    except IntegrityError:
        pass
    except SQLAlchemyError as error:
        raise StoreError(f"Could not store the snapshot at seq {seq}: {error}") from error


def clear(conn: Connection) -> None:
    """Delete every snapshot (inside the caller's transaction), e.g. after new reducers."""
    if conn.dialect.has_table(conn, TABLE_NAME):
        conn.execute(delete(snapshots_table))


async def seqs(database: Database) -> list[int]:
    await ensure_table(database)
    return await database.read(
        lambda conn: [int(s) for s in conn.scalars(select(snapshots_table.c.seq))]
    )


async def take_snapshots(
    database: Database, reducer: RootReducer, every: int = DEFAULT_EVERY
) -> int:
    """Take the missing snapshots at multiples of `every` up to the last seq; returns the newest."""
    if every < 1:
        raise ValueError(f"Snapshots need every >= 1 event; got {every}.")
    newest, state = await load_nearest(database)
    target = (await database.last_seq()) // every * every
    if target <= newest:
        return newest
    replayer = Replayer(reducer, collection_names(reducer, database), state, newest)
    async for batch in events_between(database, newest, target):
        for event in batch:
            replayer.apply(event)
            if event["seq"] % every == 0:
                text = await asyncio.to_thread(json.dumps, replayer.state)
                await save(database, event["seq"], text)
                newest = event["seq"]
        await asyncio.sleep(0)
    return newest


class Snapshotter:
    """A store listener that takes snapshots in the background after commits."""

    def __init__(self, database: Database, reducer: RootReducer, every: int) -> None:
        if every < 1:
            raise ValueError(f"Snapshots need every >= 1 event; got {every}.")
        self.database = database
        self.reducer = reducer
        self.every = every
        self.newest: int | None = None
        self.task: asyncio.Task[None] | None = None
        self._again = False
        self.unsubscribe: Any = None

    def __call__(self, events: list[Event]) -> None:
        last = events[-1]["seq"]
        if self.newest is not None and last // self.every * self.every <= self.newest:
            return
        if self.task is not None and not self.task.done():
            self._again = True
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                self.newest = await take_snapshots(self.database, self.reducer, self.every)
            except Exception:
                log.exception(
                    "Taking a snapshot failed; the time machine replays from further back."
                )
                return
            if not self._again:
                return

    async def wait(self) -> None:
        """Until the background work started so far is done (tests, shutdown)."""
        while self.task is not None and not self.task.done():
            await asyncio.shield(self.task)

    async def close(self) -> None:
        if self.unsubscribe is not None:
            self.unsubscribe()
        await self.wait()


def every_from_environment() -> int:
    """K from FLUX_SNAPSHOT_EVERY (default 1000)."""
    text = os.environ.get("FLUX_SNAPSHOT_EVERY", "")
    if not text:
        return DEFAULT_EVERY
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(
            f"FLUX_SNAPSHOT_EVERY must be a whole number of events >= 1; got {text!r}."
        )
    return int(text)


def keep_snapshots(store: Any, every: int | None = None) -> Snapshotter:
    """Subscribe a Snapshotter to `store` (every K events, default FLUX_SNAPSHOT_EVERY
    or 1000); `await snapshotter.close()` at shutdown."""
    every = every if every is not None else every_from_environment()
    snapshotter = Snapshotter(store.get_database(), store.reducer, every)
    snapshotter.unsubscribe = store.subscribe(snapshotter)
    return snapshotter
