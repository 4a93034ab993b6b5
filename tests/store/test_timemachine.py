"""The time machine: at(n) equals the replay of the first n events, history, restore."""

from __future__ import annotations

import asyncio

import pytest

from server.store import ConfigurationError, EventRejected, Store
from server.store.history import OutOfRange, snapshots, timemachine, versions
from shared_reducers.memory import rows_of
from tests.store.item_logs import dispatch_in_batches, expected_states, random_events
from tests.store.items import added, copied, edited, open_items_store, removed


async def at_every_point_matches_replay(store: Store, indexed: int | None) -> None:
    """at(n), and as_of(n) read by pages and by id, equal the replay of the first n
    events, with the history index built up to `indexed` (None: not at all)."""
    database = store.get_database()
    if indexed is not None:
        assert await versions.build(database, store.reducer, upto=indexed, page=7) == indexed
    log = await database.events_after(0)
    states = expected_states(log)
    for n in range(len(log) + 1):
        expected = rows_of(states[n], "items")
        assert (await store.at(n))["items"] == expected, f"at({n})"
        past = await timemachine.as_of(database, store.reducer, n)
        paged: list[dict] = []
        while page := await past.rows("items", paged[-1]["id"] if paged else None, limit=2):
            paged.extend(page)
        assert paged == expected, f"as_of({n}).rows"
        assert await past.count("items") == len(expected)
        for row in expected:
            assert await past.get("items", row["id"]) == row
        assert await past.get("items", "nobody") is None


@pytest.mark.parametrize("seed", [1, 2])
async def test_at_n_equals_replay_of_first_n_events_without_the_index(
    store: Store, seed: int
) -> None:
    await dispatch_in_batches(store, random_events(seed, 60), seed)
    await at_every_point_matches_replay(store, None)


@pytest.mark.parametrize("seed", [3, 4])
async def test_at_n_equals_replay_of_first_n_events_with_the_index(store: Store, seed: int) -> None:
    await dispatch_in_batches(store, random_events(seed, 60), seed)
    await at_every_point_matches_replay(store, 60)


async def test_at_n_equals_replay_with_the_index_half_built(store: Store) -> None:
    await dispatch_in_batches(store, random_events(5, 60), 5)
    await at_every_point_matches_replay(store, 33)


async def test_at_without_arguments_is_the_current_table(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    await dispatch_in_batches(store, random_events(5, 30), 5)
    assert (await store.at())["items"] == await store.get_database().rows("items")
    await store.get_database().close()


async def test_at_a_time_is_the_last_event_at_or_before_it(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    [first] = await store.dispatch(added("n1", "first"))
    await store.dispatch(removed("n1"))
    database, reducer = store.get_database(), store.reducer
    assert (await store.at(time=first["timestamp"]))["items"][0]["text"] == "first"
    assert (await store.at(time="2000-01-01T00:00:00")) == {"items": []}
    past = await timemachine.state_at(database, reducer, time="2999-01-01T00:00:00+02:00")
    assert (past.seq, past.collections) == (2, {"items": []})
    await database.close()


async def test_at_rejects_a_seq_past_the_end_and_a_malformed_time(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    await store.dispatch(added("n1"))
    with pytest.raises(OutOfRange, match="between 0 and 1"):
        await store.at(2)
    with pytest.raises(OutOfRange, match="ISO-8601"):
        await store.at(time="yesterday")
    await store.get_database().close()


async def test_the_index_is_kept_in_the_background_after_commits(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    keeper = snapshots.keep_snapshots(store, every=5)
    for i in range(12):
        await store.dispatch(added(f"n{i}"))
    await keeper.close()
    database = store.get_database()
    assert 12 - 5 < await versions.indexed_head(database) <= 12
    past = await timemachine.as_of(database, store.reducer, 12)
    assert [row["id"] for row in await past.rows("items", limit=None)] == sorted(
        f"n{i}" for i in range(12)
    )
    await database.close()


async def test_the_index_waits_for_a_quiet_moment_unless_too_many_events_wait(
    sqlite_url: str,
) -> None:
    store = await open_items_store(sqlite_url)
    database = store.get_database()
    keeper = snapshots.Snapshotter(database, store.reducer, every=5, quiet=30, most=20)
    keeper.unsubscribe = store.subscribe(keeper)
    for i in range(12):  # busy: commits keep coming, 12 < most wait
        await store.dispatch(added(f"n{i}"))
    await asyncio.sleep(0.2)
    assert await versions.indexed_head(database) == 0
    for i in range(12, 25):  # 25 waiting >= most: indexed without a quiet moment
        await store.dispatch(added(f"n{i}"))
    for _ in range(100):
        if await versions.indexed_head(database) >= 20:
            break
        await asyncio.sleep(0.05)
    assert await versions.indexed_head(database) >= 20
    await store.dispatch(added("last"))
    await keeper.close()  # closing indexes what waits at once
    assert await versions.indexed_head(database) == 26
    await database.close()


async def test_the_index_is_built_after_a_quiet_moment(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    database = store.get_database()
    keeper = snapshots.Snapshotter(database, store.reducer, every=5, quiet=0.3)
    keeper.unsubscribe = store.subscribe(keeper)
    for i in range(6):
        await store.dispatch(added(f"n{i}"))
    assert await versions.indexed_head(database) == 0
    await asyncio.sleep(1.0)
    assert await versions.indexed_head(database) == 6
    await keeper.close()
    await database.close()


async def test_an_as_of_is_read_by_pages_until_loaded(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    await store.dispatch([added("n1"), added("n2")])
    past = await timemachine.as_of(store.get_database(), store.reducer, 1)
    with pytest.raises(RuntimeError, match="load"):
        _ = past.collections
    with pytest.raises(ValueError, match="limit >= 0"):
        await past.rows("items", limit=-1)
    with pytest.raises(ConfigurationError, match="no read-model table"):
        await past.rows("notes")
    assert [row["id"] for row in (await past.load())["items"]] == ["n1"]
    await store.get_database().close()


async def test_history_lists_every_touching_event_with_the_row_after_it(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    await store.dispatch([added("n1", "one"), added("n2")])
    await store.dispatch([edited("n1", "two"), edited("n2", "other")])
    await store.dispatch(removed("n1"))
    entries = await store.history("items", "n1")
    assert [e["event"]["type"] for e in entries] == ["itemAdded", "itemEdited", "itemRemoved"]
    assert [e["row"] and e["row"]["text"] for e in entries] == ["one", "two", None]
    assert entries[1]["row"]["version"] == 2
    await store.get_database().close()


async def test_history_finds_a_row_by_the_changeset_not_by_the_payload(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    await store.dispatch([added("n1", "original"), edited("n1", "fresh")])
    [copy_event] = await store.dispatch(copied("n1"))
    copy = f"n1~{copy_event['id']}"
    [entry] = await store.history("items", copy)
    assert entry["event"]["id"] == copy_event["id"]
    assert entry["row"]["text"] == "fresh"
    assert [e["event"]["seq"] for e in await store.history("items", "n1")] == [1, 2]
    await store.get_database().close()


async def test_the_last_content_of_a_removed_row_brings_it_back(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    database, reducer = store.get_database(), store.reducer
    await store.dispatch([added("n1", "first"), edited("n1", "last words")])
    await store.dispatch(removed("n1", user="bob"))
    [gone] = await timemachine.deleted_rows(database, reducer, "items")
    assert (gone["row"]["text"], gone["event"]["meta"]["user"]) == ("last words", "bob")
    content = await timemachine.last_content(database, reducer, "items", "n1")
    assert (content["text"], content["version"]) == ("last words", 2)
    await store.dispatch(added("n1", content["text"], user="cy"))
    [back] = await database.rows("items")
    assert (back["text"], back["author"]) == ("last words", "cy")
    assert await timemachine.deleted_rows(database, reducer, "items") == []
    await store.dispatch(removed("n1"))
    assert await database.rows("items") == []
    types = [e["event"]["type"] for e in await store.history("items", "n1")]
    assert types == ["itemAdded", "itemEdited", "itemRemoved", "itemAdded", "itemRemoved"]
    await database.close()


async def test_last_content_refuses_a_live_row_and_an_unknown_one(sqlite_url: str) -> None:
    store = await open_items_store(sqlite_url)
    database, reducer = store.get_database(), store.reducer
    await store.dispatch(added("n1"))
    with pytest.raises(OutOfRange, match="not deleted"):
        await timemachine.last_content(database, reducer, "items", "n1")
    with pytest.raises(OutOfRange, match="never was"):
        await timemachine.last_content(database, reducer, "items", "nope")
    with pytest.raises(EventRejected, match="already exists"):
        await store.dispatch(added("n1"))
    await database.close()


def test_snapshot_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUX_SNAPSHOT_EVERY", "250")
    assert snapshots.every_from_environment() == 250
    monkeypatch.setenv("FLUX_SNAPSHOT_EVERY", "often")
    with pytest.raises(ConfigurationError, match="got 'often'"):
        snapshots.every_from_environment()
