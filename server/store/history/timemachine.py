"""The time machine: the read model as it was after any event, a row's history,
and what a deleted note looked like (to restore it).

    past = await as_of(database, reducer, seq=120)         # or time="2026-11-26T10:00Z"
    await past.rows("notes", after=None, limit=50)         # a page, in id order
    await past.get("notes", "n1")                          # one row, or None
    (await state_at(database, reducer, seq=120)).collections["notes"]   # every row
    await history(database, reducer, "notes", "n1")        # [{"event", "row"}, ...]

Everything is answered from the history index (versions.py: every version of
every row, built from the log by the same reducers): a point at or below the
indexed head is one indexed query; above it, the few events the follower has
not indexed yet are folded in memory on top (when more than CATCH_UP are
missing, they are indexed first).  Rows are returned canonical: every column of
the table, as a SELECT returns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, func, select

from server.store.events import format_timestamp
from server.store.history import versions
from server.store.history.inmemory import canonical, canonical_rows, collection_names
from server.store.sql import eventlog
from server.store.sql.database import Database
from server.store.types import RootReducer, Row

CATCH_UP = 1000
"""At most this many events past the indexed head are folded in memory by `as_of`;
more are indexed first (the follower, keep_snapshots, normally keeps the lag small)."""


class OutOfRange(ValueError):
    """The point asked for is not in the log (a seq past the end, a malformed time)."""


@dataclass
class AsOf:
    """The read model after event `seq` (0: before the first event).

    Read it a page at a time (`rows`, `get`, `count`), or whole: `state_at`
    loads every row into `collections` (fine for small logs; at a million
    events a collection is ~100 MB, so prefer the pages)."""

    seq: int
    timestamp: str | None
    database: Database = field(repr=False, compare=False)
    base: int = field(repr=False, compare=False)
    """The indexed point the queries read; events base < seq <= `seq` are in `changes`."""
    changes: dict[str, dict[str, Row | None]] = field(repr=False, compare=False)
    """Rows changed by the events after `base`, by collection and id (None: removed)."""
    loaded: dict[str, list[Row]] | None = field(default=None, repr=False)

    @property
    def collections(self) -> dict[str, list[Row]]:
        """`{"notes": [every row, sorted by id]}`, once `load()` (or state_at) has run."""
        if self.loaded is None:
            raise RuntimeError(
                "This AsOf reads by pages (rows, get, count); await its load() "
                "(state_at does) before using collections."
            )
        return self.loaded

    async def load(self) -> dict[str, list[Row]]:
        """Read every row of every table into `collections`."""
        self.loaded = {name: await self.rows(name, limit=None) for name in self.database.tables}
        return self.loaded

    async def rows(self, name: str, after: str | None = None, limit: int | None = 50) -> list[Row]:
        """The rows of `name` whose id is after `after` (None: from the first), in id
        order (code points), at most `limit` (None: all)."""
        table = self.database.table(name)
        if limit is not None and limit < 0:
            raise ValueError(f"Expected a limit >= 0 (or None for all); got {limit}.")
        changed = self.changes.get(name, {})
        wanted = None if limit is None else limit + len(changed)
        found = await self.database.read(
            partial(versions.page, name=name, seq=self.base, after=after, limit=wanted)
        )
        merged = {id: row for id, row in found if id not in changed}
        for id, row in changed.items():
            if row is not None and (after is None or id > after):
                merged[id] = row
        ids = sorted(merged)[:limit]
        return canonical_rows(table, (merged[id] for id in ids))

    async def get(self, name: str, id: str) -> Row | None:
        """Row `id` of `name`, or None when it did not exist then."""
        table = self.database.table(name)
        changed = self.changes.get(name, {})
        if id in changed:
            return canonical(table, changed[id])
        row = await self.database.read(
            partial(versions.version_at, name=name, id=id, seq=self.base)
        )
        return canonical(table, row)

    async def count(self, name: str) -> int:
        """How many rows `name` had."""
        self.database.table(name)
        changed = self.changes.get(name, {})

        def work(conn: Connection) -> int:
            total = versions.count(conn, name, self.base)
            for id, row in changed.items():
                before = versions.version_at(conn, name, id, self.base) is not None
                total += (row is not None) - before
            return total

        return await self.database.read(work)


def parse_moment(text: str) -> str:
    """An ISO-8601 time (naive means UTC) as a log timestamp: 2026-11-26T10:00:00.000Z."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise OutOfRange(
            f"Expected an ISO-8601 time such as 2026-11-26T10:00:00Z; got {text!r}."
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_timestamp(moment)


def _locate(conn: Connection, seq: int | None, stamp: str | None) -> tuple[int, str | None, int]:
    """(the point asked for, its event's timestamp, the indexed head), in one read."""
    table = eventlog.events_table
    logged = eventlog.head_table
    heads = conn.execute(
        select(
            select(logged.c.seq).where(logged.c.id == 1).scalar_subquery(),
            select(versions.head_table.c.seq)
            .where(versions.head_table.c.id == 1)
            .scalar_subquery(),
        )
    ).first()
    last, indexed = (int(heads[0] or 0), int(heads[1] or 0)) if heads is not None else (0, 0)
    if stamp is not None:
        found = conn.scalar(select(func.max(table.c.seq)).where(table.c.timestamp <= stamp))
        point = int(found) if found is not None else 0
    elif seq is None:
        point = last
    elif not 0 <= seq <= last:
        raise OutOfRange(f"Expected a seq between 0 and {last} (the last event); got {seq!r}.")
    else:
        point = seq
    timestamp = None
    if point:
        timestamp = conn.scalar(select(table.c.timestamp).where(table.c.seq == point))
    return point, timestamp, indexed


async def as_of(
    database: Database, reducer: RootReducer, seq: int | None = None, time: str | None = None
) -> AsOf:
    """The read model after event `seq`, or at the moment `time` (ISO-8601); default
    now.  Read by pages: `rows`, `get`, `count` (nothing is loaded up front)."""
    if seq is not None and time is not None:
        raise OutOfRange("Give either seq or time, not both.")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
        raise OutOfRange(f"Expected a seq, a whole number >= 0; got {seq!r}.")
    stamp = parse_moment(time) if time is not None else None
    await versions.ensure_tables(database)
    point, timestamp, head = await database.read(partial(_locate, seq=seq, stamp=stamp))
    if point - head > CATCH_UP:
        head = await versions.build(database, reducer, upto=point)
    base = min(point, head)
    changes: dict[str, dict[str, Row | None]] = {}
    if point > base:
        names = collection_names(reducer, database)
        folded = await database.read(
            partial(versions.fold_after, reducer=reducer, names=names, after=base, upto=point)
        )
        for _, name, id, row in folded:
            changes.setdefault(name, {})[id] = row
    return AsOf(point, timestamp, database, base, changes)


async def state_at(
    database: Database, reducer: RootReducer, seq: int | None = None, time: str | None = None
) -> AsOf:
    """`as_of` with every row loaded into `collections`."""
    past = await as_of(database, reducer, seq, time)
    await past.load()
    return past


async def at(
    database: Database, reducer: RootReducer, seq: int | None = None, time: str | None = None
) -> dict[str, list[Row]]:
    """`{"notes": [rows sorted by id]}` as it was after event `seq` (or at `time`)."""
    return (await state_at(database, reducer, seq, time)).collections


async def _versions(
    database: Database, reducer: RootReducer, name: str, id: str
) -> list[tuple[int, int | None, Row]]:
    database.table(name)
    await versions.build(database, reducer)
    return await database.read(partial(versions.versions_of, name=name, id=id))


async def history(
    database: Database, reducer: RootReducer, name: str, id: str
) -> list[dict[str, Any]]:
    """Every event that touched row `id` of `name`: `[{"event": ..., "row": row after it}]`.

    The row is None after a removal.  Read from the history index, which
    records whichever event's changeset named the row, whatever its payload
    says (a conflict copy `<id>~<event id>` is made by an edit of `<id>`).
    """
    table = database.table(name)
    found = await _versions(database, reducer, name, id)
    steps: list[tuple[int, Row | None]] = []
    for index, (start, end, row) in enumerate(found):
        steps.append((start, row))
        following = found[index + 1][0] if index + 1 < len(found) else None
        if end is not None and following != end:
            steps.append((end, None))
    events = await database.read(partial(versions.events_at, seqs=[s for s, _ in steps]))
    return [{"event": events[seq], "row": canonical(table, row)} for seq, row in steps]


async def deleted_rows(database: Database, reducer: RootReducer, name: str) -> list[dict[str, Any]]:
    """The rows of `name` removed and not back now: `[{"row": last content, "event": removal}]`."""
    table = database.table(name)
    await versions.build(database, reducer)
    gone = await database.read(partial(versions.removed, name=name))
    events = await database.read(partial(versions.events_at, seqs=[seq for _, seq in gone]))
    entries = [{"row": canonical(table, row), "event": events[seq]} for row, seq in gone]
    return sorted(entries, key=lambda entry: str(entry["row"]["id"]))


async def last_content(database: Database, reducer: RootReducer, name: str, id: str) -> Row:
    """The last content of a removed row (one indexed query).

    Raises OutOfRange when the row exists now or never existed.
    """
    found = await _versions(database, reducer, name, id)
    if not found:
        raise OutOfRange(f"There never was a row {id!r} in {name}; nothing to restore.")
    _, end, row = found[-1]
    if end is None:
        raise OutOfRange(f"Row {id!r} of {name} is not deleted, so it cannot be restored.")
    return dict(canonical(database.table(name), row) or {})
