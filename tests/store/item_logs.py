"""Random but valid logs of item events for the history tests (seeded, reproducible)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from server.store import Event, Store
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, reduce_state
from tests.store.items import added, copied, edited, reducer, removed, toggled

KINDS = ["add"] * 3 + ["edit"] * 3 + ["toggle", "remove", "copy"]


def _candidate(rng: random.Random, state: dict, ids: list[str]) -> Event:
    kind = rng.choice(KINDS)
    # Copies are made of originals only: a copy of a copy of a copy... outgrows the id column.
    existing = sorted(id for id in state["items"] if kind != "copy" or "~" not in id)
    id = rng.choice(existing) if existing and kind != "add" else rng.choice(ids)
    user = rng.choice(("ada", "bob", "cy"))
    if kind == "add":
        event = added(id, f"x {rng.randrange(100)}", user, done=rng.random() < 0.3)
    elif kind == "edit":
        event = edited(id, " ".join("w" * rng.randrange(1, 4) for _ in range(rng.randrange(5))))
    elif kind == "toggle":
        event = toggled(id)
    elif kind == "remove":
        event = removed(id, user)
    else:
        event = copied(id)
    return {**event, "id": str(uuid.uuid4()), "meta": {"user": user}}


def random_events(seed: int, count: int, ids: int = 6) -> list[Event]:
    """`count` events that the items reducer accepts one after the other."""
    rng = random.Random(seed)
    names = [f"n{i}" for i in range(ids)]
    state = empty_state(["items"])
    events: list[Event] = []
    while len(events) < count:
        event = _candidate(rng, state, names)
        try:
            state = reduce_state(reducer, state, {**event, "seq": 0, "timestamp": "T"})
        except EventRejected:
            continue
        events.append(event)
    return events


async def dispatch_in_batches(store: Store, events: list[Event], seed: int) -> None:
    """Dispatch `events` in order, in batches of 1 to 5."""
    rng = random.Random(seed)
    start = 0
    while start < len(events):
        size = rng.randrange(1, 6)
        await store.dispatch(events[start : start + size])
        start += size


def expected_states(log: list[Event]) -> list[dict]:
    """state[n] after the first n logged events, by the shared pure reducer."""
    states = [empty_state(["items"])]
    for event in log:
        states.append(reduce_state(reducer, states[-1], event))
    return states


def write_path_cases() -> list[Event]:
    """Dispatches a write path must store and answer exactly as Core does: adds
    (one with a non-ASCII text), an edit, a toggle, removes (the second rejected:
    nothing to remove), a retry of a stored event, another event's id reused,
    and an event no reducer knows."""
    first: Event = {**added("a", done=True), "id": "e1"}
    return [
        first,
        {**added("b", "ünïcode ✓"), "id": "e2"},
        edited("a", "second"),
        toggled("b"),
        removed("b"),
        removed("b"),  # rejected: nothing to remove
        first,  # a retry: the stored event, nothing written
        {**added("c"), "id": "e2"},  # the id of another event: refused
        {"type": "unknown", "payload": None, "meta": {"n": 1}},
    ]


async def answers_to(store: Store, dispatches: list[Any]) -> list[Any]:
    """What each dispatch (an event or a list of them) answered: its stored events
    or the exception it raised."""
    answers: list[Any] = []
    for dispatch in dispatches:
        try:
            answers.append(
                await store.dispatch(dict(dispatch) if isinstance(dispatch, dict) else dispatch)
            )
        except Exception as error:
            answers.append(error)
    return answers
