"""Replay with new reducers: rebuild the read-model tables from the log, then swap.

    report = await replay(database, reducer)

1. Create fresh tables from the database's MetaData (`notes__replay_<token>`),
   so a column added to the MetaData exists in them.
2. Replay the log up to its current end in memory with the current reducers
   and bulk-insert the rows (in short transactions: the app keeps serving).
3. Catch up with the events dispatched meanwhile, in rounds, until few remain.
4. Take the log lock, apply the last events, and swap the tables: the live
   table is renamed away, the fresh one takes its name, the old one is
   dropped, and the snapshots (taken with the old reducers) are deleted.

What the swap guarantees: no dispatch commits between the last caught-up
event and the rename, so no event is lost and readers see either the old or
the new tables, never a mix.
- SQLite, PostgreSQL: one transaction holding the log lock does the last
  catch-up, the renames and the drop (DDL is transactional there).
- MySQL/MariaDB: RENAME TABLE commits implicitly, which would end the
  transaction holding the lock.  So one connection holds the head row lock
  (`SELECT ... FOR UPDATE`, which every dispatch of every process waits on)
  while a second connection does the catch-up and one atomic multi-table
  `RENAME TABLE`; then the first commits.  Readers see old or new tables.
In this process the store's write lock is held throughout, too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, MetaData, PrimaryKeyConstraint, Table, insert, text
from sqlalchemy.exc import SQLAlchemyError

from server.store.errors import ConfigurationError, StoreError
from server.store.history import snapshots
from server.store.history.inmemory import Replayer, collection_names, writing
from server.store.history.progress import Reporter, Silent
from server.store.sql import eventlog
from server.store.sql.collection import apply_changeset
from server.store.sql.database import Database
from server.store.types import Event, RootReducer

SUFFIX = "__replay_"
INSERT_CHUNK = 5000
"""Rows per bulk-insert transaction (one executemany each): few commits, and none holds
the write lock long (about 0.1 s on SQLite), so dispatches go on meanwhile."""
PAGE = 5000
"""Events read per page: replay, verify and export hold one page of the log at a time."""


async def pages(
    database: Database, after: int, upto: int, size: int | None = None
) -> AsyncIterator[list[Event]]:
    """The logged events with after < seq <= upto, a page (one short read
    transaction, `WHERE seq > :after ORDER BY seq LIMIT :size`) at a time, each
    event decoded once (eventlog.read_page).  The next page's read is a task
    started when this one is handed over: it advances only while the caller
    awaits (a caller that folds the page synchronously, as replay does, gets no
    overlap; folding in slices with a yield before each was measured and was not
    faster: the read's decoding shares the event loop's thread, and SQLite's
    driver thread contends for the GIL).  At most two pages are held."""
    size = size or PAGE

    def read(start: int) -> asyncio.Future[list[Event]]:
        return asyncio.ensure_future(
            database.read(lambda conn: eventlog.read_page(conn, start, upto, size))
        )

    if after >= upto:
        return
    ahead: asyncio.Future[list[Event]] | None = read(after)
    try:
        while ahead is not None:
            events = await ahead
            ahead = None
            if not events:
                return
            last = events[-1]["seq"]
            if last < upto:
                ahead = read(last)
            yield events
    finally:
        if ahead is not None:
            ahead.cancel()
            with contextlib.suppress(BaseException):
                await ahead


@dataclass
class ReplayReport:
    seq: int
    """The last event replayed (the log's end at the swap)."""
    caught_up: int
    """Events dispatched while the replay ran, applied before the swap."""
    rows: dict[str, int] = field(default_factory=dict)


def fresh_tables(database: Database, token: str) -> dict[str, Table]:
    """Copies of the read-model tables named `<name>__replay_<token>` (indexes renamed too)."""
    metadata = MetaData()
    fresh: dict[str, Table] = {}
    for name, table in database.tables.items():
        if SUFFIX in name:
            raise ConfigurationError(
                f"Read-model table names may not contain {SUFFIX!r} (reserved for replay); "
                f"got {name!r}."
            )
        copy = table.to_metadata(metadata, name=f"{name}{SUFFIX}{token}")
        for index in copy.indexes:
            if index.name:
                index.name = f"{index.name}_{token}"  # type: ignore[assignment]
        for constraint in copy.constraints:
            if constraint.name and not isinstance(constraint, PrimaryKeyConstraint):
                constraint.name = f"{constraint.name}_{token}"
        fresh[name] = copy
    return fresh


async def replay(
    database: Database,
    reducer: RootReducer,
    progress: Reporter | None = None,
    *,
    rounds: int = 10,
    close_enough: int = 200,
) -> ReplayReport:
    """Rebuild every read-model table from the log with `reducer` and swap it in."""
    progress = progress or Silent()
    await snapshots.ensure_table(database)
    token = secrets.token_hex(4)
    fresh = fresh_tables(database, token)
    metadata = next(iter(fresh.values())).metadata if fresh else MetaData()
    try:
        async with writing(database) as conn:
            await conn.run_sync(lambda c: metadata.create_all(c, checkfirst=False))
        replayer = Replayer(reducer, collection_names(reducer, database), derive_at_end=True)
        end = await database.last_seq()
        progress.start("replaying the log", end)
        with sparing(replayer):
            async for batch in pages(database, 0, end):
                fold(replayer, batch)
                progress.advance(len(batch))
                gc.freeze()
            replayer.derive()
            progress.finish()
            gc.freeze()
            await _bulk_insert(database, fresh, replayer, progress)
            caught_up = 0
            for _ in range(rounds):
                head = await database.last_seq()
                if head - replayer.seq <= close_enough:
                    break
                caught_up += await _catch_up(database, fresh, replayer, head)
            caught_up += await _swap(database, fresh, replayer)
            rows = {name: len(replayer.state.get(name, {})) for name in fresh}
    except BaseException:
        await _drop_quietly(database, metadata)
        raise
    return ReplayReport(replayer.seq, caught_up, rows)


@contextlib.contextmanager
def sparing(replayer: Replayer) -> Iterator[None]:
    """The replay's state kept out of the cyclic collector's passes while it is
    built, written and caught up (the block gc.freeze()s what is alive after
    each page); at the end the state is dropped, the frozen objects go back to
    the oldest generation and one full collection runs.

    The state only grows and holds no cycle, but every page decoded and every
    row written allocates enough to trigger collections, and the full ones walk
    all of it again (plus everything else alive): at 100,000 events that took
    longer than the fold itself.  Frozen objects are still freed by reference
    counting; the collector keeps collecting what was allocated since the last
    freeze (the app's requests meanwhile included); cycles among frozen objects
    wait for the collection at the end, which runs once the state is gone, so
    it walks only the rest of the process (and leaves no debt to whatever runs
    next: the objects promoted meanwhile would otherwise trigger a full pass soon
    after)."""
    try:
        yield
    finally:
        replayer.state.clear()
        gc.unfreeze()
        gc.collect()


def fold(replayer: Replayer, events: list[Event]) -> None:
    """Apply a page of events, with the cyclic garbage collector paused meanwhile.

    The fold allocates a few dicts and lists per event and frees them by
    reference counting (a changeset holds no cycle), while the state it builds
    only grows; so the collector's passes find nothing and, as the state grows,
    the full ones walk all of it again (about 15% of the fold at 100,000 events).
    Only this synchronous stretch is affected: no other coroutine runs during
    it, and the collector is back on (if it was on) before the next await."""
    paused = gc.isenabled()
    gc.disable()
    try:
        replayer.fold(events)
    finally:
        if paused:
            gc.enable()


async def _bulk_insert(
    database: Database, fresh: Mapping[str, Table], replayer: Replayer, progress: Reporter
) -> None:
    total = sum(len(replayer.state.get(name, {})) for name in fresh)
    progress.start("writing the new tables", total)
    for name, table in fresh.items():
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in replayer.state.get(name, {}).values():
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for rows in groups.values():
            for start in range(0, len(rows), INSERT_CHUNK):
                chunk = rows[start : start + INSERT_CHUNK]
                await _execute(database, lambda c, t=table, r=chunk: c.execute(insert(t), r))
                progress.advance(len(chunk))
    progress.finish()


async def _execute(database: Database, work: Any) -> Any:
    try:
        async with writing(database) as conn:
            return await conn.run_sync(work)
    except SQLAlchemyError as error:
        raise StoreError(f"Replay failed: {error}") from error


def _apply(
    conn: Connection, fresh: Mapping[str, Table], replayer: Replayer, events: list[Event]
) -> int:
    for event in events:
        apply_changeset(conn, fresh, replayer.apply(event))
    return len(events)


async def _catch_up(
    database: Database, fresh: Mapping[str, Table], replayer: Replayer, head: int
) -> int:
    count = 0
    async for batch in pages(database, replayer.seq, head):
        count += await _execute(database, lambda c, b=batch: _apply(c, fresh, replayer, b))
    return count


def _rename(conn: Connection, old: str, new: str) -> None:
    quote = conn.dialect.identifier_preparer.quote
    conn.execute(text(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}"))


def _swap_in_transaction(conn: Connection, fresh: Mapping[str, Table]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for name, table in fresh.items():
        old = table.name.replace(SUFFIX, "__old_")
        live = conn.dialect.has_table(conn, name)
        if live:
            _rename(conn, name, old)
        _rename(conn, table.name, name)
        if live:
            conn.execute(text(f"DROP TABLE {quote(old)}"))
    snapshots.clear(conn)


def _swap_mysql(conn: Connection, fresh: Mapping[str, Table]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    pairs: list[str] = []
    olds: list[str] = []
    for name, table in fresh.items():
        old = table.name.replace(SUFFIX, "__old_")
        if conn.dialect.has_table(conn, name):
            pairs.append(f"{quote(name)} TO {quote(old)}")
            olds.append(old)
        pairs.append(f"{quote(table.name)} TO {quote(name)}")
    snapshots.clear(conn)
    conn.execute(text("RENAME TABLE " + ", ".join(pairs)))  # atomic; commits implicitly
    for old in olds:
        conn.execute(text(f"DROP TABLE {quote(old)}"))


async def _swap(database: Database, fresh: Mapping[str, Table], replayer: Replayer) -> int:
    """The last catch-up and the swap, with no dispatch in between; returns events applied."""
    if database.dialect != "mysql":

        def work(conn: Connection, head: tuple[int, str]) -> int:
            events = eventlog.read_after(conn, replayer.seq)
            count = _apply(conn, fresh, replayer, events)
            _swap_in_transaction(conn, fresh)
            return count

        return await database.write(work)
    async with database.write_lock:
        try:
            async with database.engine.connect() as holder:
                async with holder.begin():
                    await holder.run_sync(lambda c: eventlog.lock_head(c, True))
                    events = await holder.run_sync(lambda c: eventlog.read_after(c, replayer.seq))
                    async with database.engine.connect() as worker:
                        async with worker.begin():
                            count = await worker.run_sync(
                                lambda c: _apply(c, fresh, replayer, events)
                            )
                        await worker.run_sync(lambda c: _swap_mysql(c, fresh))
                        await worker.commit()
        except SQLAlchemyError as error:
            raise StoreError(f"The replay's swap failed: {error}") from error
    return count


async def _drop_quietly(database: Database, metadata: MetaData) -> None:
    try:
        async with writing(database) as conn:
            await conn.run_sync(lambda c: metadata.drop_all(c, checkfirst=True))
    except SQLAlchemyError:
        pass
