"""Verify: the read-model tables against a replay of the log in memory."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, insert, update

from server.app import schema
from server.app.notes_store import open_notes_store
from server.cli import main
from server.store.history import replay, verify
from tests.timemachine_logs import dispatch_in_batches, random_events

SQL_BACKENDS = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


async def _fill(url: str, seed: int = 11, count: int = 40) -> None:
    store = await open_notes_store(url)
    await dispatch_in_batches(store, random_events(seed, count), seed)
    await store.get_database().close()


async def _sql(url: str, statement: object) -> None:
    store = await open_notes_store(url)
    async with store.get_database().engine.begin() as conn:
        await conn.execute(statement)  # type: ignore[call-overload]
    await store.get_database().close()


@SQL_BACKENDS
async def test_verify_passes_after_replay(db_url: str) -> None:
    await _fill(db_url)
    store = await open_notes_store(db_url)
    database = store.get_database()
    await replay(database, store.reducer)
    report = await verify(database, store.reducer)
    assert report.ok
    assert (report.seq, report.rows) == (40, len(await database.rows("notes")))
    await database.close()


@SQL_BACKENDS
async def test_verify_names_a_row_edited_by_hand(db_url: str) -> None:
    await _fill(db_url)
    notes = schema.notes
    await _sql(db_url, update(notes).where(notes.c.id == "n1").values(title="edited by hand"))
    store = await open_notes_store(db_url)
    report = await verify(store.get_database(), store.reducer)
    [diff] = report.differences
    assert (diff.collection, diff.id) == ("notes", "n1")
    assert diff.table is not None and diff.table["title"] == "edited by hand"
    assert diff.log is not None and diff.log["title"] != "edited by hand"
    await store.get_database().close()


async def test_verify_names_a_missing_and_an_extra_row(sqlite_url: str) -> None:
    await _fill(sqlite_url)
    notes = schema.notes
    await _sql(sqlite_url, delete(notes).where(notes.c.id == "n1"))
    extra = {c.name: "x" for c in notes.columns} | {"id": "zz", "private": False, "version": 1}
    await _sql(sqlite_url, insert(notes).values(**extra))
    store = await open_notes_store(sqlite_url)
    report = await verify(store.get_database(), store.reducer)
    assert [(d.id, d.log is None, d.table is None) for d in report.differences] == [
        ("n1", False, True),
        ("zz", True, False),
    ]
    await store.get_database().close()


def test_flux_verify_prints_one_line_and_exits_0_when_equal(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_fill(sqlite_url))
    assert main(["verify", "--database", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("OK:") and "40 events" in out


def test_flux_verify_shows_the_differing_rows_and_exits_1(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_fill(sqlite_url))
    notes = schema.notes
    asyncio.run(_sql(sqlite_url, update(notes).where(notes.c.id == "n1").values(text="hand")))
    assert main(["verify", "--database", sqlite_url]) == 1
    out = capsys.readouterr().out
    assert out.startswith("MISMATCH: 1 rows differ")
    assert "notes n1:" in out and '"text": "hand"' in out
    assert main(["replay", "--database", sqlite_url]) == 0
    assert main(["verify", "--database", sqlite_url]) == 0
