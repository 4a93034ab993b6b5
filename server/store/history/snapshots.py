"""Keeping the history index (versions.py) up to date, off the dispatch path.

`keep_snapshots(store, every=None)` subscribes a listener that, once `every`
events (FLUX_SNAPSHOT_EVERY, default 100) are not indexed yet, indexes them in
a background task: a dispatch never waits for it, and the time machine folds
the few events past the indexed head in memory.  `take_snapshots(database,
reducer)` indexes the log up to its end (an existing log, `flux` commands).

Indexing reads and folds the new events a second time and takes the write
lock to store their versions, so under load it competes with the dispatches
it follows (12 s of a 77 s profile of the throughput bench).  The listener
therefore waits for a quiet moment: no commit for `quiet` seconds (0.5).
Under sustained load it indexes anyway once `most` events (5 x every) wait,
or `patience` seconds (10) after the index fell behind, so the time machine's
in-memory fold stays short (timemachine.CATCH_UP bounds it).

The names are the ones the whole-state snapshots had; the index replaced them
(a snapshot of 100,000 notes was ~95 MB of JSON, decoded on every `at()`).
`ensure_table` and `clear` are the index's (replay clears it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from server.store.errors import ConfigurationError
from server.store.history.versions import PAGE, build, clear, ensure_tables, indexed_head
from server.store.sql.database import Database
from server.store.types import Event, RootReducer

log = logging.getLogger("flux.snapshots")
DEFAULT_EVERY = 100
QUIET_SECONDS = 0.5
PATIENCE_SECONDS = 10.0

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

    def __init__(
        self,
        database: Database,
        reducer: RootReducer,
        every: int,
        quiet: float = QUIET_SECONDS,
        most: int | None = None,
        patience: float = PATIENCE_SECONDS,
    ) -> None:
        if every < 1:
            raise ValueError(f"Index every >= 1 event; got {every}.")
        self.database = database
        self.reducer = reducer
        self.every = every
        self.quiet = quiet
        """Seconds without a commit before indexing starts."""
        self.most = most if most is not None else 5 * every
        """Waiting events that start indexing without a quiet moment."""
        self.patience = patience
        """Seconds behind after which indexing starts without a quiet moment."""
        self.newest: int | None = None
        """The indexed head after the last round (None before the first)."""
        self.last = 0
        """The last committed seq seen."""
        self.task: asyncio.Task[None] | None = None
        self._again = False
        self._last_commit = 0.0
        self._now = False
        self._poke = asyncio.Event()
        """Set by each commit (and by close) while a round waits for a quiet moment."""
        self.unsubscribe: Any = None

    def __call__(self, events: list[Event]) -> None:
        self.last = last = events[-1]["seq"]
        self._last_commit = time.monotonic()
        if self.newest is not None and last - self.newest < self.every:
            return
        if self.task is not None and not self.task.done():
            self._again = True
            self._poke.set()
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _quiet_moment(self) -> None:
        """Until no commit came for `quiet` seconds, `most` events wait, or
        `patience` ran out (at once when closing)."""
        behind_since = time.monotonic()
        while not self._now:
            now = time.monotonic()
            idle = now - self._last_commit
            waiting = self.last - (self.newest or 0)
            if idle >= self.quiet or waiting >= self.most or now - behind_since >= self.patience:
                return
            self._poke.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self.quiet - idle)

    async def _run(self) -> None:
        while True:
            try:
                if self.newest is None:  # how far behind: the first round reads it
                    self.newest = await indexed_head(self.database)
                await self._quiet_moment()
                self._again = False
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
        """Stop listening; index what is waiting now (no quiet moment awaited)."""
        if self.unsubscribe is not None:
            self.unsubscribe()
        self._now = True
        self._poke.set()
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
