"""Slow and greedy clients against a real `flux serve` (server/app/connection_limits.py).

Raw sockets from several loopback addresses (127.0.0.2, 127.0.0.3, ...: Linux
routes all of 127/8 to the loopback) against a server started with small
limits through its environment: a request head must arrive within 1 s, a
body within 2 s, at most 50 connections, 10 per address.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from server.app.connection_limits import (
    check_max_connections,
    default_max_connections,
    trusted_networks,
)
from server.store import ConfigurationError
from tests.support.flux_processes import Instance, add_user, added, next_message

LIMITS = {
    "FLUX_HEADER_TIMEOUT": "1",
    "FLUX_BODY_TIMEOUT": "2",
    "FLUX_MAX_CONNECTIONS": "50",
    "FLUX_MAX_CONNECTIONS_PER_ADDRESS": "10",
}
SLACK = 1.5  # seconds on top of a deadline: a loaded machine, the server's timer


@asynccontextmanager
async def flux_serve(url: str, workdir: Path, **env: str) -> AsyncIterator[Instance]:
    await add_user(url, "ada")
    instance = Instance(url, workdir / "serve.log", {**LIMITS, **env})
    try:
        await instance.start()
        yield instance
    finally:
        await instance.close()


Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def open_from(instance: Instance, address: str) -> Stream:
    return await asyncio.open_connection("127.0.0.1", instance.port, local_addr=(address, 0))


async def until_closed(reader: asyncio.StreamReader, seconds: float) -> tuple[bytes, float]:
    """What the server sent until it closed the connection, and when (monotonic)."""
    data = b""
    try:
        async with asyncio.timeout(seconds):
            while chunk := await reader.read(65536):
                data += chunk
    except ConnectionResetError:
        pass
    return data, time.monotonic()


async def test_sockets_that_send_nothing_are_closed_within_the_header_timeout(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with flux_serve(sqlite_url, tmp_path) as server:
        cookie = await server.sign_in("ada")
        async with server.websocket(cookie) as ws:
            assert (await next_message(ws))["type"] == "hello"
            opened = time.monotonic()
            idle = [await open_from(server, f"127.0.0.{2 + i % 2}") for i in range(20)]
            closed = await asyncio.gather(*(until_closed(r, 1 + SLACK + 3) for r, _ in idle))
            for _, writer in idle:
                writer.close()
            # An established websocket is not a half-sent request: still open, still served.
            await asyncio.sleep(0.5)
            await ws.send(json.dumps({"type": "dispatch", "event": added("n1")}))
            answer = await next_message(ws)
            while answer["type"] != "confirmed":
                answer = await next_message(ws)
        page = await server.http.get("/login")
    slowest = max(at for _, at in closed) - opened
    print(f"20 idle sockets: the last was closed {slowest:.2f} s after it opened")
    assert [data for data, _ in closed] == [b""] * 20
    assert slowest < 1 + SLACK
    assert page.status_code == 200


async def test_a_slowloris_is_closed_whatever_it_has_sent(sqlite_url: str, tmp_path: Path) -> None:
    head = b"GET /login HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\nAccept: */*\r\n\r\n"

    async def trickle(data: bytes, writer: asyncio.StreamWriter, started: float) -> int:
        """One byte per 0.5 s until the server closes; how many bytes it took."""
        for sent, byte in enumerate(data):
            try:
                writer.write(bytes([byte]))
                await writer.drain()
            except ConnectionError:
                return sent
            if writer.transport.is_closing():
                return sent
            await asyncio.sleep(0.5)
        return len(data)

    async with flux_serve(sqlite_url, tmp_path) as server:
        # The head, one byte per 0.5 s: closed after ~1 s, long before the head is complete.
        reader, writer = await open_from(server, "127.0.0.2")
        started = time.monotonic()
        sending = asyncio.create_task(trickle(head, writer, started))
        data, at = await until_closed(reader, 1 + SLACK + 3)
        sending.cancel()
        head_seconds = at - started
        writer.close()

        # The second request of a keep-alive connection, trickled: the same.
        reader, writer = await open_from(server, "127.0.0.2")
        writer.write(head)
        first = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in first.split(b"\r\n") if b"content-length" in line
        )
        await reader.readexactly(length)
        started = time.monotonic()
        sending = asyncio.create_task(trickle(head, writer, started))
        again, at = await until_closed(reader, 1 + SLACK + 3)
        sending.cancel()
        keep_alive_seconds = at - started
        writer.close()

        # A complete head and a body one byte per 0.5 s: closed after the 2 s body deadline.
        cookie = await server.sign_in("ada")
        body = json.dumps(added("slow")).encode()
        post = (
            f"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Origin: {server.base}\r\nCookie: flux_session={cookie}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        reader, writer = await open_from(server, "127.0.0.3")
        writer.write(post)
        started = time.monotonic()
        sending = asyncio.create_task(trickle(body, writer, started))
        answer, at = await until_closed(reader, 2 + SLACK + 3)
        sending.cancel()
        body_seconds = at - started
        writer.close()
        events = (await server.http.get("/api/events")).json()  # signed in by sign_in
    print(
        f"slowloris closed after {head_seconds:.2f} s (head), {keep_alive_seconds:.2f} s "
        f"(second request on a keep-alive connection), {body_seconds:.2f} s (body)"
    )
    assert data == b"" and head_seconds < 1 + SLACK
    assert first.startswith(b"HTTP/1.1 200") and again == b""
    assert keep_alive_seconds < 1 + SLACK
    assert not answer.startswith(b"HTTP/1.1 200") and 2 - 0.2 < body_seconds < 2 + SLACK
    assert events["events"] == []  # the half-sent event was not written


async def test_past_the_caps_new_connections_are_refused_and_existing_ones_served(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Idle sockets hold their places for 5 s here: time enough to fill the caps and look.
    async with flux_serve(sqlite_url, tmp_path, FLUX_HEADER_TIMEOUT="5") as server:
        cookie = await server.sign_in("ada")  # the test's client holds a 127.0.0.1 connection
        held = [await open_from(server, "127.0.0.2") for _ in range(10)]

        # The 11th from one address is answered 503 and closed; another address is fine.
        reader, writer = await open_from(server, "127.0.0.2")
        per_address, _ = await until_closed(reader, 3)
        writer.close()
        other = await open_from(server, "127.0.0.3")
        held.append(other)
        other_open = not other[0].at_eof()

        # Fill the overall cap (50) from more addresses; then everyone new is refused ...
        address = 4
        refused = b""
        while not refused:
            for _ in range(10):
                reader, writer = await open_from(server, f"127.0.0.{address}")
                try:
                    refused = await asyncio.wait_for(reader.read(65536), 0.05)
                except TimeoutError:
                    held.append((reader, writer))
                    continue
                break
            address += 1
        overall, _ = await until_closed(reader, 3)
        overall = refused + overall
        writer.close()
        count = len(held)

        # ... while the existing client is still served on its connection.
        page = await server.http.get("/login")
        ws_refused = False
        try:
            async with server.websocket(cookie):
                pass
        except Exception:
            ws_refused = True
        for _, writer in held:
            writer.close()
        log = server.log_path.read_text()
    print(f"refused past {count} held sockets: {overall[:60]!r}")
    assert per_address.startswith(b"HTTP/1.1 503")
    body = json.loads(per_address.split(b"\r\n\r\n", 1)[1])
    assert "127.0.0.2 has 10 connections open" in body["error"] and body["detail"] is None
    assert other_open
    assert overall.startswith(b"HTTP/1.1 503") and b"connections are open" in overall
    assert count <= 50 - 1  # the test's own httpx connection holds one place
    assert page.status_code == 200
    assert ws_refused  # a new connection, past the cap
    assert "refused" in log


@pytest.mark.parametrize("files", [256, 1024, 20_000])
def test_the_default_cap_fits_below_the_file_limit(files: int) -> None:
    cap = default_max_connections(files)
    check_max_connections(cap, files)
    assert 16 <= cap < files
    assert default_max_connections(20_000) > 18_000


def test_a_cap_above_the_file_limit_is_refused_with_what_to_do() -> None:
    with pytest.raises(ConfigurationError, match="ulimit -n"):
        check_max_connections(20_000, 20_000)


def test_trusted_proxies_are_exempt_from_the_per_address_cap() -> None:
    networks, everyone = trusted_networks("10.0.0.5, 192.168.0.0/16,proxy.internal")
    assert [str(n) for n in networks] == ["10.0.0.5/32", "192.168.0.0/16"] and not everyone
    assert trusted_networks("*") == ((), True)
