"""A bare `websockets` broadcast server: the fan-out benchmark's baseline.

    python -m bench.fanout_baseline PORT

Every client connected to /ws is a listener; a JSON object sent by a client on
/trigger is broadcast to all listeners with one more key, "trigger": the
server's time.time() when it arrived (where the "same work" clock starts)."""

from __future__ import annotations

import asyncio
import sys
import time

from websockets.asyncio.server import ServerConnection, broadcast, serve

listeners: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    if ws.request is not None and ws.request.path.startswith("/trigger"):
        async for message in ws:
            # The clock of the "same work" figure starts here, at the trigger; the
            # stamp is spliced into the JSON text (no decode/encode on the way).
            text = message if isinstance(message, str) else message.decode()
            broadcast(listeners, f'{text[:-1]}, "trigger": {time.time():.6f}}}')
        return
    listeners.add(ws)
    try:
        await ws.wait_closed()
    finally:
        listeners.discard(ws)


async def main(port: int) -> None:
    # No permessage-deflate: `flux serve` sends uncompressed frames too, so both
    # write the same bytes (with compression on, broadcast deflates per client).
    async with serve(handler, "127.0.0.1", port, max_queue=None, compression=None):
        print("listening", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
