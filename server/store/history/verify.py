"""Verify: replay the log in memory and compare with the read-model tables.

The log's end and the tables are read in ONE repeatable-read transaction
(on one connection), so a dispatch running meanwhile cannot make them
disagree; the log is replayed from the first event (never from snapshots,
which are a cache) up to that end, a page at a time.  Then each table is
read in id order, a page at a time (`WHERE id > :last ORDER BY id LIMIT n`,
still in that transaction), and each of its rows is compared with the
replayed row of that id, which is dropped once compared; the replayed rows
left over are missing from the table.  Memory holds the replayed state and
one page, never a second copy of the tables.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from server.store.errors import StoreError
from server.store.history.inmemory import Replayer, canonical, collection_names
from server.store.history.progress import Reporter, Silent
from server.store.history.replay import PAGE, fold, sparing
from server.store.sql import eventlog
from server.store.sql.database import Database
from server.store.types import RootReducer, Row


@dataclass
class Difference:
    collection: str
    id: str
    log: Row | None
    """The row as the replayed log has it (None: the log has no such row)."""
    table: Row | None
    """The row as the table has it (None: the table has no such row)."""


@dataclass
class VerifyReport:
    seq: int
    rows: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


async def verify(
    database: Database, reducer: RootReducer, progress: Reporter | None = None
) -> VerifyReport:
    progress = progress or Silent()
    try:
        async with database.engine.connect() as conn:
            if database.dialect != "sqlite":
                conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                return await _verify_in(conn, database, reducer, progress)
    except SQLAlchemyError as error:
        raise StoreError(f"Could not read the log and the read model: {error}") from error


async def _verify_in(
    conn: AsyncConnection, database: Database, reducer: RootReducer, progress: Reporter
) -> VerifyReport:
    seq = await conn.run_sync(eventlog.last_seq)
    replayer = Replayer(reducer, collection_names(reducer, database))
    with sparing(replayer):  # the folded state kept out of the collector's passes
        return await _fold_and_compare(conn, database, replayer, seq, progress)


async def _fold_and_compare(
    conn: AsyncConnection, database: Database, replayer: Replayer, seq: int, progress: Reporter
) -> VerifyReport:
    progress.start("replaying the log", seq)
    after = 0
    while after < seq:
        batch = await conn.run_sync(eventlog.read_page, after, seq, PAGE)
        if not batch:
            break
        fold(replayer, batch)
        gc.freeze()
        after = batch[-1]["seq"]
        progress.advance(len(batch))
    progress.finish()
    report = VerifyReport(seq, 0)
    state = replayer.state
    progress.start("comparing the tables", sum(len(state.get(n, {})) for n in database.tables))
    for name, table in database.tables.items():
        expected = _by_id(state.pop(name, {}))
        differences: list[Difference] = []
        last: str | None = None
        while True:
            page = await conn.run_sync(_table_page, table, last)
            if not page:
                break
            compared = 0
            for actual in page:
                id = str(actual["id"])
                replayed = expected.pop(id, None)
                log = canonical(table, replayed)
                if log != actual:  # dict equality: True == 1, as MariaDB may return a boolean
                    differences.append(Difference(name, id, log, actual))
                compared += replayed is not None
            report.rows += len(page)
            progress.advance(compared)
            last = page[-1]["id"]
        for id, replayed in expected.items():
            differences.append(Difference(name, id, canonical(table, replayed), None))
        progress.advance(len(expected))
        differences.sort(key=lambda d: d.id)
        report.differences += differences
    progress.finish()
    return report


def _by_id(rows: dict[str, Row]) -> dict[str, Row]:
    """The replayed rows keyed by their id as a string (as the table's column has it)."""
    if all(type(id) is str for id in rows):
        return rows
    return {str(row["id"]): row for row in rows.values()}


def _table_page(conn: Connection, table: Table, after: str | None) -> list[Row]:
    """The next PAGE rows of `table` in id order after `after` (keyset pagination)."""
    query = select(table).order_by(table.c.id).limit(PAGE)
    if after is not None:
        query = query.where(table.c.id > after)
    return [dict(row._mapping) for row in conn.execute(query)]
