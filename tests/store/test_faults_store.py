"""A PostgreSQL connection terminated in the middle of a dispatch's transaction.

The test holds a row lock on item n1 from its own connection, so a dispatch of
[add n2, edit n1] writes n2 and then waits on n1 inside its open transaction.
It then terminates that backend (pg_terminate_backend), as a failover, an
admin or an OOM kill would.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from server.store import Store, StoreUnavailable
from tests.store.items import added, edited
from tests.support.backends import terminate_the_waiting_dispatch

POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


async def admin_connection(store: Store) -> asyncpg.Connection:
    url = store.get_database().engine.url
    return await asyncpg.connect(**url.translate_connect_args(username="user"))


@POSTGRES
async def test_a_terminated_connection_fails_the_dispatch_cleanly(store: Store) -> None:
    await store.dispatch(added("n1"))
    locker = await admin_connection(store)
    killer = await admin_connection(store)
    try:
        async with locker.transaction():
            await locker.execute("SELECT * FROM items WHERE id = 'n1' FOR UPDATE")
            dispatch = asyncio.ensure_future(store.dispatch([added("n2"), edited("n1", "lost")]))
            await terminate_the_waiting_dispatch(killer)
            with pytest.raises(StoreUnavailable, match="unavailable"):
                await dispatch
    finally:
        await locker.close()
        await killer.close()
    database = store.get_database()
    assert [e["seq"] for e in await database.events_after(0)] == [1]
    assert await database.get("items", "n2") is None
    assert (await database.get("items", "n1") or {})["text"] == "some text"


@POSTGRES
async def test_the_next_dispatch_after_a_terminated_connection_succeeds(store: Store) -> None:
    await store.dispatch(added("n1"))
    locker = await admin_connection(store)
    killer = await admin_connection(store)
    try:
        async with locker.transaction():
            await locker.execute("SELECT * FROM items WHERE id = 'n1' FOR UPDATE")
            dispatch = asyncio.ensure_future(store.dispatch(edited("n1", "lost")))
            await terminate_the_waiting_dispatch(killer)
            with pytest.raises(StoreUnavailable):
                await dispatch
    finally:
        await locker.close()
        await killer.close()
    [stored] = await store.dispatch(edited("n1", "kept"))
    assert stored["seq"] == 2
    assert (await store.get_database().get("items", "n1") or {})["text"] == "kept"
