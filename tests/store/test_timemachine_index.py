"""The history index answers what a full replay of the log answers: at() at random
points, history() and deleted_rows() of every row, whatever part of the log is
indexed and in whatever pages it was indexed."""

from __future__ import annotations

import random
from typing import Any

import pytest

from server.store import Event, Store
from server.store.history import Replayer, timemachine, versions
from server.store.history.inmemory import canonical
from shared_reducers.memory import rows_of
from tests.store.item_logs import dispatch_in_batches, expected_states, random_events


def replayed_history(store: Store, log: list[Event], id: str) -> list[dict[str, Any]]:
    """history() as the whole-log replay computes it: every event whose changeset
    names the row, with the row after it."""
    table = store.get_database().table("items")
    replayer = Replayer(store.reducer, ["items"])
    found = []
    for event in log:
        if any(op["collection"] == "items" and op["id"] == id for op in replayer.apply(event)):
            found.append({"event": event, "row": canonical(table, replayer.state["items"].get(id))})
    return found


def replayed_deleted(store: Store, log: list[Event]) -> list[dict[str, Any]]:
    table = store.get_database().table("items")
    replayer = Replayer(store.reducer, ["items"])
    removed: dict[str, dict[str, Any]] = {}
    for event in log:
        before = dict(replayer.state["items"])
        for op in replayer.apply(event):
            if op["op"] == "remove":
                removed[op["id"]] = {"row": canonical(table, before[op["id"]]), "event": event}
    gone = [entry for id, entry in removed.items() if id not in replayer.state["items"]]
    return sorted(gone, key=lambda entry: entry["row"]["id"])


@pytest.mark.parametrize("seed", [11, 12, 13])
async def test_the_index_answers_what_the_full_replay_answers(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    database = store.get_database()
    await dispatch_in_batches(store, random_events(seed, 150, ids=10), seed)
    log = await database.events_after(0)
    states = expected_states(log)
    indexed = rng.randint(0, len(log))
    await versions.build(database, store.reducer, upto=indexed, page=rng.randint(1, 40))
    for n in sorted(rng.sample(range(len(log) + 1), 15)):
        assert (await store.at(n))["items"] == rows_of(states[n], "items"), f"at({n})"
    ids = sorted({op_id for state in states for op_id in state["items"]})
    assert len(ids) > 10  # conflict copies too
    for id in ids:
        assert await store.history("items", id) == replayed_history(store, log, id), id
    assert await versions.indexed_head(database) == len(log)
    assert await timemachine.deleted_rows(database, store.reducer, "items") == replayed_deleted(
        store, log
    )
