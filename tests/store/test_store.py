"""The store's contract, run against every backend (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import asyncio
import re

import pytest

from server.store import EventRejected, InvalidEvent, Store
from shared_reducers.memory import empty_state, reduce_state, rows_of
from tests.store.items import added, edited, open_items_store

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def log_of(store: Store) -> list[dict]:
    return await store.get_database().events_after(0)


async def test_single_dispatch_stores_the_event_and_applies_the_changeset(store: Store) -> None:
    [stored] = await store.dispatch(added("n1", "Hello"))
    assert stored["seq"] == 1
    assert stored["type"] == "itemAdded"
    assert TIMESTAMP.match(stored["timestamp"])
    assert re.match(r"^[0-9a-f-]{36}$", stored["id"])
    assert await log_of(store) == [stored]
    [item] = await store.get_database().rows("items")
    assert item == {
        "id": "n1",
        "text": "Hello",
        "done": False,
        "author": "ada",
        "createdAt": stored["timestamp"],
        "updatedAt": stored["timestamp"],
        "version": 1,
    }


async def test_batch_is_one_transaction_and_later_events_see_earlier_ones(store: Store) -> None:
    stored = await store.dispatch([added("n1"), edited("n1", "second"), edited("n1", "third")])
    assert [e["seq"] for e in stored] == [1, 2, 3]
    assert len({e["timestamp"] for e in stored}) == 1
    [item] = await store.get_database().rows("items")
    assert (item["text"], item["version"]) == ("third", 3)


async def test_listener_hears_each_dispatch_once_with_the_whole_batch(store: Store) -> None:
    heard: list[list[int]] = []
    store.subscribe(lambda events: heard.append([e["seq"] for e in events]))
    await store.dispatch([added("n1"), added("n2")])
    await store.dispatch(added("n3"))
    assert heard == [[1, 2], [3]]


async def test_async_listeners_and_a_raising_listener_harm_nobody(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[int] = []

    def broken(events: list[dict]) -> None:
        raise RuntimeError("listener bug")

    async def slow(events: list[dict]) -> None:
        await asyncio.sleep(0)
        heard.extend(e["seq"] for e in events)

    store.subscribe(broken)
    store.subscribe(slow)
    [stored] = await store.dispatch(added("n1"))
    assert stored["seq"] == 1
    assert heard == [1]
    assert "listener raised" in caplog.text


async def test_unsubscribe_stops_calls_and_is_idempotent(store: Store) -> None:
    heard: list[int] = []
    unsubscribe = store.subscribe(lambda events: heard.extend(e["seq"] for e in events))
    await store.dispatch(added("n1"))
    unsubscribe()
    unsubscribe()
    await store.dispatch(added("n2"))
    assert heard == [1]


async def test_a_rejected_event_in_a_batch_writes_nothing_and_calls_no_listener(
    store: Store,
) -> None:
    heard: list[list[dict]] = []
    store.subscribe(heard.append)
    await store.dispatch(added("n0"))
    with pytest.raises(EventRejected, match="n9 does not exist"):
        await store.dispatch([added("n1"), added("n2"), edited("n9", "nope")])
    assert [e["seq"] for e in await log_of(store)] == [1]
    assert [n["id"] for n in await store.get_database().rows("items")] == ["n0"]
    assert len(heard) == 1
    [next_event] = await store.dispatch(added("n3"))
    assert next_event["seq"] == 2


async def test_retrying_an_event_id_writes_nothing_and_returns_the_stored_event(
    store: Store,
) -> None:
    event = {**added("n1"), "id": "6f1c7a4e-0000-4000-8000-000000000001"}
    [first] = await store.dispatch(event)
    heard: list[list[dict]] = []
    store.subscribe(heard.append)
    [again] = await store.dispatch(dict(event))
    assert again == first
    assert await log_of(store) == [first]
    assert heard == []


async def test_another_event_with_a_used_id_is_refused_and_writes_nothing(store: Store) -> None:
    event = {**added("n1"), "id": "6f1c7a4e-0000-4000-8000-000000000002"}
    [first] = await store.dispatch(event)
    heard: list[list[dict]] = []
    store.subscribe(heard.append)
    changed = {**event, "payload": {**event["payload"], "text": "changed"}}
    someone_else = {**event, "meta": {"user": "mallory"}}
    for reuse in (changed, someone_else):
        with pytest.raises(EventRejected, match="already used by another event"):
            await store.dispatch(reuse)
    assert await log_of(store) == [first]
    assert heard == []


async def test_sixteen_concurrent_dispatchers_get_a_gap_free_seq_and_a_consistent_read_model(
    store: Store, db_url: str
) -> None:
    # Four stores with their own engines and pools, as four processes would
    # be: only the database's lock keeps their appends in order.
    stores = [store] + [await open_items_store(db_url) for _ in range(3)]

    async def writer(w: int) -> None:
        own = stores[w % len(stores)]
        await own.dispatch(added(f"w{w}"))
        for i in range(99):
            await own.dispatch(edited(f"w{w}", f"edit {i}"))

    try:
        await asyncio.gather(*(writer(w) for w in range(16)))
    finally:
        for other in stores[1:]:
            await other.get_database().close()
    log = await log_of(store)
    assert [e["seq"] for e in log] == list(range(1, 1601))
    assert [e["timestamp"] for e in log] == sorted(e["timestamp"] for e in log)
    state = empty_state(["items"])
    for event in log:
        state = reduce_state(store.reducer, state, event)
    assert await store.get_database().rows("items") == rows_of(state, "items")


BAD_EVENTS = [
    ("not a dict", "must be a dict"),
    (None, "must be a dict"),
    ([], "non-empty list"),
    ({}, "\\['type'\\] must be a non-empty string"),
    ({"type": ""}, "\\['type'\\] must be a non-empty string"),
    ({"type": "   "}, "\\['type'\\] must be a non-empty string"),
    ({"type": 7}, "\\['type'\\] must be a non-empty string"),
    ({"type": "x" * 201}, "longer than 200"),
    ({"type": "itemAdded", "seq": 3}, "unexpected key 'seq'"),
    ({"type": "itemAdded", "timestamp": "2020"}, "unexpected key 'timestamp'"),
    ({"type": "itemAdded", "extra": 1}, "unexpected key 'extra'"),
    ({"type": "itemAdded", "meta": "ada"}, "'meta'\\] must be a dict"),
    ({"type": "itemAdded", "error": "yes"}, "'error'\\] must be true or false"),
    ({"type": "itemAdded", "id": ""}, "'id'\\] must be a non-empty string"),
    ({"type": "itemAdded", "id": 12}, "'id'\\] must be a non-empty string"),
    ({"type": "itemAdded", "id": "x" * 65}, "'id'\\] must be a non-empty string"),
    ({"type": "itemAdded", "payload": {"n": float("nan")}}, "'payload'\\] must be JSON"),
    ({"type": "itemAdded", "payload": {"when": object()}}, "'payload'\\] must be JSON"),
    (
        {"type": "itemAdded", "payload": {"n": [1, 2**53]}},
        "\\['payload'\\]\\['n'\\]\\[1\\] holds an integer of 16 digits",
    ),
    ({"type": "itemAdded", "meta": {"n": -(2**60)}}, "\\['meta'\\]\\['n'\\] holds an integer"),
    (
        [{"type": "itemAdded", "payload": {"id": "ok", "text": ""}}, {"type": 1}],
        "event\\[1\\]\\['type'\\]",
    ),
]


@pytest.mark.parametrize(("event", "message"), BAD_EVENTS)
async def test_bad_event_shapes_raise_invalid_event_and_write_nothing(
    store: Store, event: object, message: str
) -> None:
    with pytest.raises(InvalidEvent, match=message):
        await store.dispatch(event)
    assert await log_of(store) == []
    assert await store.get_database().rows("items") == []


async def test_numbers_are_taken_as_json_has_them(store: Store) -> None:
    """An integral float is the int JavaScript sees (2.0 is 2); the largest safe
    integers pass; other floats stay floats."""
    big = 2**53 - 1
    await store.dispatch(
        {"type": "itemAdded", "payload": {"id": "n", "text": "", "n": [2.0, -big, 1.5]}}
    )
    [event] = await log_of(store)
    assert event["payload"]["n"] == [2, -big, 1.5]
    assert type(event["payload"]["n"][0]) is int


def test_an_invalid_event_is_a_value_error_to_callers_that_catch_those() -> None:
    assert issubclass(InvalidEvent, ValueError)


async def test_a_row_of_100000_multibyte_characters_round_trips(store: Store) -> None:
    text = "é✓😀" * 33_334
    await store.dispatch(added("big", text=text))
    [item] = await store.get_database().rows("items")
    assert item["text"] == text
    [event] = await log_of(store)
    assert event["payload"]["text"] == text


async def test_ids_differing_in_case_or_trailing_space_are_different_rows(store: Store) -> None:
    await store.dispatch([added("a"), added("A"), added("a "), added("b")])
    ids = [n["id"] for n in await store.get_database().rows("items")]
    assert ids == ["A", "a", "a ", "b"]


async def test_one_event_reads_a_row_once_and_the_next_event_reads_it_again(db_url: str) -> None:
    from sqlalchemy import event as sa_event

    from server.store import create_store
    from tests.store.items import reducer as items_reducer

    def twice(view: object, event: dict) -> list:
        items = view.collection("items")  # type: ignore[attr-defined]
        first = items.get("n1")
        assert items.get("n1") == first  # a second read of the same id, as a policy check does
        return items_reducer(view, event)

    twice.collection_names = ["items"]  # type: ignore[attr-defined]
    plain = await open_items_store(db_url)
    store = create_store(twice, plain.get_database())
    database = store.get_database()
    engine = database.writer_engine or database.engine.sync_engine
    reads: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "items" in statement:
            reads.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        await store.dispatch([added("n1"), edited("n1", "second")])
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
        await database.close()
    assert len(reads) == 2  # one per event: the edit saw the row the add wrote
