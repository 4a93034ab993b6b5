"""Group commit: concurrent dispatches share a transaction, yet each fails alone."""

from __future__ import annotations

import asyncio

import pytest

from server.store import EventRejected, Store, StoreError, StoreUnavailable
from tests.store.items import added, removed


async def test_a_rejected_dispatch_fails_alone_and_its_neighbours_commit(store: Store) -> None:
    heard: list[list[str]] = []
    store.subscribe(lambda events: heard.append([e["payload"]["id"] for e in events]))
    calls = [
        store.dispatch([added(f"n{i}"), added(f"m{i}")])
        if i % 2 == 0
        else store.dispatch(removed(f"x{i}"))
        for i in range(40)
    ]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    for i, outcome in enumerate(outcomes):
        if i % 2:
            assert isinstance(outcome, EventRejected), outcome
            assert f"x{i}" in str(outcome)
        else:
            assert isinstance(outcome, list)
            assert [e["payload"]["id"] for e in outcome] == [f"n{i}", f"m{i}"]
    log = await store.get_database().events_after(0)
    assert [e["seq"] for e in log] == list(range(1, 41))
    assert len(await store.get_database().rows("items")) == 40
    assert sorted(heard) == sorted([f"n{i}", f"m{i}"] for i in range(0, 40, 2))
    assert [ids for ids in heard] == [
        [e["payload"]["id"] for e in log[k : k + 2]] for k in range(0, 40, 2)
    ]


async def test_concurrent_retries_of_one_event_id_store_it_once(store: Store) -> None:
    event = {**added("n1"), "id": "9a0e7a52-0000-4000-8000-00000000000a"}
    results = await asyncio.gather(*(store.dispatch(event) for _ in range(10)))
    assert all(r == results[0] for r in results)
    assert len(await store.get_database().events_after(0)) == 1


async def test_dispatches_that_wait_are_grouped_into_fewer_transactions(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = store.get_database()
    transactions = 0
    write = database.write

    async def counting_write(*args: object, **kwargs: object) -> object:
        nonlocal transactions
        transactions += 1
        return await write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(database, "write", counting_write)
    await asyncio.gather(*(store.dispatch(added(f"n{i}")) for i in range(50)))
    assert len(await database.events_after(0)) == 50
    assert transactions < 50


async def test_a_group_takes_savepoints_only_when_one_of_its_dispatches_fails(store: Store) -> None:
    from sqlalchemy import event as sa_event

    database = store.get_database()
    engine = database.writer_engine or database.engine.sync_engine
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split()[0].upper())

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        await asyncio.gather(*(store.dispatch(added(f"n{i}")) for i in range(30)))
        assert "SAVEPOINT" not in statements
        outcomes = await asyncio.gather(
            *(store.dispatch(added(f"m{i}") if i != 5 else removed("nope")) for i in range(30)),
            return_exceptions=True,
        )
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert [isinstance(o, EventRejected) for o in outcomes].count(True) == 1
    assert "SAVEPOINT" in statements
    assert len(await database.events_after(0)) == 59


async def dispatch_as_one_group(store: Store, events: list[dict]) -> list[object]:
    """Dispatch `events` concurrently so that they share one transaction: a first
    dispatch holds the committer while they queue behind it."""
    database = store.get_database()
    async with database.write_lock:  # the first dispatch waits here, the others behind it
        first = asyncio.ensure_future(store.dispatch(added("first")))
        calls = [asyncio.ensure_future(store.dispatch(event)) for event in events]
        for _ in range(5):
            await asyncio.sleep(0)
    await first
    return await asyncio.gather(*calls, return_exceptions=True)


def refused_value(kind: str, dialect: str) -> dict:
    if kind == "too long":
        if dialect == "sqlite":
            pytest.skip("SQLite stores a string of any length in a VARCHAR column")
        return added("refused", user="u" * 101)  # items.author is VARCHAR(100)
    # items.text is TEXT: no driver binds a dict to it
    return {**added("refused"), "payload": {"id": "refused", "text": {"not": "a string"}}}


@pytest.mark.parametrize("kind", ["too long", "unbindable"])
async def test_a_value_the_database_refuses_fails_only_its_own_dispatch(
    store: Store, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = store.get_database()
    events = [added(f"n{i}") for i in range(8)]
    events[4] = refused_value(kind, database.dialect)
    transactions = 0
    write = database.write

    async def counting_write(*args: object, **kwargs: object) -> object:
        nonlocal transactions
        transactions += 1
        return await write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(database, "write", counting_write)
    heard: list[str] = []
    store.subscribe(lambda events: heard.extend(e["payload"]["id"] for e in events))
    async with asyncio.timeout(30):
        outcomes = await dispatch_as_one_group(store, events)
    assert isinstance(outcomes[4], StoreError), outcomes[4]
    assert not isinstance(outcomes[4], StoreUnavailable)
    assert "refused" in str(outcomes[4])
    for i, outcome in enumerate(outcomes):
        if i != 4:
            assert isinstance(outcome, list), (i, outcome)
            assert outcome[0]["payload"]["id"] == f"n{i}"
    # the first alone, the group of eight, the group again with a savepoint per dispatch
    assert transactions == 3
    log = await database.events_after(0)
    assert [e["seq"] for e in log] == list(range(1, 9))
    assert [e["payload"]["id"] for e in log] == ["first"] + [f"n{i}" for i in range(8) if i != 4]
    assert len(await database.rows("items")) == 8
    assert heard == [e["payload"]["id"] for e in log]


async def test_a_lost_connection_fails_the_whole_group_and_writes_nothing(store: Store) -> None:
    from sqlalchemy import event as sa_event

    database = store.get_database()
    engine = database.writer_engine or database.engine.sync_engine
    lost = engine.dialect.loaded_dbapi.OperationalError

    def lose_connection(
        conn: object, cursor: object, statement: str, parameters: object, *args: object
    ) -> None:
        if statement.lstrip().upper().startswith("INSERT") and "lost-here" in str(parameters):
            raise lost("server closed the connection unexpectedly")

    events = [added(f"n{i}") for i in range(8)]
    events[4] = added("lost-here")
    sa_event.listen(engine, "before_cursor_execute", lose_connection)
    try:
        async with asyncio.timeout(30):
            outcomes = await dispatch_as_one_group(store, events)
    finally:
        sa_event.remove(engine, "before_cursor_execute", lose_connection)
    assert all(isinstance(outcome, StoreUnavailable) for outcome in outcomes), outcomes
    assert [e["payload"]["id"] for e in await database.events_after(0)] == ["first"]
    [stored] = await store.dispatch(added("after"))  # the database is back: so is the store
    assert stored["seq"] == 2
