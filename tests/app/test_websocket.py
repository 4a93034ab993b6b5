"""The websocket /ws?after=SEQ: handshake checks, backlog then live events in seq
order without gap or duplicate, dispatch with confirmation, overflow and resume."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.app.websocket import DATABASE_BUSY
from server.store import StoreUnavailable
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


async def close_code(client: Client, **options: object) -> int | None:
    """The close code the server answers a handshake with."""
    try:
        async with client.websocket(**options) as ws:  # type: ignore[arg-type]
            await receive(ws)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except InvalidStatus as refused:
        return refused.response.status_code
    return None


async def test_hello_then_the_backlog_then_live_events(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), added("n2"), added("n3")])
    async with ada.websocket(after=1) as ws:
        hello = await receive(ws)
        assert hello == {"type": "hello", "user": {"name": "ada", "role": "editor"}, "seq": 3}
        assert [e["seq"] for e in await receive_events(ws, 2)] == [2, 3]
        await ada.ok(added("n4"))
        [live] = await receive_events(ws, 1)
        assert (live["seq"], live["payload"]["id"]) == (4, "n4")


async def test_without_a_session_the_socket_is_closed_with_1008(sqlite_server: Server) -> None:
    assert await close_code(sqlite_server.anonymous()) == 1008


@pytest.mark.parametrize("origin", [None, "http://evil.example"])
async def test_without_our_origin_the_socket_is_closed_with_1008(
    sqlite_server: Server, origin: str | None
) -> None:
    ada = await sqlite_server.client("ada")
    assert await close_code(ada, origin=origin) == 1008


async def test_a_bad_after_is_closed_with_1008(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    assert await close_code(ada, after="x") == 1008


async def test_dispatch_is_confirmed_and_streamed(server: Server) -> None:
    ada = await server.client("ada")
    async with ada.websocket() as ws:
        await receive(ws)
        event = {**added("n1"), "meta": {"user": "forged"}}
        await ws.send(json.dumps({"type": "dispatch", "event": event}))
        messages = [await receive(ws), await receive(ws)]
    confirmed = next(m for m in messages if m["type"] == "confirmed")
    streamed = next(m for m in messages if m["type"] == "event")
    assert confirmed["id"] == event["id"]
    assert confirmed["event"]["seq"] == streamed["event"]["seq"] == 1
    assert confirmed["event"]["meta"] == {"user": "ada"}


@pytest.mark.parametrize(
    ("role", "event", "status"),
    [
        ("viewer", added("n1"), 403),
        ("editor", {**content_edited("missing"), "id": "e0"}, 409),
        ("editor", {"type": "noteAdded", "payload": {"id": "n1"}, "id": "e1"}, 422),
        ("editor", {"type": "noteAdded", "payload": {}, "id": "e2", "seq": 1}, 400),
    ],
)
async def test_a_refused_dispatch_is_rejected_with_its_id_and_status(
    sqlite_server: Server, role: str, event: dict, status: int
) -> None:
    client = await sqlite_server.client("someone", role)
    async with client.websocket() as ws:
        await receive(ws)
        await ws.send(json.dumps({"type": "dispatch", "event": event}))
        rejected = await receive(ws)
        assert rejected["type"] == "rejected"
        assert (rejected["status"], rejected["id"]) == (status, event.get("id"))
        assert rejected["error"]
    assert await sqlite_server.log() == []


@pytest.mark.parametrize("message", ["not json", "[1, 2]", '{"type": "subscribe"}', "NaN"])
async def test_an_unreadable_message_gets_an_error_and_the_socket_stays(
    sqlite_server: Server, message: str
) -> None:
    ada = await sqlite_server.client("ada")
    async with ada.websocket() as ws:
        await receive(ws)
        await ws.send(message)
        assert (await receive(ws))["type"] == "error"
        await ws.send(json.dumps({"type": "dispatch", "event": added("n1")}))
        assert (await receive(ws))["type"] in ("confirmed", "event")


async def test_a_client_that_falls_behind_is_closed_with_1013_and_resumes(
    sqlite_url: str,
) -> None:
    async with running_server(sqlite_url, ws_queue_size=2) as server:
        ada = await server.client("ada")
        async with ada.websocket() as ws:
            await receive(ws)
            await ada.ok([added(f"n{i}") for i in range(5)])
            # New notes go straight to an idle socket (their facts come with them);
            # privacy changes need a read, so they take the queue of two, and overflow.
            seen = [e["seq"] for e in await receive_events(ws, 5)]
            await ada.ok([privacy_changed(f"n{i}", True) for i in range(5)])
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    message = await receive(ws)
                    if message["type"] == "event":
                        seen.append(message["event"]["seq"])
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        last = seen[-1]
        async with ada.websocket(after=last) as ws:
            await receive(ws)
            rest = [e["seq"] for e in await receive_events(ws, 10 - last)]
        assert seen + rest == list(range(1, 11))


def privacy_changed(note: str, private: bool) -> dict[str, object]:
    return {"type": "notePrivacyChanged", "payload": {"id": note, "private": private}}


async def dispatch_many(client: Client, prefix: str, count: int, private: bool = False) -> None:
    for i in range(count):
        await client.ok(added(f"{prefix}{i}", private=private))
        await asyncio.sleep(0)


async def test_events_committed_while_the_backlog_is_sent_arrive_once_in_order(
    server: Server,
) -> None:
    ada = await server.client("ada")
    bob = await server.client("bob")
    await dispatch_many(bob, "old", 20)
    writer = asyncio.create_task(dispatch_many(bob, "new", 30))
    async with ada.websocket(after=0) as ws:
        await receive(ws)
        seqs = [e["seq"] for e in await receive_events(ws, 50)]
        await writer
        assert await events_until_marker(ws, bob) == []
    assert seqs == list(range(1, 51))


async def test_resume_sees_every_visible_event_exactly_once_in_order(server: Server) -> None:
    ada = await server.client("ada")
    bob = await server.client("bob")
    cyd = await server.client("cyd")
    writers = [
        asyncio.create_task(dispatch_many(bob, "b", 25)),
        asyncio.create_task(dispatch_many(cyd, "c", 25)),
        asyncio.create_task(dispatch_many(bob, "secret", 10, private=True)),
    ]
    seen: list[int] = []
    async with ada.websocket(after=0) as ws:
        await receive(ws)
        seen += [e["seq"] for e in await receive_events(ws, 5)]
    await asyncio.sleep(0.05)  # others go on dispatching while ada is away
    async with ada.websocket(after=seen[-1]) as ws:
        await receive(ws)
        await asyncio.gather(*writers)
        seen += [e["seq"] for e in await events_until_marker(ws, bob)]
    expected = [e["seq"] for e in await ada.events(limit=1000)][:-1]  # all but the marker
    assert len(expected) == 50
    assert seen == expected


async def test_a_binary_frame_closes_with_1003_not_1011(server: Server) -> None:
    ada = await server.client("ada")
    async with ada.websocket() as ws:
        assert (await receive(ws))["type"] == "hello"
        await ws.send(b"\x00\x01binary")
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1003


async def test_resuming_after_a_seq_beyond_the_log_is_refused_with_a_reason(
    server: Server,
) -> None:
    ada = await server.client("ada")
    await ada.ok(added("n1"))
    async with ada.websocket(after=7) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "beyond the last event (1)" in closed.value.rcvd.reason


async def test_a_ping_is_answered_with_a_pong_that_names_it(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    async with ada.websocket() as ws:
        await receive(ws)
        await ws.send(json.dumps({"type": "ping", "id": 7}))
        assert await receive(ws) == {"type": "pong", "id": 7}
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}
        # An id that is neither a short string nor a whole number is not echoed.
        await ws.send(json.dumps({"type": "ping", "id": {"a": 1}}))
        assert await receive(ws) == {"type": "pong"}
        await ws.send(json.dumps({"type": "ping", "id": "x" * 101}))
        assert await receive(ws) == {"type": "pong"}
    assert await sqlite_server.log() == []


async def test_pings_do_not_count_against_the_dispatch_rate_limit(sqlite_url: str) -> None:
    async with running_server(sqlite_url, dispatch_rate=1, dispatch_burst=3) as server:
        ada = await server.client("ada")
        async with ada.websocket() as ws:
            await receive(ws)
            for number in range(50):
                await ws.send(json.dumps({"type": "ping", "id": number}))
            pongs = [await receive(ws) for _ in range(50)]
            assert pongs == [{"type": "pong", "id": n} for n in range(50)]
            for name in ("n1", "n2", "n3"):
                await ws.send(json.dumps({"type": "dispatch", "event": added(name)}))
            answers = [m for m in [await receive(ws) for _ in range(6)] if m["type"] != "event"]
    assert [a["type"] for a in answers] == ["confirmed"] * 3


async def test_a_ping_between_dispatches_is_answered_in_turn(server: Server) -> None:
    ada = await server.client("ada")
    first, second = added("n1"), added("n2")
    async with ada.websocket() as ws:
        await receive(ws)
        await ws.send(json.dumps({"type": "dispatch", "event": first}))
        await ws.send(json.dumps({"type": "ping", "id": "p1"}))
        await ws.send(json.dumps({"type": "dispatch", "event": second}))
        answers: list[dict] = []
        streamed: list[str] = []
        while len(answers) < 3 or len(streamed) < 2:
            message = await receive(ws)
            if message["type"] == "event":
                streamed.append(message["event"]["payload"]["id"])
            else:
                answers.append(message)
    # Messages are handled in the order they came: confirmation, pong, confirmation.
    assert [(a["type"], a["id"]) for a in answers] == [
        ("confirmed", first["id"]),
        ("pong", "p1"),
        ("confirmed", second["id"]),
    ]
    assert streamed == ["n1", "n2"]


async def test_an_unknown_message_still_gets_an_error_that_names_ping(
    sqlite_server: Server,
) -> None:
    ada = await sqlite_server.client("ada")
    async with ada.websocket() as ws:
        await receive(ws)
        await ws.send(json.dumps({"type": "pang"}))
        error = await receive(ws)
    assert error["type"] == "error" and '"ping"' in error["error"] and "pang" in error["error"]


async def test_a_database_too_busy_after_the_handshake_closes_with_1013(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = await sqlite_server.client("ada")

    async def busy() -> None:
        raise StoreUnavailable("QueuePool limit reached, connection timed out")

    # thousands of sockets opening at once queue their reads past the pool's timeout:
    # the client is told to come back (1013), not that all is done (1000)
    monkeypatch.setattr(sqlite_server.flux.hub, "start", busy)
    try:
        async with ada.websocket() as ws:
            await receive(ws)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        assert (closed.rcvd.code, closed.rcvd.reason) == (1013, DATABASE_BUSY)
    else:
        raise AssertionError("the socket stayed open")
    monkeypatch.undo()
    async with ada.websocket() as ws:
        assert (await receive(ws))["type"] == "hello"


async def test_a_database_too_busy_for_the_handshake_answers_503(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = await sqlite_server.client("ada")

    async def busy() -> int:
        raise StoreUnavailable("QueuePool limit reached, connection timed out")

    monkeypatch.setattr(sqlite_server.flux.database, "last_seq", busy)
    assert await close_code(ada) == 503
