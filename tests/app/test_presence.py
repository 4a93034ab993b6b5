"""Presence over the websocket: who is on which note and where their caret is,
only to those who may see the note, throttled, gone on leave, disconnect or expiry."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from tests.support.flux_server import (
    Server,
    added,
    receive,
    removed,
    running_server,
)


async def say(
    ws: ClientConnection,
    note: str | None,
    field: str | None = "text",
    selection: list[int] | None = None,
    version: int = 1,
) -> None:
    message = {
        "type": "presence",
        "note": note,
        "field": field,
        "selection": [0, 0] if selection is None else selection,
        "version": version,
    }
    await ws.send(json.dumps(message))


async def presences_until(ws: ClientConnection, done: Any, wait: float = 5) -> list[dict[str, Any]]:
    """The presence messages up to and including the first for which `done(m)` holds."""
    found: list[dict[str, Any]] = []
    while True:
        message = await receive(ws, wait)
        if message["type"] != "presence":
            continue
        found.append(message)
        if done(message):
            return found


def of(user: str, note: str | None = "n1") -> Any:
    return lambda m: m["user"] == user and m["note"] == note


async def hello(ws: ClientConnection) -> dict[str, Any]:
    message = await receive(ws)
    assert message["type"] == "hello"
    return message


async def test_two_users_see_each_other_on_a_shared_note(server: Server) -> None:
    ada = await server.client("ada")
    bob = await server.client("bob")
    await ada.ok(added("n1"))
    async with ada.websocket() as ada_ws, bob.websocket() as bob_ws:
        await hello(ada_ws)
        await hello(bob_ws)
        await say(ada_ws, "n1", "text", [3, 5], version=1)
        [seen] = await presences_until(bob_ws, of("ada"))
        assert seen == {
            "type": "presence",
            "client": seen["client"],
            "user": "ada",
            "note": "n1",
            "field": "text",
            "selection": [3, 5],
            "version": 1,
        }
        await say(bob_ws, "n1", "title", [0, 2])
        got = await presences_until(ada_ws, of("bob"))
        assert [m["user"] for m in got] == ["bob"]  # never her own
        assert (got[0]["field"], got[0]["selection"]) == ("title", [0, 2])
        assert got[0]["client"] != seen["client"]


async def test_a_private_notes_presence_reaches_only_its_authors_other_connections(
    sqlite_server: Server,
) -> None:
    ada = await sqlite_server.client("ada")
    bob = await sqlite_server.client("bob")
    cyd = await sqlite_server.client("cyd")
    await ada.ok([added("n1"), added("secret", private=True)])
    async with (
        ada.websocket() as ada_ws,
        ada.websocket() as ada_tab,
        bob.websocket() as bob_ws,
        cyd.websocket() as cyd_ws,
    ):
        for ws in (ada_ws, ada_tab, bob_ws, cyd_ws):
            await hello(ws)
        await say(ada_ws, "secret", "text", [1, 1])
        [tab] = await presences_until(ada_tab, of("ada", "secret"))  # published now
        assert tab["selection"] == [1, 1]
        await say(bob_ws, "secret")  # may not see it: dropped, no error
        await say(bob_ws, "no-such-note")
        await say(cyd_ws, "n1")  # the marker, published after ada's
        bob_got = await presences_until(bob_ws, of("cyd"))
        assert [m["user"] for m in bob_got] == ["cyd"]  # nothing of ada's secret
        ada_got = await presences_until(ada_ws, of("cyd"))
        assert [m["user"] for m in ada_got] == ["cyd"]  # nothing from bob
        await say(ada_ws, "n1")  # back on a shared note: bob sees it again
        assert [m["note"] for m in await presences_until(bob_ws, of("ada"))] == ["n1"]


async def test_leaving_a_note_or_disconnecting_tells_the_others(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    bob = await sqlite_server.client("bob")
    await ada.ok(added("n1"))
    async with ada.websocket() as ada_ws:
        await hello(ada_ws)
        async with bob.websocket() as bob_ws:
            await hello(bob_ws)
            await say(bob_ws, "n1")
            [on] = await presences_until(ada_ws, of("bob"))
            await say(bob_ws, None, None)
            [left] = await presences_until(ada_ws, of("bob", None))
            assert left == {**on, "note": None, "field": None, "selection": None, "version": None}
            await say(bob_ws, "n1")
            await presences_until(ada_ws, of("bob"))
        started = time.monotonic()
        [gone] = await presences_until(ada_ws, of("bob", None), wait=2)
        assert gone["client"] == on["client"]
        assert time.monotonic() - started < 1.0


async def test_presence_expires_without_a_heartbeat(sqlite_url: str) -> None:
    async with running_server(sqlite_url, presence_expiry_seconds=0.5) as server:
        ada = await server.client("ada")
        bob = await server.client("bob")
        await ada.ok(added("n1"))
        async with ada.websocket() as ada_ws, bob.websocket() as bob_ws:
            await hello(ada_ws)
            await hello(bob_ws)
            await say(bob_ws, "n1", selection=[2, 2])
            await presences_until(ada_ws, of("bob"))
            for _ in range(6):  # heartbeats: the same state, 0.2 s apart, for 1.2 s
                await asyncio.sleep(0.2)
                await say(bob_ws, "n1", selection=[2, 2])
                with pytest.raises(TimeoutError):  # nothing new: neither echo nor expiry
                    await receive(ada_ws, wait=0.01)
            stopped = time.monotonic()
            [expired] = await presences_until(ada_ws, of("bob", None), wait=3)
            assert 0.3 < time.monotonic() - stopped < 2.0
            assert expired["user"] == "bob"


async def test_a_burst_is_throttled_to_few_messages_ending_with_the_last(
    sqlite_server: Server,
) -> None:
    ada = await sqlite_server.client("ada")
    bob = await sqlite_server.client("bob")
    await ada.ok(added("n1", text="x" * 100))
    async with ada.websocket() as ada_ws, bob.websocket() as bob_ws:
        await hello(ada_ws)
        await hello(bob_ws)
        for i in range(50):
            await say(bob_ws, "n1", selection=[i, i])
        got = await presences_until(ada_ws, lambda m: m["selection"] == [49, 49])
        assert 1 <= len(got) <= 5, [m["selection"] for m in got]
        started = time.monotonic()
        for i in range(50):  # typing: one move every 10 ms for half a second
            await say(bob_ws, "n1", selection=[i, i + 1])
            await asyncio.sleep(0.01)
        got = await presences_until(ada_ws, lambda m: m["selection"] == [49, 50])
        seconds = time.monotonic() - started
        assert len(got) <= seconds / 0.1 + 2, [m["selection"] for m in got]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({}, "note"),
        ({"note": 5, "version": 1}, "note"),
        ({"note": "n1", "field": "body", "version": 1}, "field"),
        ({"note": "n1", "field": "text", "selection": [1], "version": 1}, "selection"),
        ({"note": "n1", "field": "text", "selection": [-1, 2], "version": 1}, "selection"),
        ({"note": "n1", "field": "text", "selection": [1, "2"], "version": 1}, "selection"),
        ({"note": "n1", "field": None, "selection": [1, 2], "version": 1}, "field"),
        ({"note": "n1", "field": "text", "selection": None, "version": "3"}, "version"),
        ({"note": "n1", "field": "text", "selection": None}, "version"),
    ],
)
async def test_a_malformed_presence_gets_an_error_and_the_socket_stays(
    sqlite_server: Server, message: dict[str, Any], field: str
) -> None:
    ada = await sqlite_server.client("ada")
    async with ada.websocket() as ws:
        await hello(ws)
        await ws.send(json.dumps({"type": "presence", **message}))
        error = await receive(ws)
        assert error["type"] == "error"
        assert error["detail"] == {"field": field}
        assert f"presence.{field} must be" in error["error"]
        await ws.send(json.dumps({"type": "dispatch", "event": added("n1")}))
        assert (await receive(ws))["type"] in ("confirmed", "event")


async def test_a_new_connection_gets_the_current_presence_after_hello(
    sqlite_server: Server,
) -> None:
    ada = await sqlite_server.client("ada")
    bob = await sqlite_server.client("bob")
    await ada.ok([added("n1"), added("secret", private=True)])
    async with ada.websocket() as ada_ws, ada.websocket() as ada_tab:
        await hello(ada_ws)
        await hello(ada_tab)
        await say(ada_tab, "secret")
        await presences_until(ada_ws, of("ada", "secret"))
        await say(ada_ws, "n1", selection=[4, 4])
        await presences_until(ada_tab, of("ada", "n1"))
        async with bob.websocket() as bob_ws:
            await hello(bob_ws)
            [current] = await presences_until(bob_ws, of("ada"))
            assert current["selection"] == [4, 4]
        async with ada.websocket() as third_tab:
            await hello(third_tab)
            got = await presences_until(third_tab, of("ada", "n1"))
            got += (
                []
                if any(m["note"] == "secret" for m in got)
                else (await presences_until(third_tab, of("ada", "secret")))
            )
            assert sorted(m["note"] for m in got) == ["n1", "secret"]


async def test_a_removed_notes_presence_ends_and_is_not_taken_again(
    sqlite_server: Server,
) -> None:
    ada = await sqlite_server.client("ada")
    bob = await sqlite_server.client("bob")
    await ada.ok([added("n1"), added("n2")])
    async with ada.websocket() as ada_ws, bob.websocket() as bob_ws:
        await hello(ada_ws)
        await hello(bob_ws)
        await say(ada_ws, "n1")
        await presences_until(bob_ws, of("ada"))
        await ada.ok(removed("n1"))
        await presences_until(bob_ws, of("ada", None))
        await say(ada_ws, "n1", selection=[1, 1])  # dropped: the note is gone
        await asyncio.sleep(0.15)  # past the throttle interval
        await say(ada_ws, "n2")
        got = await presences_until(bob_ws, of("ada", "n2"))
        assert [m["note"] for m in got] == ["n2"]
