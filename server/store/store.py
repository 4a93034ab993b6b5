"""The store: dispatch events, subscribe to what was committed.

    store = create_store(combine_reducers({"notes": notes_reducer}), database)
    unsubscribe = store.subscribe(print)
    await store.dispatch({"type": "noteAdded", "payload": {...}})

One dispatch (one event or a list) is one database transaction: every event
is checked first, then each event's reducer reads the read model and returns
a changeset, the changeset is applied, and the event is appended to the log
with the next seq.

Listeners hear about each dispatch after its commit, once the store's locks
are released, in seq order: all the listener calls of one dispatch are over
before those of the next one begin.  A dispatch is heard by the listeners
subscribed when it began (Redux's "snapshot of subscribers"), so a listener
may subscribe, unsubscribe and dispatch.

`await store.dispatch(...)` returns after the commit and after its listeners
ran, together with the listeners of every dispatch they made.  A dispatch
made from inside a listener returns after its commit, without waiting for
its own listeners (they run after the current ones, and the outer dispatch
waits for them): it would otherwise wait on itself.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from server.store.committer import Committer
from server.store.errors import (
    ChangesetConflict,
    ChangesetError,
    ConfigurationError,
    EventRejected,
    InvalidEvent,
    StoreError,
    StoreUnavailable,
)
from server.store.events import check_events, format_timestamp, new_event_id, now_timestamp
from server.store.history import timemachine
from server.store.middleware import Enhancer, apply_middleware, compose
from server.store.sql.database import Database, connect
from server.store.types import Dispatch, Event, Listener, RootReducer, Row
from shared_reducers.combine import combine_reducers
from shared_reducers.memory import MemoryDatabase, empty_state

__all__ = [
    "ChangesetConflict",
    "ChangesetError",
    "ConfigurationError",
    "Database",
    "EventRejected",
    "InvalidEvent",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "apply_middleware",
    "combine_reducers",
    "compose",
    "connect",
    "create_store",
    "format_timestamp",
]

log = logging.getLogger("flux.store")
PROBE_TYPE = "@@flux/PROBE_UNKNOWN_EVENT"


class _Delivery:
    """The listener calls of one dispatch; `over` once they and those of the
    dispatches made from them (its nested deliveries) have all run."""

    def __init__(self, listeners: list[_ListenerSlot], parent: _Delivery | None) -> None:
        self.listeners = listeners
        self.parent = parent
        self.events: list[Event] = []
        self.over = asyncio.Event()
        self._open = 1  # its own calls, plus each nested delivery not yet over
        if parent is not None:
            parent._open += 1

    def finish(self) -> None:
        self._open -= 1
        if self._open == 0:
            self.over.set()
            if self.parent is not None:
                self.parent.finish()


_current: ContextVar[_Delivery | None] = ContextVar("flux_store_delivery", default=None)
"""The delivery whose listener is running (None outside listeners)."""


class _Core:
    """State shared by a store and its middleware-wrapped copies."""

    def __init__(self, reducer: RootReducer, database: Database, group_commit: bool) -> None:
        self.reducer = reducer
        self.database = database
        self.listeners: list[_ListenerSlot] = []
        self.committer = Committer(database, reducer, group_commit)
        self._outbox: deque[_Delivery] = deque()
        self._courier: asyncio.Task[None] | None = None

    def begin(self) -> _Delivery:
        """A dispatch begins: it will be heard by the listeners subscribed now."""
        parent = _current.get()
        if parent is not None and parent.over.is_set():
            parent = None  # a task a listener left behind: its dispatch is on its own
        return _Delivery(list(self.listeners), parent)

    def settle(self, delivery: _Delivery, events: list[Event]) -> None:
        """Called by the committer in commit order, under its lock: queue, never await."""
        if not events or not delivery.listeners:
            delivery.finish()
            return
        delivery.events = events
        self._outbox.append(delivery)
        if self._courier is None:
            loop = asyncio.get_running_loop()
            self._courier = loop.create_task(self._deliver(), name="flux-store-listeners")

    async def _deliver(self) -> None:
        """Call the listeners of each committed dispatch, one dispatch at a time, in seq order."""
        try:
            while self._outbox:
                delivery = self._outbox.popleft()
                _current.set(delivery)
                try:
                    for slot in delivery.listeners:
                        await slot(list(delivery.events))
                finally:
                    delivery.finish()
        finally:
            self._courier = None
            while self._outbox:  # only when cancelled (the loop is closing): wake the waiters
                self._outbox.popleft().finish()


class Store:
    """dispatch, subscribe, get_database: a small object, as in Redux."""

    def __init__(self, core: _Core, dispatch: Dispatch | None = None) -> None:
        self._core = core
        self.dispatch: Dispatch = dispatch or self._dispatch

    def with_dispatch(self, dispatch: Dispatch) -> Store:
        """The same store with another dispatch (what apply_middleware returns)."""
        return Store(self._core, dispatch)

    def get_database(self) -> Database:
        return self._core.database

    @property
    def reducer(self) -> RootReducer:
        return self._core.reducer

    async def at(self, seq: int | None = None, time: str | None = None) -> dict[str, list[Row]]:
        """The read model as it was after event `seq` (or at ISO `time`); see timemachine."""
        return await timemachine.at(self._core.database, self._core.reducer, seq, time)

    async def history(self, collection: str, id: str) -> list[dict[str, Any]]:
        """Every event that touched a row, each with the row after it (None once removed)."""
        return await timemachine.history(self._core.database, self._core.reducer, collection, id)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(events)` (sync or async) after every committed dispatch that
        begins from now on; returns unsubscribe, which may be called more than once.

        Listeners run one after the other, in the order they subscribed, after
        the commit and outside the store's locks; they may dispatch (see the
        module docstring for what such a dispatch waits for)."""
        if not callable(listener):
            raise TypeError(f"A listener must be callable; got {type(listener).__name__}.")
        wrapper = _ListenerSlot(listener)
        self._core.listeners.append(wrapper)

        def unsubscribe() -> None:
            if wrapper in self._core.listeners:
                self._core.listeners.remove(wrapper)

        return unsubscribe

    async def _dispatch(self, event_or_list: Any, *extra: Any, **named: Any) -> list[Event]:
        """Commit one event or a list in one transaction; returns the stored events.

        Returns once the listeners subscribed when it began have been called
        with the events (and those of the dispatches they made), unless it
        was dispatched from inside a listener: then right after the commit."""
        if extra or named:
            raise TypeError(
                "store.dispatch takes one event or a list of events; it also got "
                f"{len(extra) + len(named)} more argument(s). Extra arguments are for "
                "middleware: the middleware that uses them does not pass them to next()."
            )
        events = check_events(event_or_list)
        given = [event["id"] for event in events if "id" in event]
        for event in events:
            event.setdefault("id", new_event_id())
        delivery = self._core.begin()
        settle = functools.partial(self._core.settle, delivery)
        stored = await self._core.committer.submit(events, given, settle)
        if delivery.parent is None:
            await delivery.over.wait()
        return stored


class _ListenerSlot:
    """Calls one listener, sync or async, and logs what it raises."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    async def __call__(self, events: list[Event]) -> None:
        try:
            outcome = self.listener(events)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            log.exception("A store listener raised; the dispatch and other listeners go on.")


def create_store(
    reducer: RootReducer,
    database: Database,
    enhancer: Enhancer | None = None,
    *,
    group_commit: bool = True,
) -> Store:
    """A store for `reducer` (see combine_reducers) over `database` (see connect).

    With `group_commit` (the default), dispatches that arrive while a
    transaction is in flight are committed together in the next one; a
    dispatch the reducer or the database refuses fails alone (the group is
    then written again with a savepoint per dispatch, see committer.py).
    """
    if enhancer is not None:
        if not callable(enhancer):
            raise TypeError("The enhancer must be a function, such as apply_middleware(...).")
        create = functools.partial(create_store, group_commit=group_commit)
        return enhancer(create)(reducer, database)
    if not callable(reducer):
        raise TypeError(f"The reducer must be a function; got {type(reducer).__name__}.")
    if not isinstance(database, Database):
        raise TypeError("The database must come from `await connect(url, metadata)`.")
    _check_reducer(reducer, database)
    return Store(_Core(reducer, database, group_commit))


def _check_reducer(reducer: RootReducer, database: Database) -> None:
    """Every collection the reducer names has a table, and an unknown event changes nothing."""
    names = list(getattr(reducer, "collection_names", []))
    missing = [name for name in names if name not in database.tables]
    if missing:
        raise ConfigurationError(
            f"The reducer works on {missing} but the database has no such table; "
            f"its read-model tables are {sorted(database.tables)}. Declare them in the "
            "MetaData given to connect()."
        )
    probe = {"type": PROBE_TYPE, "id": "probe", "seq": 0, "timestamp": now_timestamp()}
    changeset = reducer(MemoryDatabase(empty_state(names)), probe)
    if changeset != []:
        raise ConfigurationError(
            f"Reducers must return no_change() for an event type they do not handle; "
            f"for {PROBE_TYPE!r} the reducer returned {changeset!r}."
        )
