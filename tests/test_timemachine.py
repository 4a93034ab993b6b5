"""The time machine: at(n) equals the replay of the first n events, history, restore."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.app.api import restore_event
from server.app.notes_store import open_notes_store
from server.store import EventRejected, Store
from server.store.history import OutOfRange, snapshots, timemachine
from shared_reducers.memory import rows_of
from tests.timemachine_logs import dispatch_in_batches, expected_states, random_events

SQL_BACKENDS = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await open_notes_store(db_url)
    yield store
    await store.get_database().close()


def note(id: str, title: str = "T", text: str = "x", user: str = "ada") -> dict:
    return {
        "type": "noteAdded",
        "payload": {"id": id, "title": title, "text": text},
        "meta": {"user": user},
    }


def removed(id: str, user: str = "ada") -> dict:
    return {"type": "noteRemoved", "payload": {"id": id}, "meta": {"user": user}}


def edited(id: str, text: str, base: int | None = None) -> dict:
    payload: dict = {"id": id, "text": text}
    if base is not None:
        payload["baseVersion"] = base
    return {"type": "noteContentEdited", "payload": payload, "meta": {"user": "bob"}}


async def at_every_point_matches_replay(store: Store, every: int | None) -> None:
    database = store.get_database()
    if every is not None:
        await snapshots.take_snapshots(database, store.reducer, every)
        assert await snapshots.seqs(database)
    log = await database.events_after(0)
    states = expected_states(log)
    for n in range(len(log) + 1):
        assert (await store.at(n))["notes"] == rows_of(states[n], "notes"), f"at({n})"


@SQL_BACKENDS
@pytest.mark.parametrize("seed", [1, 2])
async def test_at_n_equals_replay_of_first_n_events_without_snapshots(
    store: Store, seed: int
) -> None:
    await dispatch_in_batches(store, random_events(seed, 60), seed)
    await at_every_point_matches_replay(store, None)


@SQL_BACKENDS
@pytest.mark.parametrize("seed", [3, 4])
async def test_at_n_equals_replay_of_first_n_events_with_snapshots(store: Store, seed: int) -> None:
    await dispatch_in_batches(store, random_events(seed, 60), seed)
    await at_every_point_matches_replay(store, every=7)


async def test_at_without_arguments_is_the_current_table(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    await dispatch_in_batches(store, random_events(5, 30), 5)
    assert (await store.at())["notes"] == await store.get_database().rows("notes")
    await store.get_database().close()


async def test_at_a_time_is_the_last_event_at_or_before_it(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    [first] = await store.dispatch(note("n1", "first"))
    await store.dispatch(removed("n1"))
    database, reducer = store.get_database(), store.reducer
    assert (await store.at(time=first["timestamp"]))["notes"][0]["title"] == "first"
    assert (await store.at(time="2000-01-01T00:00:00")) == {"notes": []}
    past = await timemachine.state_at(database, reducer, time="2999-01-01T00:00:00+02:00")
    assert (past.seq, past.collections) == (2, {"notes": []})
    await database.close()


async def test_at_rejects_a_seq_past_the_end_and_a_malformed_time(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    await store.dispatch(note("n1"))
    with pytest.raises(OutOfRange, match="between 0 and 1"):
        await store.at(2)
    with pytest.raises(OutOfRange, match="ISO-8601"):
        await store.at(time="yesterday")
    await store.get_database().close()


async def test_snapshots_are_taken_in_the_background_after_commits(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    keeper = snapshots.keep_snapshots(store, every=5)
    for i in range(12):
        await store.dispatch(note(f"n{i}"))
    await keeper.close()
    database = store.get_database()
    assert await snapshots.seqs(database) == [5, 10]
    seq, state = await snapshots.load_nearest(database, 9)
    assert seq == 5 and state is not None and sorted(state["notes"]) == [f"n{i}" for i in range(5)]
    await database.close()


async def test_history_lists_every_touching_event_with_the_row_after_it(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    await store.dispatch([note("n1", text="one"), note("n2")])
    await store.dispatch([edited("n1", "two", 1), edited("n2", "other")])
    await store.dispatch(removed("n1"))
    entries = await store.history("notes", "n1")
    assert [e["event"]["type"] for e in entries] == [
        "noteAdded",
        "noteContentEdited",
        "noteRemoved",
    ]
    assert [e["row"] and e["row"]["text"] for e in entries] == ["one", "two", None]
    assert entries[1]["row"]["version"] == 2
    await store.get_database().close()


async def test_history_of_a_conflict_copy_starts_with_the_stale_edit(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    await store.dispatch([note("n1"), edited("n1", "fresh", 1)])
    [stale] = await store.dispatch(edited("n1", "stale", 1))
    copy = f"n1~{stale['id']}"
    [entry] = await store.history("notes", copy)
    assert entry["event"]["id"] == stale["id"]
    assert entry["row"]["text"] == "stale"
    assert [e["event"]["seq"] for e in await store.history("notes", "n1")] == [1, 2]
    await store.get_database().close()


async def test_restore_brings_back_the_last_content_and_removing_again_undoes_it(
    sqlite_url: str,
) -> None:
    store = await open_notes_store(sqlite_url)
    database, reducer = store.get_database(), store.reducer
    await store.dispatch([note("n1", "Title", "first"), edited("n1", "last words", 1)])
    await store.dispatch(removed("n1", user="bob"))
    [gone] = await timemachine.deleted_rows(database, reducer, "notes")
    assert (gone["row"]["text"], gone["event"]["meta"]["user"]) == ("last words", "bob")
    restore = await restore_event(
        await timemachine.last_content(database, reducer, "notes", "n1"), "ada"
    )
    assert restore["payload"] == {
        "id": "n1",
        "title": "Title",
        "text": "last words",
        "private": False,
    }
    await store.dispatch(restore)
    [back] = await database.rows("notes")
    assert (back["title"], back["text"], back["author"]) == ("Title", "last words", "ada")
    assert await timemachine.deleted_rows(database, reducer, "notes") == []
    await store.dispatch(removed("n1"))
    assert await database.rows("notes") == []
    types = [e["event"]["type"] for e in await store.history("notes", "n1")]
    assert types[-2:] == ["noteRestored", "noteRemoved"]
    await database.close()


async def test_restore_refuses_a_live_note_and_an_unknown_one(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    database, reducer = store.get_database(), store.reducer
    await store.dispatch(note("n1"))
    with pytest.raises(OutOfRange, match="not deleted"):
        await timemachine.last_content(database, reducer, "notes", "n1")
    with pytest.raises(OutOfRange, match="never was"):
        await timemachine.last_content(database, reducer, "notes", "nope")
    with pytest.raises(EventRejected):
        await store.dispatch(
            {
                "type": "noteRestored",
                "payload": {"id": "n1", "title": "a", "text": "b", "private": False},
            }
        )
    await database.close()


async def test_the_apps_policy_checking_store_travels_in_time_with_the_bare_reducer(
    sqlite_url: str,
) -> None:
    from server.app.app import open_store
    from server.app.users import Users

    store = await open_store(sqlite_url)
    database = store.get_database()
    await Users(database).add("ada", "correct horse battery", "editor")
    await store.dispatch([note("n1", "One"), removed("n1")])
    assert (await store.at(1))["notes"][0]["title"] == "One"
    assert [e["row"] is None for e in await store.history("notes", "n1")] == [False, True]
    restore = await restore_event(
        await timemachine.last_content(database, store.reducer, "notes", "n1"), "ada"
    )
    await store.dispatch(restore)
    assert [n["id"] for n in await database.rows("notes")] == ["n1"]
    await database.close()


def test_snapshot_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.store import ConfigurationError

    monkeypatch.setenv("FLUX_SNAPSHOT_EVERY", "250")
    assert snapshots.every_from_environment() == 250
    monkeypatch.setenv("FLUX_SNAPSHOT_EVERY", "often")
    with pytest.raises(ConfigurationError, match="got 'often'"):
        snapshots.every_from_environment()
