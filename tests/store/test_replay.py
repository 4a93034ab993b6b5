"""Replay with new reducers: fresh tables, catch-up, an atomic swap while dispatches go on."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table

from server.store import Database, Event, connect, create_store
from server.store.history import Replayer, ReplayError, replay, snapshots, verify, versions
from shared_reducers.collection import Collection
from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from tests.store import items
from tests.store.item_logs import dispatch_in_batches, random_events
from tests.store.items import added, edited, items_reducer, open_items_store


def metadata_with_words() -> MetaData:
    """The items table of the next app version: one more column, `words`."""
    metadata = MetaData()
    table = items.items.to_metadata(metadata)
    table.append_column(Column("words", Integer, nullable=True))
    return metadata


def items_with_words(collection: Collection, event: Event) -> list:
    """The next reducer version: the same changes, plus the word count of the text."""
    changeset = items_reducer(collection, event)
    for op in changeset:
        if op["op"] != "remove" and "text" in op["values"]:
            op["values"]["words"] = len(op["values"]["text"].split())
    return changeset


async def test_replay_with_a_new_column_fills_it_for_every_past_row(db_url: str) -> None:
    old = await open_items_store(db_url)
    await old.dispatch([added("n1", "one two three"), added("n2", "")])
    await old.dispatch(edited("n2", "now four words here"))
    await old.get_database().close()

    database = await connect(db_url, metadata_with_words())
    reducer = combine_reducers({"items": items_with_words})
    report = await replay(database, reducer)
    assert (report.seq, report.rows) == (3, {"items": 2})
    rows = await database.rows("items")
    assert [(r["id"], r["words"]) for r in rows] == [("n1", 3), ("n2", 4)]
    store = create_store(reducer, database)
    await store.dispatch(added("n3", "a b"))
    assert (await database.get("items", "n3") or {})["words"] == 2
    assert (await verify(database, reducer)).ok
    await database.close()


async def test_replay_drops_its_fresh_tables_and_the_old_snapshots(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    database = store.get_database()
    await dispatch_in_batches(store, random_events(8, 20), 8)
    await snapshots.take_snapshots(database, store.reducer, 5)
    await replay(database, store.reducer)
    await replay(database, store.reducer)
    assert await versions.indexed_head(database) == 0
    async with database.engine.connect() as conn:
        names = await conn.run_sync(lambda c: c.dialect.get_table_names(c))
    assert sorted(names) == ["events", "flux_head", "flux_versions", "flux_versions_head", "items"]
    await database.close()


class Writers:
    """Writers with their own connections, as other processes would be, that
    dispatch adds until stopped; `until(seq)` waits for their commits."""

    def __init__(self, url: str, prefixes: str) -> None:
        self.stop = asyncio.Event()
        self.last_seq = 0
        self._committed = asyncio.Event()
        self._tasks = [asyncio.create_task(self._write(url, prefix)) for prefix in prefixes]

    async def _write(self, url: str, prefix: str) -> int:
        store = await open_items_store(url)
        count = 0
        try:
            while not self.stop.is_set():
                [stored] = await store.dispatch(added(f"{prefix}{count}", "w " * (count % 5)))
                self.last_seq = max(self.last_seq, stored["seq"])
                self._committed.set()
                count += 1
        finally:
            await store.get_database().close()
        return count

    async def until(self, seq: int, seconds: float = 30) -> None:
        """Wait until the writers committed event `seq`; fail after `seconds`."""
        async with asyncio.timeout(seconds):
            while self.last_seq < seq:
                self._committed.clear()
                await self._committed.wait()

    async def finish(self) -> int:
        """Stop the writers; the number of events they dispatched."""
        self.stop.set()
        return sum(await asyncio.gather(*self._tasks))


async def _count_never_drops(database: Database, stop: asyncio.Event) -> int:
    """Read the items count until stopped; with only adds, it never goes down."""
    seen = 0
    reads = 0
    while not stop.is_set():
        count = len(await database.rows("items"))
        assert count >= seen, f"the items went from {seen} to {count}: a reader saw a half swap"
        seen, reads = count, reads + 1
        await asyncio.sleep(0)  # let the writers and the replay run between reads
    return reads


async def test_replay_while_dispatches_continue_loses_no_event(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay_module = importlib.import_module("server.store.history.replay")  # (not the function)
    store = await open_items_store(db_url)
    database = store.get_database()
    await dispatch_in_batches(store, random_events(9, 150), 9)
    writers = Writers(db_url, "ab")
    reader = asyncio.create_task(_count_never_drops(database, writers.stop))
    bulk_insert = replay_module._bulk_insert

    async def after_more_commits(*args: Any) -> None:
        # The fold of 160 events can end before a writer gets the lock (SQLite's
        # busy handler backs off): make sure some commit falls after it.
        await writers.until(writers.last_seq + 5)
        await bulk_insert(*args)

    monkeypatch.setattr(replay_module, "_bulk_insert", after_more_commits)
    try:
        await writers.until(160)
        report = await replay(database, store.reducer, close_enough=0)
        await writers.until(await database.last_seq() + 10)  # commits into the swapped tables
    finally:
        added_count = await writers.finish()
    assert await reader > 0
    assert report.seq >= 160
    assert report.caught_up > 0, "no dispatch happened during the replay"
    last = await database.last_seq()
    assert last == 150 + added_count
    result = await verify(database, store.reducer)
    assert result.ok, result.differences[:3]
    assert result.seq == last
    await database.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_reducer_that_rejects_a_logged_event_stops_the_replay_and_keeps_the_tables(
    db_url: str,
) -> None:
    store = await open_items_store(db_url)
    database = store.get_database()
    await store.dispatch(added("n1", "x"))

    def strict(collection: Collection, event: Event) -> list:
        raise EventRejected("no more items")

    with pytest.raises(ReplayError, match=r"seq 1 .*no more items"):
        await replay(database, combine_reducers({"items": strict}))
    assert [r["id"] for r in await database.rows("items")] == ["n1"]
    await database.close()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True)
async def test_the_paged_reader_gives_the_log_as_read_after_does_page_by_page(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.store.history.replay import pages as paged
    from server.store.sql import eventlog

    store = await open_items_store(db_url)
    database = store.get_database()
    try:
        await dispatch_in_batches(store, random_events(16, 23), 16)
        # An event without payload or meta, and one with unicode and nested values.
        await store.dispatch(
            [
                {"type": "itemsNoop"},
                {"type": "itemAdded", "payload": {"id": "u1", "text": 'h\u00e9 \u2713 "q" \\'}},
            ]
        )
        expected = await database.read(lambda conn: eventlog.read_after(conn, 0))
        assert len(expected) == 25
        assert "payload" not in expected[23] and expected[24]["payload"]["text"].startswith(
            "h\u00e9"
        )
        pages = [page async for page in paged(database, 0, expected[-1]["seq"], size=5)]
        assert [len(page) for page in pages] == [5, 5, 5, 5, 5]
        assert [event for page in pages for event in page] == expected
        middle = [e async for page in paged(database, 7, 12, size=100) for e in page]
        assert [e["seq"] for e in middle] == [8, 9, 10, 11, 12]
    finally:
        await database.close()


# -- derived collections: folded once from the final rows -----------------------


def word_row(item: dict) -> dict:
    return {"id": item["id"], "words": len(item["text"].split()), "done": item["done"]}


def with_words(declared: bool = True, base: Any = None) -> Any:
    """The items reducer plus `item_words`, one row per item kept event by event
    from the items changes (as the notes app keeps its search rows)."""

    def root(database: Any, event: Event) -> list:
        return items.reducer(database, event)

    def keeping(database: Any, event: Event) -> list:
        changeset = root(database, event)
        words = database.collection("item_words")
        extra: list = []
        for op in changeset:
            if op["op"] == "remove":
                extra += words.remove(op["id"])
            elif op["op"] == "insert":
                extra += words.insert(word_row(op["values"]))
            else:
                row = {**database.collection("items").get(op["id"]), **op["values"]}
                extra += words.update(op["id"], word_row(row))
        return changeset + extra

    keeping.collection_names = ["items", "item_words"]  # type: ignore[attr-defined]
    if declared:
        keeping.derived_collections = {"item_words": ("items", word_row)}  # type: ignore[attr-defined]
        keeping.without_derived = base or root  # type: ignore[attr-defined]
    return keeping


def metadata_with_item_words() -> MetaData:
    metadata = MetaData()
    items.items.to_metadata(metadata)
    Table(
        "item_words",
        metadata,
        Column("id", String(120), primary_key=True),
        Column("words", Integer, nullable=False),
        Column("done", Boolean, nullable=False),
    )
    return metadata


def test_a_fold_that_derives_at_the_end_equals_the_fold_event_by_event() -> None:
    log = [
        {**e, "seq": i, "timestamp": f"2026-01-01T00:00:{i % 60:02d}.000Z"}
        for i, e in enumerate(random_events(21, 300), start=1)
    ]
    reducer = with_words()
    full = Replayer(reducer, ["items", "item_words"])
    deferred = Replayer(reducer, ["items", "item_words"], derive_at_end=True)
    for event in log[:250]:
        full.apply(event)
        assert all(op["collection"] == "items" for op in deferred.apply(event))
    assert deferred.state["item_words"] == {}
    deferred.derive()
    assert deferred.state == full.state and len(full.state["item_words"]) > 3
    for event in log[250:]:  # after derive(), the full reducer keeps them (replay's catch-up)
        assert full.apply(event) == deferred.apply(event)
    assert deferred.state == full.state


async def test_replay_computes_derived_collections_from_the_final_rows(db_url: str) -> None:
    reducer = with_words()
    database = await connect(db_url, metadata_with_item_words())
    store = create_store(reducer, database)
    await dispatch_in_batches(store, random_events(22, 120), 22)
    kept = {name: await database.rows(name) for name in ("items", "item_words")}
    assert len(kept["item_words"]) == len(kept["items"]) > 3
    report = await replay(database, reducer)
    assert report.rows == {name: len(rows) for name, rows in kept.items()}
    assert {name: await database.rows(name) for name in kept} == kept
    assert (await verify(database, reducer)).ok
    await database.close()


def test_a_declaration_that_does_not_hold_is_refused() -> None:
    log = [{**e, "seq": i, "timestamp": "T"} for i, e in enumerate(random_events(3, 5), start=1)]
    no_base = with_words()
    del no_base.without_derived
    with pytest.raises(ReplayError, match="must also give `without_derived`"):
        Replayer(no_base, ["items"], derive_at_end=True)
    writes_derived = with_words(base=with_words(declared=False))
    replayer = Replayer(writes_derived, ["items"], derive_at_end=True)
    with pytest.raises(ReplayError, match="changed item_words, which it declares derived"):
        replayer.apply(log[0])


def test_fold_equals_apply_event_by_event_and_fails_alike() -> None:
    log = [
        {**e, "seq": i, "timestamp": f"2026-01-01T00:00:{i % 60:02d}.000Z"}
        for i, e in enumerate(random_events(23, 300), start=1)
    ]
    one_by_one = Replayer(items.reducer, ["items"])
    for event in log:
        one_by_one.apply(event)
    folded = Replayer(items.reducer, ["items"])
    folded.fold(log[:120])
    folded.fold(log[120:])
    assert folded.state == one_by_one.state and folded.seq == one_by_one.seq == 300
    assert len(folded.state["items"]) > 3

    with pytest.raises(ReplayError, match="expected seq 301, got 302"):
        folded.fold([{**log[0], "seq": 302}])
    existing = next(iter(folded.state["items"]))

    def conflicting(database: Any, event: Event) -> list:
        return database.collection("items").insert({"id": existing, "text": "again", "done": False})

    with pytest.raises(ReplayError, match="already exists"):
        Replayer(conflicting, ["items"], state=folded.state, seq=300).fold([{**log[0], "seq": 301}])
    with pytest.raises(ReplayError, match="reducers reject it"):
        Replayer(items.reducer, ["items"], seq=300).fold(
            [{"seq": 301, "id": "e", "type": "itemEdited", "payload": {"id": "nope", "text": "x"}}]
        )


async def test_replay_leaves_the_garbage_collector_as_it_found_it(sqlite_url: str) -> None:
    import gc

    store = await open_items_store(sqlite_url)
    database = store.get_database()
    await dispatch_in_batches(store, random_events(9, 40), 8)
    enabled = gc.isenabled()
    report = await replay(database, store.reducer)
    assert report.seq == await database.last_seq() and gc.get_freeze_count() == 0
    assert gc.isenabled() == enabled

    def failing(database: Any, event: Event) -> list:
        raise EventRejected("no longer accepted")

    with pytest.raises(ReplayError, match="no longer accepted"):
        await replay(database, failing)
    assert gc.get_freeze_count() == 0 and gc.isenabled() == enabled
    await database.close()
