"""A websocket client that stops reading slows no one and costs a bounded amount.

The slow client is a raw TCP socket that completes the websocket handshake
with a tiny receive buffer and then never reads again.  Once the kernel
buffers are full, the server's send to it blocks; its hub queue
(`ws_queue_size` events) fills, and the server closes it with 1013.  Until
then the server holds at most `ws_queue_size` events for it (plus the
transport's small write buffer); afterwards nothing.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import time
from collections.abc import Iterator

import pytest

from tests.support.flux_server import Server, added, receive, running_server

QUEUE = 20
POSTS, PER_POST, TEXT = 60, 10, "x" * 20_000  # 11 MiB: well over the ~4 MiB of kernel buffers


async def open_silent_websocket(server: Server, cookie: str) -> socket.socket:
    """Handshake on a raw socket with a 4 KiB receive buffer; the caller never reads it."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws?after=0 HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {server.origin}\r\nCookie: flux_session={cookie}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += await loop.sock_recv(sock, 1)  # byte by byte: leave the frames unread
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def frames(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(opcode, payload) of each complete server frame in `data` (unmasked)."""
    i = 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if length == 126:
            length, i = int.from_bytes(data[i : i + 2], "big"), i + 2
        elif length == 127:
            length, i = int.from_bytes(data[i : i + 8], "big"), i + 8
        if i + length > len(data):
            return
        yield opcode, data[i : i + length]
        i += length


async def read_until_closed(sock: socket.socket, seconds: float) -> list[tuple[int, bytes]]:
    """Read what the server had sent until it closes the connection; the frames read."""
    loop = asyncio.get_running_loop()
    data = bytearray()
    async with asyncio.timeout(seconds):
        while True:
            chunk = await loop.sock_recv(sock, 1 << 20)
            if not chunk:
                return list(frames(bytes(data)))
            data += chunk
            if any(op == 8 for op, _ in frames(bytes(data))):
                return list(frames(bytes(data)))


async def test_a_client_that_stops_reading_is_dropped_and_slows_no_one(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flux.ws")
    async with running_server(sqlite_url, ws_queue_size=QUEUE) as server:
        ada = await server.client("ada")
        assert ada.cookie is not None
        slow = await open_silent_websocket(server, ada.cookie)
        deepest = 0

        async def watch_queues() -> None:
            nonlocal deepest
            while True:
                for client in list(server.flux.hub.clients):
                    deepest = max(deepest, client.queue.qsize())
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch_queues())
        try:
            async with ada.websocket(after=0) as fast:
                assert (await receive(fast))["type"] == "hello"
                lags: list[float] = []
                seqs: list[int] = []
                for post in range(POSTS):
                    events = [added(f"n{post}-{i}", text=TEXT) for i in range(PER_POST)]
                    await ada.ok(events)
                    acked = time.monotonic()
                    while len(seqs) < (post + 1) * PER_POST:
                        message = await receive(fast)
                        if message["type"] == "event":
                            seqs.append(message["event"]["seq"])
                    lags.append(time.monotonic() - acked)
                clients_left = len(server.flux.hub.clients)
        finally:
            watcher.cancel()
        got = await read_until_closed(slow, 20)
        slow.close()
    total = POSTS * PER_POST
    print(
        f"{total} events ({total * len(TEXT) >> 20} MiB) reached the reading client, the "
        f"slowest {max(lags):.2f}s after its POST; the silent one got {len(got)} frames "
        f"before the server closed it; its queue peaked at {deepest} of {QUEUE}"
    )
    assert seqs == list(range(1, total + 1))
    assert max(lags) < 2.0
    assert "close=1013" in caplog.text  # "too far behind": it resumes with after=<last seq>
    # The close frame itself may be lost behind full buffers (the client then sees 1006).
    assert len([op for op, _ in got if op == 1]) < total
    assert clients_left == 1  # the silent client's queue is gone
    assert deepest <= QUEUE


def test_frames_are_parsed_by_length() -> None:
    close = bytes([0x88, 2]) + (1013).to_bytes(2, "big")
    text = json.dumps({"type": "hello"}).encode()
    data = bytes([0x81, len(text)]) + text + close
    assert list(frames(data)) == [(1, text), (8, (1013).to_bytes(2, "big"))]
