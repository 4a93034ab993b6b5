"""Listeners: called after the commit, outside the store's locks, in seq order;
they may dispatch.  Every test runs under a timeout: a deadlock fails it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from server.store import Store
from tests.store.items import added
from tests.store.waiting import eventually

TIMEOUT = 20


def ids(events: list[dict]) -> list[str]:
    return [e["payload"]["id"] for e in events]


async def test_a_listener_may_await_a_dispatch_and_later_dispatches_go_on(store: Store) -> None:
    heard: list[list[str]] = []
    inside: list[list[list[str]]] = []

    async def listener(events: list[dict]) -> None:
        heard.append(ids(events))
        if ids(events) == ["n1"]:
            [follow_up] = await store.dispatch(added("n1-follow-up"))
            assert follow_up["seq"] == 2
            inside.append(list(heard))

    store.subscribe(listener)
    async with asyncio.timeout(TIMEOUT):
        [first] = await store.dispatch(added("n1"))
        # the outer dispatch returned after its listeners and those of the nested one
        assert heard == [["n1"], ["n1-follow-up"]]
        [second] = await store.dispatch(added("n2"))
    # the nested dispatch returned after its commit, before its own listeners ran
    assert inside == [[["n1"]]]
    assert (first["seq"], second["seq"]) == (1, 3)
    assert heard == [["n1"], ["n1-follow-up"], ["n2"]]
    assert ids(await store.get_database().events_after(0)) == ["n1", "n1-follow-up", "n2"]


async def test_listeners_run_after_the_locks_are_released(store: Store) -> None:
    locked: list[bool] = []
    store.subscribe(lambda events: locked.append(store.get_database().write_lock.locked()))
    async with asyncio.timeout(TIMEOUT):
        await store.dispatch(added("n1"))
    assert locked == [False]


async def test_a_dispatch_returns_after_its_listeners_ran(store: Store) -> None:
    finished: list[int] = []

    async def slow(events: list[dict]) -> None:
        for _ in range(5):
            await asyncio.sleep(0)
        finished.extend(e["seq"] for e in events)

    store.subscribe(slow)
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(*(store.dispatch(added(f"n{i}")) for i in range(10)))
    assert sorted(finished) == list(range(1, 11))
    for [stored] in results:
        assert stored["seq"] in finished


async def test_listener_calls_of_concurrent_and_nested_dispatches_never_interleave(
    store: Store,
) -> None:
    calls: list[tuple[str, str, int]] = []

    def recording(name: str, nested: bool) -> Callable[[list[dict]], Awaitable[None]]:
        async def listener(events: list[dict]) -> None:
            seq = events[0]["seq"]
            calls.append(("enter", name, seq))
            await asyncio.sleep(0)
            if nested and not ids(events)[0].endswith("+"):
                await store.dispatch(added(ids(events)[0] + "+"))
            await asyncio.sleep(0)
            calls.append(("exit", name, seq))

        return listener

    store.subscribe(recording("a", nested=True))
    store.subscribe(recording("b", nested=False))
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(*(store.dispatch(added(f"n{i}")) for i in range(12)))
    log = await store.get_database().events_after(0)
    assert len(log) == 24
    expected = [(step, name, e["seq"]) for e in log for name in "ab" for step in ("enter", "exit")]
    assert calls == expected  # one dispatch at a time, in seq order, listeners in order


async def test_a_nested_dispatch_is_heard_by_the_listeners_of_when_it_began(store: Store) -> None:
    heard: list[tuple[str, str]] = []

    def late(events: list[dict]) -> None:
        heard.append(("late", ids(events)[0]))

    async def first(events: list[dict]) -> None:
        heard.append(("first", ids(events)[0]))
        if ids(events) == ["n1"]:
            unsubscribe_first()
            store.subscribe(late)
            await store.dispatch(added("n2"))

    unsubscribe_first = store.subscribe(first)
    async with asyncio.timeout(TIMEOUT):
        await store.dispatch(added("n1"))
    assert heard == [("first", "n1"), ("late", "n2")]


async def test_a_dispatch_left_running_by_a_listener_commits_and_is_heard(store: Store) -> None:
    tasks: list[asyncio.Future[list[dict]]] = []
    heard: list[str] = []

    def listener(events: list[dict]) -> None:
        heard.extend(ids(events))
        if ids(events) == ["n1"]:
            tasks.append(asyncio.ensure_future(store.dispatch(added("n1-later"))))

    store.subscribe(listener)
    async with asyncio.timeout(TIMEOUT):
        await store.dispatch(added("n1"))
        [later] = await tasks[0]
    assert later["seq"] == 2
    assert heard == ["n1", "n1-later"]


async def test_a_caller_that_goes_away_does_not_stop_the_listeners(store: Store) -> None:
    release = asyncio.Event()
    heard: list[str] = []

    async def blocking(events: list[dict]) -> None:
        await release.wait()
        heard.extend(ids(events))

    store.subscribe(blocking)

    async def committed() -> bool:
        return len(await store.get_database().events_after(0)) == 1

    async with asyncio.timeout(TIMEOUT):
        waiting = asyncio.ensure_future(store.dispatch(added("n1")))
        await eventually(committed, TIMEOUT, "committed")
        waiting.cancel()
        release.set()
        await store.dispatch(added("n2"))
    assert heard == ["n1", "n2"]
