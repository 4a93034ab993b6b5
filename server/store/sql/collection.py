"""The read model in SQL: collections that reducers read inside the dispatch
transaction, and applying their changesets with SQLAlchemy Core.

Everything here is synchronous and runs on the transaction's connection
(through `AsyncConnection.run_sync`), so a reducer's `get(id)` sees the
writes of the earlier events of the same dispatch.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Delete,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from server.store.errors import ChangesetConflict, ChangesetError, ConfigurationError
from server.store.types import Changeset, Operation, Row
from shared_reducers.collection import Collection

if TYPE_CHECKING:
    from server.store.sql.driver import DriverWrites

OPERATIONS = ("insert", "update", "remove")


class SqlCollection(Collection):
    """Reads remember their rows until `forget()`: the policy check and the
    reducer of one event read the same note with one SELECT."""

    def __init__(
        self, name: str, table: Table, conn: Connection, driver: DriverWrites | None = None
    ) -> None:
        super().__init__(name)
        self.table = table
        self.conn = conn
        self.driver = driver
        self._read: dict[str, Row | None] = {}

    def get(self, id: str) -> Row | None:
        if id not in self._read:
            if self.driver is not None:
                self._read[id] = self.driver.get(self.table, id)
            else:
                row = self.conn.execute(_select_by_id(self.table), {"_id": id}).first()
                self._read[id] = dict(row._mapping) if row is not None else None
        found = self._read[id]
        return dict(found) if found is not None else None

    def forget(self) -> None:
        self._read.clear()


class SqlView:
    """The read model as a root reducer sees it during one transaction (its
    reads on the driver's cursor when `driver` is given, see driver.py)."""

    def __init__(
        self, conn: Connection, tables: Mapping[str, Table], driver: DriverWrites | None = None
    ) -> None:
        self.conn = conn
        self.tables = tables
        self.driver = driver
        self._collections: dict[str, SqlCollection] = {}

    def forget(self) -> None:
        """Drop remembered rows: call before each event (its predecessors wrote)."""
        for collection in self._collections.values():
            collection.forget()

    def collection(self, name: str) -> SqlCollection:
        if name not in self._collections:
            if name not in self.tables:
                raise ConfigurationError(
                    f"There is no read-model table {name!r}; the tables are {sorted(self.tables)}."
                )
            self._collections[name] = SqlCollection(name, self.tables[name], self.conn, self.driver)
        return self._collections[name]


def check_changeset(changeset: Any, tables: Mapping[str, Table], event_type: str) -> Changeset:
    """Reject anything that is not a list of well-formed operations on known tables."""
    where = f"The reducer's changeset for {event_type!r}"
    if not isinstance(changeset, list):
        raise ChangesetError(
            f"{where} must be a list of operations; got {type(changeset).__name__}."
        )
    for index, op in enumerate(changeset):
        if not isinstance(op, Mapping):
            raise ChangesetError(f"{where}: operation {index} must be a dict; got {op!r}.")
        if op.get("op") not in OPERATIONS:
            raise ChangesetError(
                f"{where}: operation {index} has op {op.get('op')!r}; expected one of {OPERATIONS}."
            )
        table = tables.get(op.get("collection"))  # type: ignore[arg-type]
        if table is None:
            raise ChangesetError(
                f"{where}: operation {index} names collection {op.get('collection')!r}; "
                f"the tables are {sorted(tables)}."
            )
        if not isinstance(op.get("id"), str):
            raise ChangesetError(
                f"{where}: operation {index} needs a string id; got {op.get('id')!r}."
            )
        if op["op"] != "remove":
            values = op.get("values")
            if not isinstance(values, Mapping):
                raise ChangesetError(f"{where}: operation {index} needs values as a dict.")
            unknown = sorted(set(values) - set(table.c.keys()))
            if unknown:
                raise ChangesetError(
                    f"{where}: operation {index} sets {unknown} which table {table.name!r} "
                    f"does not have; its columns are {list(table.c.keys())}."
                )
    return changeset


# The statements are built once per table (and set of columns) with bound
# parameters, so SQLAlchemy finds them compiled instead of building a new
# statement and its cache key per operation.


@functools.lru_cache(maxsize=512)
def _select_by_id(table: Table) -> Select[Any]:
    return select(table).where(table.c.id == bindparam("_id"))


@functools.lru_cache(maxsize=512)
def _insert(table: Table) -> Insert:
    return insert(table)


@functools.lru_cache(maxsize=512)
def _update(table: Table, columns: tuple[str, ...]) -> Update:
    values: dict[str, Any] = {name: bindparam(f"_v_{name}") for name in columns} or {
        "id": bindparam("_id")
    }
    return update(table).where(table.c.id == bindparam("_id")).values(values)


@functools.lru_cache(maxsize=512)
def _delete(table: Table) -> Delete:
    return delete(table).where(table.c.id == bindparam("_id"))


def apply_operation(
    conn: Connection,
    tables: Mapping[str, Table],
    op: Operation,
    driver: DriverWrites | None = None,
) -> None:
    """Apply one operation with Core, or on the driver's cursor when `driver` is
    given and can (driver.py declines what only Core does, such as onupdate)."""
    table = tables[op["collection"]]
    kind, id = op["op"], op["id"]
    if kind == "insert":
        try:
            if driver is None or not driver.insert(table, op["values"]):
                conn.execute(_insert(table), dict(op["values"]))
        except IntegrityError as error:
            raise ChangesetConflict(
                f"A row with id {id} already exists in {op['collection']} "
                f"(or another constraint failed)."
            ) from error
        return
    if kind == "update":
        values = {k: v for k, v in op["values"].items() if k != "id"}
        count = driver.update(table, id, values) if driver is not None else None
        if count is None:
            columns = tuple(sorted(values))
            parameters = {f"_v_{name}": values[name] for name in columns}
            count = conn.execute(_update(table, columns), {"_id": id, **parameters}).rowcount
    elif driver is not None:
        count = driver.delete(table, id)
    else:
        count = conn.execute(_delete(table), {"_id": id}).rowcount
    if count == 0:
        verb = "update" if kind == "update" else "remove"
        raise ChangesetConflict(f"There is no row {id} in {op['collection']} to {verb}.")


def apply_changeset(
    conn: Connection,
    tables: Mapping[str, Table],
    changeset: Changeset,
    driver: DriverWrites | None = None,
) -> None:
    for op in changeset:
        apply_operation(conn, tables, op, driver)
