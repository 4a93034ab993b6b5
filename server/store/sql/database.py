"""The database: one SQLAlchemy async engine, the event log and the read-model tables.

`connect(url, metadata)` creates what is missing and returns a `Database`.
Driver errors are translated into the project's own exceptions here, so no
caller ever sees `sqlalchemy.exc`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import Executable

from server.store.errors import ConfigurationError, StoreError, StoreUnavailable
from server.store.sql import eventlog
from server.store.sql.backends import Backend, backend_for, database_url
from server.store.sql.driver import DriverStatements, DriverWrites
from server.store.sql.pg_driver import PgPath
from server.store.sql.pg_reads import PgReads
from server.store.types import Event, Row

T = TypeVar("T")
log = logging.getLogger("flux.store")


class _StaleConnection(Exception):
    """The first statement of a write transaction found its pooled connection dead."""

    def __init__(self, error: DBAPIError) -> None:
        super().__init__(str(error))
        self.error = error


class _WriterThread:
    """SQLite's writer thread: runs one function at a time, in order, for the loop.

    A bare queue and `call_soon_threadsafe` instead of a ThreadPoolExecutor and
    `run_in_executor`: the round trip costs about 27 µs of CPU instead of 42
    (an empty job, 3,000 hops); a noteAdded dispatch used 23-30 µs less CPU
    (the two alternating in one process, four runs).  A daemon thread, so a
    process that never closes its database still exits; SQLite's COMMIT is
    atomic if the exit interrupts it, and its dispatch was not acknowledged."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the writer thread; its result or exception."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="flux-writer", daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return await future

    def stop(self) -> None:
        """End the thread once the jobs queued before have run."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, fn, args = job
            try:
                result = fn(*args)
            except BaseException as error:
                self._tell(loop, self._fail, future, error)
            else:
                self._tell(loop, self._succeed, future, result)

    @staticmethod
    def _tell(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], *args: Any) -> None:
        try:
            loop.call_soon_threadsafe(settle, *args)
        except RuntimeError:  # the loop was closed meanwhile: nobody waits; keep serving
            pass

    @staticmethod
    def _succeed(future: asyncio.Future[Any], result: Any) -> None:
        if not future.done():  # the awaiting task was cancelled: nobody wants it
            future.set_result(result)

    @staticmethod
    def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
        if not future.done():
            future.set_exception(error)


_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class Database:
    """The engine, the log and the read-model tables of one database."""

    def __init__(
        self,
        engine: AsyncEngine,
        backend: Backend,
        metadata: MetaData,
        writer_engine: Engine | None = None,
    ) -> None:
        self.engine = engine
        self.writer_engine = writer_engine
        self._writer = _WriterThread() if writer_engine is not None else None
        self.backend = backend
        self.metadata = metadata
        self.tables: dict[str, Table] = dict(metadata.tables)
        self.created_tables: list[str] = []
        """The read-model tables `connect` created (they start empty)."""
        self.write_lock = asyncio.Lock()
        self._writer_conn: Connection | None = None
        self._driver_writes: DriverWrites | None = None
        self.pg = PgPath.for_engine(
            engine, backend.notify_channel, self.tables, backend.append, backend.notify_origin
        )
        """PostgreSQL on psycopg: the write transaction pipelined (see pg_driver.py)."""
        self.pg_reads = PgReads.for_engine(engine)
        """PostgreSQL on psycopg: `read_row` straight through the driver (pg_reads.py)."""
        self._statements = (
            DriverStatements(writer_engine.dialect, self.tables)
            if writer_engine is not None
            else None
        )

    @property
    def dialect(self) -> str:
        """ "sqlite", "postgresql" or "mysql"."""
        return self.backend.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- transactions --------------------------------------------------------

    @asynccontextmanager
    async def translated(self) -> AsyncIterator[None]:
        """Driver errors inside become StoreUnavailable / StoreError (the edge)."""
        try:
            yield
        except (DBAPIError, PoolTimeout, OSError) as error:
            if isinstance(error, IntegrityError):
                raise StoreError(f"The database refused the write: {error.orig}") from error
            if isinstance(error, DBAPIError) and not is_unavailable(error):
                raise StoreError(f"The database refused the statement: {error.orig}") from error
            raise StoreUnavailable(f"The database at {self.url} is unavailable: {error}") from error
        except SQLAlchemyError as error:
            raise StoreError(f"Database error: {error}") from error

    async def write(
        self,
        work: Callable[[Connection, tuple[int, str]], T],
        after_commit: Callable[[T], Awaitable[None] | None] | None = None,
        *,
        ahead: tuple[Sequence[Event], Sequence[str]] | None = None,
    ) -> T:
        """Run `work(conn, (last seq, last timestamp))` in one write transaction
        that holds the log lock.

        Writers of this process queue on `write_lock`, which is held until
        `after_commit(result)` has run, so whatever it does happens in commit
        order.  Across processes the head-row lock serializes appends.
        """
        async with self.write_lock:
            if self.pg is not None:  # `ahead`: the events and their given ids
                self.pg.expect(ahead)
            async with self.translated():
                try:
                    result = await self._write_once(work)
                except _StaleConnection as stale:
                    # The pooled connection was dead before anything ran on it (the
                    # server restarted, a failover, an idle timeout): the pool has
                    # dropped it and its siblings; run the transaction once more on
                    # a fresh connection.  This replaces pool_pre_ping's round trip
                    # per checkout.  A second failure is the database's answer.
                    log.info("Reconnecting after a stale connection: %s", stale.error)
                    try:
                        result = await self._write_once(work)
                    except _StaleConnection as again:
                        raise again.error from None
            if after_commit is not None:
                outcome = after_commit(result)
                if outcome is not None:
                    await outcome
            return result

    async def _write_once(self, work: Callable[[Connection, tuple[int, str]], T]) -> T:
        if self._writer is not None:
            return await self._writer.run(self._write_in_thread, work)
        if self.pg is not None:
            return await self.pg.write(self.engine, self._locked(work))
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(flux_write=True)
            async with conn.begin():
                return await conn.run_sync(self._locked(work))

    def _writer_connection(self) -> Connection:
        """The writer's own connection, kept open between transactions (no pool
        checkout, reset and return per dispatch); one found invalid (a disk
        error, say) is closed and the next write opens another."""
        assert self.writer_engine is not None
        conn = self._writer_conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._writer_conn = self.writer_engine.connect()
            conn.execution_options(flux_write=True)
        return conn

    def _write_in_thread(self, work: Callable[[Connection, tuple[int, str]], T]) -> T:
        """One write transaction, wholly in the writer thread, on its connection."""
        conn = self._writer_connection()
        try:
            with conn.begin():
                return self._locked(work)(conn)
        except BaseException as error:
            self._after_failure(conn, error)
            raise

    def _after_failure(self, conn: Connection, error: BaseException) -> None:
        """A connection the failure showed dead (a disk error, a closed file, ...)
        is closed; the next write opens another.  A BEGIN that failed so is not
        seen by SQLAlchemy (it happens in its `begin` event), hence the error's flag."""
        lost = isinstance(error, DBAPIError) and error.connection_invalidated
        if conn.invalidated or lost:
            if not conn.invalidated:
                conn.invalidate(error)
            self._close_writer_conn()

    def _close_writer_conn(self) -> None:
        conn, self._writer_conn = self._writer_conn, None
        if conn is not None:
            conn.close()

    def _close_writer(self) -> None:
        self._close_writer_conn()
        if self.writer_engine is not None:
            self.writer_engine.dispose()

    def driver(self, conn: Connection) -> DriverWrites | None:
        """The hot statements on the driver's cursor for a write transaction of the
        SQLite writer (see driver.py); None elsewhere (Core runs them), and when
        something listens to the engine's cursor events (tracing, a statement
        counter, a test's fault): those see every statement only through Core."""
        if self.pg is not None:
            return self.pg.writes(conn)
        if self._statements is None or conn.engine is not self.writer_engine:
            return None
        if conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute:
            return None
        bound = self._driver_writes
        if bound is None or bound.conn is not conn:  # the writer's connection is kept open
            bound = self._driver_writes = self._statements.bind(conn)
        return bound

    def _locked(
        self, work: Callable[[Connection, tuple[int, str]], T]
    ) -> Callable[[Connection], T]:
        def run(conn: Connection) -> T:
            try:
                driver = self.driver(conn)
                head = (
                    driver.lock_head()
                    if driver is not None
                    else eventlog.lock_head(conn, self.backend.lock_with_for_update)
                )
            except DBAPIError as error:
                # The transaction's first statement: nothing was written yet.
                if error.connection_invalidated:
                    raise _StaleConnection(error) from error
                raise
            return work(conn, head)

        return run

    async def read(self, work: Callable[[Connection], T], *, snapshot: bool = True) -> T:
        """Run `work(conn)` in one read transaction (a consistent view).

        `snapshot=False` is for work that runs a single statement: on
        PostgreSQL it runs in autocommit, without BEGIN and ROLLBACK (two
        round trips fewer); each statement then sees the commits before it,
        but two statements may see different ones.  On SQLite it sends no
        BEGIN (a hop to aiosqlite's thread).  (MySQL would pay two round trips
        to switch autocommit on and off.)"""
        async with self.translated():
            try:
                return await self._read_once(work, snapshot)
            except DBAPIError as error:
                # A read changes nothing: a connection found dead (the pool has
                # dropped it and its siblings) is retried once on a fresh one.
                if not error.connection_invalidated:
                    raise
                log.info("Reconnecting after a stale connection: %s", error)
                return await self._read_once(work, snapshot)

    async def read_row(
        self, statement: Executable, parameters: dict[str, Any]
    ) -> tuple[Any, ...] | None:
        """The first row of a single-statement read (`statement` built once and
        reused, as a module constant), as a tuple, or None when there is none.

        On PostgreSQL on psycopg it goes straight through the driver on a kept
        connection (about a fifth of `read`'s CPU, see pg_reads.py): the values
        are then the driver's, so read columns of strings, numbers and booleans.
        If that fails, and on the other backends, it is `read(..., snapshot=False)`."""
        reads = self.pg_reads
        if reads is not None and not reads.closed:
            async with self.translated():  # the pool's timeout, as for `read`
                try:
                    return await reads.row(statement, parameters)
                except (psycopg.Error, OSError) as error:
                    log.info("A read through psycopg failed (%s); reading through Core", error)

        def work(conn: Connection) -> tuple[Any, ...] | None:
            row = conn.execute(statement, parameters).first()
            return tuple(row) if row is not None else None

        return await self.read(work, snapshot=False)

    async def _read_once(self, work: Callable[[Connection], T], snapshot: bool = True) -> T:
        async with self.engine.connect() as conn:
            if not snapshot and self.dialect == "postgresql":
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await conn.run_sync(work)
            if not snapshot and self.dialect == "sqlite":  # no BEGIN: one thread hop less
                await conn.execution_options(flux_no_begin=True)
            async with conn.begin():
                return await conn.run_sync(work)

    # -- reads ---------------------------------------------------------------

    def table(self, name: str) -> Table:
        if name not in self.tables:
            raise ConfigurationError(
                f"There is no read-model table {name!r}; the tables are {sorted(self.tables)}."
            )
        return self.tables[name]

    async def rows(self, name: str) -> list[Row]:
        """Every row of a read-model table, ordered by id."""
        table = self.table(name)
        return await self.read(
            lambda conn: [
                dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))
            ]
        )

    async def get(self, name: str, id: str) -> Row | None:
        table = self.table(name)

        def work(conn: Connection) -> Row | None:
            row = conn.execute(select(table).where(table.c.id == id)).first()
            return dict(row._mapping) if row is not None else None

        return await self.read(work, snapshot=False)

    async def events_after(self, after: int = 0, limit: int | None = None) -> list[Event]:
        return await self.read(lambda conn: eventlog.read_after(conn, after, limit), snapshot=False)

    async def last_seq(self) -> int:
        return await self.read(eventlog.last_seq, snapshot=False)

    async def missing_columns(self) -> dict[str, list[str]]:
        """Columns the read model's MetaData declares that its tables lack, by table.

        `connect` creates missing tables, never columns: a table made by an
        older version of the app is rebuilt with `flux replay` (the log replayed
        through the current reducers into fresh tables), not migrated.
        """

        def work(conn: Connection) -> dict[str, list[str]]:
            inspector = inspect(conn)
            missing: dict[str, list[str]] = {}
            for name, table in self.tables.items():
                have = {column["name"] for column in inspector.get_columns(name)}
                lacking = [column.name for column in table.columns if column.name not in have]
                if lacking:
                    missing[name] = lacking
            return missing

        return await self.read(work)

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self.translated():
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            return True
        except StoreError:
            return False

    async def close(self) -> None:
        if self._writer is not None and self.writer_engine is not None:
            await self._writer.run(self._close_writer)
            self._writer.stop()
        if self.pg is not None:
            await self.pg.close()
        if self.pg_reads is not None:
            await self.pg_reads.close()
        await self.engine.dispose()


def is_unavailable(error: DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    name = type(error).__name__
    return name in ("OperationalError", "InterfaceError", "DisconnectionError")


async def _create_schema(conn: AsyncConnection, metadata: MetaData) -> list[str]:
    """Create what is missing; returns the read-model tables this call created."""
    existing = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    await conn.run_sync(lambda c: eventlog.log_metadata.create_all(c, checkfirst=True))
    await conn.run_sync(lambda c: metadata.create_all(c, checkfirst=True))
    await conn.run_sync(_ensure_head_safely)
    return sorted(name for name in metadata.tables if name not in existing)


def _ensure_head_safely(conn: Connection) -> None:
    try:
        with conn.begin_nested():
            eventlog.ensure_head(conn)
    except IntegrityError:
        pass  # another process created it first


def check_read_model(metadata: MetaData) -> None:
    for name, table in metadata.tables.items():
        if name in eventlog.LOG_TABLES or eventlog.RESERVED_INFIX in name:
            raise ConfigurationError(
                f"The table name {name!r} is reserved for the event log, its snapshots or "
                f"`flux replay` ({', '.join(eventlog.LOG_TABLES)}, *{eventlog.RESERVED_INFIX}*)."
            )
        keys = [c.name for c in table.primary_key.columns]
        if keys != ["id"]:
            raise ConfigurationError(
                f"Read-model table {name!r} needs a single primary key column named 'id' "
                f"(a string); it has {keys or 'none'}."
            )


async def connect(
    url: str | None = None,
    metadata: MetaData | None = None,
    *,
    create: bool = True,
    sqlite_synchronous: str | None = None,
) -> Database:
    """Open the database at `url` (default: FLUX_DATABASE_URL, then SQLite).

    SQLite runs in WAL mode with `sqlite_synchronous` (default:
    FLUX_SQLITE_SYNCHRONOUS, then FULL; see docs/operations.md).

    Creates the event log and the read-model tables of `metadata` when
    missing (unless `create=False`).
    """
    metadata = metadata if metadata is not None else MetaData()
    check_read_model(metadata)
    backend, parsed = backend_for(database_url(url))
    engine = backend.create_engine(parsed, sqlite_synchronous)
    database = Database(
        engine, backend, metadata, backend.create_writer_engine(parsed, sqlite_synchronous)
    )
    try:
        async with database.translated():
            if create:
                async with engine.begin() as conn:
                    database.created_tables = await _create_schema(conn, metadata)
            else:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
    except BaseException:
        await engine.dispose()
        raise
    return database
