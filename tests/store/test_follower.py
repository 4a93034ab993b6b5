"""The log follower: every instance delivers every event, in seq order, without gaps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from server.store import Event, Store, create_store
from server.store.live.follower import (
    OWN_GRACE_SECONDS,
    LogFollower,
    poll_seconds_from_env,
    start_follower,
)
from server.store.sql.notify import parse
from tests.store.items import added, open_items_store, reducer
from tests.store.waiting import eventually

POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


class Heard:
    """A follower subscriber that records seqs and can wait for a count."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.changed = asyncio.Event()

    def __call__(self, events: list[Event]) -> None:
        self.seqs.extend(e["seq"] for e in events)
        self.changed.set()

    async def until(self, count: int, seconds: float) -> float:
        """Wait until `count` seqs were heard; returns the seconds it took."""
        started = time.monotonic()
        async with asyncio.timeout(seconds):
            while len(self.seqs) < count:
                self.changed.clear()
                await self.changed.wait()
        return time.monotonic() - started


@pytest.fixture
async def stores(db_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database: two instances, each with its own engine."""
    a = await open_items_store(db_url)
    b = await open_items_store(db_url)
    yield a, b
    await a.get_database().close()
    await b.get_database().close()


async def dispatch_many(store: Store, count: int, prefix: str = "n") -> None:
    await asyncio.gather(*(store.dispatch(added(f"{prefix}{i}")) for i in range(count)))


@POSTGRES
async def test_events_dispatched_through_a_reach_b_in_seq_order_by_notify(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    follower = await start_follower(b, poll_seconds=60)
    heard = Heard()
    follower.subscribe(heard)
    try:
        assert follower.listening
        await dispatch_many(a, 60)
        await heard.until(60, seconds=5)
        assert heard.seqs == list(range(1, 61))
    finally:
        await follower.stop()


async def test_without_listen_b_gets_everything_within_the_poll_interval(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    follower = await start_follower(b, poll_seconds=0.5, listen=False)
    heard = Heard()
    follower.subscribe(heard)
    try:
        assert not follower.listening
        await dispatch_many(a, 30)
        took = await heard.until(30, seconds=5)
        assert took < 0.5 + 0.5
        assert heard.seqs == list(range(1, 31))
    finally:
        await follower.stop()


@POSTGRES
async def test_commits_with_notify_off_send_none_and_reach_b_by_polling(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUX_PG_NOTIFY", "0")
    a = await open_items_store(db_url)
    monkeypatch.delenv("FLUX_PG_NOTIFY")
    b = await open_items_store(db_url)
    follower = await start_follower(b, poll_seconds=0.5)
    heard = Heard()
    follower.subscribe(heard)
    url = b.get_database().engine.url
    spy = await asyncpg.connect(**url.translate_connect_args(username="user"))
    notified: asyncio.Queue[str] = asyncio.Queue()
    await spy.add_listener("flux_events", lambda *args: notified.put_nowait(args[3]))
    try:
        assert follower.listening
        await a.dispatch(added("n1"))
        took = await heard.until(1, seconds=3)
        await b.dispatch(added("n2"))  # B still notifies: the spy works
        async with asyncio.timeout(3):
            assert parse(await notified.get())[0] == 2  # the first one: nothing for A's
        assert heard.seqs[0] == 1 and took < 0.5 + 0.5
    finally:
        await spy.close()
        await follower.stop()
        await a.get_database().close()
        await b.get_database().close()


@POSTGRES
async def test_a_commit_notifies_its_last_seq_on_the_flux_events_channel(
    stores: tuple[Store, Store],
) -> None:
    a, _ = stores
    url = a.get_database().engine.url
    conn = await asyncpg.connect(**url.translate_connect_args(username="user"))
    payloads: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener("flux_events", lambda *args: payloads.put_nowait(args[3]))
    try:
        await a.dispatch([added("n1"), added("n2")])
        async with asyncio.timeout(5):
            assert parse(await payloads.get()) == (2, a.get_database().backend.notify_origin)
    finally:
        await conn.close()


@POSTGRES
async def test_a_killed_listen_connection_is_replaced_and_nothing_is_missed(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    follower = await start_follower(b, poll_seconds=0.3)
    heard = Heard()
    follower.subscribe(heard)
    url = a.get_database().engine.url
    admin = await asyncpg.connect(**url.translate_connect_args(username="user"))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        assert killed == 1
        await a.dispatch(added("n1"))
        await heard.until(1, seconds=3)
        await eventually(lambda: follower.listening, 3, "listening again")
        await a.dispatch(added("n2"))
        await heard.until(2, seconds=3)
        assert heard.seqs == [1, 2]
    finally:
        await admin.close()
        await follower.stop()


async def test_own_commits_wake_the_follower_without_waiting_for_the_poll(db_url: str) -> None:
    store = await open_items_store(db_url)
    follower = await start_follower(store, poll_seconds=60, listen=False)
    heard = Heard()
    follower.subscribe(heard)
    try:
        await dispatch_many(store, 20)
        await heard.until(20, seconds=3)
        assert heard.seqs == list(range(1, 21))
    finally:
        await follower.stop()
        await store.get_database().close()


class LogReads:
    """Counts the follower's reads of the log (Database.events_after)."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        database = store.get_database()
        read = database.events_after

        async def counted(after: int = 0, limit: int | None = None) -> list[Event]:
            self.count += 1
            return await read(after, limit)

        monkeypatch.setattr(database, "events_after", counted)


@POSTGRES
async def test_own_commits_are_handed_over_without_reading_them_back(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The NOTIFY of an instance's own commit may come before the commit's listener
    call; the follower leaves the commit to that call instead of reading the log
    (it read it back before: one read per commit)."""
    store = await open_items_store(db_url)
    # A slow listener ahead of the follower's: the notification surely comes first.
    store.subscribe(lambda events: asyncio.sleep(0.05))
    follower = await start_follower(store, poll_seconds=60)
    heard = Heard()
    follower.subscribe(heard)
    await asyncio.sleep(0.1)  # the follower's first read, from the end of the log
    reads = LogReads(store, monkeypatch)
    try:
        assert follower.listening
        for i in range(10):
            await store.dispatch(added(f"n{i}"))
        await heard.until(10, seconds=5)
        await asyncio.sleep(OWN_GRACE_SECONDS + 0.1)
        assert heard.seqs == list(range(1, 11))
        assert reads.count == 0
    finally:
        await follower.stop()
        await store.get_database().close()


@POSTGRES
async def test_an_own_commit_whose_listener_call_never_comes_is_read_after_the_grace(
    db_url: str,
) -> None:
    store = await open_items_store(db_url)
    follower = await start_follower(store, poll_seconds=60)
    heard = Heard()
    follower.subscribe(heard)
    # A second store on the same Database: its commits carry this Database's origin,
    # but this follower hears only the first store's commits directly.
    other = create_store(reducer, store.get_database())
    try:
        assert follower.listening
        started = time.monotonic()
        await other.dispatch(added("n1"))
        await heard.until(1, seconds=3)
        assert time.monotonic() - started >= OWN_GRACE_SECONDS * 0.8
        assert heard.seqs == [1]
    finally:
        await follower.stop()
        await store.get_database().close()


async def test_a_follower_starts_at_the_end_of_the_log_unless_told_where(
    sqlite_url: str,
) -> None:
    store = await open_items_store(sqlite_url)
    await dispatch_many(store, 3)
    from_end, from_one = Heard(), Heard()
    first = LogFollower(store.get_database(), listen=False)
    first.subscribe(from_end)
    second = LogFollower(store.get_database(), listen=False)
    second.subscribe(from_one)
    await first.start()
    await second.start(after=1)
    try:
        await store.dispatch(added("late"))
        await first.catch_up()
        await second.catch_up()
        assert from_end.seqs == [4]
        assert from_one.seqs == [2, 3, 4]
    finally:
        await first.stop()
        await second.stop()
        await store.get_database().close()


async def test_a_raising_subscriber_does_not_stop_the_others(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = await open_items_store(sqlite_url)
    follower = LogFollower(store.get_database(), listen=False)

    def broken(events: list[Event]) -> None:
        raise RuntimeError("boom")

    heard = Heard()
    follower.subscribe(broken)
    follower.subscribe(heard)
    await follower.start(after=0)
    try:
        await store.dispatch(added("n1"))
        await follower.catch_up()
        assert heard.seqs == [1]
        assert "follower listener raised" in caplog.text
    finally:
        await follower.stop()
        await store.get_database().close()


async def test_pages_of_the_log_arrive_in_order(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    await store.dispatch([added(f"n{i}") for i in range(25)])
    follower = LogFollower(store.get_database(), listen=False, page_size=10)
    pages: list[list[int]] = []
    follower.subscribe(lambda events: pages.append([e["seq"] for e in events]))
    await follower.start(after=0)
    try:
        assert await follower.catch_up() == 25
        assert [len(p) for p in pages] == [10, 10, 5]
        assert [seq for page in pages for seq in page] == list(range(1, 26))
    finally:
        await follower.stop()
        await store.get_database().close()


def test_the_poll_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_POLL_SECONDS", "0.25")
    assert poll_seconds_from_env() == 0.25
    monkeypatch.setenv("FLUX_POLL_SECONDS", "soon")
    with pytest.raises(ValueError, match="positive number of seconds; got 'soon'"):
        poll_seconds_from_env()
