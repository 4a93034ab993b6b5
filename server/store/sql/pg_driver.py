"""PostgreSQL's write transaction in two round trips (psycopg 3).

Through Core on asyncpg a single-event dispatch makes a round trip per
statement: BEGIN, the head lock, each of the reducer's reads, each row
write, the append-and-head statement, COMMIT (eight for the notes app's
noteAdded: strace counts 8 sendto per dispatch, against 2 here).  With the
`postgresql+psycopg` engine the store's write transaction runs its hot
statements here instead, on psycopg's own connection (the one under
SQLAlchemy's, in the same transaction), compiled once by SQLAlchemy for the
engine's dialect as on SQLite (driver.py):

1. one round trip: BEGIN, the head lock (`SELECT ... FOR UPDATE`), the group's
   given ids (`find_by_ids`) and the rows the reducers are expected to read;
2. the reducers run; a read that was not expected costs one round trip
   (carrying the writes queued so far); the row writes are queued;
3. one round trip: the queued writes, the append (events, head and NOTIFY in
   one statement) and COMMIT.  COMMIT goes apart (SQLAlchemy's, after the
   writes were checked) when a queued UPDATE or DELETE names a row this
   transaction has not seen (read or inserted): it might find nothing.

A round trip is one simple-protocol query of several statements, the values
quoted by psycopg's client-side binding, on a connection kept open in
autocommit whose BEGIN and COMMIT are in those queries (`PgPath.simple`, the
default), or a psycopg pipeline of prepared statements (extended protocol,
one Sync, a pooled connection).  The first used about 200 µs less of this
process's CPU per noteAdded (psycopg does less per statement); both make the
same round trips, and the server's CPU per dispatch was the same (about 600
µs, /proc of its backends).

Why the reads of step 1 see what the Core path would: in READ COMMITTED each
statement takes its snapshot when it starts, and the server runs a query's
(or a pipeline's) statements one after the other, so the reads that follow
the head lock start after it was granted and see every commit before it.
(One single statement could not: its snapshot is taken before it waits for
the lock.)  Every append
takes that lock, so the rows the reads return stay as read until this
transaction writes them; the driver drops a remembered row when it is written.

The expected reads are learned: a read whose id is one of the event's payload
values is remembered as (event type, table, payload key) and made ahead of
time for the next events of that type; so is a row an event updates or
deletes without reading it (then its COMMIT can go with the append).  Rows
read or written inside a savepoint are not remembered.

A queued write is checked when its round trip returns: an UPDATE or DELETE that
found no row, or any error the database raises for it, would surface later
than on the Core path, so the transaction is rolled back and run once more
with every statement waited for (`Rerun`, caught by PgPath.write), which
fails the dispatch exactly where and how Core would (ChangesetConflict, a
group's savepoint rerun, ...).  Inside a savepoint nothing is queued.  A lost
connection is not rerun: it is the DBAPIError Core raises (StoreUnavailable).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import await_only

from server.store.sql import notify
from server.store.sql.driver import DriverStatements, DriverWrites, _event, _Statement
from server.store.sql.eventlog import head_table, one_statement
from server.store.types import Event, Row

T = TypeVar("T")
log = logging.getLogger("flux.store")

ONE_STATEMENT_MAX = 16
"""As eventlog.ONE_STATEMENT_MAX: larger groups append through Core."""
_LEARNED_MAX = 256
_COMMIT = "COMMIT"
_SPLIT_CACHED = 4096
"""psycopg caches how it splits a query's text at its placeholders for texts up
to this long (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH).  A longer round
trip (a group's: its text varies too) was split again on every call, a tenth
of a 20-event dispatch's CPU; its statements are bound one by one instead
(`cursor.mogrify`, each split cached), which costs more than one cached split
for the short round trips of a single dispatch."""
_TUPLES_OK = psycopg.pq.ExecStatus.TUPLES_OK
SIMPLE = True


def _listened(conn: Connection | None) -> bool:
    """Something listens to the cursor events: it must see every statement (Core)."""
    return conn is not None and bool(
        conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute
    )


def _begin(conn: Connection) -> None:
    """BEGIN on an autocommit connection, unless a transaction is open."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if dbapi.driver_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        conn.exec_driver_sql("BEGIN")


class Rerun(Exception):
    """A queued write failed or found no row: roll back and run the transaction
    again with every statement waited for (PgPath.write does)."""


def positional(dialect: Dialect) -> Dialect:
    """The engine's dialect compiling `%s` placeholders (psycopg takes both)."""
    found = copy.copy(dialect)
    found.paramstyle = "format"
    found.positional = True
    return found


class PgStatements(DriverStatements):
    """The compiled statements of one PostgreSQL database, and what was learned
    about which rows the reducers read."""

    def __init__(
        self,
        dialect: Dialect,
        tables: Mapping[str, Table],
        notify_channel: str | None,
        notify_origin: str = "",
    ) -> None:
        super().__init__(positional(dialect), tables)
        self.notify_channel = notify_channel
        self.notify_origin = notify_origin
        self.lock = _Statement(
            select(head_table.c.seq, head_table.c.timestamp)
            .where(head_table.c.id == 1)
            .with_for_update(),
            self.dialect,
        )
        self._appends: dict[int, _Statement] = {}
        self.expected: dict[str, set[tuple[Table, str]]] = {}
        """Event type -> (table, payload key) of the rows its reducers read by that key."""

    def append_statement(self, count: int) -> _Statement:
        found = self._appends.get(count)
        if found is None:
            found = self._appends[count] = _Statement(
                one_statement(count, self.notify_channel is not None), self.dialect
            )
        return found

    def learn(self, events: Sequence[Event], table: Table, id: str) -> None:
        for event in events:
            payload = event.get("payload")
            if not isinstance(payload, dict):
                continue
            for key, value in payload.items():
                if value == id and isinstance(value, str):
                    if event["type"] not in self.expected and len(self.expected) >= _LEARNED_MAX:
                        return
                    known = self.expected.setdefault(event["type"], set())
                    if len(known) < _LEARNED_MAX:
                        known.add((table, key))

    def reads_ahead(self, events: Sequence[Event]) -> list[tuple[Table, str]]:
        wanted: dict[tuple[Table, str], None] = {}
        for event in events:
            expected = self.expected.get(event["type"])
            payload = event.get("payload")
            if not expected or not isinstance(payload, dict):
                continue
            for table, key in expected:
                value = payload.get(key)
                if isinstance(value, str):
                    wanted[(table, value)] = None
        return list(wanted)


class _Queued:
    """A write sent with the next round trip; `must_find` for UPDATE/DELETE, `sure`
    when this transaction saw the row (its read, or its own insert)."""

    __slots__ = ("must_find", "parameters", "sql", "sure")

    def __init__(self, sql: str, parameters: list[Any], must_find: bool, sure: bool) -> None:
        self.sql, self.parameters, self.must_find, self.sure = sql, parameters, must_find, sure


class _Result:
    __slots__ = ("rowcount", "rows")

    def __init__(self, rowcount: int, rows: list[Any]) -> None:
        self.rowcount, self.rows = rowcount, rows


class PgWrites(DriverWrites):
    """One write transaction's statements on psycopg's connection, batched."""

    def __init__(
        self,
        conn: Connection,
        statements: PgStatements,
        events: Sequence[Event] = (),
        given_ids: Iterable[str] = (),
        queue: bool = True,
        fallback_append: Callable[[Connection, Sequence[Event]], None] | None = None,
        simple: bool = False,
    ) -> None:
        self.conn = conn
        self.simple = simple
        self._client: Any = None
        self.statements = statements
        self.pg_statements = statements
        self._dbapi = conn.connection.dbapi_connection
        assert self._dbapi is not None
        self._pg: Any = self._dbapi.driver_connection
        self._cursor = None  # type: ignore[assignment]  # psycopg's cursors, one per statement
        self.events = list(events)
        self.given_ids = sorted(set(given_ids))
        self.queue = queue
        self.fallback_append = fallback_append
        self._queued: list[_Queued] = []
        self._rows: dict[tuple[Table, str], Row | None] = {}
        self._exists: dict[tuple[Table, str], bool] = {}
        """Rows this transaction knows to exist or not (read, inserted, deleted)."""
        self._found: dict[str, Event] | None = None
        self.round_trips = 0
        self.committed = False
        """COMMIT went with the append (SQLAlchemy's COMMIT then finds nothing to do)."""

    # -- sending -------------------------------------------------------------

    async def _pipeline(self, items: list[tuple[str, list[Any]]]) -> list[_Result]:
        """Extended protocol, prepared statements, one Sync (BEGIN is psycopg's)."""
        pg = self._pg
        cursors = []
        async with pg.pipeline():
            for sql, parameters in items:
                cursor = pg.cursor()
                await cursor.execute(sql, parameters, prepare=sql != _COMMIT)
                cursors.append(cursor)
        return [
            _Result(c.rowcount, await c.fetchall() if c.description is not None else [])
            for c in cursors
        ]

    async def _simple(self, items: list[tuple[str, list[Any]]]) -> list[_Result]:
        """One simple-protocol query of several statements, the values quoted by
        psycopg's client-side binding (less of psycopg's per-statement work than
        a pipeline; the connection is in autocommit and BEGIN is ours)."""
        cursor = self._client
        if cursor is None:
            cursor = self._client = psycopg.AsyncClientCursor(self._pg)
        text = ";".join(sql for sql, _ in items)
        if len(text) <= _SPLIT_CACHED:  # a single dispatch's round trips repeat
            await cursor.execute(text, [value for _, values in items for value in values])
        else:  # a group's: each statement bound apart, its split cached
            await cursor.execute(";".join(cursor.mogrify(sql, values) for sql, values in items))
        results = []
        while True:
            result = cursor.pgresult  # (not .description: it builds its columns each time)
            has_rows = result is not None and result.status == _TUPLES_OK
            rows = await cursor.fetchall() if has_rows else []
            results.append(_Result(cursor.rowcount, rows))
            if not cursor.nextset():
                break
        return results

    def _exchange(self, items: list[tuple[str, list[Any]]]) -> list[_Result]:
        """`items` in one round trip, each statement's result (driver errors as they are)."""
        self.round_trips += 1
        return await_only(self._simple(items) if self.simple else self._pipeline(items))

    def _send(self, items: list[tuple[str, list[Any]]]) -> list[_Result]:
        """The queued writes and `items` in one round trip; the results of `items`."""
        queued, self._queued = self._queued, []
        everything = [(q.sql, q.parameters) for q in queued] + items
        try:
            results = self._exchange(everything)
        except Exception as error:
            translated = self._translated(error, everything[-1][0], everything[-1][1])
            if queued and not getattr(translated, "connection_invalidated", False):
                raise Rerun(str(error)) from translated
            raise translated from error
        for q, result in zip(queued, results, strict=False):
            if q.must_find and result.rowcount == 0:
                if self.committed:  # cannot be: each was `sure`, under the head lock
                    log.error("A write committed with the append found no row: %s", q.sql)
                    continue
                raise Rerun(f"no row for {q.sql!r}")
        return results[len(queued) :]

    def _run(self, statement: _Statement, values: Mapping[str, Any]) -> _Result:
        return self._send([(statement.sql, statement.parameters(values))])[0]

    def _later(
        self, statement: _Statement, values: Mapping[str, Any], must_find: bool, sure: bool = True
    ) -> bool:
        """Queue a write when allowed (not inside a savepoint); False: run it now."""
        if not self.queue or self.conn.in_nested_transaction():
            return False
        parameters = statement.parameters(values)
        self._queued.append(_Queued(statement.sql, parameters, must_find, sure))
        return True

    def flush(self) -> None:
        if self._queued:
            self._send([])

    # -- the log -------------------------------------------------------------

    def lock_head(self) -> tuple[int, str]:
        """One round trip: BEGIN, the head lock, the given ids and the expected reads."""
        s = self.pg_statements
        items: list[tuple[str, list[Any]]] = [(s.lock.sql, s.lock.parameters({}))]
        find = s.find(len(self.given_ids)) if self.given_ids else None
        if find is not None:
            items.append((find.sql, find.parameters(_ids(self.given_ids))))
        ahead = s.reads_ahead(self.events)
        selects = [s.select_by_id(table) for table, _ in ahead]
        items += [
            (q.sql, q.parameters({"_id": id})) for q, (_, id) in zip(selects, ahead, strict=True)
        ]
        if self.simple and self._pg.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            items.insert(0, ("BEGIN", []))
        try:
            results = self._exchange(items)
        except Exception as error:
            raise self._translated(error, s.lock.sql, []) from error
        if items[0][0] == "BEGIN":
            results = results[1:]
        head = results[0].rows[0] if results[0].rows else None
        if head is None:
            raise self._translated(
                self.statements.dialect.loaded_dbapi.OperationalError("no flux_head row"),
                s.lock.sql,
                [],
            )
        rest = [result.rows for result in results[1:]]
        if find is not None:
            self._found = {
                event["id"]: event for event in (_event(find.row(raw)) for raw in rest[0])
            }
            rest = rest[1:]
        for (table, id), select_, raws in zip(ahead, selects, rest, strict=True):
            self._rows[(table, id)] = select_.row(raws[0]) if raws else None
            self._exists[(table, id)] = bool(raws)
        return int(head[0]), str(head[1])

    def find_by_ids(self, ids: Iterable[str]) -> dict[str, Event] | None:
        wanted = sorted(set(ids))
        if self._found is not None and wanted == self.given_ids:
            return dict(self._found)
        statement = self.statements.find(len(wanted)) if wanted else None
        if statement is None:
            self.flush()
            return {} if not wanted else None
        rows = self._run(statement, _ids(wanted)).rows
        return {event["id"]: event for event in (_event(statement.row(raw)) for raw in rows)}

    def append(self, events: Sequence[Event]) -> None:
        """The queued writes, the append (events, head, NOTIFY) and, when no queued
        UPDATE or DELETE can find nothing (each row was seen by this
        transaction), COMMIT: one round trip.  Otherwise COMMIT is SQLAlchemy's,
        after the writes were checked."""
        if not events:
            self.flush()
            return
        if len(events) > ONE_STATEMENT_MAX or self.fallback_append is None:
            self.flush()
            if self.fallback_append is None:
                raise RuntimeError("PgWrites.append needs fallback_append for large groups")
            self.fallback_append(self.conn, events)
            return
        statement = self.pg_statements.append_statement(len(events))
        values: dict[str, Any] = {}
        for i, event in enumerate(events):
            values.update(
                {
                    f"e{i}_seq": event["seq"],
                    f"e{i}_id": event["id"],
                    f"e{i}_type": event["type"],
                    f"e{i}_payload": event.get("payload"),
                    f"e{i}_meta": event.get("meta"),
                    f"e{i}_error": bool(event.get("error", False)),
                    f"e{i}_timestamp": event["timestamp"],
                }
            )
        last = events[-1]
        values["_seq"] = last["seq"]
        values["_timestamp"] = last["timestamp"]
        if self.pg_statements.notify_channel is not None:
            values["_channel"] = self.pg_statements.notify_channel
            values["_seq_text"] = notify.payload(last["seq"], self.pg_statements.notify_origin)
        items = [(statement.sql, statement.parameters(values))]
        if all(q.sure or not q.must_find for q in self._queued):
            items.append((_COMMIT, []))
            self.committed = True
        try:
            self._send(items)
        except BaseException:
            self.committed = False
            raise

    # -- the read model ------------------------------------------------------

    def get(self, table: Table, id: str) -> Row | None:
        key = (table, id)
        if key in self._rows:
            found = self._rows[key]
            return None if found is None else dict(found)
        self.pg_statements.learn(self.events, table, id)
        statement = self.statements.select_by_id(table)
        rows = self._run(statement, {"_id": id}).rows
        raw = rows[0] if rows else None
        found = None if raw is None else statement.row(raw)
        if not self.conn.in_nested_transaction():
            self._rows[key] = found
        self._know(key, found is not None)
        return None if found is None else dict(found)

    def _sure(self, key: tuple[Table, str]) -> bool:
        """The row exists (this transaction saw it).  A row written unseen is
        learned like a read: the next events of the type read it ahead, so
        their COMMIT can go with the append."""
        if key not in self._exists:
            self.pg_statements.learn(self.events, key[0], key[1])
        return self._exists.get(key, False)

    def _know(self, key: tuple[Table, str], exists: bool) -> None:
        """Remember whether a row exists, except inside a savepoint: rolled back,
        it would leave a wrong answer behind (a row read there is not kept either)."""
        if self.conn.in_nested_transaction():
            self._exists.pop(key, None)
        else:
            self._exists[key] = exists

    def _forget(self, table: Table, id: Any) -> None:
        """The row is being written: its remembered values are no longer valid."""
        if isinstance(id, str):
            self._rows.pop((table, id), None)
        else:  # a row without its id: forget the table
            for key in [k for k in self._rows if k[0] is table]:
                del self._rows[key]
            for key in [k for k in self._exists if k[0] is table]:
                del self._exists[key]

    def insert(self, table: Table, values: Mapping[str, Any]) -> bool:
        self._forget(table, values.get("id"))
        prepared = self.statements.insert(table, tuple(sorted(values)))
        id = values.get("id")
        if prepared is None:
            self.flush()  # Core runs it next, after what is queued
            if isinstance(id, str):
                self._exists.pop((table, id), None)
            return False
        statement, defaults = prepared
        row = dict(values)
        for name, make in defaults.items():
            row[name] = make()
        if not self._later(statement, row, must_find=False):
            self._run(statement, row)
        if isinstance(id, str):  # (when the insert fails, so does the transaction)
            self._know((table, id), True)
        return True

    def update(self, table: Table, id: str, values: Mapping[str, Any]) -> int | None:
        self._forget(table, id)
        columns = tuple(sorted(values))
        statement = self.statements.update(table, columns)
        key = (table, id)
        if statement is None:
            self.flush()
            self._exists.pop(key, None)
            return None
        parameters = {f"_v_{name}": values[name] for name in columns}
        parameters["_id"] = id
        sure = self._sure(key)
        if self._later(statement, parameters, must_find=True, sure=sure):
            return 1  # checked when sent (Rerun if it found no row)
        count = self._run(statement, parameters).rowcount
        self._know(key, count > 0)
        return count

    def delete(self, table: Table, id: str) -> int:
        self._forget(table, id)
        key = (table, id)
        sure = self._sure(key)
        self._know(key, False)
        if self._later(statement := self.statements.delete(table), {"_id": id}, True, sure):
            return 1
        return self._run(statement, {"_id": id}).rowcount


def _ids(ids: Sequence[str]) -> dict[str, str]:
    return {f"_id{i}": id for i, id in enumerate(ids)}


class PgPath:
    """What Database needs for PostgreSQL on psycopg: the statements, the
    current transaction's PgWrites and the rerun of a failed queued write."""

    def __init__(
        self,
        statements: PgStatements,
        fallback_append: Callable[[Connection, Sequence[Event]], None],
    ) -> None:
        self.statements = statements
        self.fallback_append = fallback_append
        self.events: Sequence[Event] = ()
        self.given_ids: Sequence[str] = ()
        self.queue = True
        self.current: PgWrites | None = None
        self._conn: AsyncConnection | None = None
        self.reruns = 0
        self.simple = SIMPLE
        """Send each round trip as one simple-protocol query (see PgWrites._simple);
        False: a psycopg pipeline of prepared statements."""
        self.last_round_trips = 0
        """The last write's round trips, COMMIT included (0: it ran on Core)."""

    @classmethod
    def for_engine(
        cls,
        engine: AsyncEngine,
        notify_channel: str | None,
        tables: Mapping[str, Table],
        fallback_append: Callable[[Connection, Sequence[Event]], None],
        notify_origin: str = "",
    ) -> PgPath | None:
        """A PgPath when the engine is PostgreSQL on psycopg; None otherwise."""
        dialect = engine.dialect
        if dialect.name != "postgresql" or dialect.driver != "psycopg":
            return None
        statements = PgStatements(dialect, tables, notify_channel, notify_origin)
        return cls(statements, fallback_append)

    def expect(self, ahead: tuple[Sequence[Event], Sequence[str]] | None) -> None:
        """The next write's events and given ids (for its first round trip)."""
        self.events, self.given_ids = ahead if ahead is not None else ((), ())

    def writes(self, conn: Connection) -> PgWrites | None:
        """The statements for the write transaction on `conn`; None when
        something listens to the engine's cursor events (they see Core only)."""
        options = conn.get_execution_options()
        if not options.get("flux_write"):
            return None
        if _listened(conn):
            if options.get("flux_simple"):  # the kept autocommit connection (a listener
                _begin(conn)  # came after `_kept` looked): Core's statements need BEGIN
            return None
        current = self.current
        if current is None or current.conn is not conn:
            current = self.current = PgWrites(
                conn,
                self.statements,
                self.events,
                self.given_ids,
                self.queue,
                self.fallback_append,
                simple=bool(conn.get_execution_options().get("flux_simple")),
            )
        return current

    async def write(self, engine: AsyncEngine, run: Callable[[Connection], T]) -> T:
        """`run` in one write transaction; once more, every statement waited for,
        when a queued write failed (see Rerun)."""
        try:
            return await self._once(engine, run, queue=True)
        except Rerun as rerun:
            self.reruns += 1
            log.debug("Running the write again without queued writes: %s", rerun)
            return await self._once(engine, run, queue=False)

    async def _once(self, engine: AsyncEngine, run: Callable[[Connection], T], queue: bool) -> T:
        self.queue = queue
        try:
            kept = await self._kept(engine) if self.simple else None
            if kept is not None:
                try:
                    async with kept.begin():
                        return await kept.run_sync(run)
                except BaseException:
                    if kept.invalidated:
                        await self.close()
                    raise
            async with engine.connect() as conn:
                conn = await conn.execution_options(flux_write=True)
                async with conn.begin():
                    return await conn.run_sync(run)
        finally:
            current = self.current
            self.last_round_trips = (
                current.round_trips + (0 if current.committed else 1) if current is not None else 0
            )
            self.current = None
            self.queue = True

    async def _kept(self, engine: AsyncEngine) -> AsyncConnection | None:
        """The writes' own connection, kept open between transactions (no pool
        checkout, reset and return per dispatch), in autocommit: psycopg sends
        no BEGIN of its own, PgWrites sends it with the head lock, and
        SQLAlchemy's COMMIT is psycopg's commit(), which has nothing to do once
        PgWrites committed.  None when something listens to the cursor events
        (a pooled connection then runs the transaction through Core)."""
        conn = self._conn
        if conn is not None and (conn.closed or conn.invalidated):
            await self.close()
            conn = None
        if conn is None:
            conn = await engine.connect()
            try:
                conn = await conn.execution_options(
                    flux_write=True, flux_simple=True, isolation_level="AUTOCOMMIT"
                )
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return None if _listened(conn.sync_connection) else conn

    async def close(self) -> None:
        """Give the kept connection back (Database.close, or found invalid)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # a dead connection: the pool has dropped it
                log.debug("Closing the writes' connection failed", exc_info=True)
