"""A websocket catching up (after connecting, after an overflow, to fill a gap)
takes the hub's recent committed events when they cover what it lacks, and reads
the log otherwise: either way every event it may see, in seq order, exactly once."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from server.store.live import fanout
from tests.store.waiting import eventually
from tests.support.flux_server import (
    Client,
    Server,
    added,
    content_edited,
    events_until_marker,
    receive,
    receive_events,
    running_server,
)


def log_reads_by_sockets(server: Server, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The `after` of every page a websocket connection reads from the log (the log
    follower's own reads are not counted)."""
    database = server.flux.database
    original = database.events_after
    reads: list[int] = []

    async def events_after(after: int, limit: int) -> Any:
        if sys._getframe(1).f_code.co_qualname == "Connection.catch_up":
            reads.append(after)
        return await original(after, limit)

    monkeypatch.setattr(database, "events_after", events_after)
    return reads


async def visible_after(client: Client, after: int) -> list[int]:
    return [e["seq"] for e in await client.events(after=after, limit=1000)]


async def test_resuming_within_the_recent_events_reads_no_log_page_and_hides_private_ones(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = await sqlite_server.client("ada")
    bob = await sqlite_server.client("bob")
    async with ada.websocket(after=0) as ws:  # starts the hub
        assert (await receive(ws))["type"] == "hello"
        await bob.ok(added("shared"))
        assert [e["seq"] for e in await receive_events(ws, 1)] == [1]
    reads = log_reads_by_sockets(sqlite_server, monkeypatch)
    # while ada is away: a shared edit, bob's private note and its edit, a new note
    await bob.ok(content_edited("shared", "edited"))
    await bob.ok(added("secret", private=True))
    await bob.ok(content_edited("secret", "still secret"))
    await bob.ok(added("later"))
    async with ada.websocket(after=1) as ws:
        assert (await receive(ws))["type"] == "hello"
        seen = [e["seq"] for e in await events_until_marker(ws, bob)]
    expected = (await visible_after(ada, 1))[:-1]  # all but the marker
    assert seen == expected == [2, 5]
    assert reads == []


async def test_resuming_from_before_the_recent_events_reads_the_log(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "RECENT", 3)
    async with running_server(sqlite_url) as server:
        ada = await server.client("ada")
        bob = await server.client("bob")
        async with ada.websocket(after=0) as ws:
            assert (await receive(ws))["type"] == "hello"
            await bob.ok(added("n0"))
            assert [e["seq"] for e in await receive_events(ws, 1)] == [1]
        reads = log_reads_by_sockets(server, monkeypatch)
        await bob.ok(added("secret", private=True))
        for i in range(1, 6):
            await bob.ok(added(f"n{i}"))
        # the hub keeps seqs 5..7: after=1 lacks 2..4, so the log answers
        async with ada.websocket(after=1) as ws:
            assert (await receive(ws))["type"] == "hello"
            seen = [e["seq"] for e in await events_until_marker(ws, bob)]
        assert reads and reads[0] == 1
        assert seen == (await visible_after(ada, 1))[:-1] == [3, 4, 5, 6, 7]
        # after=5 is covered again: no more reads
        reads.clear()
        async with ada.websocket(after=5) as ws:
            assert (await receive(ws))["type"] == "hello"
            seen = [e["seq"] for e in await events_until_marker(ws, bob)]
        assert seen == [6, 7, 8]  # 8: the first marker
        assert reads == []


async def test_a_socket_opened_on_an_older_log_reads_it(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events committed before the hub started are not among its recent ones."""
    bob = await sqlite_server.client("bob")
    for i in range(4):
        await bob.ok(added(f"n{i}"))
    reads = log_reads_by_sockets(sqlite_server, monkeypatch)
    ada = await sqlite_server.client("ada")
    async with ada.websocket(after=0) as ws:
        assert (await receive(ws))["type"] == "hello"
        seen = [e["seq"] for e in await events_until_marker(ws, bob)]
    assert seen == [1, 2, 3, 4]
    assert reads and reads[0] == 0


async def test_recent_after_answers_only_what_the_recent_events_cover(
    sqlite_server: Server,
) -> None:
    hub = sqlite_server.flux.hub
    await hub.start()
    assert hub.recent_after(0, 10) == []  # an empty log, nothing handed out yet
    assert hub.recent_after(1, 10) is None  # beyond what the hub has seen
    bob = await sqlite_server.client("bob")
    for i in range(4):
        await bob.ok(added(f"n{i}"))
    await eventually(lambda: hub.recent_after(4, 10) == [], 3, "the hub handed out seq 4")
    page = hub.recent_after(1, 2)
    assert page is not None and [e["seq"] for e in page] == [2, 3]
    assert [e["seq"] for e in hub.recent_after(2, 10) or []] == [3, 4]
    assert hub.recent_after(4, 10) == []
    # a jump in seq (the log skipped some) starts the recent events afresh
    jumped = {"seq": 9, "id": "x", "type": "probe", "timestamp": "t", "payload": {}}
    hub._remember([jumped])
    assert hub.recent_after(3, 10) is None
    assert [e["seq"] for e in hub.recent_after(8, 10) or []] == [9]
