"""Keeping the history index (versions.py) up to date, off the dispatch path.

`keep_snapshots(store, every=None)` subscribes a listener that, once `every`
events (FLUX_SNAPSHOT_EVERY, default 100) are not indexed yet, indexes them in
a background task: a dispatch never waits for it, and the time machine folds
the few events past the indexed head in memory.  `take_snapshots(database,
reducer)` indexes the log up to its end (an existing log, `flux` commands).

The names are the ones the whole-state snapshots had; the index replaced them
(a snapshot of 100,000 notes was ~95 MB of JSON, decoded on every `at()`).
`ensure_table` and `clear` are the index's (replay clears it).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from server.store.errors import ConfigurationError
from server.store.history.versions import PAGE, build, clear, ensure_tables
from server.store.sql.database import Database
from server.store.types import Event, RootReducer

log = logging.getLogger("flux.snapshots")
DEFAULT_EVERY = 100

__all__ = ["Snapshotter", "clear", "ensure_table", "keep_snapshots", "take_snapshots"]


async def ensure_table(database: Database) -> None:
    """Create the index's tables when missing."""
    await ensure_tables(database)


async def take_snapshots(database: Database, reducer: RootReducer, every: int = PAGE) -> int:
    """Index the log up to its last event, `every` events per write transaction;
    returns the indexed head."""
    return await build(database, reducer, page=every)


class Snapshotter:
    """A store listener that indexes the log in the background after commits."""

    def __init__(self, database: Database, reducer: RootReducer, every: int) -> None:
        if every < 1:
            raise ValueError(f"Index every >= 1 event; got {every}.")
        self.database = database
        self.reducer = reducer
        self.every = every
        self.newest: int | None = None
        """The indexed head after the last round (None before the first)."""
        self.task: asyncio.Task[None] | None = None
        self._again = False
        self.unsubscribe: Any = None

    def __call__(self, events: list[Event]) -> None:
        last = events[-1]["seq"]
        if self.newest is not None and last - self.newest < self.every:
            return
        if self.task is not None and not self.task.done():
            self._again = True
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                self.newest = await build(self.database, self.reducer)
            except Exception:
                log.exception(
                    "Indexing the log failed; the time machine folds more events in memory."
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
    """K from FLUX_SNAPSHOT_EVERY (default 100)."""
    text = os.environ.get("FLUX_SNAPSHOT_EVERY", "")
    if not text:
        return DEFAULT_EVERY
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(
            f"FLUX_SNAPSHOT_EVERY must be a whole number of events >= 1; got {text!r}."
        )
    return int(text)


def keep_snapshots(store: Any, every: int | None = None) -> Snapshotter:
    """Subscribe a Snapshotter to `store` (indexing once K events are new, K from
    FLUX_SNAPSHOT_EVERY or 100); `await snapshotter.close()` at shutdown."""
    every = every if every is not None else every_from_environment()
    snapshotter = Snapshotter(store.get_database(), store.reducer, every)
    snapshotter.unsubscribe = store.subscribe(snapshotter)
    return snapshotter
