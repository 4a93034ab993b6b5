"""Durability settings per backend: what an acknowledged commit is promised (docs/operations.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.store import ConfigurationError, Database, connect


async def _scalar(database: Database, statement: str) -> str:
    async with database.engine.connect() as conn:
        return str((await conn.execute(text(statement))).scalar())


async def test_sqlite_defaults_to_wal_with_a_sync_on_every_commit(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLUX_SQLITE_SYNCHRONOUS", raising=False)
    database = await connect(sqlite_url)
    try:
        assert await _scalar(database, "PRAGMA journal_mode") == "wal"
        assert await _scalar(database, "PRAGMA synchronous") == "2"  # FULL
    finally:
        await database.close()


async def test_sqlite_normal_is_an_opt_in_through_the_environment(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUX_SQLITE_SYNCHRONOUS", "normal")
    database = await connect(sqlite_url)
    try:
        assert await _scalar(database, "PRAGMA synchronous") == "1"  # NORMAL
    finally:
        await database.close()


async def test_an_argument_overrides_the_environment(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUX_SQLITE_SYNCHRONOUS", "NORMAL")
    database = await connect(sqlite_url, sqlite_synchronous="FULL")
    try:
        assert await _scalar(database, "PRAGMA synchronous") == "2"
    finally:
        await database.close()


async def test_an_unknown_synchronous_value_is_refused_with_the_choices(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUX_SQLITE_SYNCHRONOUS", "sometimes")
    with pytest.raises(ConfigurationError, match=r"FULL.*NORMAL"):
        await connect(sqlite_url)


async def test_server_backends_keep_their_durable_defaults(db_url: str) -> None:
    """The store never lowers the server's durability for its sessions."""
    database = await connect(db_url)
    try:
        if database.dialect == "postgresql":
            assert await _scalar(database, "SHOW synchronous_commit") == "on"
            assert await _scalar(database, "SHOW fsync") == "on"
        elif database.dialect == "mysql":
            assert await _scalar(database, "SELECT @@innodb_flush_log_at_trx_commit") == "1"
        else:
            assert await _scalar(database, "PRAGMA synchronous") == "2"
    finally:
        await database.close()
