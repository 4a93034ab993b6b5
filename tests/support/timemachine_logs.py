"""Random but valid logs of note events for the time-machine tests (seeded, reproducible)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from server.store import Store
from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, reduce_state
from shared_reducers.notes import notes_reducer

reducer = combine_reducers({"notes": notes_reducer})
USERS = ("ada", "bob", "cy")


def _candidate(rng: random.Random, state: dict, ids: list[str]) -> dict[str, Any]:
    notes = state["notes"]
    id = rng.choice(ids)
    user = rng.choice(USERS)
    kind = rng.choice(
        ["noteAdded"] * 3
        + ["noteTitleEdited", "noteContentEdited"] * 3
        + ["noteRemoved", "noteRestored"]
    )
    if kind in ("noteTitleEdited", "noteContentEdited") and notes:
        id = rng.choice(sorted(notes))
    payload: dict[str, Any] = {"id": id}
    if kind in ("noteAdded", "noteRestored"):
        payload.update(title=f"t{rng.randrange(100)}", text=f"x {rng.randrange(100)}")
        payload["private"] = rng.random() < 0.3
    elif kind == "noteTitleEdited":
        payload["title"] = f"title {rng.randrange(1000)}"
    elif kind == "noteContentEdited":
        payload["text"] = " ".join("w" * rng.randrange(1, 4) for _ in range(rng.randrange(5)))
    if kind.endswith("Edited") and id in notes and rng.random() < 0.5:
        payload["baseVersion"] = notes[id]["version"] - rng.choice([0, 0, 1])
    return {"type": kind, "id": str(uuid.uuid4()), "payload": payload, "meta": {"user": user}}


def random_events(seed: int, count: int, ids: int = 6) -> list[dict[str, Any]]:
    """`count` events that the notes reducer accepts one after the other."""
    rng = random.Random(seed)
    names = [f"n{i}" for i in range(ids)]
    state = empty_state(["notes"])
    events: list[dict[str, Any]] = []
    while len(events) < count:
        event = _candidate(rng, state, names)
        try:
            state = reduce_state(reducer, state, {**event, "seq": 0, "timestamp": "T"})
        except EventRejected:
            continue
        events.append(event)
    return events


async def dispatch_in_batches(store: Store, events: list[dict[str, Any]], seed: int) -> None:
    rng = random.Random(seed)
    start = 0
    while start < len(events):
        size = rng.randrange(1, 6)
        await store.dispatch(events[start : start + size])
        start += size


def expected_states(log: list[dict[str, Any]]) -> list[dict]:
    """state[n] after the first n logged events, by the shared pure reducer."""
    states = [empty_state(["notes"])]
    for event in log:
        states.append(reduce_state(reducer, states[-1], event))
    return states
