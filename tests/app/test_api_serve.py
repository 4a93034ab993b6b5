"""`flux serve` as a real process: it answers /healthz and logs one line per request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_flux_serve_answers_healthz_and_logs_the_request(tmp_path: Path) -> None:
    port = free_port()
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'notes.db'}"
    env = {**os.environ, "FLUX_SECRET_KEY": "test"}
    command = [sys.executable, "-m", "server", "serve", "--port", str(port), "--database", url]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "flux serve did not start in 20 s"
                time.sleep(0.2)
        assert (response.status_code, response.json()) == (200, {"ok": True})
        assert (tmp_path / "data" / "notes.db").exists()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "GET /healthz 200" in output


async def while_the_database_is_away(sqlite_url: str, method: str, path: str, **data: Any) -> Any:
    """The answer to a request made while the database does not answer."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from tests.support.flux_server import running_server

    async with running_server(sqlite_url) as server:
        client = await server.client("ada")
        database = server.flux.database
        working = database.engine
        database.engine = create_async_engine(
            f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none"
        )
        try:
            return await client.http.request(
                method, path, headers={"origin": server.origin}, **data
            )
        finally:
            await database.engine.dispose()
            database.engine = working


async def test_healthz_is_503_when_the_database_does_not_answer(sqlite_url: str) -> None:
    response = await while_the_database_is_away(sqlite_url, "GET", "/healthz")
    assert response.status_code == 503
    assert response.json()["ok"] is False


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/api/notes", {}),
        ("POST", "/api/events", {"json": {"type": "noteRemoved", "payload": {"id": "n1"}}}),
        ("POST", "/login", {"data": {"username": "ada", "password": "whatever1"}}),
    ],
)
async def test_requests_are_a_json_503_while_the_database_is_away(
    sqlite_url: str, method: str, path: str, data: dict
) -> None:
    response = await while_the_database_is_away(sqlite_url, method, path, **data)
    assert response.status_code == 503
    assert "unavailable" in response.json()["error"]
