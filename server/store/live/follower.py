"""The log follower: one per instance, it reads the log after its last seq and
hands the events, in seq order and without gaps, to its subscribers (the
websocket hub of this instance).

    follower = await start_follower(store)          # from the log's current end
    unsubscribe = follower.subscribe(print)         # called with lists of events
    ...
    await follower.stop()

It learns that there is something to read from three wake-ups, none of which
carries data:

- a commit of this instance (`store.subscribe`),
- a PostgreSQL NOTIFY from any instance (`server/store/sql/notify.py`); one of
  this instance's own commits is left to the first wake-up, which hands it
  over without a read, unless it has not come within OWN_GRACE_SECONDS,
- a poll every `poll_seconds` (about 1 s), which covers a lost notification,
  a LISTEN connection that is down, and backends without NOTIFY.

Whatever wakes it, it reads `events after position` from the table, so a
missed or duplicated wake-up can only delay an event, never lose, reorder or
repeat one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
from collections.abc import Callable

from server.store.errors import StoreError
from server.store.sql.database import Database
from server.store.sql.notify import PgListener
from server.store.store import Store
from server.store.types import Event, Listener

log = logging.getLogger("flux.follower")

POLL_SECONDS = 1.0
PAGE_SIZE = 500
OWN_GRACE_SECONDS = 0.25
"""How long a NOTIFY of this instance's own commit waits for the commit's listener
(which delivers it without reading the log) before the follower reads it instead."""


def poll_seconds_from_env() -> float:
    """FLUX_POLL_SECONDS, else 1 second."""
    raw = os.environ.get("FLUX_POLL_SECONDS", "")
    try:
        value = float(raw) if raw else POLL_SECONDS
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"FLUX_POLL_SECONDS must be a positive number of seconds; got {raw!r}.")
    return value


class LogFollower:
    """Reads the log after `position` and delivers what it finds, in seq order."""

    def __init__(
        self,
        database: Database,
        *,
        poll_seconds: float = POLL_SECONDS,
        listen: bool = True,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if not poll_seconds > 0:
            raise ValueError(f"poll_seconds must be positive; got {poll_seconds!r}.")
        self.database = database
        self.poll_seconds = poll_seconds
        self.page_size = page_size
        self.position = 0
        self._listeners: list[Listener] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pg: PgListener | None = None
        self._detach: list[Callable[[], None]] = []
        self._reading = asyncio.Lock()
        self._next_listen_attempt = 0.0
        self._listen_failing = False
        self._own_commits = False  # wake_on_commits: this instance's commits come directly
        self._own_due = 0  # the highest own seq announced and not yet seen delivered
        self._own_check: asyncio.TimerHandle | None = None
        channel = database.backend.notify_channel
        if listen and channel is not None:
            self._pg = PgListener(database.engine.url, channel, self._on_notify)

    @property
    def running(self) -> bool:
        return self._task is not None

    @property
    def listening(self) -> bool:
        """True while the PostgreSQL LISTEN connection is up."""
        return self._pg is not None and self._pg.alive

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(events)` (sync or async) for every new page of the log."""
        if not callable(listener):
            raise TypeError(f"A listener must be callable; got {type(listener).__name__}.")
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def wake(self, _events: object = None) -> None:
        """Read the log soon (usable directly as a store listener)."""
        self._wakeup.set()

    def wake_on_commits(self, store: Store) -> None:
        """Deliver each commit of `store` (this instance's own dispatches) at once."""
        self._detach.append(store.subscribe(self._on_local_commit))
        self._own_commits = store.get_database() is self.database

    async def _on_local_commit(self, events: list[Event]) -> None:
        """A commit of this instance: when it directly follows `position` and nobody is
        reading the log, deliver it without reading it back; otherwise wake the reader."""
        if (
            self._task is None
            or self._reading.locked()
            or not events
            or events[0]["seq"] != self.position + 1
        ):
            self._wakeup.set()
            return
        async with self._reading:
            self.position = events[-1]["seq"]
            await self._deliver(events)

    def _on_notify(self, seq: int | None, origin: str | None = None) -> None:
        if seq is not None and seq <= self.position:
            return
        if (
            seq is None
            or not self._own_commits
            or origin != self.database.backend.notify_origin
            or self._task is None
        ):
            self._wakeup.set()
            return
        # This instance's own commit: its store listener (`_on_local_commit`) hands it
        # over without reading the log, and the notification may come first.  Read the
        # log only if that has not happened within the grace period (a failed listener
        # call, a commit whose answer the connection lost).
        self._own_due = max(self._own_due, seq)
        if self._own_check is None:
            loop = asyncio.get_running_loop()
            self._own_check = loop.call_later(OWN_GRACE_SECONDS, self._check_own, seq)

    def _check_own(self, seq: int) -> None:
        self._own_check = None
        if self.position < seq:
            self._wakeup.set()
        elif self._own_due > seq:  # later own commits announced since: check those
            loop = asyncio.get_running_loop()
            self._own_check = loop.call_later(OWN_GRACE_SECONDS, self._check_own, self._own_due)

    async def start(self, after: int | None = None) -> None:
        """Follow from `after` (default: the log's last seq, i.e. only new events)."""
        if self._task is not None:
            raise RuntimeError("This follower is already running; stop() it first.")
        self.position = await self.database.last_seq() if after is None else after
        await self._connect_listener()
        self._task = asyncio.create_task(self._run(), name="flux-log-follower")

    async def stop(self) -> None:
        while self._detach:
            self._detach.pop()()
        self._own_commits = False
        if self._own_check is not None:
            self._own_check.cancel()
            self._own_check = None
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pg is not None:
            await self._pg.close()

    async def catch_up(self) -> int:
        """Deliver everything after `position`; returns how many events were delivered."""
        async with self._reading:  # one reader at a time, or pages would repeat
            return await self._catch_up()

    async def _catch_up(self) -> int:
        delivered = 0
        while True:
            events = await self.database.events_after(self.position, self.page_size)
            if not events:
                return delivered
            if events[0]["seq"] != self.position + 1:
                log.warning(
                    "The log jumps from seq %s to %s; delivering from there.",
                    self.position,
                    events[0]["seq"],
                )
            self.position = events[-1]["seq"]
            delivered += len(events)
            await self._deliver(events)
            if len(events) < self.page_size:
                return delivered

    async def _deliver(self, events: list[Event]) -> None:
        for listener in list(self._listeners):
            try:
                outcome = listener(list(events))
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("A follower listener raised; the others still get the events.")

    async def _connect_listener(self) -> None:
        """(Re)open the LISTEN connection, at most once per poll interval."""
        if self._pg is None or self._pg.alive:
            return
        now = asyncio.get_running_loop().time()
        if now < self._next_listen_attempt:
            return
        self._next_listen_attempt = now + self.poll_seconds
        try:
            await self._pg.connect()
        except Exception as error:  # OSError, timeout, refused authentication, ...
            level = logging.DEBUG if self._listen_failing else logging.WARNING
            self._listen_failing = True
            log.log(
                level, "LISTEN is unavailable (%s); polling every %ss.", error, self.poll_seconds
            )
            return
        if self._listen_failing:
            log.warning("LISTEN is back.")
        self._listen_failing = False

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                await self.catch_up()
            except StoreError as error:
                log.warning(
                    "Reading the log failed (%s); retrying in %ss.", error, self.poll_seconds
                )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()
            await self._connect_listener()


async def start_follower(
    store: Store,
    *,
    after: int | None = None,
    poll_seconds: float = POLL_SECONDS,
    listen: bool = True,
) -> LogFollower:
    """A running follower of the store's database, woken by the store's own commits."""
    follower = LogFollower(store.get_database(), poll_seconds=poll_seconds, listen=listen)
    follower.wake_on_commits(store)
    await follower.start(after)
    return follower
