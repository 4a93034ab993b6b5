"""The hub under load: commits that come soon after a fan-out go out together,
in seq order; a commit after a quiet moment goes out at once."""

from __future__ import annotations

import asyncio
import json
import time

from server.store import Event
from server.store.live.fanout import Hub
from tests.store.items import added, open_items_store
from tests.store.waiting import eventually


class Written:
    """A client's direct writer: records each batch it was handed and when."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.at: list[float] = []

    def __call__(self, events: list[Event]) -> bool:
        self.batches.append([e["seq"] for e in events])
        self.at.append(time.monotonic())
        return True


async def test_commits_soon_after_a_fan_out_go_out_together_and_in_order(
    sqlite_url: str,
) -> None:
    store = await open_items_store(sqlite_url)
    hub = Hub(store, json.dumps, poll_seconds=60, coalesce_seconds=0.3)
    client = hub.join(100)
    written = Written()
    client.direct = written
    await hub.start()
    try:
        started = time.monotonic()
        await store.dispatch(added("a"))  # after a quiet moment: out at once
        await eventually(lambda: written.batches == [[1]], 3, "seq 1 written")
        assert written.at[0] - started < 0.25
        for name in ("b", "c", "d"):  # within the window: held back, then one batch
            await store.dispatch(added(name))
        assert written.batches == [[1]]
        await eventually(lambda: len(written.batches) == 2, 3, "the second batch written")
        assert written.batches == [[1], [2, 3, 4]]
        assert written.at[1] - written.at[0] >= 0.3 * 0.9
        await asyncio.sleep(0.4)  # quiet again: the next commit goes out at once
        before = time.monotonic()
        await store.dispatch(added("e"))
        await eventually(lambda: len(written.batches) == 3, 3, "the third batch written")
        assert written.batches[2] == [5] and written.at[2] - before < 0.25
    finally:
        await hub.close()
        await store.get_database().close()


async def test_with_no_window_every_commit_goes_out_alone(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    hub = Hub(store, json.dumps, poll_seconds=60, coalesce_seconds=0)
    client = hub.join(100)
    written = Written()
    client.direct = written
    await hub.start()
    try:
        for name in ("a", "b", "c"):
            await store.dispatch(added(name))
        await eventually(lambda: len(written.batches) == 3, 3, "three batches written")
        assert written.batches == [[1], [2], [3]]
    finally:
        await hub.close()
        await store.get_database().close()


async def test_closing_the_hub_hands_out_what_it_held_back(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    hub = Hub(store, json.dumps, poll_seconds=60, coalesce_seconds=30)
    client = hub.join(100)
    written = Written()
    client.direct = written
    await hub.start()
    try:
        await store.dispatch(added("a"))
        await eventually(lambda: written.batches == [[1]], 3, "seq 1 written")
        await store.dispatch(added("b"))
        await asyncio.sleep(0.05)
        assert written.batches == [[1]]  # held back for up to 30 s
    finally:
        await hub.close()
        await store.get_database().close()
    assert written.batches == [[1], [2]]
