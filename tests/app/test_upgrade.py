"""A database made by an older version of the app (a read-model column missing):
the server refuses to start and says how to rebuild; `flux replay` rebuilds it
from the log, and nothing is lost."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from server.app.app import open_store
from server.app.notes_store import open_notes_store
from server.cli import main
from server.store import ConfigurationError
from tests.support.flux_server import added, removed


async def test_a_table_without_a_new_column_is_rebuilt_by_replay(db_url: str) -> None:
    store = await open_notes_store(db_url)
    await store.dispatch([added("n1", title="Kept"), added("n2", title="Also kept")])
    async with store.get_database().engine.begin() as conn:
        await conn.execute(text("ALTER TABLE notes DROP COLUMN recent"))
    await store.get_database().close()

    with pytest.raises(ConfigurationError, match=r"lacks \{'notes': \['recent'\]\}.*flux replay"):
        await open_store(db_url)

    assert await asyncio.to_thread(main, ["replay", "--database", db_url]) == 0
    store = await open_store(db_url)
    try:
        rows = await store.get_database().rows("notes")
        assert sorted(row["title"] for row in rows) == ["Also kept", "Kept"]
        assert [row["recent"] for row in rows] == [[], []]
    finally:
        await store.get_database().close()


async def test_a_new_table_on_a_log_with_events_is_filled_by_replay(db_url: str) -> None:
    store = await open_notes_store(db_url)
    await store.dispatch([added("n1", title="Gone"), removed("n1"), added("n2")])
    async with store.get_database().engine.begin() as conn:
        await conn.execute(text("DROP TABLE removed_notes"))
    await store.get_database().close()

    with pytest.raises(ConfigurationError, match=r"'removed_notes': 'the whole table'"):
        await open_store(db_url)

    assert await asyncio.to_thread(main, ["replay", "--database", db_url]) == 0
    store = await open_store(db_url)
    try:
        [gone] = await store.get_database().rows("removed_notes")
        assert (gone["id"], gone["title"], gone["removedBy"]) == ("n1", "Gone", "anonymous")
    finally:
        await store.get_database().close()
