"""PostgreSQL on psycopg pipelines the store's write transaction
(server/store/sql/pg_driver.py): the same rows, events and errors as Core, in
two round trips plus COMMIT once the reducers' reads are learned.

Core runs instead whenever something listens to the engine's cursor events,
so a store with a no-op listener is the Core reference here.  These tests run
on psycopg whatever FLUX_TEST_POSTGRES_URL names."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url

from server.store import ChangesetConflict, Event, Store, StoreUnavailable, connect, create_store
from server.store.sql import exact_string
from server.store.sql.pg_driver import PgPath
from shared_reducers.combine import combine_reducers
from tests.store.item_logs import answers_to, write_path_cases
from tests.store.items import added, copied, edited, open_items_store, removed, toggled
from tests.store.test_reconnect import terminate_every_connection


def _pg(store: Store) -> PgPath:
    found = store.get_database().pg
    assert found is not None, "postgresql+psycopg has the pipelined path"
    return found


MODES = pytest.mark.parametrize("simple", [True, False], ids=["simple_query", "pipeline"])
"""Each round trip as one simple-protocol query (the default) or a psycopg pipeline."""


def _listened(store: Store) -> None:
    sa_event.listen(store.get_database().engine.sync_engine, "before_cursor_execute", _nothing)


def _nothing(*_args: Any) -> None:
    pass


def _without_timestamps(outcome: Any) -> Any:
    if isinstance(outcome, list):
        return [{k: v for k, v in event.items() if k != "timestamp"} for event in outcome]
    return f"{type(outcome).__name__}: {outcome}"


async def _dump(store: Store, tables: list[str]) -> dict[str, Any]:
    database = store.get_database()
    dump: dict[str, Any] = {
        "events": [
            {k: v for k, v in e.items() if k != "timestamp"} for e in await database.events_after(0)
        ]
    }
    for name in tables:
        dump[name] = [
            {k: v for k, v in row.items() if k not in ("createdAt", "updatedAt")}
            for row in await database.rows(name)
        ]
    return dump


@MODES
async def test_postgres_pipeline_writes_what_core_writes(pg_url: str, simple: bool) -> None:
    dispatches: list[Any] = [
        *write_path_cases(),
        # one dispatch whose later events read the rows its earlier ones wrote
        [added("d", "one"), edited("d", "two"), toggled("d"), edited("a", "third")],
        [added("e"), removed("e"), added("e", "again")],
        # a round trip past psycopg's 4 KB split cache: its statements are bound apart
        [added(f"b{k}", f'it\'s "{k}" \\ %s ✓') for k in range(16)],
    ]
    dispatches = [
        [{"id": f"x{i}-{j}", **e} for j, e in enumerate(d)]
        if isinstance(d, list)
        else {"id": f"x{i}", **d}
        for i, d in enumerate(dispatches)
    ]
    outcomes, dumps = {}, {}
    for name in ("pipeline", "core"):
        store = await open_items_store(pg_url)
        try:
            await store.get_database().engine.dispose()
            async with store.get_database().engine.begin() as conn:
                await conn.exec_driver_sql("TRUNCATE items, events")
                await conn.exec_driver_sql("UPDATE flux_head SET seq = 0")
            _pg(store).simple = simple
            if name == "core":
                _listened(store)
            outcomes[name] = [_without_timestamps(o) for o in await answers_to(store, dispatches)]
            dumps[name] = await _dump(store, ["items"])
            if name == "pipeline":
                assert _pg(store).reruns == 0
        finally:
            await store.get_database().close()
    assert outcomes["pipeline"] == outcomes["core"]
    assert dumps["pipeline"] == dumps["core"]
    assert [e["seq"] for e in dumps["pipeline"]["events"]] == list(range(1, 30))
    assert dumps["pipeline"]["items"][0]["text"] == "third"


plain_metadata = MetaData()
plain = Table(
    "plain",
    plain_metadata,
    Column("id", exact_string(50), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("count", Integer, nullable=False, default=7),
    Column("source", String(50), nullable=False, default=lambda ctx: "ctx"),
)


def plain_reducer(collection: Any, event: Event) -> list[Any]:
    """Writes without reading first: the pipeline queues them unchecked."""
    payload = event.get("payload") or {}
    if event["type"] == "added":
        return collection.insert({"id": payload["id"], "name": payload["name"], "source": "x"})
    if event["type"] == "addedWithContext":  # a default taking the context: Core inserts
        return collection.insert({"id": payload["id"], "name": payload["name"]})
    if event["type"] == "renamed":
        return collection.update(payload["id"], {"name": payload["name"]})
    if event["type"] == "dropped":
        return collection.remove(payload["id"])
    return collection.no_change()


async def _plain_store(url: str) -> Store:
    database = await connect(url, plain_metadata)
    return create_store(combine_reducers({"plain": plain_reducer}), database)


@MODES
async def test_postgres_a_queued_write_that_finds_no_row_is_a_conflict(
    pg_url: str, simple: bool
) -> None:
    """An UPDATE or DELETE sent with the append found nothing: the transaction is
    rolled back and run again with each write waited for, which fails as Core does."""
    store = await _plain_store(pg_url)
    pg = _pg(store)
    pg.simple = simple
    try:
        await store.dispatch({"type": "added", "payload": {"id": "p1", "name": "one"}})
        await store.dispatch({"type": "renamed", "payload": {"id": "p1", "name": "un"}})
        # the head lock; the update of a row this transaction did not see, with the
        # append, checked; then COMMIT apart
        assert pg.last_round_trips == 3
        await store.dispatch({"type": "renamed", "payload": {"id": "p1", "name": "eins"}})
        # the row a renamed writes is now read ahead: COMMIT goes with the append
        assert pg.last_round_trips == 2
        for event in (
            {"type": "renamed", "payload": {"id": "nobody", "name": "x"}},
            {"type": "dropped", "payload": {"id": "nobody"}},
        ):
            with pytest.raises(ChangesetConflict, match="nobody"):
                await store.dispatch(event)
        assert pg.reruns == 2
        await store.dispatch({"type": "renamed", "payload": {"id": "p1", "name": "uno"}})
        assert pg.last_round_trips == 2
        await store.dispatch({"type": "addedWithContext", "payload": {"id": "p2", "name": "two"}})
        assert pg.reruns == 2
        rows = await store.get_database().rows("plain")
        assert rows == [
            {"id": "p1", "name": "uno", "count": 7, "source": "x"},
            {"id": "p2", "name": "two", "count": 7, "source": "ctx"},
        ]
        assert [e["seq"] for e in await store.get_database().events_after(0)] == [1, 2, 3, 4, 5]
    finally:
        await store.get_database().close()


@MODES
async def test_postgres_a_conflict_fails_its_dispatch_alone_in_a_group(
    pg_url: str, simple: bool
) -> None:
    store = await _plain_store(pg_url)
    _pg(store).simple = simple
    database = store.get_database()
    try:
        await store.dispatch({"type": "added", "payload": {"id": "t1", "name": "one"}})
        outcomes = await asyncio.gather(
            *(
                store.dispatch(
                    {"type": "added", "payload": {"id": "t1", "name": "again"}}
                    if i == 2
                    else {"type": "added", "payload": {"id": f"n{i}", "name": "x"}}
                )
                for i in range(5)
            ),
            return_exceptions=True,
        )
        assert isinstance(outcomes[2], ChangesetConflict), outcomes[2]
        assert all(isinstance(o, list) for i, o in enumerate(outcomes) if i != 2)
        assert [e["seq"] for e in await database.events_after(0)] == [1, 2, 3, 4, 5]
        assert [row["id"] for row in await database.rows("plain")] == [
            "n0",
            "n1",
            "n3",
            "n4",
            "t1",
        ]
    finally:
        await database.close()


@MODES
async def test_postgres_two_round_trips_once_the_reads_are_learned(
    pg_url: str, simple: bool
) -> None:
    store = await open_items_store(pg_url)
    pg = _pg(store)
    pg.simple = simple
    try:
        await store.dispatch(added("a"))
        # BEGIN + head lock; the reducer's read; the insert + append + COMMIT
        assert pg.last_round_trips == 3
        await store.dispatch(added("b"))
        # BEGIN + head lock + the read learned; the insert + append + COMMIT
        assert pg.last_round_trips == 2
        await store.dispatch({**edited("a", "new"), "id": "given"})
        assert pg.last_round_trips == 3  # itemEdited's read is not learned yet
        await store.dispatch(edited("b", "new"))
        assert pg.last_round_trips == 2
        assert await store.dispatch({**edited("a", "new"), "id": "given"})  # a retry
        assert pg.last_round_trips == 2  # the given id was found with the lock; COMMIT
        assert [r["text"] for r in await store.get_database().rows("items")] == ["new", "new"]
    finally:
        await store.get_database().close()


@MODES
async def test_postgres_concurrent_stores_keep_seq_gap_free_and_ids_idempotent(
    pg_url: str,
    simple: bool,
) -> None:
    """Two stores (two processes' worth of connections) on one database: the
    reads made with the head lock see every commit before it."""
    stores = [await _plain_store(pg_url) for _ in range(2)]
    for store in stores:
        _pg(store).simple = simple
    try:
        for n, store in enumerate(stores):
            await store.dispatch({"type": "added", "payload": {"id": f"w{n}", "name": "w"}})

        async def one(n: int, i: int) -> list[Any]:
            same = {"type": "added", "payload": {"id": f"s{i}", "name": "x"}, "id": f"same{i}"}
            mine = {"type": "renamed", "payload": {"id": f"s{i}", "name": f"by {n}"}}
            store = stores[n]
            return [await store.dispatch(same), await store.dispatch(mine)]

        results = await asyncio.gather(
            *(one(n, i) for i in range(20) for n in range(2)), return_exceptions=True
        )
        for result in results:
            assert isinstance(result, list), result
        log = await stores[0].get_database().events_after(0)
        assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
        assert len([e for e in log if e["id"].startswith("same")]) == 20
        assert len(log) == 2 + 20 + 40
        assert await stores[0].get_database().last_seq() == len(log)
    finally:
        for store in stores:
            await store.get_database().close()


async def test_postgres_the_kept_connection_reconnects_and_a_lost_database_is_unavailable(
    pg_url: str,
) -> None:
    """The writes keep their connection between transactions: terminated from
    outside (a restart, a failover), the next dispatch runs on a new one; with
    the server unreachable a dispatch is StoreUnavailable, nothing is written."""
    store = await open_items_store(pg_url)
    database = store.get_database()
    pg = _pg(store)
    try:
        await store.dispatch(added("a"))
        kept = pg._conn
        assert kept is not None
        assert await terminate_every_connection(make_url(pg_url)) >= 1
        await store.dispatch(added("b"))
        assert pg._conn is not None and pg._conn is not kept
        assert [e["seq"] for e in await database.events_after(0)] == [1, 2]

        async def unreachable(_engine: Any) -> Any:
            raise OSError("connection refused")

        await pg.close()
        setattr(pg, "_kept", unreachable)  # noqa: B010 - replace the method on this object
        with pytest.raises(StoreUnavailable):
            await store.dispatch(added("c"))
        assert [e["seq"] for e in await database.events_after(0)] == [1, 2]
    finally:
        await database.close()


@MODES
async def test_postgres_a_row_read_in_a_rolled_back_savepoint_is_not_remembered(
    pg_url: str, simple: bool
) -> None:
    """In a group's savepoint rerun, a dispatch that wrote and read a row and then
    failed leaves nothing behind: the next dispatch of the group reads the row
    as it is (absent), not as the failed one saw it."""
    store = await open_items_store(pg_url)
    _pg(store).simple = simple
    database = store.get_database()
    try:
        # itemCopied reads x after x was written, and writes only the copy
        failing = [added("x", "first"), copied("x"), removed("nobody")]
        outcomes = await asyncio.gather(
            store.dispatch(added("warm")),
            store.dispatch(failing),
            store.dispatch(added("x", "second")),
            return_exceptions=True,
        )
        assert isinstance(outcomes[0], list) and isinstance(outcomes[2], list), outcomes
        assert isinstance(outcomes[1], Exception), outcomes
        rows = {row["id"]: row for row in await database.rows("items")}
        assert sorted(rows) == ["warm", "x"]
        assert rows["x"]["text"] == "second" and rows["x"]["version"] == 1
        assert [e["seq"] for e in await database.events_after(0)] == [1, 2]
    finally:
        await database.close()


async def test_postgres_a_listener_on_the_kept_connection_gets_a_core_transaction(
    pg_url: str,
) -> None:
    """A cursor-event listener added while the kept (autocommit) connection is in
    use: Core runs the transaction, with its BEGIN, so the head lock holds."""
    store = await open_items_store(pg_url)
    database = store.get_database()
    pg = _pg(store)
    try:
        await store.dispatch(added("a"))
        kept = await pg._kept(database.engine)
        assert kept is not None
        seen: list[str] = []
        sa_event.listen(
            database.engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_args: seen.append(statement),
        )

        def work(conn: Any) -> str:
            assert pg.writes(conn) is None
            assert pg.writes(conn) is None  # BEGIN once
            conn.exec_driver_sql("SELECT seq FROM flux_head WHERE id = 1 FOR UPDATE")
            dbapi = conn.connection.dbapi_connection
            return str(dbapi.driver_connection.info.transaction_status.name)

        async with kept.begin():
            assert await kept.run_sync(work) == "INTRANS"
        assert seen.count("BEGIN") == 1
        assert await store.dispatch(added("b"))  # through Core now: the listener sees it
        assert any("flux_head" in statement for statement in seen[2:])
        assert [e["seq"] for e in await database.events_after(0)] == [1, 2]
    finally:
        await database.close()
