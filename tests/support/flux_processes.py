"""Real `flux serve` processes for the multi-instance and fault tests.

    async with serve_processes(url, 2) as (a, b):
        ada = await a.sign_in("ada")              # a cookie valid on every instance
        async with b.websocket(ada, after=0) as ws: ...
        await a.post_events(ada, [event])

Every instance shares FLUX_SECRET_KEY, as behind a load balancer.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from server.app import users as users_module
from server.app.app import open_store
from server.app.users import Users

ROOT = Path(__file__).resolve().parents[2]
FLUX = Path(sys.executable).parent / "flux"
PASSWORD = "correct horse"
SECRET = "instances-share-this-secret-key"
START_TIMEOUT = 30.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def add_user(url: str, name: str, role: str = "editor") -> None:
    """Add a user straight to the database, with a cheap hash (the hash carries its cost)."""
    saved = users_module.SCRYPT_N
    users_module.SCRYPT_N = 2**8
    store = await open_store(url)
    try:
        await Users(store.get_database()).add(name, PASSWORD, role)
    finally:
        users_module.SCRYPT_N = saved
        await store.get_database().close()


class Instance:
    """One `flux serve` process on a free port; start, kill -9, restart."""

    def __init__(self, url: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.database_url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "FLUX_DATABASE_URL": url,
            "FLUX_SECRET_KEY": SECRET,
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.AsyncClient(base_url=self.base, timeout=10)

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [str(FLUX), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        self.process = self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while loop.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"`flux serve` exited with {self.process.returncode}; its log:\n"
                    + self.log_path.read_text(errors="replace")
                )
            try:
                if (await self.http.get("/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"`flux serve` did not answer {self.base}/healthz in {START_TIMEOUT} s")

    def kill(self) -> None:
        """kill -9: no shutdown handler runs."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    async def sign_in(self, name: str) -> str:
        """Sign `name` in here and return the session cookie."""
        response = await self.http.post(
            "/login",
            data={"username": name, "password": PASSWORD},
            headers={"origin": self.base},
        )
        assert response.status_code == 303, response.text
        cookie = response.cookies.get("flux_session")
        assert cookie, "no session cookie after sign-in"
        return cookie

    async def post_events(self, cookie: str, body: Any) -> httpx.Response:
        return await self.http.post(
            "/api/events",
            content=json.dumps(body),
            headers={
                "content-type": "application/json",
                "origin": self.base,
                "cookie": f"flux_session={cookie}",
            },
        )

    @asynccontextmanager
    async def websocket(
        self, cookie: str, after: int = 0, **options: Any
    ) -> AsyncIterator[ClientConnection]:
        async with connect(
            f"ws://127.0.0.1:{self.port}/ws?after={after}",
            additional_headers={"Cookie": f"flux_session={cookie}"},
            origin=self.base,  # type: ignore[arg-type]
            open_timeout=10,
            **options,
        ) as ws:
            yield ws

    async def close(self) -> None:
        self.stop()
        await self.http.aclose()


@asynccontextmanager
async def serve_processes(
    url: str, count: int, workdir: Path, envs: Sequence[dict[str, str]] = ()
) -> AsyncIterator[list[Instance]]:
    instances = [
        Instance(url, workdir / f"serve-{i}.log", envs[i] if i < len(envs) else None)
        for i in range(count)
    ]
    try:
        await asyncio.gather(*(instance.start() for instance in instances))
        yield instances
    finally:
        for instance in instances:
            await instance.close()


def added(id: str, title: str = "A title") -> dict[str, Any]:
    return {
        "type": "noteAdded",
        "id": str(uuid.uuid4()),
        "payload": {"id": id, "title": title, "text": "words"},
    }


async def next_message(ws: ClientConnection, seconds: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), seconds))
    return message


async def stream_seqs(ws: ClientConnection, count: int, seconds: float) -> list[int]:
    """The seqs of the next `count` stream events, within `seconds` in all."""
    seqs: list[int] = []
    async with asyncio.timeout(seconds):
        while len(seqs) < count:
            message = json.loads(await ws.recv())
            if message["type"] == "event":
                seqs.append(message["event"]["seq"])
    return seqs
