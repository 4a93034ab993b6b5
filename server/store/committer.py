"""Group commit: the dispatches that wait while a transaction is in flight are
committed together in the next one.

A dispatch the reducer or the database refuses (a rejected event, a value
too long for its column or of a type the driver cannot bind) fails alone and
its neighbours commit; every caller gets its own result or error.  A
database that is unavailable (the connection is lost) fails the whole group
with StoreUnavailable: nothing of it was written.

Each request is settled exactly once, in commit order, while the committer
still holds its turn: `settle(events)` gets the events the dispatch appended
(none when it failed, was withdrawn or only repeated known ids).  It must not
block; the store queues the listener calls there and makes them after the
locks are released (see store.py).

Savepoints cost two statements per dispatch, so a group first runs without
them: if every dispatch goes through (the usual case), it commits as is.  If
one fails, the transaction is rolled back and the group runs again with a
savepoint around each dispatch, so that only the failing ones are left out.
A group of one is an ordinary transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from server.store.errors import EventRejected, StoreError
from server.store.events import now_timestamp
from server.store.sql import eventlog
from server.store.sql.collection import SqlView, apply_changeset, check_changeset
from server.store.sql.database import Database, is_unavailable
from server.store.types import Event, RootReducer

Settle = Callable[[list[Event]], None]
"""Told, once per dispatch and in commit order, which events it appended."""


class _GroupFailed(Exception):
    """A dispatch of a group run without savepoints failed: run it again with them."""


class _Request:
    def __init__(self, events: list[Event], given_ids: list[str], settle: Settle) -> None:
        self.events = events
        self.given_ids = given_ids
        self.settle = settle
        self.done = False
        self.result: list[Event] = []
        self.fresh: list[Event] = []
        self.error: BaseException | None = None

    def reset(self) -> None:
        self.result, self.fresh, self.error = [], [], None

    def outcome(self) -> list[Event]:
        if self.error is not None:
            raise self.error
        return self.result


class Committer:
    """Turns dispatch requests into (group) transactions on one database."""

    def __init__(
        self,
        database: Database,
        reducer: RootReducer,
        group_commit: bool = True,
        max_group: int = 256,
    ) -> None:
        self.database = database
        self.reducer = reducer
        self.group_commit = group_commit
        self.max_group = max_group if group_commit else 1
        self._waiting: list[_Request] = []
        self._turn = asyncio.Lock()

    async def submit(
        self, events: list[Event], given_ids: list[str], settle: Settle = lambda _: None
    ) -> list[Event]:
        """Commit `events` as one dispatch; `given_ids` are the ids the client chose
        (only those can already be in the log: the others are fresh uuids).

        `settle(appended)` is called once, in commit order, even when the
        dispatch fails or its caller goes away."""
        request = _Request(events, given_ids, settle)
        self._waiting.append(request)
        try:
            async with self._turn:
                if not request.done:
                    group = self._waiting[: self.max_group]
                    del self._waiting[: self.max_group]
                    # Shielded: a caller that goes away does not abort its neighbours.
                    await asyncio.shield(self._commit(group))
        except asyncio.CancelledError:
            if request in self._waiting:  # withdrawn before its group was taken
                self._waiting.remove(request)
                request.settle([])
            raise
        return request.outcome()

    async def _commit(self, group: list[_Request]) -> None:
        try:
            try:
                await self._write(group, savepoints=False)
            except _GroupFailed:
                for request in group:
                    request.reset()
                await self._write(group, savepoints=True)
            for request in group:
                if isinstance(request.error, SQLAlchemyError):
                    request.error = await self._translated(request.error)
        except BaseException as error:
            for request in group:
                request.error = error
            if not isinstance(error, Exception):
                raise
        finally:
            for request in group:
                request.done = True
                request.settle(request.fresh if request.error is None else [])

    async def _translated(self, error: SQLAlchemyError) -> BaseException:
        """A driver error of one dispatch of a group, as the store's own exception."""
        try:
            async with self.database.translated():
                raise error
        except StoreError as translated:
            return translated

    async def _write(self, group: list[_Request], savepoints: bool) -> None:
        await self.database.write(
            lambda conn, head: self._transaction(conn, head, group, savepoints),
            ahead=([e for r in group for e in r.events], [i for r in group for i in r.given_ids]),
        )

    def _transaction(
        self, conn: Connection, head: tuple[int, str], group: list[_Request], savepoints: bool
    ) -> None:
        seq, last_timestamp = head
        timestamp = max(now_timestamp(), last_timestamp)
        driver = self.database.driver(conn)
        given = [id for r in group for id in r.given_ids]
        known = driver.find_by_ids(given) if driver is not None else None
        if known is None:
            known = eventlog.find_by_ids(conn, given)
        view = SqlView(conn, self.database.tables, driver)
        appended: list[Event] = []
        alone = len(group) == 1
        for request in group:
            savepoint = conn.begin_nested() if savepoints and not alone else None
            try:
                result, fresh = self._apply(conn, view, request.events, dict(known), seq, timestamp)
            except Exception as error:
                if alone or _unavailable(error):
                    raise
                if savepoint is None:
                    raise _GroupFailed from error
                savepoint.rollback()
                request.error = error
                continue
            if savepoint is not None:
                savepoint.commit()
            seq += len(fresh)
            known.update((e["id"], e) for e in fresh)
            request.result, request.fresh = result, fresh
            appended.extend(fresh)
        if driver is not None:
            driver.append(appended)
        else:
            self.database.backend.append(conn, appended)

    def _apply(
        self,
        conn: Connection,
        view: SqlView,
        events: list[Event],
        known: dict[str, Event],
        seq: int,
        timestamp: str,
    ) -> tuple[list[Event], list[Event]]:
        """One dispatch: reducer, changeset, stamped events (appended by the caller)."""
        tables = self.database.tables
        result: list[Event] = []
        fresh: list[Event] = []
        for event in events:
            if event["id"] in known:
                result.append(_same_event(known[event["id"]], event))
                continue
            seq += 1
            stored: dict[str, Any] = {"seq": seq, **event, "timestamp": timestamp}
            view.forget()
            changeset = check_changeset(self.reducer(view, stored), tables, event["type"])
            try:
                apply_changeset(conn, tables, changeset, view.driver)
            except (TypeError, ValueError) as error:  # a driver that cannot bind a value
                raise StoreError(
                    f"The database refused the statement: {error} (event {event['type']!r})"
                ) from error
            known[event["id"]] = stored
            fresh.append(stored)
            result.append(stored)
        return result, fresh


def _unavailable(error: BaseException) -> bool:
    """The database or the connection is gone: no dispatch of the group can commit.
    Anything else a statement raises (too long, wrong type, ...) is one dispatch's fault."""
    if isinstance(error, DBAPIError):
        return is_unavailable(error)
    return isinstance(error, OSError)


def _same_event(stored: Event, event: Event) -> Event:
    """`stored`, when `event` is a retry of it (same id, type, payload and meta);
    an id already used by another event is refused, saying nothing about that event."""
    for key in ("type", "payload", "meta"):
        if stored.get(key) != event.get(key):
            raise EventRejected(
                f"The event id {event['id']} was already used by another event; "
                "give this event a new id (a retry must send the same event)."
            )
    return stored
