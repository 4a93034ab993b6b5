"""A real notes server for the tests: uvicorn in the test's event loop on a free port.

async with running_server(db_url) as server:
    ada = await server.client("ada", "editor")
    response = await ada.dispatch(added("n1"))
    async with ada.websocket(after=0) as ws: ...
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from server.app import users as users_module
from server.app.app import close_app, open_app
from server.app.services import Services
from server.app.settings import Settings
from server.app.users import Users
from tests.support.backends import server_database

PASSWORD = "correct horse"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes carry their cost; the tests hash with a low one to stay fast."""
    monkeypatch.setattr(users_module, "SCRYPT_N", 2**8)


class Client:
    """One signed-in (or not) browser: an httpx client with the session cookie."""

    def __init__(self, server: Server, http: httpx.AsyncClient) -> None:
        self.server = server
        self.http = http

    async def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        return await self.http.post("/login", data={"username": name, "password": password})

    async def dispatch(self, body: Any, origin: str | None = "own") -> httpx.Response:
        headers = {"content-type": "application/json"}
        if origin is not None:
            headers["origin"] = self.server.origin if origin == "own" else origin
        content = body if isinstance(body, bytes | str) else json.dumps(body)
        return await self.http.post("/api/events", content=content, headers=headers)

    async def ok(self, body: Any) -> list[dict[str, Any]]:
        response = await self.dispatch(body)
        assert response.status_code == 200, response.text
        stored: list[dict[str, Any]] = response.json()
        return stored

    async def notes(self) -> dict[str, dict[str, Any]]:
        response = await self.http.get("/api/notes")
        assert response.status_code == 200, response.text
        return {note["id"]: note for note in response.json()["notes"]}

    async def events(self, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        params = {"after": after} if limit is None else {"after": after, "limit": limit}
        response = await self.http.get("/api/events", params=params)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["events"]
        return found

    @property
    def cookie(self) -> str | None:
        return self.http.cookies.get("flux_session")

    @asynccontextmanager
    async def websocket(
        self, after: int = 0, origin: str | None = "own", cookie: bool = True
    ) -> AsyncIterator[ClientConnection]:
        headers = {"Cookie": f"flux_session={self.cookie}"} if cookie and self.cookie else {}
        async with connect(
            f"{self.server.ws_base}/ws?after={after}",
            additional_headers=headers,
            origin=(self.server.origin if origin == "own" else origin),  # type: ignore[arg-type]
            open_timeout=5,
        ) as ws:
            yield ws


class Server:
    def __init__(self, app: Any, port: int) -> None:
        self.app = app
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.origin = self.base
        self.ws_base = f"ws://127.0.0.1:{port}"
        self._clients: list[httpx.AsyncClient] = []

    @property
    def flux(self) -> Services:
        found: Services = self.app.state.flux
        return found

    def anonymous(self) -> Client:
        http = httpx.AsyncClient(base_url=self.base, timeout=10)
        self._clients.append(http)
        return Client(self, http)

    async def add_user(self, name: str, role: str = "editor") -> None:
        await Users(self.flux.database).add(name, PASSWORD, role)

    async def client(self, name: str, role: str = "editor") -> Client:
        """A new user with `role`, signed in."""
        await self.add_user(name, role)
        client = self.anonymous()
        response = await client.login(name)
        assert response.status_code == 303, response.text
        return client

    async def log(self) -> list[dict[str, Any]]:
        return await self.flux.database.events_after(0)

    async def close(self) -> None:
        for http in self._clients:
            await http.aclose()


@asynccontextmanager
async def running_server(url: str, **settings: Any) -> AsyncIterator[Server]:
    settings.setdefault("secret_key", uuid.uuid4().hex)
    app = await open_app(Settings(database_url=url, **settings))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, ws="websockets-sansio", log_config=None, access_log=False, lifespan="off"
    )
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve(sockets=[sock]))
    server = Server(app, sock.getsockname()[1])
    try:
        while not uv.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield server
    finally:
        await server.close()
        uv.should_exit = True
        await task
        sock.close()
        await close_app(app)


def added(id: str, title: str = "A title", text: str = "Some text", private: bool = False) -> dict:
    payload: dict[str, Any] = {"id": id, "title": title, "text": text}
    if private:
        payload["private"] = True
    return {"type": "noteAdded", "payload": payload, "id": str(uuid.uuid4())}


def spliced(id: str, field: str, base_version: int, splices: list[list[Any]]) -> dict:
    payload = {"id": id, "field": field, "baseVersion": base_version, "splices": splices}
    return {"type": "noteSpliced", "payload": payload, "id": str(uuid.uuid4())}


def title_edited(id: str, title: str = "New title") -> dict:
    return {"type": "noteTitleEdited", "payload": {"id": id, "title": title}}


def content_edited(id: str, text: str = "New text", base: int | None = None) -> dict:
    payload: dict[str, Any] = {"id": id, "text": text}
    if base is not None:
        payload["baseVersion"] = base
    return {"type": "noteContentEdited", "payload": payload}


def removed(id: str) -> dict:
    return {"type": "noteRemoved", "payload": {"id": id}}


def restored(id: str, private: bool = False) -> dict:
    return {
        "type": "noteRestored",
        "payload": {"id": id, "title": "Back", "text": "again", "private": private},
    }


async def receive(ws: ClientConnection, wait: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), wait))
    return message


async def receive_events(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next `count` stream events (other message types are skipped)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        message = await receive(ws)
        if message["type"] == "event":
            found.append(message["event"])
    return found


async def events_until_marker(ws: ClientConnection, writer: Client) -> list[dict[str, Any]]:
    """The stream events that arrive before a marker note `writer` adds now.

    The stream is in seq order, so everything committed before the marker
    that this socket may see arrives before it: no silence window needed.
    """
    marker = f"marker-{uuid.uuid4()}"
    await writer.ok(added(marker))
    found: list[dict[str, Any]] = []
    while True:
        message = await receive(ws)
        if message["type"] != "event":
            continue
        if message["event"]["payload"].get("id") == marker:
            return found
        found.append(message["event"])


@pytest.fixture(params=["sqlite", "postgresql"])
def api_url(request: pytest.FixtureRequest, tmp_path: Path, _server_databases: dict) -> str:
    """An empty database on SQLite and on PostgreSQL (the API's supported pair)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"
    database = server_database(request.param, _server_databases)
    database.reset()
    return database.url


@pytest.fixture
async def server(api_url: str) -> AsyncIterator[Server]:
    """A running server on an empty database."""
    async with running_server(api_url) as running:
        yield running


@pytest.fixture
async def sqlite_server(sqlite_url: str) -> AsyncIterator[Server]:
    """A running server on an empty SQLite database (for tests of one backend)."""
    async with running_server(sqlite_url) as running:
        yield running
