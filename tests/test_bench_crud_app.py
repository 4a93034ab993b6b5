"""bench/crud_app.py, the baseline of `flux bench throughput`: it must do the
work the benchmark says it does (session check, validation naming the field,
insert, update of the user's own row) or the comparison means nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.crud_app import build_app, make_engine


@asynccontextmanager
async def _client(db: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(make_engine(f"sqlite+aiosqlite:///{db}", 5), [("ann", "pw"), ("bob", "pw2")])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


def _rows(db: Path) -> list[tuple[str, str, str, int]]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT title, text, author, version FROM notes")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


async def test_add_and_edit_write_the_row(tmp_path: Path) -> None:
    db = tmp_path / "crud.db"
    async with _client(db) as client:
        login = await client.post("/login", data={"username": "ann", "password": "pw"})
        assert login.status_code == 200
        added = await client.post("/notes", json={"title": "T", "text": "one"})
        assert added.status_code == 201
        note = added.json()["id"]
        edited = await client.patch(f"/notes/{note}", json={"text": "two"})
        assert edited.json() == {"id": note, "version": 2}
    assert _rows(db) == [("T", "two", "ann", 2)]


async def test_sqlite_file_is_in_wal_mode_as_flux_s(tmp_path: Path) -> None:
    db = tmp_path / "crud.db"
    async with _client(db) as client:
        await client.post("/login", data={"username": "ann", "password": "pw"})
        await client.post("/notes", json={"title": "T", "text": "one"})
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


async def test_refusals_name_the_field_and_need_a_session(tmp_path: Path) -> None:
    db = tmp_path / "crud.db"
    async with _client(db) as client:
        assert (await client.post("/notes", json={"title": "T", "text": "x"})).status_code == 401
        assert (
            await client.post("/login", data={"username": "ann", "password": "no"})
        ).status_code == 401
        await client.post("/login", data={"username": "ann", "password": "pw"})
        bad = await client.post("/notes", json={"title": 3, "text": "x"})
        assert (bad.status_code, bad.json()["field"]) == (422, "title")
        missing = await client.post("/notes", json={"title": "T"})
        assert (missing.status_code, missing.json()["field"]) == (422, "text")
        long = await client.post("/notes", json={"title": "T", "text": "x" * 100_001})
        assert (long.status_code, long.json()["field"]) == (422, "text")
        assert (await client.post("/notes", content=b"{nope")).status_code == 400
        note = (await client.post("/notes", json={"title": "T", "text": "x"})).json()["id"]
        client.cookies.clear()
        await client.post("/login", data={"username": "bob", "password": "pw2"})
        # bob may not edit ann's note: the update's WHERE names the author
        assert (await client.patch(f"/notes/{note}", json={"text": "mine"})).status_code == 404
    assert _rows(db) == [("T", "x", "ann", 1)]
