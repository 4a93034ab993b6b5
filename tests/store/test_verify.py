"""Verify: the read-model tables against a replay of the log in memory."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, insert, update

from server.cli import main
from server.store.history import replay, verify
from tests.store.item_logs import dispatch_in_batches, random_events
from tests.store.items import added, items, open_items_store

SQL_BACKENDS = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
APP = ["--app", "tests.store.items:open_items_store"]


async def _fill(url: str, seed: int = 11, count: int = 40) -> None:
    """`count` events: random ones, then the add of item k1."""
    store = await open_items_store(url)
    await dispatch_in_batches(store, random_events(seed, count - 1), seed)
    await store.dispatch(added("k1", "kept"))
    await store.get_database().close()


async def _sql(url: str, statement: object) -> None:
    store = await open_items_store(url)
    async with store.get_database().engine.begin() as conn:
        await conn.execute(statement)  # type: ignore[call-overload]
    await store.get_database().close()


@SQL_BACKENDS
async def test_verify_passes_after_replay(db_url: str) -> None:
    await _fill(db_url)
    store = await open_items_store(db_url)
    database = store.get_database()
    await replay(database, store.reducer)
    report = await verify(database, store.reducer)
    assert report.ok
    assert (report.seq, report.rows) == (40, len(await database.rows("items")))
    await database.close()


@SQL_BACKENDS
async def test_verify_names_a_row_edited_by_hand(db_url: str) -> None:
    await _fill(db_url)
    await _sql(db_url, update(items).where(items.c.id == "k1").values(text="edited by hand"))
    store = await open_items_store(db_url)
    report = await verify(store.get_database(), store.reducer)
    [diff] = report.differences
    assert (diff.collection, diff.id) == ("items", "k1")
    assert diff.table is not None and diff.table["text"] == "edited by hand"
    assert diff.log is not None and diff.log["text"] == "kept"
    await store.get_database().close()


async def test_verify_names_a_missing_and_an_extra_row(sqlite_url: str) -> None:
    await _fill(sqlite_url)
    await _sql(sqlite_url, delete(items).where(items.c.id == "k1"))
    extra = {c.name: "x" for c in items.columns} | {"id": "zz", "done": False, "version": 1}
    await _sql(sqlite_url, insert(items).values(**extra))
    store = await open_items_store(sqlite_url)
    report = await verify(store.get_database(), store.reducer)
    assert [(d.id, d.log is None, d.table is None) for d in report.differences] == [
        ("k1", False, True),
        ("zz", True, False),
    ]
    await store.get_database().close()


def test_flux_verify_prints_one_line_and_exits_0_when_equal(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_fill(sqlite_url))
    assert main(["verify", "--database", sqlite_url, *APP]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("OK:") and "40 events" in out


def test_flux_verify_shows_the_differing_rows_and_exits_1(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_fill(sqlite_url))
    asyncio.run(_sql(sqlite_url, update(items).where(items.c.id == "k1").values(text="hand")))
    assert main(["verify", "--database", sqlite_url, *APP]) == 1
    out = capsys.readouterr().out
    assert out.startswith("MISMATCH: 1 rows differ")
    assert "items k1:" in out and '"text": "hand"' in out
    assert main(["replay", "--database", sqlite_url, *APP]) == 0
    assert main(["verify", "--database", sqlite_url, *APP]) == 0
