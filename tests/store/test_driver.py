"""SQLite's writer runs the hot statements on sqlite3's cursor (server/store/sql/driver.py):
the same rows, values and errors as through SQLAlchemy Core.

Core runs instead whenever something listens to the engine's cursor events, so
a store with a no-op listener is the Core reference here."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table
from sqlalchemy import event as sa_event

from server.store import ChangesetConflict, Event, Store, connect, create_store
from server.store.sql import exact_string
from shared_reducers.combine import combine_reducers
from tests.store.item_logs import answers_to, write_path_cases
from tests.store.items import open_items_store


def _listened(store: Store) -> None:
    engine = store.get_database().writer_engine
    assert engine is not None
    sa_event.listen(engine, "before_cursor_execute", lambda *args: None)


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows with each value's SQLite type, timestamps left out."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        dump = {}
        for table in tables:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            kept = [c for c in columns if c not in ("timestamp", "createdAt", "updatedAt")]
            select = ", ".join(f'"{c}", typeof("{c}")' for c in kept)
            dump[table] = sorted(
                conn.execute(f'SELECT {select} FROM "{table}"').fetchall(), key=repr
            )
        return dump
    finally:
        conn.close()


def _without_timestamps(outcome: Any) -> Any:
    if isinstance(outcome, list):
        return [{k: v for k, v in event.items() if k != "timestamp"} for event in outcome]
    return f"{type(outcome).__name__}: {outcome}"


async def test_the_driver_writes_what_core_writes(tmp_path: Path) -> None:
    events = [{"id": f"x{i}", **event} for i, event in enumerate(write_path_cases())]
    outcomes = {}
    for name in ("driver", "core"):
        store = await open_items_store(f"sqlite+aiosqlite:///{tmp_path / name}.db")
        if name == "core":
            _listened(store)
        try:
            outcomes[name] = [_without_timestamps(o) for o in await answers_to(store, events)]
        finally:
            await store.get_database().close()
    assert outcomes["driver"] == outcomes["core"]
    assert [o[0]["seq"] for o in outcomes["driver"] if isinstance(o, list)] == [1, 2, 3, 4, 5, 1, 6]
    assert _dump(tmp_path / "driver.db") == _dump(tmp_path / "core.db")


defaults_metadata = MetaData()
things = Table(
    "things",
    defaults_metadata,
    Column("id", exact_string(50), primary_key=True),
    Column("name", String(50), nullable=False),
    Column("count", Integer, nullable=False, default=7),
    Column("tags", String(50), nullable=False, default=lambda: "none"),
    Column("flag", Boolean, nullable=False, default=False),
    Column("source", String(50), nullable=False, default=lambda ctx: "ctx"),
    Column("touched", Integer, nullable=True, onupdate=lambda: 1),
)


def things_reducer(collection: Any, event: Event) -> list[Any]:
    payload = event.get("payload") or {}
    if event["type"] == "thingAdded":
        return collection.insert({"id": payload["id"], "name": payload["name"]})
    if event["type"] == "thingRenamed":
        return collection.update(payload["id"], {"name": payload["name"]})
    if event["type"] == "thingInsertedTwice":
        return collection.insert({"id": payload["id"], "name": "again"})
    return collection.no_change()


async def test_defaults_and_onupdate_as_core_has_them(tmp_path: Path) -> None:
    """Scalar and zero-argument defaults run on the driver; a default taking the
    execution context and an onupdate are left to Core: the rows are the same."""
    events: list[Event] = [
        {"type": "thingAdded", "payload": {"id": "t1", "name": "one"}, "id": "e1"},
        {"type": "thingRenamed", "payload": {"id": "t1", "name": "uno"}, "id": "e2"},
    ]
    dumps = []
    for name in ("driver", "core"):
        database = await connect(f"sqlite+aiosqlite:///{tmp_path / name}.db", defaults_metadata)
        store = create_store(combine_reducers({"things": things_reducer}), database)
        if name == "core":
            _listened(store)
        try:
            await answers_to(store, events)
            assert await database.rows("things") == [
                {
                    "id": "t1",
                    "name": "uno",
                    "count": 7,
                    "tags": "none",
                    "flag": False,
                    "source": "ctx",
                    "touched": 1,
                }
            ]
        finally:
            await database.close()
        dumps.append(_dump(tmp_path / f"{name}.db"))
    assert dumps[0] == dumps[1]


async def test_a_conflict_on_the_driver_fails_its_dispatch_alone(tmp_path: Path) -> None:
    """The driver's IntegrityError is Core's: a ChangesetConflict for the dispatch
    that caused it, while its group's other dispatches commit."""
    database = await connect(f"sqlite+aiosqlite:///{tmp_path / 'flux.db'}", defaults_metadata)
    store = create_store(combine_reducers({"things": things_reducer}), database)
    try:
        await store.dispatch({"type": "thingAdded", "payload": {"id": "t1", "name": "one"}})
        outcomes = await asyncio.gather(
            *(
                store.dispatch(
                    {"type": "thingInsertedTwice", "payload": {"id": "t1"}}
                    if i == 2
                    else {"type": "thingAdded", "payload": {"id": f"n{i}", "name": "x"}}
                )
                for i in range(5)
            ),
            return_exceptions=True,
        )
        assert isinstance(outcomes[2], ChangesetConflict), outcomes[2]
        assert "t1" in str(outcomes[2])
        assert all(isinstance(o, list) for i, o in enumerate(outcomes) if i != 2)
        log = await database.events_after(0)
        assert [e["seq"] for e in log] == [1, 2, 3, 4, 5]
        assert sorted(row["id"] for row in await database.rows("things")) == [
            "n0",
            "n1",
            "n3",
            "n4",
            "t1",
        ]
    finally:
        await database.close()
