"""What differs between SQLite, PostgreSQL and MySQL/MariaDB: engine options,
connection set-up and how an append takes the log lock.

This is the only module that knows dialect names; the store and the event
log ask it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from server.store.errors import ConfigurationError
from server.store.sql import eventlog, notify
from server.store.types import Event

DEFAULT_URL = "sqlite+aiosqlite:///data/notes.db"
SQLITE_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
NOTIFY_CHANNEL = "flux_events"


def sqlite_synchronous(value: str | None = None) -> str:
    """The value given, else FLUX_SQLITE_SYNCHRONOUS, else FULL (see docs/operations.md)."""
    chosen = (value or os.environ.get("FLUX_SQLITE_SYNCHRONOUS") or "FULL").upper()
    if chosen not in SQLITE_SYNCHRONOUS:
        raise ConfigurationError(
            f"SQLite synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}; got {chosen!r}. "
            "Set FLUX_SQLITE_SYNCHRONOUS to FULL (the default) or NORMAL."
        )
    return chosen


def pg_notify_enabled() -> bool:
    """False when FLUX_PG_NOTIFY is 0/off/false: commits then send no wake-up."""
    return os.environ.get("FLUX_PG_NOTIFY", "1").lower() not in ("0", "off", "false", "no")


POOL_SIZE = 20
"""Connections kept open per engine (FLUX_DB_POOL_SIZE): a concurrent burst of
requests reads sessions, facts and the log on as many connections at once.
SQLAlchemy's default (5 kept, 10 more opened and closed per use) made a busy
server reconnect to PostgreSQL for most reads (TLS negotiation included):
a quarter of its CPU in the throughput bench (docs/benchmarks.md section 8)."""
POOL_OVERFLOW = 0


def pool_options() -> dict[str, Any]:
    """pool_size from FLUX_DB_POOL_SIZE (default 20), plus 10 opened for a burst."""
    text = os.environ.get("FLUX_DB_POOL_SIZE", "")
    if text and (not text.isdigit() or int(text) < 1):
        raise ConfigurationError(
            f"FLUX_DB_POOL_SIZE must be a whole number of connections >= 1; got {text!r}."
        )
    return {"pool_size": int(text) if text else POOL_SIZE, "max_overflow": POOL_OVERFLOW}


def database_url(url: str | None = None) -> str:
    """The URL given, else FLUX_DATABASE_URL, else the SQLite default."""
    return url or os.environ.get("FLUX_DATABASE_URL") or DEFAULT_URL


@dataclass(frozen=True)
class Backend:
    """One database engine's behaviour."""

    name: str
    lock_with_for_update: bool
    engine_options: dict[str, Any] = field(default_factory=dict)
    notify_channel: str | None = None
    notify_origin: str = field(default_factory=lambda: secrets.token_hex(6))
    """Names this Backend's (so this Database's) commits in their NOTIFY payload."""

    def create_engine(self, url: URL, synchronous: str | None = None) -> AsyncEngine:
        engine = create_async_engine(url, **self.engine_options)
        if self.name == "sqlite":
            _configure_sqlite(engine.sync_engine, sqlite_synchronous(synchronous))
        return engine

    def create_writer_engine(self, url: URL, synchronous: str | None = None) -> Engine | None:
        """SQLite only: a synchronous engine on the same file for the store's writes.

        aiosqlite hops to its own thread for every cursor call, about 40 hops
        for one dispatch (measured: bench/dispatch.py); running the whole
        write transaction in one worker thread makes that one hop.  Reads
        stay on aiosqlite.  None for other backends and for in-memory SQLite.
        """
        if self.name != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        engine = create_engine(url.set(drivername="sqlite"))
        _configure_sqlite(engine, sqlite_synchronous(synchronous), begin_on_driver=True)
        return engine

    def append(self, conn: Connection, events: Sequence[Event]) -> None:
        """Inside the dispatch transaction, under the log lock: insert the stamped
        events, move the head and announce the new last seq.

        PostgreSQL does all three in one statement (one round trip, see
        `eventlog.append_in_one_statement`) for up to ONE_STATEMENT_MAX events;
        otherwise (and on the others) the INSERT, the UPDATE and the NOTIFY run
        apart (SQLite's writes run in-process, MySQL has no data-modifying CTE).
        """
        if not events:
            return
        if self.name == "postgresql" and len(events) <= eventlog.ONE_STATEMENT_MAX:
            eventlog.append_in_one_statement(conn, events, self.notify_channel, self.notify_origin)
            return
        eventlog.append(conn, events)
        self.announce(conn, int(events[-1]["seq"]))

    def announce(self, conn: Connection, seq: int) -> None:
        """Inside an append's transaction: wake other instances at commit (PostgreSQL
        NOTIFY carrying the new last seq and this Database's origin; see
        server/store/live/follower.py)."""
        if self.notify_channel is not None:
            conn.execute(
                text("SELECT pg_notify(:channel, :seq)"),
                {"channel": self.notify_channel, "seq": notify.payload(seq, self.notify_origin)},
            )


def backend_for(url: str) -> tuple[Backend, URL]:
    parsed = make_url(url)
    name = parsed.get_backend_name()
    if name == "sqlite":
        if parsed.drivername != "sqlite+aiosqlite":
            raise ConfigurationError(
                f"SQLite needs the async driver: sqlite+aiosqlite:///path, not {url!r}"
            )
        database = parsed.database or ""
        options: dict[str, Any] = {}
        if database in ("", ":memory:"):
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            options = pool_options()
        return Backend("sqlite", False, options), parsed
    if name == "postgresql":
        if parsed.drivername not in ("postgresql+asyncpg", "postgresql+psycopg"):
            raise ConfigurationError(
                f"PostgreSQL needs postgresql+psycopg://... (or postgresql+asyncpg://...), "
                f"not {url!r}"
            )
        # postgresql+psycopg: the store's write transaction is pipelined (two or
        # three round trips instead of seven, see sql/pg_driver.py); asyncpg
        # runs it through Core.
        channel = NOTIFY_CHANNEL if pg_notify_enabled() else None
        # No pool_pre_ping (a round trip per checkout): a stale connection is
        # found by the statement that uses it and retried (Database.write/read).
        return Backend("postgresql", True, pool_options(), channel), parsed
    if name in ("mysql", "mariadb"):
        if parsed.get_driver_name() not in ("aiomysql", "asyncmy"):
            raise ConfigurationError(f"MySQL/MariaDB needs mysql+aiomysql://..., not {url!r}")
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        options = {"isolation_level": "READ COMMITTED", "pool_recycle": 3600, **pool_options()}
        return Backend("mysql", True, options), parsed
    raise ConfigurationError(
        f"Unsupported database URL {url!r}: use sqlite+aiosqlite:///path, "
        "postgresql+asyncpg://user@host/db or mysql+aiomysql://user@host/db."
    )


def _configure_sqlite(engine: Engine, synchronous: str, begin_on_driver: bool = False) -> None:
    """WAL, the chosen durability, and real transactions.

    Python's sqlite3 module opens transactions lazily and never for a SELECT;
    we switch that off and emit BEGIN ourselves: BEGIN IMMEDIATE for the
    store's writes (so an append holds the write lock from its first read),
    plain BEGIN for reads.  With `begin_on_driver` (the writer's synchronous
    engine) BEGIN IMMEDIATE goes straight to sqlite3's connection, unless
    something listens to the cursor events (see sql/driver.py).
    """
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ConfigurationError(
            f"sqlite synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}; got {synchronous!r}"
        )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("flux_no_begin"):  # a single-statement read (Database.read)
            return
        if options.get("flux_write"):
            listened = conn.dispatch.before_cursor_execute or conn.dispatch.after_cursor_execute
            if begin_on_driver and not listened:
                _begin_immediate(conn)
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _begin_immediate(conn: Connection) -> None:
    """BEGIN IMMEDIATE on sqlite3's connection; its error as Core would raise it."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    try:
        dbapi.execute("BEGIN IMMEDIATE")
    except conn.dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            "BEGIN IMMEDIATE",
            (),
            error,
            conn.dialect.loaded_dbapi.Error,
            connection_invalidated=conn.dialect.is_disconnect(error, dbapi, None),
            dialect=conn.dialect,
        ) from error
