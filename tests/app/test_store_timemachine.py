"""The app's store travels in time: its policy checks dispatches, not the past
(moved from the library tests, which do not use the notes app)."""

from __future__ import annotations

from server.app.api import restore_event
from server.app.app import open_store
from server.app.users import Users
from server.store.history import timemachine


async def test_the_apps_policy_checking_store_travels_in_time_with_the_bare_reducer(
    sqlite_url: str,
) -> None:
    store = await open_store(sqlite_url)
    database = store.get_database()
    await Users(database).add("ada", "correct horse battery", "editor")
    added = {
        "type": "noteAdded",
        "payload": {"id": "n1", "title": "One", "text": "x"},
        "meta": {"user": "ada"},
    }
    removed = {"type": "noteRemoved", "payload": {"id": "n1"}, "meta": {"user": "ada"}}
    await store.dispatch([added, removed])
    assert (await store.at(1))["notes"][0]["title"] == "One"
    assert [e["row"] is None for e in await store.history("notes", "n1")] == [False, True]
    restore = restore_event(
        await timemachine.last_content(database, store.reducer, "notes", "n1"), "ada"
    )
    await store.dispatch(restore)
    assert [n["id"] for n in await database.rows("notes")] == ["n1"]
    await database.close()
