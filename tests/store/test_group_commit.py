"""Group commit: concurrent dispatches share a transaction, yet each fails alone."""

from __future__ import annotations

import asyncio

import pytest

from server.store import EventRejected, Store
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
