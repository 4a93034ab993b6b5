"""The hub under load: commits that come soon after a fan-out go out together,
in seq order; a commit after a quiet moment goes out at once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from server.store import Event, Store
from server.store.live.fanout import Hub
from tests.store.items import added, open_items_store
from tests.store.waiting import eventually


async def quiet_hub(sqlite_url: str, coalesce_seconds: float) -> tuple[Store, Hub, Written]:
    """A hub with one directly written client, past its start: a first commit
    (seq 1) has gone out and the hub has been quiet for longer than its window
    (so the follower's first read of the log is over, and what follows comes
    from the store's commits one by one)."""
    store = await open_items_store(sqlite_url)
    hub = Hub(store, json.dumps, poll_seconds=60, coalesce_seconds=coalesce_seconds)
    client = hub.join(100)
    written = Written()
    client.direct = written
    await hub.start()
    await store.dispatch(added("first"))
    await eventually(lambda: written.seqs() == [1], 3, "seq 1 written")
    await asyncio.sleep(coalesce_seconds + 0.1)
    written.batches.clear()
    written.at.clear()
    return store, hub, written


class Written:
    """A client's direct writer: records each batch it was handed and when."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.at: list[float] = []

    def __call__(self, events: list[Event]) -> bool:
        self.batches.append([e["seq"] for e in events])
        self.at.append(time.monotonic())
        return True

    def seqs(self) -> list[int]:
        return [seq for batch in self.batches for seq in batch]

    def through(self, last: int) -> Callable[[], bool]:
        """A condition: seqs 2 to `last` (those after quiet_hub's) were written, in order."""
        return lambda: self.seqs() == list(range(2, last + 1))


async def test_commits_soon_after_a_fan_out_go_out_together_and_in_order(
    sqlite_url: str,
) -> None:
    store, hub, written = await quiet_hub(sqlite_url, coalesce_seconds=0.3)
    try:
        started = time.monotonic()
        await store.dispatch(added("a"))  # after a quiet moment: out at once
        await eventually(lambda: written.batches == [[2]], 3, "seq 2 written")
        assert written.at[0] - started < 0.25
        for name in ("b", "c", "d"):  # within the window: held back, then one batch
            await store.dispatch(added(name))
        assert written.batches == [[2]]
        await eventually(lambda: len(written.batches) == 2, 3, "the second batch written")
        assert written.batches == [[2], [3, 4, 5]]
        assert written.at[1] - written.at[0] >= 0.3 * 0.9
        await asyncio.sleep(0.4)  # quiet again: the next commit goes out at once
        before = time.monotonic()
        await store.dispatch(added("e"))
        await eventually(lambda: len(written.batches) == 3, 3, "the third batch written")
        assert written.batches[2] == [6] and written.at[2] - before < 0.25
    finally:
        await hub.close()
        await store.get_database().close()


async def test_with_no_window_nothing_is_held_back(sqlite_url: str) -> None:
    store, hub, written = await quiet_hub(sqlite_url, coalesce_seconds=0)
    try:
        for seq, name in enumerate(("a", "b", "c"), start=2):
            await store.dispatch(added(name))
            await eventually(written.through(seq), 0.25, f"seq {seq} written")
    finally:
        await hub.close()
        await store.get_database().close()


async def test_closing_the_hub_hands_out_what_it_held_back(sqlite_url: str) -> None:
    store, hub, written = await quiet_hub(sqlite_url, coalesce_seconds=0.3)
    hub.coalesce_seconds = 30  # seq 1 went out less than 30 s ago: what follows waits
    try:
        await store.dispatch(added("a"))
        await store.dispatch(added("b"))
        await asyncio.sleep(0.05)
        assert written.batches == []
    finally:
        await hub.close()
        await store.get_database().close()
    assert written.batches == [[2, 3]]
