"""SQLite's writer thread (server/store/sql/database.py): the whole write
transaction runs there, so the event loop is never blocked on the database
(another process's write lock, the fsync at COMMIT), and a connection found
dead is replaced."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.store import Event, Store, StoreUnavailable, connect, create_store
from tests.store.items import added, metadata, reducer


class _Threads:
    """The threads the reducer ran on, one entry per event it reduced."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, view: Any, event: Event) -> Any:
        self.seen.append(threading.get_ident())
        return reducer(view, event)


@pytest.fixture
async def traced(tmp_path: Path) -> AsyncIterator[tuple[Store, _Threads, Path]]:
    path = tmp_path / "flux.db"
    threads = _Threads()
    database = await connect(f"sqlite+aiosqlite:///{path}", metadata)
    store = create_store(threads, database)
    threads.seen.clear()  # create_store tried the reducer once
    try:
        yield store, threads, path
    finally:
        await database.close()


async def test_the_transaction_runs_in_the_writer_thread(
    traced: tuple[Store, _Threads, Path],
) -> None:
    store, threads, _ = traced
    outcomes = await asyncio.gather(*(store.dispatch(added(f"n{i}")) for i in range(20)))
    assert len(threads.seen) == 20
    assert threading.get_ident() not in threads.seen
    assert len(set(threads.seen)) == 1
    assert sorted(stored["seq"] for [stored] in outcomes) == list(range(1, 21))


async def test_another_process_holding_the_write_lock_does_not_block_the_loop(
    traced: tuple[Store, _Threads, Path],
) -> None:
    """The writer thread waits for the lock (busy timeout); the loop goes on."""
    store, _, path = traced
    await store.dispatch(added("n1"))
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        dispatch = asyncio.ensure_future(store.dispatch(added("n2")))
        longest = 0.0
        released_at = time.monotonic() + 0.5
        while time.monotonic() < released_at:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            longest = max(longest, time.monotonic() - before)
        assert not dispatch.done()
        other.execute("COMMIT")
        async with asyncio.timeout(10):
            [stored] = await dispatch
    finally:
        other.close()
    assert longest < 0.25, f"the loop was blocked for {longest:.3f} s"
    assert stored["seq"] == 2


async def test_a_connection_lost_in_a_transaction_is_unavailable_then_replaced(
    traced: tuple[Store, _Threads, Path],
) -> None:
    """The writer connection closed under a dispatch (as a lost database would):
    StoreUnavailable, nothing written, and the next dispatch opens a new one."""
    store, _, _ = traced
    await store.dispatch(added("n1"))
    database = store.get_database()

    def lose_connection(view: Any, event: Event) -> Any:
        if event.get("payload", {}).get("id") == "n2":
            writer = database._writer_conn  # the test breaks it on purpose
            assert writer is not None
            dbapi = writer.connection.dbapi_connection
            assert dbapi is not None
            dbapi.close()
        return reducer(view, event)

    lost = create_store(lose_connection, database)
    with pytest.raises(StoreUnavailable):
        await lost.dispatch(added("n2"))
    [stored] = await store.dispatch(added("n3"))
    assert stored["seq"] == 2
    assert [e["payload"]["id"] for e in await database.events_after(0)] == ["n1", "n3"]
    assert await database.get("items", "n2") is None


async def test_a_connection_lost_between_transactions_is_replaced(
    traced: tuple[Store, _Threads, Path],
) -> None:
    """Found dead by BEGIN IMMEDIATE (which runs in SQLAlchemy's `begin` event, so
    SQLAlchemy does not mark the connection invalid itself): that dispatch is
    StoreUnavailable and the next one opens a new connection, instead of every
    later dispatch failing on the dead one."""
    store, _, _ = traced
    await store.dispatch(added("n1"))
    database = store.get_database()
    writer = database._writer_conn  # the test breaks it on purpose
    assert writer is not None
    dbapi = writer.connection.dbapi_connection
    assert dbapi is not None
    await asyncio.to_thread(dbapi.close)
    with pytest.raises(StoreUnavailable):
        await store.dispatch(added("n2"))
    [stored] = await store.dispatch(added("n3"))
    assert stored["seq"] == 2
    assert [e["payload"]["id"] for e in await database.events_after(0)] == ["n1", "n3"]


async def test_a_cancelled_write_finishes_before_the_next_transaction(
    traced: tuple[Store, _Threads, Path],
) -> None:
    """A caller cancelled while its transaction runs in the writer thread frees the
    write lock at once; the thread finishes that transaction before it runs the
    next one on the same connection."""
    store, threads, _ = traced
    database = store.get_database()
    ran: list[str] = []
    started = threading.Event()

    def slow(conn: Any, head: tuple[int, str]) -> None:
        ran.append("slow begins")
        started.set()
        time.sleep(0.3)
        ran.append("slow ends")

    slow_write = asyncio.ensure_future(database.write(slow))
    assert await asyncio.to_thread(started.wait, 10)
    slow_write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow_write
    [stored] = await store.dispatch(added("n1"))
    assert stored["seq"] == 1
    assert ran == ["slow begins", "slow ends"]
    assert len(threads.seen) == 1
