"""Single-row reads straight through psycopg, for reads made on every request.

`Database.read` checks a connection out of SQLAlchemy's pool, switches it to
autocommit, runs the work in a greenlet through Core's execution and switches
it back: about 300 µs of CPU for one indexed read of a row, against about 60
µs for the same query sent by psycopg on a connection kept open (measured in
one process on PostgreSQL 15).  A signed-in request reads its session that
way, so on a busy server that difference is a sixth of the loop.

    row = await reads.row(statement, {"key": key})   # a tuple of driver values, or None

`PgReads` keeps up to `size` connections of the engine's pool checked out in
autocommit and sends each statement, compiled once, through psycopg (which
prepares it after a few executions).  The values are psycopg's, with none of
SQLAlchemy's type processing: for columns of strings, numbers and booleans.
A driver error closes the connection it happened on and is raised for the
caller to retry through Core (`Database.read_row` does).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import Executable

log = logging.getLogger("flux.store")

SIZE = 4
"""Connections kept for these reads (out of the engine's pool, FLUX_DB_POOL_SIZE)."""


class PgReads:
    """Kept autocommit connections of one PostgreSQL-on-psycopg engine, for `row`."""

    def __init__(self, engine: AsyncEngine, size: int = SIZE) -> None:
        self.engine = engine
        self.size = size
        self._free: list[tuple[AsyncConnection, Any]] = []
        """(the connection, its psycopg AsyncConnection)"""
        self._opened = 0
        self._returned = asyncio.Condition()
        self._sql: dict[int, tuple[Executable, str]] = {}
        self.closed = False

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> PgReads | None:
        dialect = engine.dialect
        if dialect.name != "postgresql" or dialect.driver != "psycopg":
            return None
        return cls(engine)

    @property
    def opened(self) -> int:
        """The connections taken from the pool for these reads now (at most `size`)."""
        return self._opened

    def sql(self, statement: Executable) -> str:
        """The statement's SQL for psycopg (named `%(name)s` parameters), compiled once."""
        found = self._sql.get(id(statement))
        if found is None or found[0] is not statement:
            dialect = self.engine.dialect
            text = str(statement.compile(dialect=dialect))  # type: ignore[attr-defined]
            found = self._sql[id(statement)] = (statement, text)
        return found[1]

    async def row(
        self, statement: Executable, parameters: dict[str, Any]
    ) -> tuple[Any, ...] | None:
        """The first row of `statement`, or None; the driver's error when the
        connection failed (it is closed: the next call opens another)."""
        sql = self.sql(statement)
        kept = await self._take()
        try:
            async with kept[1].cursor() as cursor:
                await cursor.execute(sql, parameters)
                found = await cursor.fetchone()
        except BaseException:
            await self._drop(kept[0], broken=True)
            raise
        await self._give(kept)
        return tuple(found) if found is not None else None

    async def _take(self) -> tuple[AsyncConnection, Any]:
        async with self._returned:
            while not self._free:
                if self._opened < self.size:
                    self._opened += 1
                    break
                await self._returned.wait()
            else:
                return self._free.pop()
        try:
            conn = await self.engine.connect()
            try:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                raw = (await conn.get_raw_connection()).driver_connection
            except BaseException:
                await conn.close()
                raise
            return conn, raw
        except BaseException:
            async with self._returned:
                self._opened -= 1
                self._returned.notify()
            raise

    async def _give(self, kept: tuple[AsyncConnection, Any]) -> None:
        if self.closed:
            await self._drop(kept[0])
            return
        async with self._returned:
            self._free.append(kept)
            self._returned.notify()

    async def _drop(self, conn: AsyncConnection, broken: bool = False) -> None:
        try:
            if broken:  # in the middle of who knows what: the pool must not reuse it
                await conn.invalidate()
            await conn.close()
        except Exception:  # a dead connection: nothing left to release but the handle
            log.debug("Closing a read connection failed", exc_info=True)
        async with self._returned:
            self._opened -= 1
            self._returned.notify()

    async def close(self) -> None:
        """Give the kept connections back (Database.close)."""
        self.closed = True
        free, self._free = self._free, []
        for conn, _raw in free:
            await self._drop(conn)
