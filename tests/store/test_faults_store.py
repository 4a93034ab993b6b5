"""A PostgreSQL connection terminated in the middle of a dispatch's transaction.

The test holds a row lock on note n1 from its own connection, so a dispatch of
[add n2, edit n1] writes n2 and then waits on n1 inside its open transaction.
It then terminates that backend (pg_terminate_backend), as a failover, an
admin or an OOM kill would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from server.app.notes_store import open_notes_store
from server.store import Store, StoreUnavailable

POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def added(id: str) -> dict:
    return {"type": "noteAdded", "payload": {"id": id, "title": id, "text": ""}}


def retitled(id: str, title: str) -> dict:
    return {"type": "noteTitleEdited", "payload": {"id": id, "title": title}}


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await open_notes_store(db_url)
    yield store
    await store.get_database().close()


async def admin_connection(store: Store) -> asyncpg.Connection:
    url = store.get_database().engine.url
    return await asyncpg.connect(**url.translate_connect_args(username="user"))


async def terminate_the_waiting_dispatch(admin: asyncpg.Connection) -> int:
    """Wait until a backend of this database waits on a lock; terminate it; return its pid."""
    async with asyncio.timeout(10):
        while True:
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if pid is not None:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
                return int(pid)
            await asyncio.sleep(0.02)


@POSTGRES
async def test_a_terminated_connection_fails_the_dispatch_cleanly(store: Store) -> None:
    await store.dispatch(added("n1"))
    locker = await admin_connection(store)
    killer = await admin_connection(store)
    try:
        async with locker.transaction():
            await locker.execute("SELECT * FROM notes WHERE id = 'n1' FOR UPDATE")
            dispatch = asyncio.ensure_future(store.dispatch([added("n2"), retitled("n1", "lost")]))
            await terminate_the_waiting_dispatch(killer)
            with pytest.raises(StoreUnavailable, match="unavailable"):
                await dispatch
    finally:
        await locker.close()
        await killer.close()
    database = store.get_database()
    assert [e["seq"] for e in await database.events_after(0)] == [1]
    assert await database.get("notes", "n2") is None
    assert (await database.get("notes", "n1") or {})["title"] == "n1"


@POSTGRES
async def test_the_next_dispatch_after_a_terminated_connection_succeeds(store: Store) -> None:
    await store.dispatch(added("n1"))
    locker = await admin_connection(store)
    killer = await admin_connection(store)
    try:
        async with locker.transaction():
            await locker.execute("SELECT * FROM notes WHERE id = 'n1' FOR UPDATE")
            dispatch = asyncio.ensure_future(store.dispatch(retitled("n1", "lost")))
            await terminate_the_waiting_dispatch(killer)
            with pytest.raises(StoreUnavailable):
                await dispatch
    finally:
        await locker.close()
        await killer.close()
    [stored] = await store.dispatch(retitled("n1", "kept"))
    assert stored["seq"] == 2
    assert (await store.get_database().get("notes", "n1") or {})["title"] == "kept"
