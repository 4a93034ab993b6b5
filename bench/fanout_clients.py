"""The client side of the fan-out benchmark, run in its own process.

    python -m bench.fanout_clients URL N COUNT [--cookie C --origin O] [--flux]

Opens N websocket clients, prints "ready", then records for each received
message the delay between the send time carried in the message and now.  After
COUNT messages per client (or a timeout) it prints the delays (ms) as JSON,
with `receipts`: for flux [seq, receipt time] per message (the benchmark
subtracts the server's commit time), for the bare server the delay from its
trigger stamp (ms): the "same work" figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

EVENT_PREFIX = '{"type": "event"'
"""How server/app/websocket.py's encode_event begins an event message."""


def sent_at(message: dict, flux: bool) -> float | None:
    if flux:
        if message.get("type") != "event":
            return None
        text = message["event"].get("payload", {}).get("text", "")
        return float(text) if text.replace(".", "", 1).isdigit() else None
    return float(message["sent"])


async def _open(url: str, headers: dict[str, str]) -> Any:
    """A connected client. A server that answers 503 (its database reads queued past
    their timeout while thousands of sockets open at once) is asked again shortly,
    as the page does."""
    for attempt in range(20):
        try:
            return await connect(url, additional_headers=headers, max_queue=None, open_timeout=60)
        except InvalidStatus as error:
            if error.response.status_code != 503 or attempt == 19:
                raise
            await asyncio.sleep(0.5 + random.random())
    raise AssertionError("unreachable")


async def client(
    url: str,
    headers: dict[str, str],
    count: int,
    flux: bool,
    delays: list[float],
    receipts: list[Any],
    ready: asyncio.Event,
    opened: list[int],
    n: int,
) -> None:
    async with await _open(url, headers) as ws:
        opened.append(1)
        if len(opened) == n:
            ready.set()
        # Only the arrival time is taken while receiving: parsing waits until all are in,
        # so a client's receipt does not include parsing the other clients' messages
        # (flux's event frames are ten times the baseline's, and all N clients share
        # this process's one thread).
        arrived: list[tuple[str, float]] = []
        while len(arrived) < count:
            text = await ws.recv()
            now = time.time()
            if flux and not text.startswith(EVENT_PREFIX):
                continue  # hello, presence
            arrived.append((text, now))
    for text, now in arrived:
        message = json.loads(text)
        started = sent_at(message, flux)
        if started is None:
            continue
        delays.append((now - started) * 1000)
        if flux:
            receipts.append([message["event"]["seq"], now])
        else:
            receipts.append((now - float(message["trigger"])) * 1000)


def opening_seconds(n: int) -> float:
    """How long opening `n` sockets may take (5,000 take minutes on 2 loaded cores)."""
    return 120 + 0.06 * n


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("n", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--cookie")
    parser.add_argument("--origin")
    parser.add_argument("--flux", action="store_true")
    args = parser.parse_args()
    headers = {}
    if args.cookie:
        headers["Cookie"] = args.cookie
    if args.origin:
        headers["Origin"] = args.origin
    delays: list[float] = []
    receipts: list[Any] = []
    ready = asyncio.Event()
    opened: list[int] = []
    tasks = []
    for _ in range(args.n):
        tasks.append(
            asyncio.create_task(
                client(
                    args.url,
                    headers,
                    args.count,
                    args.flux,
                    delays,
                    receipts,
                    ready,
                    opened,
                    args.n,
                )
            )
        )
        await asyncio.sleep(0.002)
    await asyncio.wait_for(ready.wait(), opening_seconds(args.n))
    print("ready", flush=True)
    done, pending = await asyncio.wait(tasks, timeout=120)
    for task in pending:
        task.cancel()
    errors = [repr(t.exception())[:160] for t in done if t.exception() is not None]
    result = {
        "delays": delays,
        "receipts": receipts,
        "failed": len(errors),
        "unfinished": len(pending),
        "errors": sorted(set(errors))[:5],
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
