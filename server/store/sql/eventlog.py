"""The event log: the `events` table, its head row, and reading and appending.

`events` is the source of truth; `flux_head` is one row holding the last seq
and timestamp.  Appends lock that row inside the dispatch transaction, so seq
is gap-free (a rollback undoes the head too) and in commit order on every
backend.  All functions here are synchronous and take the transaction's
connection: the store calls them through `AsyncConnection.run_sync`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.sql.dml import Update

from server.store.sql import notify
from server.store.sql.columns import exact_string
from server.store.types import Event

log_metadata = MetaData()

events_table = Table(
    "events",
    log_metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("id", exact_string(64), nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("payload", JSON, nullable=True),
    Column("meta", JSON, nullable=True),
    Column("error", Boolean, nullable=False, default=False),
    Column("timestamp", String(24), nullable=False),
    Index("ix_events_type", "type"),
    Index("ix_events_timestamp", "timestamp"),
)

head_table = Table(
    "flux_head",
    log_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("timestamp", String(24), nullable=False),
)

LOG_TABLES = ("events", "flux_head", "flux_versions", "flux_versions_head")
"""Names the store keeps for itself (the log, its head, the time machine's history index)."""
RESERVED_INFIX = "__replay_"
"""`flux replay` builds its fresh tables as `<name>__replay_<token>`."""
_SENTINEL = object()


def row_to_event(row: Any) -> Event:
    m = row._mapping
    event: Event = {"seq": int(m["seq"]), "id": m["id"], "type": m["type"]}
    if m["payload"] is not None:
        event["payload"] = m["payload"]
    if m["meta"] is not None:
        event["meta"] = m["meta"]
    if m["error"]:
        event["error"] = True
    event["timestamp"] = m["timestamp"]
    return event


def event_to_row(event: Event) -> dict[str, Any]:
    return {
        "seq": event["seq"],
        "id": event["id"],
        "type": event["type"],
        "payload": event.get("payload"),
        "meta": event.get("meta"),
        "error": bool(event.get("error", False)),
        "timestamp": event["timestamp"],
    }


def ensure_head(conn: Connection) -> None:
    """Create the head row when missing, pointing at the last event already logged."""
    if conn.execute(select(head_table.c.id)).first() is not None:
        return
    last = conn.execute(
        select(events_table.c.seq, events_table.c.timestamp).order_by(events_table.c.seq.desc())
    ).first()
    conn.execute(
        insert(head_table).values(
            id=1, seq=last.seq if last else 0, timestamp=last.timestamp if last else ""
        )
    )


_READ_HEAD = select(head_table.c.seq, head_table.c.timestamp).where(head_table.c.id == 1)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_MOVE_HEAD = (
    update(head_table)
    .where(head_table.c.id == 1)
    .values(seq=bindparam("_seq"), timestamp=bindparam("_timestamp"))
)
_APPEND = insert(events_table)


def lock_head(conn: Connection, for_update: bool) -> tuple[int, str]:
    """Take the append lock (a row lock on the head) and return (last seq, last timestamp)."""
    row = conn.execute(_LOCK_HEAD if for_update else _READ_HEAD).one()
    return int(row.seq), str(row.timestamp)


def append(conn: Connection, events: Sequence[Event]) -> None:
    """Insert stamped events and move the head; call under lock_head."""
    if not events:
        return
    rows = [event_to_row(e) for e in events]
    conn.execute(_APPEND, rows if len(rows) > 1 else rows[0])
    conn.execute(_MOVE_HEAD, {"_seq": events[-1]["seq"], "_timestamp": events[-1]["timestamp"]})


_EVENT_COLUMNS = ("seq", "id", "type", "payload", "meta", "error", "timestamp")
_ONE_STATEMENT: dict[tuple[int, bool], Any] = {}
ONE_STATEMENT_MAX = 16
"""Larger groups append with one executemany INSERT (one statement per event is
a long statement to plan); the usual dispatch appends one event."""


def append_in_one_statement(
    conn: Connection,
    events: Sequence[Event],
    notify_channel: str | None = None,
    notify_origin: str = "",
) -> None:
    """PostgreSQL: insert stamped events, move the head and (optionally) send the
    wake-up in ONE statement, a data-modifying CTE:

        WITH ins0 AS (INSERT INTO events ... VALUES (...)), ins1 AS (...), ...
        UPDATE flux_head SET seq = ..., timestamp = ... WHERE id = 1

    (with `notify_channel`: the UPDATE becomes a second CTE and the statement
    selects pg_notify(channel, '<last seq> <notify_origin>') from it).  Same
    transaction, same rows as `append` + NOTIFY, one round trip instead of
    three; call under lock_head.
    """
    if not events:
        return
    announcing = notify_channel is not None
    key = (len(events), announcing)
    statement = _ONE_STATEMENT.get(key)
    if statement is None:
        statement = one_statement(len(events), announcing)
        if len(_ONE_STATEMENT) < 64:  # group sizes: a handful in practice
            _ONE_STATEMENT[key] = statement
    params: dict[str, Any] = {}
    for i, event in enumerate(events):
        for name, value in event_to_row(event).items():
            params[f"e{i}_{name}"] = value
    params["_seq"] = events[-1]["seq"]
    params["_timestamp"] = events[-1]["timestamp"]
    if announcing:
        params["_channel"] = notify_channel
        params["_seq_text"] = notify.payload(events[-1]["seq"], notify_origin)
    conn.execute(statement, params)


def one_statement(count: int, notify: bool) -> Any:
    """The statement that appends `count` events, moves the head and (with
    `notify`) sends the wake-up: PostgreSQL's data-modifying CTEs."""
    # One single-row INSERT per event, each its own CTE: SQLAlchemy caches the
    # compiled form of those (a multi-row VALUES has no cache key and would be
    # compiled on every call, several ms).
    inserts = [
        insert(events_table)
        .values(
            **{
                name: bindparam(f"e{i}_{name}", type_=events_table.c[name].type)
                for name in _EVENT_COLUMNS
            }
        )
        .cte(f"ins{i}")
        for i in range(count)
    ]
    move: Update = (
        update(head_table)
        .where(head_table.c.id == 1)
        .values(seq=bindparam("_seq"), timestamp=bindparam("_timestamp"))
    )
    if not notify:
        return move.add_cte(*inserts)
    head = move.returning(head_table.c.seq).cte("head")
    return (
        select(func.pg_notify(bindparam("_channel"), bindparam("_seq_text")))
        .select_from(head)
        .add_cte(*inserts)
    )


def find_by_ids(conn: Connection, ids: Iterable[str]) -> dict[str, Event]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = conn.execute(select(events_table).where(events_table.c.id.in_(wanted)))
    return {row.id: row_to_event(row) for row in rows}


def read_after(conn: Connection, after: int = 0, limit: int | None = None) -> list[Event]:
    query = select(events_table).where(events_table.c.seq > after).order_by(events_table.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [row_to_event(row) for row in conn.execute(query)]


def last_seq(conn: Connection) -> int:
    row = conn.execute(select(head_table.c.seq).where(head_table.c.id == 1)).first()
    return int(row.seq) if row else 0


def _page_query(as_text: Any) -> Any:
    """The log's columns in seq order, payload and meta as their stored text."""
    c = events_table.c
    return select(
        c.seq, c.id, c.type, as_text(c.payload, Text), as_text(c.meta, Text), c.error, c.timestamp
    ).order_by(c.seq)


_PAGE = _page_query(type_coerce)
_PAGE_CAST = _page_query(cast)
"""PostgreSQL: asyncpg decodes a json column itself (json.loads per value, in the
driver's codec), whatever the type_coerce says; CAST(... AS TEXT) hands over the
stored text, which _decoded decodes faster."""


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # json.loads minus its wrappers


def _decoded(value: Any) -> Any:
    """json.loads(value); a str that is exactly one JSON value (what the log
    stores) goes straight to the C scanner, about 3x faster than json.loads for
    these small documents; anything else goes to json.loads, which decodes it
    or says what is wrong."""
    if isinstance(value, str):
        try:
            decoded, end = _scan(value, 0)
        except StopIteration:
            return json.loads(value)
        return decoded if end == len(value) else json.loads(value)
    return json.loads(value) if isinstance(value, bytes) else value


def read_page(conn: Connection, after: int, upto: int, limit: int) -> list[Event]:
    """The events with after < seq <= upto, at most `limit`, in seq order (a paged
    reader for replay, verify and export: `WHERE seq > :after ... LIMIT :n` on the
    primary key).  payload and meta come back as the driver's text and are decoded
    here once each, without the JSON type's per-value processing."""
    page = _PAGE_CAST if conn.dialect.name == "postgresql" else _PAGE
    query = page.where(events_table.c.seq > after, events_table.c.seq <= upto).limit(limit)
    events: list[Event] = []
    for seq, id, type, payload, meta, error, timestamp in conn.execute(query).all():
        event: Event = {"seq": int(seq), "id": id, "type": type}
        if payload is not None:
            decoded = _decoded(payload)
            if decoded is not None:
                event["payload"] = decoded
        if meta is not None:
            decoded = _decoded(meta)
            if decoded is not None:
                event["meta"] = decoded
        if error:
            event["error"] = True
        event["timestamp"] = timestamp
        events.append(event)
    return events
