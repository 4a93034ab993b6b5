"""Database.read_row: one row of a single-statement read, the same on every backend;
on PostgreSQL with psycopg straight through the driver on kept connections
(server/store/sql/pg_reads.py), falling back to Core when the driver fails."""

from __future__ import annotations

import asyncio
from typing import cast

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from server.store import Database, connect
from tests.store.test_reconnect import terminate_every_connection

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("done", Boolean, nullable=False),
)
BY_ID = select(things.c.id, things.c.count, things.c.done).where(things.c.id == bindparam("key"))
AT_LEAST = select(things.c.id).where(things.c.count >= bindparam("least")).order_by(things.c.id)


async def _with_things(url: str) -> Database:
    database = await connect(url, metadata)
    async with database.engine.begin() as conn:
        await conn.execute(
            things.insert(),
            [{"id": "a", "count": 1, "done": False}, {"id": "b", "count": 2, "done": True}],
        )
    return database


async def test_a_row_is_a_tuple_of_its_values_and_no_row_is_none(db_url: str) -> None:
    database = await _with_things(db_url)
    try:
        assert await database.read_row(BY_ID, {"key": "b"}) == ("b", 2, True)
        assert await database.read_row(BY_ID, {"key": "zzz"}) is None
        assert await database.read_row(AT_LEAST, {"least": 1}) == ("a",)  # the first row
    finally:
        await database.close()


async def test_on_psycopg_reads_go_through_the_kept_connections(pg_url: str) -> None:
    database = await _with_things(pg_url)
    reads = database.pg_reads
    assert reads is not None
    pool = cast(QueuePool, database.engine.pool)
    try:
        answers = await asyncio.gather(
            *(database.read_row(BY_ID, {"key": "ab"[i % 2]}) for i in range(40))
        )
        assert answers == [("a", 1, False), ("b", 2, True)] * 20
        assert 1 <= reads.opened <= reads.size == 4
        assert pool.checkedout() == reads.opened  # kept out of the pool
        await reads.close()
        assert pool.checkedout() == 0  # closing gave them back
    finally:
        await database.close()


async def test_a_dead_kept_connection_falls_back_to_core_and_is_replaced(pg_url: str) -> None:
    database = await _with_things(pg_url)
    try:
        assert await database.read_row(BY_ID, {"key": "a"}) == ("a", 1, False)
        await terminate_every_connection(make_url(pg_url))
        assert await database.read_row(BY_ID, {"key": "a"}) == ("a", 1, False)  # via Core
        assert await database.read_row(BY_ID, {"key": "b"}) == ("b", 2, True)  # a new one
    finally:
        await database.close()
