"""Verify: the read-model tables against a replay of the log in memory."""

from __future__ import annotations

import asyncio
import importlib
import threading

import pytest
from sqlalchemy import Column, Connection, MetaData, Table, Text, delete, insert, update

from server.cli import main
from server.store import Changeset, Event, Store, connect, create_store
from server.store.history import replay, verify
from server.store.sql import exact_string
from shared_reducers.collection import Collection
from shared_reducers.combine import combine_reducers
from tests.store.item_logs import dispatch_in_batches, random_events
from tests.store.items import added, items, items_reducer, open_items_store, removed

verify_module = importlib.import_module("server.store.history.verify")

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


# -- paged comparison (verify reads each table in id order, a page at a time) --

ALL_BACKENDS = pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True)

two_tables = MetaData()
items.to_metadata(two_tables)
labels = Table(
    "labels",
    two_tables,
    Column("id", exact_string(120), primary_key=True),
    Column("text", Text, nullable=False),
)


def labels_reducer(labels: Collection, event: Event) -> Changeset:
    """A second table: one label per added item, with the item's first text."""
    if event.get("type") == "itemAdded":
        payload = event["payload"]
        return labels.insert({"id": payload["id"], "text": payload["text"]})
    return labels.no_change()


async def open_two_tables(url: str) -> Store:
    database = await connect(url, two_tables)
    reducer = combine_reducers({"items": items_reducer, "labels": labels_reducer})
    return create_store(reducer, database)


async def _fill_two_tables(url: str, count: int = 20) -> None:
    store = await open_two_tables(url)
    for start in range(0, count, 5):
        await store.dispatch([added(f"i{k:02}", f"text {k}") for k in range(start, start + 5)])
    await store.get_database().close()


@ALL_BACKENDS
async def test_verify_pages_through_each_table_and_names_every_difference(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20 rows a table, pages of 3: the differences sit on pages 1, 4, 5 and 7.
    monkeypatch.setattr(verify_module, "PAGE", 3)
    await _fill_two_tables(db_url)
    row = {"text": "by hand", "done": False, "author": "x", "createdAt": "T", "updatedAt": "T"}
    store = await open_two_tables(db_url)
    database = store.get_database()
    async with database.engine.begin() as conn:
        await conn.execute(update(items).where(items.c.id == "i01").values(text="edited"))
        await conn.execute(update(items).where(items.c.id == "i10").values(version=7))
        await conn.execute(delete(items).where(items.c.id == "i19"))  # the last row
        await conn.execute(insert(items).values(id="i05x", version=1, **row))
        await conn.execute(delete(labels).where(labels.c.id == "i14"))
        await conn.execute(insert(labels).values(id="i99", text="extra"))
    report = await verify(database, store.reducer)
    await database.close()
    assert report.seq == 20 and report.rows == 40  # 20 - 1 + 1 items, 20 - 1 + 1 labels
    found = [(d.collection, d.id, d.log is None, d.table is None) for d in report.differences]
    assert found == [
        ("items", "i01", False, False),
        ("items", "i05x", True, False),
        ("items", "i10", False, False),
        ("items", "i19", False, True),
        ("labels", "i14", False, True),
        ("labels", "i99", True, False),
    ]
    edited_row, _, versioned, missing, _, extra = report.differences
    assert edited_row.log and edited_row.table
    assert (edited_row.log["text"], edited_row.table["text"]) == ("text 1", "edited")
    assert versioned.log and versioned.table
    assert (versioned.log["version"], versioned.table["version"]) == (1, 7)
    assert missing.log is not None
    assert (missing.log["text"], missing.log["version"], missing.log["done"]) == (
        "text 19",
        1,
        False,
    )
    assert extra.table == {"id": "i99", "text": "extra"}


@ALL_BACKENDS
async def test_verify_is_ok_on_many_pages_and_an_empty_table(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_module, "PAGE", 4)
    await _fill_two_tables(db_url)
    store = await open_two_tables(db_url)
    database = store.get_database()
    await store.dispatch([removed(f"i{k:02}") for k in range(20)])  # items empties, labels stay
    report = await verify(database, store.reducer)
    await database.close()
    assert (report.ok, report.seq, report.rows) == (True, 40, 20)


@ALL_BACKENDS
async def test_a_dispatch_committed_while_verify_reads_the_pages_is_not_seen(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log's end and every table page come from one snapshot: an event
    # committed between two pages neither appears as an extra row nor moves seq.
    monkeypatch.setattr(verify_module, "PAGE", 3)
    await _fill_two_tables(db_url)
    read_page = verify_module._table_page
    pages: list[object] = []

    def dispatch_on_the_first_page(conn: Connection, table: Table, after: str | None) -> list:
        if not pages:
            # Another connection (its own loop, in a thread) commits an event now.
            thread = threading.Thread(target=asyncio.run, args=(_add_one(db_url, "i50"),))
            thread.start()
            thread.join()
        pages.append(after)
        return read_page(conn, table, after)

    monkeypatch.setattr(verify_module, "_table_page", dispatch_on_the_first_page)
    store = await open_two_tables(db_url)
    database = store.get_database()
    report = await verify(database, store.reducer)
    assert (report.ok, report.seq, report.rows) == (True, 20, 40), report.differences
    assert await database.last_seq() == 21
    assert await database.get("items", "i50") is not None
    assert len(pages) > 8  # the tables really were read a page at a time
    await database.close()


async def _add_one(url: str, id: str) -> None:
    store = await open_two_tables(url)
    await store.dispatch(added(id))
    await store.get_database().close()


async def test_verify_leaves_the_garbage_collector_as_it_found_it(sqlite_url: str) -> None:
    """Verify keeps its folded state out of the collector's passes (as replay does)
    and gives everything back: nothing frozen, the collector as it was."""
    import gc

    await _fill(sqlite_url)
    store = await open_items_store(sqlite_url)
    database = store.get_database()
    enabled = gc.isenabled()
    report = await verify(database, store.reducer)
    assert report.ok and report.seq == await database.last_seq()
    assert gc.get_freeze_count() == 0 and gc.isenabled() == enabled

    def failing(collection: Collection, event: Event) -> Changeset:
        raise ValueError("a broken reducer")

    with pytest.raises(Exception, match="a broken reducer"):
        await verify(database, combine_reducers({"items": failing}))
    assert gc.get_freeze_count() == 0 and gc.isenabled() == enabled
    await database.close()
