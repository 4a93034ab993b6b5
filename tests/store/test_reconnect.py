"""No `pool_pre_ping`: a pooled connection the server has closed is found by the
statement that uses it, and the store reconnects instead of failing.

Every connection of the store's database is terminated from outside (as a
server restart, a failover or an idle timeout would); the next dispatch and
the next read succeed on a fresh connection, and nothing is written twice.
"""

from __future__ import annotations

import asyncio

import aiomysql
import asyncpg
import pytest
from sqlalchemy.engine import URL

from server.store import Store
from tests.store.items import added, edited

SERVERS = pytest.mark.parametrize("db_url", ["postgresql", "mysql"], indirect=True)


async def terminate_every_connection(url: URL) -> int:
    """Close every connection to the store's database from an admin connection; how many."""
    if url.get_backend_name() == "postgresql":
        admin = await asyncpg.connect(**url.translate_connect_args(username="user"))
        try:
            return int(
                await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        finally:
            await admin.close()
    mysql = await aiomysql.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        autocommit=True,
    )
    try:
        async with mysql.cursor() as cursor:
            await cursor.execute(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = %s AND id <> CONNECTION_ID()",
                (url.database,),
            )
            ids = [row[0] for row in await cursor.fetchall()]
            for pid in ids:
                await cursor.execute(f"KILL {int(pid)}")
            return len(ids)
    finally:
        mysql.close()


@SERVERS
async def test_a_dispatch_after_the_connections_were_closed_reconnects(store: Store) -> None:
    await store.dispatch(added("n1"))
    database = store.get_database()
    assert await terminate_every_connection(database.engine.url) >= 1
    await asyncio.sleep(0.2)  # let the server finish closing them
    stored = await store.dispatch(edited("n1", "after the restart"))
    assert [e["seq"] for e in stored] == [2]
    assert [e["seq"] for e in await database.events_after(0)] == [1, 2]
    assert (await database.get("items", "n1") or {})["text"] == "after the restart"


@SERVERS
async def test_a_read_after_the_connections_were_closed_reconnects(store: Store) -> None:
    await store.dispatch([added("n1"), added("n2")])
    database = store.get_database()
    await database.rows("items")  # the pool holds a connection now
    assert await terminate_every_connection(database.engine.url) >= 1
    await asyncio.sleep(0.2)
    assert [row["id"] for row in await database.rows("items")] == ["n1", "n2"]
    assert await database.last_seq() == 2
