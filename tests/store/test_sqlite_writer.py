"""SQLite's writer: a small group's transaction body runs on the event loop's
thread and only its COMMIT in the writer thread; a large group, a write lock
held by another process, and an engine with cursor listeners keep the whole
transaction in the writer thread (server/store/sql/database.py)."""

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
from server.store.committer import INLINE_MAX_EVENTS
from tests.store.items import added, edited, metadata, reducer


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


async def test_a_single_dispatch_runs_its_body_on_the_loop_thread(
    traced: tuple[Store, _Threads, Path],
) -> None:
    store, threads, _ = traced
    [first] = await store.dispatch(added("n1"))
    [second] = await store.dispatch(edited("n1", "changed"))
    assert threads.seen == [threading.get_ident()] * 2
    assert (first["seq"], second["seq"]) == (1, 2)
    database = store.get_database()
    assert (await database.get("items", "n1") or {})["text"] == "changed"
    assert [e["seq"] for e in await database.events_after(0)] == [1, 2]


async def test_a_large_group_runs_wholly_in_the_writer_thread(
    traced: tuple[Store, _Threads, Path],
) -> None:
    store, threads, _ = traced
    count = INLINE_MAX_EVENTS * 3
    outcomes = await asyncio.gather(*(store.dispatch(added(f"n{i}")) for i in range(count)))
    loop_thread = threading.get_ident()
    assert len(threads.seen) == count
    # The first dispatch is a group of one (on the loop's thread); the others
    # wait for its commit and go together, a group too large for the loop.
    assert threads.seen[0] == loop_thread
    assert any(thread != loop_thread for thread in threads.seen)
    assert sorted(stored["seq"] for [stored] in outcomes) == list(range(1, count + 1))
    assert len(await store.get_database().rows("items")) == count


async def test_another_process_holding_the_write_lock_does_not_block_the_loop(
    traced: tuple[Store, _Threads, Path],
) -> None:
    """BEGIN IMMEDIATE on the loop's thread does not wait (busy timeout 0): the
    transaction goes to the writer thread, which waits for the lock."""
    store, threads, path = traced
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
    assert threads.seen[1] != threading.get_ident()  # it waited in the writer thread
    [after] = await store.dispatch(added("n3"))  # and the next one is back on the loop
    assert after["seq"] == 3
    assert threads.seen[-1] == threading.get_ident()


async def test_a_connection_lost_on_the_loop_thread_is_unavailable(
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


async def test_a_cancelled_write_keeps_the_connection_until_its_thread_job_ends(
    traced: tuple[Store, _Threads, Path],
) -> None:
    """A caller cancelled while its transaction runs in the writer thread frees the
    write lock at once, but the thread still has the connection: the next
    dispatch must not run its body on the loop meanwhile (it queues behind)."""
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
    assert threads.seen == [threads.seen[0]]
    assert threads.seen[0] != threading.get_ident()  # it queued in the writer thread
    [after] = await store.dispatch(added("n2"))  # then the loop's thread again
    assert after["seq"] == 2
    assert threads.seen[-1] == threading.get_ident()
