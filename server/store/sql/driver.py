"""The write transaction's hot statements on the driver's own cursor (SQLite's writer).

SQLAlchemy compiles each statement once here, with the dialect the engine
uses, so the SQL text and the processing of every value (Boolean, JSON,
TypeDecorators such as JsonText, scalar and zero-argument defaults) are
Core's own; a dispatch then runs them with `sqlite3`'s `cursor.execute`,
without Core's per-execution work (execution context, events, result
objects), about two thirds of the writer thread's time per dispatch
(cProfile, docs/benchmarks.md section 2).

The statements run inside the transaction the SQLAlchemy connection opened
(BEGIN IMMEDIATE), on its DB-API connection, so the guarantees are those of
the Core path: the head row read under the write lock, one transaction,
`seq = last + 1`.  A driver error becomes the DBAPIError Core would raise
(`IntegrityError`, `OperationalError`, ...), so the committer and
`Database.translated` treat both paths alike.  What this module cannot
reproduce (a default that takes the execution context, an `onupdate`, a
SQL-expression default) it declines (`None`) and the caller uses Core.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from server.store.sql.eventlog import events_table, head_table, row_to_event
from server.store.types import Event, Row

Processor = Callable[[Any], Any] | None
_MAX_IDS = 64
"""find_by_ids compiles one statement per number of ids up to this; more go through Core."""


class _Statement:
    """SQL text with its bind names in order and each one's bind processor."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        names = compiled.positiontup or []
        self.names: tuple[str, ...] = tuple(names)
        self.processors: tuple[Processor, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        self._bound = tuple(zip(self.names, self.processors, strict=True))
        self.fixed: dict[str, Any] = {
            name: value for name, value in compiled.params.items() if value is not None
        }
        """Values of the statement's own literals (`id = 1`)."""
        self.prefetch = bool(getattr(compiled, "insert_prefetch", None)) or bool(
            getattr(compiled, "update_prefetch", None)
        )

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        if self.fixed:
            values = {**self.fixed, **values}
        return [
            values[name] if process is None else process(values[name])
            for name, process in self._bound
        ]


class _Select(_Statement):
    """A SELECT of whole rows of `table`, with each column's result processor."""

    def __init__(self, statement: Any, table: Table, dialect: Dialect) -> None:
        super().__init__(statement, dialect)
        self.columns = tuple(column.name for column in table.columns)
        self.results: tuple[Processor, ...] = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in table.columns
        )

    def row(self, raw: Sequence[Any]) -> Row:
        return {
            name: value if process is None else process(value)
            for name, process, value in zip(self.columns, self.results, raw, strict=True)
        }


def _defaults(table: Table, given: Iterable[str]) -> dict[str, Callable[[], Any]] | None:
    """The Python-side defaults of the columns not given, as zero-argument
    functions; None when one of them is something only Core can run."""
    found: dict[str, Callable[[], Any]] = {}
    skip = set(given)
    for column in table.columns:
        default = column.default
        if column.name in skip or default is None:
            continue
        arg = getattr(default, "arg", None)
        if getattr(default, "is_scalar", False):
            found[column.name] = functools.partial(_constant, arg)
        elif getattr(default, "is_callable", False) and hasattr(arg, "__wrapped__"):
            # SQLAlchemy wraps a function of no arguments as `lambda ctx: fn()`.
            found[column.name] = functools.partial(cast(Callable[..., Any], arg), None)
        else:
            return None
    return found


def _constant(value: Any) -> Any:
    return value


class DriverStatements:
    """The compiled statements of one database's tables (built on first use)."""

    def __init__(self, dialect: Dialect, tables: Mapping[str, Table]) -> None:
        self.dialect = dialect
        self.tables = tables
        self._selects: dict[Table, _Select] = {}
        self._inserts: dict[tuple[Table, tuple[str, ...]], tuple[_Statement, Any] | None] = {}
        self._updates: dict[tuple[Table, tuple[str, ...]], _Statement | None] = {}
        self._deletes: dict[Table, _Statement] = {}
        self._find: dict[int, _Select] = {}
        self.read_head = _Statement(
            select(head_table.c.seq, head_table.c.timestamp).where(head_table.c.id == 1), dialect
        )
        self.move_head = _Statement(
            update(head_table)
            .where(head_table.c.id == 1)
            .values(seq=bindparam("_seq"), timestamp=bindparam("_timestamp")),
            dialect,
        )
        self.append = _Statement(
            insert(events_table).values(
                {c.name: bindparam(c.name, type_=c.type) for c in events_table.columns}
            ),
            dialect,
        )

    def select_by_id(self, table: Table) -> _Select:
        found = self._selects.get(table)
        if found is None:
            statement = select(table).where(table.c.id == bindparam("_id"))
            found = self._selects[table] = _Select(statement, table, self.dialect)
        return found

    def insert(self, table: Table, keys: tuple[str, ...]) -> tuple[_Statement, Any] | None:
        key = (table, keys)
        if key not in self._inserts:
            defaults = _defaults(table, keys)
            prepared: tuple[_Statement, Any] | None = None
            if defaults is not None:
                names = list(keys) + sorted(defaults)
                statement = _Statement(
                    insert(table).values({n: bindparam(n, type_=table.c[n].type) for n in names}),
                    self.dialect,
                )
                if not statement.prefetch:
                    prepared = (statement, defaults)
            self._inserts[key] = prepared
        return self._inserts[key]

    def update(self, table: Table, columns: tuple[str, ...]) -> _Statement | None:
        key = (table, columns)
        if key not in self._updates:
            prepared: _Statement | None = None
            if not any(column.onupdate is not None for column in table.columns):
                values: dict[str, Any] = {
                    name: bindparam(f"_v_{name}", type_=table.c[name].type) for name in columns
                } or {"id": bindparam("_id")}
                statement = _Statement(
                    update(table).where(table.c.id == bindparam("_id")).values(values),
                    self.dialect,
                )
                prepared = None if statement.prefetch else statement
            self._updates[key] = prepared
        return self._updates[key]

    def delete(self, table: Table) -> _Statement:
        found = self._deletes.get(table)
        if found is None:
            statement = delete(table).where(table.c.id == bindparam("_id"))
            found = self._deletes[table] = _Statement(statement, self.dialect)
        return found

    def find(self, count: int) -> _Select | None:
        if count > _MAX_IDS:
            return None
        found = self._find.get(count)
        if found is None:
            statement = select(events_table).where(
                events_table.c.id.in_([bindparam(f"_id{i}") for i in range(count)])
            )
            found = self._find[count] = _Select(statement, events_table, self.dialect)
        return found

    def bind(self, conn: Connection) -> DriverWrites:
        """The statements on the DB-API connection of `conn` (in its transaction)."""
        return DriverWrites(conn, self)


class DriverWrites:
    """One transaction's hot statements, run on the DB-API cursor of `conn`."""

    def __init__(self, conn: Connection, statements: DriverStatements) -> None:
        self.conn = conn
        self.statements = statements
        self._dbapi = conn.connection.dbapi_connection
        assert self._dbapi is not None
        self._cursor = self._dbapi.cursor()

    def _run(self, statement: _Statement, values: Mapping[str, Any]) -> Any:
        parameters = statement.parameters(values)
        try:
            return self._cursor.execute(statement.sql, parameters)
        except Exception as error:
            raise self._translated(error, statement.sql, parameters) from error

    def _translated(self, error: Exception, sql: str, parameters: Any) -> Exception:
        """A driver error as the DBAPIError Core would raise for it."""
        dialect = self.statements.dialect
        module = dialect.loaded_dbapi
        if not isinstance(error, module.Error):
            return error
        invalidated = dialect.is_disconnect(error, self._dbapi, self._cursor)
        if invalidated:
            self.conn.invalidate(error)
        return DBAPIError.instance(
            sql,
            parameters,
            error,
            module.Error,
            connection_invalidated=invalidated,
            dialect=dialect,
        )

    # -- the log ------------------------------------------------------------

    def lock_head(self) -> tuple[int, str]:
        """(last seq, last timestamp); the write lock is BEGIN IMMEDIATE's."""
        row = self._run(self.statements.read_head, {}).fetchone()
        if row is None:
            raise DBAPIError.instance(
                self.statements.read_head.sql,
                [],
                self.statements.dialect.loaded_dbapi.OperationalError("no flux_head row"),
                self.statements.dialect.loaded_dbapi.Error,
            )
        return int(row[0]), str(row[1])

    def append(self, events: Sequence[Event]) -> None:
        """Insert stamped events and move the head (as eventlog.append)."""
        if not events:
            return
        statement = self.statements.append
        rows = [
            statement.parameters(
                {
                    "seq": e["seq"],
                    "id": e["id"],
                    "type": e["type"],
                    "payload": e.get("payload"),
                    "meta": e.get("meta"),
                    "error": bool(e.get("error", False)),
                    "timestamp": e["timestamp"],
                }
            )
            for e in events
        ]
        try:
            if len(rows) == 1:
                self._cursor.execute(statement.sql, rows[0])
            else:
                self._cursor.executemany(statement.sql, rows)
        except Exception as error:
            raise self._translated(error, statement.sql, rows) from error
        last = events[-1]
        self._run(self.statements.move_head, {"_seq": last["seq"], "_timestamp": last["timestamp"]})

    def find_by_ids(self, ids: Iterable[str]) -> dict[str, Event] | None:
        """The logged events with these ids; None when there are too many for one statement."""
        wanted = list(set(ids))
        if not wanted:
            return {}
        statement = self.statements.find(len(wanted))
        if statement is None:
            return None
        cursor = self._run(statement, {f"_id{i}": id for i, id in enumerate(wanted)})
        return {
            event["id"]: event
            for event in (_event(statement.row(raw)) for raw in cursor.fetchall())
        }

    # -- the read model -----------------------------------------------------

    def get(self, table: Table, id: str) -> Row | None:
        statement = self.statements.select_by_id(table)
        raw = self._run(statement, {"_id": id}).fetchone()
        return None if raw is None else statement.row(raw)

    def insert(self, table: Table, values: Mapping[str, Any]) -> bool:
        """Insert a row; False (nothing done) when Core must do it."""
        prepared = self.statements.insert(table, tuple(sorted(values)))
        if prepared is None:
            return False
        statement, defaults = prepared
        row = dict(values)
        for name, make in defaults.items():
            row[name] = make()
        self._run(statement, row)
        return True

    def update(self, table: Table, id: str, values: Mapping[str, Any]) -> int | None:
        """Update a row; its rowcount, or None (nothing done) when Core must do it."""
        columns = tuple(sorted(values))
        statement = self.statements.update(table, columns)
        if statement is None:
            return None
        parameters = {f"_v_{name}": values[name] for name in columns}
        parameters["_id"] = id
        return int(self._run(statement, parameters).rowcount)

    def delete(self, table: Table, id: str) -> int:
        return int(self._run(self.statements.delete(table), {"_id": id}).rowcount)


class _Mapping:
    """What row_to_event reads: `row._mapping`."""

    def __init__(self, values: Row) -> None:
        self._mapping = values


def _event(values: Row) -> Event:
    return row_to_event(_Mapping(values))
