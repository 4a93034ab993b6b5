"""Replay with new reducers: fresh tables, catch-up, an atomic swap while dispatches go on."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData

from server.app import schema
from server.app.notes_store import open_notes_store
from server.store import Database, connect, create_store
from server.store.history import replay, snapshots, verify
from shared_reducers.combine import combine_reducers
from shared_reducers.notes import notes_reducer
from shared_reducers.portable import count_words
from tests.timemachine_logs import dispatch_in_batches, random_events


def metadata_with_words() -> MetaData:
    """The notes table of the next app version: one more column, `words`."""
    metadata = MetaData()
    notes = schema.notes.to_metadata(metadata)
    notes.append_column(Column("words", Integer, nullable=True))
    return metadata


def notes_with_words(notes, event):  # type: ignore[no-untyped-def]
    """The next reducer version: the same changes, plus the word count of the text."""
    changeset = notes_reducer(notes, event)
    for op in changeset:
        if op["op"] != "remove" and "text" in op["values"]:
            op["values"]["words"] = count_words(op["values"]["text"])
    return changeset


def note(id: str, text: str) -> dict:
    return {"type": "noteAdded", "payload": {"id": id, "title": "T", "text": text}}


async def test_replay_with_a_new_column_fills_it_for_every_past_note(db_url: str) -> None:
    old = await open_notes_store(db_url)
    await old.dispatch([note("n1", "one two three"), note("n2", "")])
    await old.dispatch(
        {"type": "noteContentEdited", "payload": {"id": "n2", "text": "now four words here"}}
    )
    await old.get_database().close()

    database = await connect(db_url, metadata_with_words())
    reducer = combine_reducers({"notes": notes_with_words})
    report = await replay(database, reducer)
    assert (report.seq, report.rows) == (3, {"notes": 2})
    rows = await database.rows("notes")
    assert [(r["id"], r["words"]) for r in rows] == [("n1", 3), ("n2", 4)]
    store = create_store(reducer, database)
    await store.dispatch(note("n3", "a b"))
    assert (await database.get("notes", "n3") or {})["words"] == 2
    assert (await verify(database, reducer)).ok
    await database.close()


async def test_replay_drops_its_fresh_tables_and_the_old_snapshots(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    database = store.get_database()
    await dispatch_in_batches(store, random_events(8, 20), 8)
    await snapshots.take_snapshots(database, store.reducer, 5)
    await replay(database, store.reducer)
    await replay(database, store.reducer)
    assert await snapshots.seqs(database) == []
    async with database.engine.connect() as conn:
        names = await conn.run_sync(lambda c: c.dialect.get_table_names(c))
    assert sorted(names) == ["events", "flux_head", "flux_snapshots", "notes"]
    await database.close()


async def _count_never_drops(database: Database, stop: asyncio.Event) -> int:
    """Read the notes count until stopped; with only adds, it never goes down."""
    seen = 0
    reads = 0
    while not stop.is_set():
        count = len(await database.rows("notes"))
        assert count >= seen, f"the notes went from {seen} to {count}: a reader saw a half swap"
        seen, reads = count, reads + 1
        await asyncio.sleep(0)
    return reads


async def _keep_dispatching(url: str, prefix: str, stop: asyncio.Event) -> int:
    """Another writer with its own connections, as another process would be."""
    store = await open_notes_store(url)
    count = 0
    while not stop.is_set():
        await store.dispatch(note(f"{prefix}{count}", "w " * (count % 5)))
        count += 1
    await store.get_database().close()
    return count


async def test_replay_while_dispatches_continue_loses_no_event(db_url: str) -> None:
    store = await open_notes_store(db_url)
    database = store.get_database()
    await dispatch_in_batches(store, random_events(9, 150), 9)
    stop = asyncio.Event()
    writers = [
        asyncio.create_task(_keep_dispatching(db_url, "a", stop)),
        asyncio.create_task(_keep_dispatching(db_url, "b", stop)),
    ]
    reader = asyncio.create_task(_count_never_drops(database, stop))
    for _ in range(1000):
        if await database.last_seq() >= 160:
            break
        await asyncio.sleep(0.01)
    report = await replay(database, store.reducer, close_enough=0)
    await asyncio.sleep(0.05)
    stop.set()
    added = sum(await asyncio.gather(*writers))
    assert await reader > 0
    assert report.seq >= 160
    assert report.caught_up > 0, "no dispatch happened during the replay"
    last = await database.last_seq()
    assert last == 150 + added
    result = await verify(database, store.reducer)
    assert result.ok, result.differences[:3]
    assert result.seq == last
    await database.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_reducer_that_rejects_a_logged_event_stops_the_replay_and_keeps_the_tables(
    db_url: str,
) -> None:
    store = await open_notes_store(db_url)
    database = store.get_database()
    await store.dispatch(note("n1", "x"))

    def strict(notes, event):  # type: ignore[no-untyped-def]
        raise notes_reducer.__globals__["EventRejected"]("no more notes")

    from server.store.history import ReplayError

    with pytest.raises(ReplayError, match=r"seq 1 .*no more notes"):
        await replay(database, combine_reducers({"notes": strict}))
    assert [r["id"] for r in await database.rows("notes")] == ["n1"]
    await database.close()
