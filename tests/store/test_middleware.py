"""compose, apply_middleware and create_store's checks (Redux's shapes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table

from server.store import (
    ConfigurationError,
    Database,
    apply_middleware,
    combine_reducers,
    compose,
    connect,
    create_store,
)
from tests.store.items import added, metadata, reducer


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    database = await connect(sqlite_url, metadata)
    yield database
    await database.close()


def test_compose_applies_right_to_left_and_empty_is_identity() -> None:
    assert compose()(5) == 5
    assert compose(lambda x: x + 1)(5) == 6
    assert compose(lambda x: x * 2, lambda x: x + 1)(5) == 12


async def test_middleware_sees_every_dispatch_in_order_and_can_change_events(
    database: Database,
) -> None:
    seen: list[str] = []

    def logger(api: Any) -> Any:
        def wrap(next_dispatch: Any) -> Any:
            async def dispatch(event: Any) -> Any:
                seen.append(f"before {event['type']}")
                result = await next_dispatch(event)
                seen.append(f"after seq {result[0]['seq']}")
                return result

            return dispatch

        return wrap

    def stamp_user(api: Any) -> Any:
        def wrap(next_dispatch: Any) -> Any:
            async def dispatch(event: Any) -> Any:
                return await next_dispatch({**event, "meta": {"user": "middleware"}})

            return dispatch

        return wrap

    store = create_store(reducer, database, apply_middleware(logger, stamp_user))
    [stored] = await store.dispatch(added("n1"))
    assert seen == ["before itemAdded", "after seq 1"]
    assert stored["meta"] == {"user": "middleware"}
    assert (await database.rows("items"))[0]["author"] == "middleware"


async def test_middleware_api_dispatch_goes_through_the_whole_chain(database: Database) -> None:
    calls: list[str] = []

    def counter(api: Any) -> Any:
        def wrap(next_dispatch: Any) -> Any:
            async def dispatch(event: Any) -> Any:
                calls.append(event["type"])
                return await next_dispatch(event)

            return dispatch

        return wrap

    def follow_up(api: Any) -> Any:
        def wrap(next_dispatch: Any) -> Any:
            async def dispatch(event: Any) -> Any:
                result = await next_dispatch(event)
                if event["type"] == "itemAdded" and event["payload"]["id"] == "n1":
                    await api.dispatch(added("n2"))
                return result

            return dispatch

        return wrap

    store = create_store(reducer, database, apply_middleware(counter, follow_up))
    await store.dispatch(added("n1"))
    assert calls == ["itemAdded", "itemAdded"]
    assert [n["id"] for n in await database.rows("items")] == ["n1", "n2"]
    assert store.get_database() is database


async def test_dispatching_while_the_middleware_chain_is_built_raises(database: Database) -> None:
    def eager_awaiting(api: Any) -> Any:
        coroutine = api.dispatch(added("n1"))
        try:
            coroutine.send(None)
        finally:
            coroutine.close()
        return lambda next_dispatch: next_dispatch

    with pytest.raises(RuntimeError, match="while constructing your middleware"):
        create_store(reducer, database, apply_middleware(eager_awaiting))
    assert await database.events_after(0) == []


async def test_a_reducer_name_without_a_table_fails_when_the_store_is_created(
    database: Database,
) -> None:
    def tags(collection: Any, event: Any) -> list:
        return collection.no_change()

    with pytest.raises(ConfigurationError, match=r"\['tags'\].*no such table"):
        create_store(combine_reducers({"tags": tags}), database)


async def test_a_reducer_that_changes_data_for_an_unknown_event_fails_when_created(
    database: Database,
) -> None:
    def greedy(collection: Any, event: Any) -> list:
        return collection.insert({"id": "x"})

    with pytest.raises(ConfigurationError, match="no_change"):
        create_store(combine_reducers({"items": greedy}), database)


async def test_a_read_model_table_needs_a_string_primary_key_named_id(sqlite_url: str) -> None:
    metadata = MetaData()
    Table("things", metadata, Column("key", String(10), primary_key=True))
    with pytest.raises(ConfigurationError, match="primary key column named 'id'"):
        await connect(sqlite_url, metadata)


async def test_a_changeset_is_plain_data_that_survives_json(database: Database) -> None:
    import json

    from shared_reducers.memory import MemoryDatabase, empty_state

    changeset = reducer(
        MemoryDatabase(empty_state(["items"])),
        {**added("n1"), "id": "e1", "timestamp": "2026-01-01T00:00:00.000Z", "meta": {"user": "a"}},
    )
    assert json.loads(json.dumps(changeset)) == changeset
    assert changeset[0]["op"] == "insert"
    assert changeset[0]["collection"] == "items"
    assert changeset[0]["id"] == "n1"


@pytest.mark.parametrize("name", ["events", "flux_head", "flux_versions", "items__replay_1a2b"])
async def test_the_log_table_names_are_reserved(sqlite_url: str, name: str) -> None:
    metadata = MetaData()
    Table(name, metadata, Column("id", String(10), primary_key=True))
    with pytest.raises(ConfigurationError, match="reserved"):
        await connect(sqlite_url, metadata)


def test_compose_seeds_the_rightmost_function_with_every_argument() -> None:
    def add(x: int, y: int, z: int = 0) -> int:
        return x + y + z

    assert compose(lambda x: x * x, add)(1, 2) == 9
    assert compose(lambda x: x * x, add)(1, 2, z=1) == 16
    assert compose(add)(1, 2) == 3


def test_compose_of_nothing_returns_its_first_argument() -> None:
    assert compose()(1, 2) == 1
    assert compose()(3, extra="ignored") == 3
    assert compose()(None) is None


async def test_extra_dispatch_arguments_reach_every_middleware(database: Database) -> None:
    seen: list[tuple[str, tuple, dict]] = []

    def recording(name: str, consumes: bool) -> Any:
        def middleware(api: Any) -> Any:
            def wrap(next_dispatch: Any) -> Any:
                async def dispatch(event: Any, *args: Any, **kwargs: Any) -> Any:
                    seen.append((name, args, kwargs))
                    if consumes:
                        return await next_dispatch(event)
                    return await next_dispatch(event, *args, **kwargs)

                return dispatch

            return wrap

        return middleware

    def follow_up(api: Any) -> Any:
        def wrap(next_dispatch: Any) -> Any:
            async def dispatch(event: Any, *args: Any, **kwargs: Any) -> Any:
                result = await next_dispatch(event, *args, **kwargs)
                if event["payload"]["id"] == "n1":
                    await api.dispatch(added("n2"), "from api", origin="middleware")
                return result

            return dispatch

        return wrap

    chain = apply_middleware(follow_up, recording("outer", False), recording("inner", True))
    store = create_store(reducer, database, chain)
    await store.dispatch(added("n1"), "context", origin="socket")
    assert seen == [
        ("outer", ("context",), {"origin": "socket"}),
        ("inner", ("context",), {"origin": "socket"}),
        ("outer", ("from api",), {"origin": "middleware"}),
        ("inner", ("from api",), {"origin": "middleware"}),
    ]
    assert [n["id"] for n in await database.rows("items")] == ["n1", "n2"]


async def test_the_store_itself_refuses_extra_dispatch_arguments(database: Database) -> None:
    store = create_store(reducer, database)
    with pytest.raises(TypeError, match="Extra arguments are for middleware"):
        await store.dispatch(added("n1"), added("n2"))
    assert await database.events_after(0) == []
