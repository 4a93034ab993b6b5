"""Per-user dispatch rate limits (server/app/ratelimit.py) against a real `flux serve`.

A server started with a small bucket (5 events a second, bursts of 20) shows
the REST and websocket answers; one with the defaults (50/s, 500) shows that
a person typing in two tabs is never limited.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from server.app.ratelimit import DispatchLimits, RateLimited
from tests.support.flux_processes import Instance, add_user, added, next_message

SMALL = {"FLUX_DISPATCH_RATE": "5", "FLUX_DISPATCH_BURST": "20"}


@asynccontextmanager
async def flux_serve(url: str, workdir: Path, env: dict[str, str]) -> AsyncIterator[Instance]:
    await add_user(url, "ada")
    instance = Instance(url, workdir / "serve.log", env)
    try:
        await instance.start()
        yield instance
    finally:
        await instance.close()


async def answer_to(ws: ClientConnection, event_id: str) -> dict[str, Any]:
    while True:
        message = await next_message(ws)
        if message.get("id") == event_id:
            return message


def dispatch(event: dict[str, Any]) -> str:
    return json.dumps({"type": "dispatch", "event": event})


async def test_a_burst_over_rest_gets_429s_and_writes_no_more_than_the_limit(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with flux_serve(sqlite_url, tmp_path, SMALL) as server:
        cookie = await server.sign_in("ada")
        started = time.monotonic()
        answers = [await server.post_events(cookie, added(f"n{i}")) for i in range(100)]
        elapsed = time.monotonic() - started
        accepted = [a for a in answers if a.status_code == 200]
        limited = [a for a in answers if a.status_code == 429]
        log = (await server.http.get("/api/events", params={"limit": 1000})).json()["events"]

        # The same user's websocket shares the bucket: right after the burst, a few
        # more (the bucket refills 5 a second meanwhile, on a slow machine too).
        async with server.websocket(cookie) as ws:
            sent = [added(f"from-ws-{i}") for i in range(30)]
            for event in sent:
                await ws.send(dispatch(event))
            on_ws = [await answer_to(ws, event["id"]) for event in sent]

        # After Retry-After seconds the next dispatch goes through.
        await asyncio.sleep(int(limited[-1].headers["retry-after"]))
        later = await server.post_events(cookie, added("later"))
        too_big = await server.post_events(cookie, [added(f"big{i}") for i in range(21)])
    print(f"100 dispatches in {elapsed:.2f} s: {len(accepted)} accepted, {len(limited)} 429")
    assert len(accepted) + len(limited) == 100
    assert 20 <= len(accepted) <= 20 + 5 * elapsed + 1
    assert len(log) == len(accepted)  # nothing more was written
    body = limited[0].json()
    assert set(body) == {"error", "detail"} and "at most 5 events a second" in body["error"]
    assert body["detail"]["retryAfter"] == int(limited[0].headers["retry-after"]) >= 1
    assert any(m["type"] == "rejected" and m.get("status") == 429 for m in on_ws)
    assert later.status_code == 200, later.text
    assert (
        too_big.status_code == 413 and "at most 20 fit in one dispatch" in too_big.json()["error"]
    )


async def test_the_websocket_rejects_with_429_and_stays_open_for_moderate_excess(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with flux_serve(sqlite_url, tmp_path, SMALL) as server:
        cookie = await server.sign_in("ada")
        async with server.websocket(cookie) as ws:
            assert (await next_message(ws))["type"] == "hello"
            events = [added(f"n{i}") for i in range(40)]
            started = time.monotonic()
            for event in events:
                await ws.send(dispatch(event))
            answers = [await answer_to(ws, event["id"]) for event in events]
            elapsed = time.monotonic() - started
            await asyncio.sleep(1)
            event = added("after-a-pause")
            await ws.send(dispatch(event))
            after_pause = await answer_to(ws, event["id"])
        log = (await server.http.get("/api/events")).json()["events"]
    kinds = [a["type"] for a in answers]
    rejected = [a for a in answers if a["type"] == "rejected"]
    assert 20 <= kinds.count("confirmed") <= 20 + 5 * elapsed + 1
    assert {a["status"] for a in rejected} == {429}
    assert rejected[0]["detail"]["retryAfter"] >= 1 and "events a second" in rejected[0]["error"]
    assert after_pause["type"] == "confirmed"  # the socket stayed open
    assert len(log) == kinds.count("confirmed") + 1


async def test_a_websocket_that_keeps_hammering_is_closed_with_1008(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with flux_serve(sqlite_url, tmp_path, SMALL) as server:
        cookie = await server.sign_in("ada")
        async with server.websocket(cookie) as ws:
            assert (await next_message(ws))["type"] == "hello"
            sent = 0
            try:
                async with asyncio.timeout(30):
                    while True:  # batches of 100 as fast as the answers come back
                        batch = [added(f"h{sent + i}") for i in range(100)]
                        for event in batch:
                            await ws.send(dispatch(event))
                        sent += len(batch)
                        for event in batch:
                            await answer_to(ws, event["id"])
            except ConnectionClosed:
                pass
            close = ws.close_code, ws.close_reason
        log = (await server.http.get("/api/events", params={"limit": 1000})).json()["events"]
    print(f"closed after {sent} messages: {close}; {len(log)} events written")
    assert close == (1008, "Too many events, far past the rate limit.")
    assert len(log) <= 20 + 5 * 30


async def test_a_person_typing_in_two_tabs_is_never_limited(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Two tabs, each typing in a note's title and text: a noteSpliced per field every
    200 ms (the page's throttle, one in flight per field), presence every 100 ms."""
    async with flux_serve(sqlite_url, tmp_path, {}) as server:  # the defaults
        cookie = await server.sign_in("ada")
        answers: list[dict[str, Any]] = []

        async def tab(note: str) -> None:
            async with server.websocket(cookie) as ws:
                created = added(note)
                await ws.send(dispatch(created))
                answers.append(await answer_to(ws, created["id"]))
                pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
                done = asyncio.get_running_loop().time() + 8

                async def field(name: str) -> None:
                    while asyncio.get_running_loop().time() < done:
                        event_id = str(uuid.uuid4())
                        payload = {
                            "id": note,
                            "field": name,
                            "baseVersion": 0,  # stale is fine: transformed (docs/coediting.md)
                            "splices": [[0, 0, "ab"]],
                        }
                        answer = pending[event_id] = asyncio.get_running_loop().create_future()
                        await ws.send(
                            dispatch({"type": "noteSpliced", "id": event_id, "payload": payload})
                        )
                        answers.append(await answer)  # one in flight per field
                        await asyncio.sleep(0.2)

                async def presence() -> None:
                    while asyncio.get_running_loop().time() < done:
                        state = {"type": "presence", "note": note, "field": "text"}
                        await ws.send(json.dumps({**state, "selection": [0, 0], "version": 0}))
                        await asyncio.sleep(0.1)

                async def read() -> None:
                    while True:
                        message = json.loads(await ws.recv())
                        if message.get("id") in pending:
                            pending.pop(message["id"]).set_result(message)

                reader = asyncio.create_task(read())
                await asyncio.gather(field("title"), field("text"), presence())
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)

        await asyncio.gather(tab("tab-a"), tab("tab-b"))
    kinds = [a["type"] for a in answers]
    print(f"{len(answers)} dispatches in 8 s from two tabs: {set(kinds)}")
    assert len(answers) > 2 * 2 * 8 * 3  # about 4 a second per field
    assert set(kinds) == {"confirmed"}, [a for a in answers if a["type"] != "confirmed"][:3]


def test_a_person_for_an_hour_never_waits_and_a_script_soon_does() -> None:
    """The defaults on a fake clock: a person at the page's pace (two tabs, two fields,
    5 splices a second each, plus pasting 30 notes at once every minute) is never
    refused; a script at 1,000 a second is refused within the second."""
    now = [0.0]
    limits = DispatchLimits(rate=50, burst=500, clock=lambda: now[0])
    for tick in range(3600 * 5):  # every 200 ms for an hour
        now[0] = tick * 0.2
        limits.check("person", 4)
        if tick % 300 == 0:
            limits.check("person", 30)
    refused_at = None
    for i in range(2000):
        now[0] = 10_000 + i / 1000
        try:
            limits.check("script", 1)
        except RateLimited:
            refused_at = now[0] - 10_000
            break
    assert refused_at is not None and refused_at < 1.0
