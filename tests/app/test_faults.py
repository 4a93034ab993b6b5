"""Fault tests against real `flux serve` processes (see docs/operations.md).

- kill -9 during a load of concurrent dispatches over HTTP and websocket,
  5 rounds: every acknowledged event is in the log with the seq it was
  acknowledged with, seq is gap-free, and `flux verify` passes.
- a PostgreSQL connection terminated mid-transaction: 503 with a JSON error,
  nothing half-written, the next dispatch succeeds.
(The client that stops reading is in test_faults_slow_client.py.)
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from server.app.schema import metadata
from server.store import connect
from tests.support.backends import terminate_the_waiting_dispatch
from tests.support.flux_processes import (
    FLUX,
    ROOT,
    Instance,
    add_user,
    added,
    next_message,
    serve_processes,
)

ROUNDS = 5
TRANSPORT_ERRORS = (httpx.TransportError, ConnectionClosed, InvalidHandshake, OSError)


@pytest.fixture(params=["sqlite", "postgresql"])
def server_url(request: pytest.FixtureRequest, tmp_path: Path, _server_databases: dict) -> str:
    """The two backends `flux serve` is run on: embedded SQLite and shared PostgreSQL."""
    from tests.support.backends import server_database

    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"
    database = server_database(request.param, _server_databases)
    database.reset()
    return database.url


class Load:
    """Concurrent writers; `acked` maps each acknowledged event id to its seq."""

    def __init__(self, instance: Instance, cookie: str) -> None:
        self.instance = instance
        self.cookie = cookie
        self.acked: dict[str, int] = {}
        self.notes: list[str] = []
        self.by_transport = {"http": 0, "websocket": 0}

    def next_event(self, worker: str) -> dict[str, Any]:
        if self.notes and random.random() < 0.3:
            note = random.choice(self.notes)
            title = f"retitled by {worker}"
            payload = {"id": note, "title": title}
            return {"type": "noteTitleEdited", "id": str(uuid.uuid4()), "payload": payload}
        return added(f"{worker}-{uuid.uuid4().hex[:8]}")

    def remember(self, event: dict[str, Any], transport: str) -> None:
        self.by_transport[transport] += 1
        self.acked[event["id"]] = event["seq"]
        if event["type"] == "noteAdded":
            self.notes.append(event["payload"]["id"])

    async def over_http(self, worker: str) -> None:
        while True:
            event = self.next_event(worker)
            try:
                answer = await self.instance.post_events(self.cookie, event)
            except TRANSPORT_ERRORS:
                return
            assert answer.status_code == 200, answer.text
            for stored in answer.json():
                self.remember(stored, "http")

    async def over_websocket(self, worker: str) -> None:
        try:
            async with self.instance.websocket(self.cookie, after=0) as ws:
                while True:
                    event = self.next_event(worker)
                    await ws.send(json.dumps({"type": "dispatch", "event": event}))
                    while True:
                        message = await next_message(ws, 10)
                        if message.get("id") == event["id"]:
                            break
                    assert message["type"] == "confirmed", message
                    self.remember(message["event"], "websocket")
        except TRANSPORT_ERRORS:
            return

    async def run_until_killed(self, seconds: float) -> None:
        workers = [self.over_http(f"h{i}") for i in range(4)]
        workers += [self.over_websocket(f"w{i}") for i in range(2)]
        tasks = [asyncio.create_task(w) for w in workers]
        await asyncio.sleep(seconds)
        self.instance.kill()
        async with asyncio.timeout(15):
            await asyncio.gather(*tasks)


def flux_verify(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLUX), "verify", "--database", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


async def test_kill_9_under_load_loses_no_acknowledged_event(
    server_url: str, tmp_path: Path
) -> None:
    await add_user(server_url, "ada")
    async with serve_processes(server_url, 1, tmp_path) as (instance,):
        cookie = await instance.sign_in("ada")
        load = Load(instance, cookie)
        for round in range(ROUNDS):
            before = len(load.acked)
            await load.run_until_killed(random.uniform(0.4, 0.9))
            assert len(load.acked) > before, f"round {round}: nothing was acknowledged"
            await instance.start()
            database = await connect(server_url, metadata, create=False)
            try:
                log = await database.events_after(0)
            finally:
                await database.close()
            assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
            logged = {e["id"]: e["seq"] for e in log}
            missing = {id: seq for id, seq in load.acked.items() if logged.get(id) != seq}
            assert not missing, f"round {round}: acknowledged but not in the log: {missing}"
            verified = flux_verify(server_url)
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert verified.stdout.startswith("OK"), verified.stdout
        print(f"{ROUNDS} kill -9 rounds, acknowledged {load.by_transport}, none lost")
        assert all(load.by_transport.values()), load.by_transport


POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@POSTGRES
async def test_a_terminated_connection_answers_503_and_writes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    await add_user(db_url, "ada")
    async with serve_processes(db_url, 1, tmp_path) as (instance,):
        cookie = await instance.sign_in("ada")
        assert (await instance.post_events(cookie, added("n1", "first"))).status_code == 200
        args = await _url_args(db_url)
        locker = await asyncpg.connect(**args)
        killer = await asyncpg.connect(**args)
        try:
            async with locker.transaction():
                await locker.execute("SELECT * FROM notes WHERE id = 'n1' FOR UPDATE")
                retitle = {"type": "noteTitleEdited", "payload": {"id": "n1", "title": "lost"}}
                post = asyncio.create_task(instance.post_events(cookie, [added("n2"), retitle]))
                await terminate_the_waiting_dispatch(killer)
                answer = await post
        finally:
            await locker.close()
            await killer.close()
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert set(body) == {"error", "detail"} and "nothing was written" in body["error"]
        titles = await titles_when_only_seq_1_is_logged(db_url)
        assert titles == {"n1": "first"}
        again = await instance.post_events(cookie, {**retitle, "id": str(uuid.uuid4())})
        assert again.status_code == 200, again.text
        assert [e["seq"] for e in again.json()] == [2]


async def _url_args(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    return dict(make_url(url).translate_connect_args(username="user"))


async def titles_when_only_seq_1_is_logged(url: str) -> dict[str, str]:
    database = await connect(url, metadata, create=False)
    try:
        assert await database.last_seq() == 1
        return {row["id"]: row["title"] for row in await database.rows("notes")}
    finally:
        await database.close()
