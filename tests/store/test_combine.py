"""combine_reducers' checks: the key whose value is not a reducer, and the
reducer that returns no changeset, are named (with the event type)."""

from __future__ import annotations

from typing import Any

import pytest

from server.store import combine_reducers
from shared_reducers.memory import MemoryDatabase, empty_state
from tests.store.items import added, items_reducer

EVENT = {**added("n1"), "id": "e1", "seq": 1, "timestamp": "2026-01-01T00:00:00.000Z"}


@pytest.mark.parametrize(
    ("value", "described"),
    [(True, "true or false"), ("items", "a string"), (None, "null"), ({"a": 1}, "an object")],
)
def test_a_value_that_is_not_a_function_is_refused_by_its_key(value: Any, described: str) -> None:
    with pytest.raises(
        TypeError, match=f"reducer for 'broken' must be a function.*got {described}"
    ):
        combine_reducers({"items": items_reducer, "broken": value})


def test_a_reducer_that_returns_none_is_named_with_the_event_type() -> None:
    def forgetful(collection: Any, event: Any) -> None:
        return None

    root = combine_reducers({"items": items_reducer, "tags": forgetful})
    database = MemoryDatabase(empty_state(["items", "tags"]))
    with pytest.raises(TypeError, match=r"type 'itemAdded', the reducer for 'tags' returned None"):
        root(database, EVENT)


def test_a_reducer_that_returns_something_else_is_named_with_the_event_type() -> None:
    root = combine_reducers({"items": lambda collection, event: {"op": "insert"}})
    with pytest.raises(
        TypeError, match=r"type 'itemAdded', the reducer for 'items' returned an obj"
    ):
        root(MemoryDatabase(empty_state(["items"])), EVENT)
