"""A bare `websockets` broadcast server: the fan-out benchmark's baseline.

    python -m bench.fanout_baseline PORT

Every client connected to /ws is a listener; a message sent by a client on
/trigger is broadcast to all listeners as it is."""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

listeners: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    if ws.request is not None and ws.request.path.startswith("/trigger"):
        async for message in ws:
            broadcast(listeners, message)
        return
    listeners.add(ws)
    try:
        await ws.wait_closed()
    finally:
        listeners.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_queue=None):
        print("listening", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
