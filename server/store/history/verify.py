"""Verify: replay the log in memory and compare with the read-model tables.

The tables and the log's end are read in one repeatable-read transaction,
so a dispatch running meanwhile cannot make them disagree; the log is then
replayed from the first event (never from snapshots, which are a cache)
up to that end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from server.store.errors import StoreError
from server.store.history.inmemory import Replayer, canonical_rows, collection_names
from server.store.history.progress import Reporter, Silent
from server.store.history.replay import pages
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


async def read_tables(database: Database) -> tuple[int, dict[str, list[Row]]]:
    """The last seq and every read-model row, from one consistent snapshot."""

    def work(conn: Connection) -> tuple[int, dict[str, list[Row]]]:
        seq = eventlog.last_seq(conn)
        tables = {
            name: [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]
            for name, table in database.tables.items()
        }
        return seq, tables

    try:
        async with database.engine.connect() as conn:
            if database.dialect != "sqlite":
                conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                return await conn.run_sync(work)
    except SQLAlchemyError as error:
        raise StoreError(f"Could not read the read model: {error}") from error


async def verify(
    database: Database, reducer: RootReducer, progress: Reporter | None = None
) -> VerifyReport:
    progress = progress or Silent()
    seq, tables = await read_tables(database)
    replayer = Replayer(reducer, collection_names(reducer, database))
    progress.start("replaying the log", seq)
    async for batch in pages(database, 0, seq):
        for event in batch:
            replayer.apply(event)
        progress.advance(len(batch))
    progress.finish()
    report = VerifyReport(seq, 0)
    for name, table in database.tables.items():
        expected = {str(r["id"]): r for r in canonical_rows(table, replayer.state[name].values())}
        actual = {str(r["id"]): r for r in canonical_rows(table, tables[name])}
        report.rows += len(actual)
        for id in sorted(set(expected) | set(actual)):
            if not _same(expected.get(id), actual.get(id)):
                report.differences.append(Difference(name, id, expected.get(id), actual.get(id)))
    return report


def _same(a: Row | None, b: Row | None) -> bool:
    """Equal rows (True == 1, as a boolean column may come back from MariaDB)."""
    return a == b
