"""The history index: every version of every read-model row, so that the time
machine answers with indexed queries instead of replaying the log.

`flux_versions` holds one row per version: (collection, row_id, seq_from,
seq_to, body).  A version is the row after event `seq_from`, valid until event
`seq_to` replaced or removed it (NULL while it is current); so the rows after
event `s` are the versions with `seq_from <= s < seq_to`.  A version closed
without a successor starting at its `seq_to` was removed by that event.
`flux_versions_head` holds the last event indexed.  Both names are reserved.

The index is computed from the log with the store's reducers (never copied from
the tables), so it is exactly what `replay(events[:seq])` gives, and it is only
a cache: `flux replay` clears it (new reducers make it wrong) and it is rebuilt
from the log.  Building is incremental and bounded: a page of events is folded
in a read transaction against the rows valid at the indexed head (loaded from
the index on first touch, `LazyState`), then written in one short write
transaction that first checks that the head has not moved (another process may
index too).  Memory holds one page of events and the rows they touch.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable
from functools import partial
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from server.store.errors import ConfigurationError, StoreError
from server.store.history.inmemory import Replayer, collection_names, writing
from server.store.sql import eventlog
from server.store.sql.columns import exact_string
from server.store.sql.database import Database
from server.store.types import Event, RootReducer, Row

VERSIONS = "flux_versions"
HEAD = "flux_versions_head"
PAGE = 2000
"""Events folded per read and written per write transaction when building."""
READ_AHEAD = 500
"""Row ids read per query when a page of events is folded."""
FEW = 20_000
"""Below this many versions made up to a point, a page of that point is read in
seq order and sorted; above, in id order (see `page`)."""

index_metadata = MetaData()
versions_table = Table(
    VERSIONS,
    index_metadata,
    Column("collection", exact_string(64), nullable=False),
    Column("row_id", exact_string(255), nullable=False),
    Column("seq_from", BigInteger, nullable=False),
    Column("seq_to", BigInteger, nullable=True),
    Column("body", Text().with_variant(mysql.LONGTEXT(), "mysql"), nullable=False),
    PrimaryKeyConstraint("collection", "row_id", "seq_from"),
    # Covering the validity test, so paging in id order reads no bodies it skips.
    Index("ix_flux_versions_valid", "collection", "row_id", "seq_from", "seq_to"),
    # Covering the validity test in seq order: early points have few candidates.
    Index("ix_flux_versions_from", "collection", "seq_from", "seq_to", "row_id"),
)
head_table = Table(
    HEAD,
    index_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
)

Change = tuple[int, str, str, Row | None]
"""(seq, collection, row id, the row after that event or None once removed)."""


# -- the tables ---------------------------------------------------------------

_ready: weakref.WeakSet[Database] = weakref.WeakSet()


async def ensure_tables(database: Database) -> None:
    """Create the index's tables and head row when missing (once per Database)."""
    if database in _ready:
        return
    taken = {VERSIONS, HEAD} & set(database.tables)
    if taken:
        raise ConfigurationError(
            f"The table name {sorted(taken)[0]!r} is reserved for the time machine's "
            "history index; rename the read-model table."
        )

    def create(conn: Connection) -> None:
        index_metadata.create_all(conn, checkfirst=True)
        if conn.execute(select(head_table.c.id)).first() is None:
            conn.execute(insert(head_table).values(id=1, seq=0))

    try:
        async with writing(database) as conn:
            await conn.run_sync(create)
    except IntegrityError:
        pass  # another process made the head row meanwhile
    except SQLAlchemyError as error:
        if not await database.read(lambda c: c.dialect.has_table(c, HEAD)):
            raise StoreError(f"Could not create {VERSIONS}: {error}") from error
    _ready.add(database)


def clear(conn: Connection) -> None:
    """Empty the index (inside the caller's transaction), e.g. after new reducers."""
    if conn.dialect.has_table(conn, VERSIONS):
        conn.execute(delete(versions_table))
        conn.execute(update(head_table).values(seq=0))


def read_head(conn: Connection, for_update: bool = False) -> int:
    query = select(head_table.c.seq).where(head_table.c.id == 1)
    found = conn.scalar(query.with_for_update() if for_update else query)
    return int(found or 0)


async def indexed_head(database: Database) -> int:
    """The last event the index holds."""
    await ensure_tables(database)
    return await database.read(read_head)


# -- folding the log against the index ----------------------------------------


def _body(text: Any) -> Row:
    row: Row = json.loads(text)
    return row


def version_at(conn: Connection, name: str, id: str, seq: int) -> Row | None:
    """Row `id` of `name` after event `seq` (None when there was none), from the index."""
    v = versions_table.c
    found = conn.scalar(
        select(v.body).where(
            v.collection == name,
            v.row_id == id,
            v.seq_from <= seq,
            or_(v.seq_to.is_(None), v.seq_to > seq),
        )
    )
    return None if found is None else _body(found)


class LazyRows(dict[str, Row | None]):
    """One collection after event `seq`, read from the index on first touch.

    Looks like the `{id: row}` mapping the Replayer and the shared in-memory
    collection use; an id looked up is cached (None: known absent)."""

    def __init__(self, conn: Connection, name: str, seq: int) -> None:
        super().__init__()
        self.conn, self.name, self.seq = conn, name, seq

    def _fetch(self, id: str) -> Row | None:
        if not dict.__contains__(self, id):
            dict.__setitem__(self, id, version_at(self.conn, self.name, id, self.seq))
        return dict.__getitem__(self, id)

    def __contains__(self, id: object) -> bool:
        return isinstance(id, str) and self._fetch(id) is not None

    def known(self, id: str, row: Row | None) -> None:
        """Cache what the index says of `id` (None: absent), read ahead in bulk."""
        if not dict.__contains__(self, id):
            dict.__setitem__(self, id, row)

    def __getitem__(self, id: str) -> Row:
        row = self._fetch(id) if isinstance(id, str) else None
        if row is None:
            raise KeyError(id)
        return row

    def get(self, id: str, default: Any = None) -> Any:
        return self[id] if id in self else default

    def __delitem__(self, id: str) -> None:
        dict.__setitem__(self, id, None)


class LazyState(dict[str, LazyRows]):
    """Every collection after event `seq`, each a LazyRows (made on first use)."""

    def __init__(self, conn: Connection, seq: int) -> None:
        super().__init__()
        self.conn, self.seq = conn, seq

    def __missing__(self, name: str) -> LazyRows:
        rows = LazyRows(self.conn, name, self.seq)
        dict.__setitem__(self, name, rows)
        return rows

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def setdefault(self, name: str, default: Any = None) -> LazyRows:
        return self[name]


def read_ahead(conn: Connection, state: LazyState, names: list[str], events: list[Event]) -> None:
    """Load in bulk the rows the events name in `payload.id` (most events name their
    row there), so folding a page costs a few queries instead of one per row; any
    other row the reducers read is still loaded on first touch."""
    ids = sorted(
        {
            e["payload"]["id"]
            for e in events
            if isinstance(e.get("payload"), dict) and isinstance(e["payload"].get("id"), str)
        }
    )
    v = versions_table.c
    for start in range(0, len(ids), READ_AHEAD):
        chunk = ids[start : start + READ_AHEAD]
        found: dict[tuple[str, str], Row] = {}
        query = select(v.collection, v.row_id, v.body).where(
            v.collection.in_(names),
            v.row_id.in_(chunk),
            v.seq_from <= state.seq,
            or_(v.seq_to.is_(None), v.seq_to > state.seq),
        )
        for name, id, body in conn.execute(query):
            found[(name, id)] = _body(body)
        for name in names:
            rows = state[name]
            for id in chunk:
                rows.known(id, found.get((name, id)))


def fold(
    conn: Connection, reducer: RootReducer, names: Iterable[str], after: int, events: list[Event]
) -> list[Change]:
    """Run `events` (they follow event `after`) on the rows valid after `after`;
    returns each event's changes: the rows its changeset named, as they are after it."""
    names = list(names)
    state = LazyState(conn, after)
    read_ahead(conn, state, names, events)
    replayer = Replayer(reducer, names, state, after)  # type: ignore[arg-type]
    changes: list[Change] = []
    for event in events:
        touched = dict.fromkeys((op["collection"], op["id"]) for op in replayer.apply(event))
        for name, id in touched:
            changes.append((event["seq"], name, id, dict.get(state[name], id)))
    return changes


def fold_after(
    conn: Connection, reducer: RootReducer, names: Iterable[str], after: int, upto: int
) -> list[Change]:
    """The changes of events after < seq <= upto (read in this transaction)."""
    return fold(conn, reducer, names, after, eventlog.read_page(conn, after, upto, upto - after))


# -- building -----------------------------------------------------------------


def _write(conn: Connection, after: int, last: int, changes: list[Change]) -> bool:
    """Store the versions `changes` make; False when another builder moved the head."""
    if read_head(conn, for_update=conn.dialect.name != "sqlite") != after:
        return False
    opened: dict[tuple[str, str], dict[str, Any]] = {}
    touched: set[tuple[str, str]] = set()
    closes: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    for seq, name, id, row in changes:
        key = (name, id)
        if key in opened:  # a version this page made ends here
            opened.pop(key)["seq_to"] = seq
        elif key not in touched:  # the version current before this page ends here
            closes.append({"c": name, "i": id, "s": seq})
        touched.add(key)
        if row is not None:
            version = {
                "collection": name,
                "row_id": id,
                "seq_from": seq,
                "seq_to": None,
                "body": json.dumps(row),
            }
            versions.append(version)
            opened[key] = version
    v = versions_table.c
    if closes:
        conn.execute(
            update(versions_table)
            .where(v.collection == bindparam("c"), v.row_id == bindparam("i"), v.seq_to.is_(None))
            .values(seq_to=bindparam("s")),
            closes,
        )
    if versions:
        conn.execute(insert(versions_table), versions)
    conn.execute(update(head_table).where(head_table.c.id == 1).values(seq=last))
    return True


async def build(
    database: Database, reducer: RootReducer, upto: int | None = None, page: int = PAGE
) -> int:
    """Index the log up to event `upto` (default: the last), a page at a time;
    returns the indexed head.  Safe to run from several processes at once."""
    if page < 1:
        raise ValueError(f"Index at least one event per transaction; got page={page}.")
    await ensure_tables(database)
    names = collection_names(reducer, database)
    target = await database.last_seq() if upto is None else upto
    while True:
        head = await database.read(read_head)
        if head >= target:
            return head
        last = min(head + page, target)

        changes = await database.read(
            partial(fold_after, reducer=reducer, names=names, after=head, upto=last)
        )
        try:
            async with writing(database) as conn:
                await conn.run_sync(partial(_write, after=head, last=last, changes=changes))
        except SQLAlchemyError as error:
            raise StoreError(f"Could not index events {head + 1}..{last}: {error}") from error


# -- reading ------------------------------------------------------------------


def _valid(name: str, seq: int) -> Any:
    v = versions_table.c
    return (v.collection == name) & (v.seq_from <= seq) & or_(v.seq_to.is_(None), v.seq_to > seq)


def page(
    conn: Connection, name: str, seq: int, after: str | None = None, limit: int | None = None
) -> list[tuple[str, Row]]:
    """The rows of `name` after event `seq` as (id, row), in id order (code points),
    those with id > `after`, at most `limit`.

    Two plans, chosen by whether fewer than FEW versions existed by `seq`:
    few (an early point) -> those versions' keys, sorted, then the page's bodies;
    many -> the versions in id order, validity tested in the covering index,
    stopping after `limit` (`seq_from + 0` keeps the planner off the seq index)."""
    v = versions_table.c
    valid = or_(v.seq_to.is_(None), v.seq_to > seq)
    later = [] if after is None else [v.row_id > after]
    if limit is not None and _few(conn, name, seq):
        # SQLite would walk the id index (no sort) over every version; sorting an
        # expression makes the few early versions, read by seq, the cheaper plan.
        by_id = v.row_id.concat("") if conn.dialect.name == "sqlite" else v.row_id
        keys = (
            select(v.row_id, v.seq_from)
            .where(v.collection == name, v.seq_from <= seq, valid, *later)
            .order_by(by_id)
            .limit(limit)
            .with_hint(versions_table, "FORCE INDEX (ix_flux_versions_from)", "mysql")
            .subquery()
        )
        query = (
            select(v.row_id, v.body)
            .join_from(
                versions_table,
                keys,
                (v.collection == name)
                & (v.row_id == keys.c.row_id)
                & (v.seq_from == keys.c.seq_from),
            )
            .order_by(v.row_id)
        )
        return [(str(id), _body(body)) for id, body in conn.execute(query)]
    query = (
        select(v.row_id, v.body)
        .where(v.collection == name, v.seq_from + 0 <= seq, valid, *later)
        .order_by(v.row_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [(str(id), _body(body)) for id, body in conn.execute(query)]


_early: dict[tuple[str, str], int] = {}
"""By (database URL, collection): the seq of the FEW-th version, below which a
point is early.  It never changes once the index has that many versions (they
are only added above the head); a cleared index only makes the choice of plan
stale, never the rows."""


def _few(conn: Connection, name: str, seq: int) -> bool:
    key = (str(conn.engine.url), name)
    if key not in _early:
        v = versions_table.c
        found = conn.scalar(
            select(v.seq_from)
            .where(v.collection == name)
            .order_by(v.seq_from)
            .limit(1)
            .offset(FEW - 1)
        )
        if found is None:
            return True
        _early[key] = int(found)
    return seq < _early[key]


def count(conn: Connection, name: str, seq: int) -> int:
    """How many rows `name` had after event `seq`."""
    return int(conn.scalar(select(func.count()).where(_valid(name, seq))) or 0)


def versions_of(conn: Connection, name: str, id: str) -> list[tuple[int, int | None, Row]]:
    """Every version of row `id` of `name`: (seq_from, seq_to, row), oldest first."""
    v = versions_table.c
    query = (
        select(v.seq_from, v.seq_to, v.body)
        .where(v.collection == name, v.row_id == id)
        .order_by(v.seq_from)
    )
    return [
        (int(start), None if end is None else int(end), _body(body))
        for start, end, body in conn.execute(query)
    ]


def removed(conn: Connection, name: str) -> list[tuple[Row, int]]:
    """The rows of `name` removed and not back now: (last content, the removal's seq)."""
    v = versions_table.alias("v")
    later = versions_table.alias("later")
    query = select(v.c.body, v.c.seq_to).where(
        v.c.collection == name,
        v.c.seq_to.is_not(None),
        ~exists().where(
            later.c.collection == v.c.collection,
            later.c.row_id == v.c.row_id,
            later.c.seq_from >= v.c.seq_to,
        ),
    )
    return [(_body(body), int(end)) for body, end in conn.execute(query)]


def events_at(conn: Connection, seqs: Iterable[int]) -> dict[int, Event]:
    """The logged events with these seqs, by seq."""
    wanted = sorted(set(seqs))
    table = eventlog.events_table
    found: dict[int, Event] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in conn.execute(select(table).where(table.c.seq.in_(chunk))):
            event = eventlog.row_to_event(row)
            found[event["seq"]] = event
    return found
