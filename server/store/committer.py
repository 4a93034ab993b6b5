"""Group commit: the dispatches that wait while a transaction is in flight are
committed together in the next one.

A rejected dispatch fails alone and its neighbours commit; every caller gets
its own result or error.  Listeners hear about each dispatch separately, in
seq order, after the commit.

Savepoints cost two statements per dispatch, so a group first runs without
them: if every dispatch goes through (the usual case), it commits as is.  If
one fails, the transaction is rolled back and the group runs again with a
savepoint around each dispatch, so that only the failing ones are left out.
A group of one is an ordinary transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from server.store.events import now_timestamp
from server.store.sql import eventlog
from server.store.sql.collection import SqlView, apply_changeset, check_changeset
from server.store.sql.database import Database
from server.store.types import Event, RootReducer

Notify = Callable[[list[Event]], Awaitable[None]]


class _GroupFailed(Exception):
    """A dispatch of a group run without savepoints failed: run it again with them."""


class _Request:
    def __init__(self, events: list[Event], given_ids: list[str]) -> None:
        self.events = events
        self.given_ids = given_ids
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
        notify: Notify,
        group_commit: bool = True,
        max_group: int = 256,
    ) -> None:
        self.database = database
        self.reducer = reducer
        self.notify = notify
        self.group_commit = group_commit
        self.max_group = max_group if group_commit else 1
        self._waiting: list[_Request] = []
        self._turn = asyncio.Lock()

    async def submit(self, events: list[Event], given_ids: list[str]) -> list[Event]:
        """Commit `events` as one dispatch; `given_ids` are the ids the client chose
        (only those can already be in the log: the others are fresh uuids)."""
        request = _Request(events, given_ids)
        self._waiting.append(request)
        try:
            async with self._turn:
                if not request.done:
                    group = self._waiting[: self.max_group]
                    del self._waiting[: self.max_group]
                    # Shielded: a caller that goes away does not abort its neighbours.
                    await asyncio.shield(self._commit(group))
        except asyncio.CancelledError:
            if request in self._waiting:
                self._waiting.remove(request)
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
        except BaseException as error:
            for request in group:
                if not request.done:
                    request.error = error
                    request.done = True
            if not isinstance(error, Exception):
                raise

    async def _write(self, group: list[_Request], savepoints: bool) -> None:
        await self.database.write(
            lambda conn, head: self._transaction(conn, head, group, savepoints),
            after_commit=lambda _: self._after_commit(group),
        )

    async def _after_commit(self, group: list[_Request]) -> None:
        for request in group:
            if request.error is None and request.fresh:
                await self.notify(request.fresh)
            request.done = True

    def _transaction(
        self, conn: Connection, head: tuple[int, str], group: list[_Request], savepoints: bool
    ) -> None:
        seq, last_timestamp = head
        timestamp = max(now_timestamp(), last_timestamp)
        known = eventlog.find_by_ids(conn, (id for r in group for id in r.given_ids))
        view = SqlView(conn, self.database.tables)
        appended: list[Event] = []
        alone = len(group) == 1
        for request in group:
            savepoint = conn.begin_nested() if savepoints and not alone else None
            try:
                result, fresh = self._apply(conn, view, request.events, dict(known), seq, timestamp)
            except Exception as error:
                if savepoint is None:
                    if alone or isinstance(error, SQLAlchemyError):
                        raise
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
        eventlog.append(conn, appended)
        if appended:
            self.database.backend.announce(conn, appended[-1]["seq"])

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
                result.append(known[event["id"]])
                continue
            seq += 1
            stored: dict[str, Any] = {"seq": seq, **event, "timestamp": timestamp}
            view.forget()
            changeset = check_changeset(self.reducer(view, stored), tables, event["type"])
            apply_changeset(conn, tables, changeset)
            known[event["id"]] = stored
            fresh.append(stored)
            result.append(stored)
        return result, fresh
