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
import sys
import time
from typing import Any

from websockets.asyncio.client import connect


def sent_at(message: dict, flux: bool) -> float | None:
    if flux:
        if message.get("type") != "event":
            return None
        text = message["event"].get("payload", {}).get("text", "")
        return float(text) if text.replace(".", "", 1).isdigit() else None
    return float(message["sent"])


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
    async with connect(url, additional_headers=headers, max_queue=None, open_timeout=60) as ws:
        opened.append(1)
        if len(opened) == n:
            ready.set()
        seen = 0
        while seen < count:
            text = await ws.recv()
            now = time.time()
            message = json.loads(text)
            started = sent_at(message, flux)
            if started is None:
                continue
            delays.append((now - started) * 1000)
            if flux:
                receipts.append([message["event"]["seq"], now])
            else:
                receipts.append((now - float(message["trigger"])) * 1000)
            seen += 1


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
    await asyncio.wait_for(ready.wait(), 120)
    print("ready", flush=True)
    done, pending = await asyncio.wait(tasks, timeout=120)
    for task in pending:
        task.cancel()
    failed = sum(1 for t in done if t.exception() is not None)
    result = {"delays": delays, "receipts": receipts, "failed": failed, "unfinished": len(pending)}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
