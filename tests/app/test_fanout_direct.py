"""The fan-out writes each committed event's frame straight to a socket that can
take it (no queue, no task hop), and falls back to the client's queue when it
cannot: the events arrive the same, in seq order, without gap or duplicate."""

from __future__ import annotations

from typing import Any

import pytest

from server.app import websocket as ws_module
from tests.support.flux_server import (
    Server,
    added,
    content_edited,
    receive,
    receive_events,
)


def count_direct_writes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    written: list[bytes] = []
    original = ws_module.Wire.write

    def write(self: Any, frame: bytes) -> None:
        written.append(frame)
        original(self, frame)

    monkeypatch.setattr(ws_module.Wire, "write", write)
    return written


async def test_live_events_are_written_directly_once_per_socket(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = count_direct_writes(monkeypatch)
    ada = await sqlite_server.client("ada")
    bob = await sqlite_server.client("bob")
    await ada.ok(added("n1"))
    async with ada.websocket(after=1) as one, bob.websocket(after=1) as two:
        for ws in (one, two):
            assert (await receive(ws))["type"] == "hello"
        await ada.ok(added("n2"))  # reads n2's facts: the queue's path
        for ws in (one, two):
            assert [e["seq"] for e in await receive_events(ws, 1)] == [2]
        before = len(written)
        for text in ("a", "b", "c"):
            await ada.ok(content_edited("n2", text))
        for ws in (one, two):
            events = await receive_events(ws, 3)
            assert [e["seq"] for e in events] == [3, 4, 5]
            assert [e["payload"]["text"] for e in events] == ["a", "b", "c"]
    # three events, two sockets: six frames, each written directly exactly once
    assert len(written) - before == 6
    frames = written[before:]
    assert frames[0] == frames[1] and frames[0] is frames[1]  # encoded once for both


def test_the_frame_is_a_text_frame_of_the_encoded_event() -> None:
    event = {"seq": 7, "id": "e", "type": "noteAdded", "timestamp": "t", "payload": {"id": "ü"}}
    text = ws_module.encode_event(event)
    frame = ws_module.text_frame(text)
    data = text.encode()
    assert frame[0] == 0x81  # FIN + text opcode
    assert frame[1] == len(data) and frame[2:] == data  # unmasked, as a server sends


async def test_a_commits_events_go_out_in_one_write_as_one_frame_each(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = count_direct_writes(monkeypatch)
    ada = await sqlite_server.client("ada")
    await ada.ok(added("n1"))
    async with ada.websocket(after=1) as ws:
        assert (await receive(ws))["type"] == "hello"
        await ada.ok(content_edited("n1", "warm"))  # n1's facts cached: direct from now on
        assert [e["seq"] for e in await receive_events(ws, 1)] == [2]
        before = len(written)
        await ada.ok([content_edited("n1", t) for t in ("a", "b", "c")])  # one commit
        events = await receive_events(ws, 3)  # three messages
        assert [e["seq"] for e in events] == [3, 4, 5]
        assert [e["payload"]["text"] for e in events] == ["a", "b", "c"]
    assert len(written) - before == 1  # one write for the socket
    assert written[-1].count(b'"type": "event"') == 3
