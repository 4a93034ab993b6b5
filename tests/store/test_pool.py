"""How many database connections an engine keeps (FLUX_DB_POOL_SIZE, docs/operations.md)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import QueuePool, event, text

from server.store import ConfigurationError, connect


async def test_a_burst_of_reads_reuses_the_kept_connections(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More concurrent reads than connections wait for one; none is opened for them."""
    monkeypatch.setenv("FLUX_DB_POOL_SIZE", "3")
    database = await connect(db_url)
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    try:
        pool = database.engine.sync_engine.pool
        assert isinstance(pool, QueuePool)  # (AsyncAdaptedQueuePool for async drivers)
        assert pool.size() == 3
        event.listen(pool, "connect", count)
        one = lambda conn: conn.execute(text("SELECT 1")).scalar()  # noqa: E731
        answers = await asyncio.gather(*(database.read(one) for _ in range(30)))
        assert answers == [1] * 30
        assert opened <= 3, f"{opened} connections opened for 30 reads on a pool of 3"
        assert pool.checkedout() == 0
    finally:
        await database.close()


@pytest.mark.parametrize("value", ["0", "many", "-2"])
async def test_a_pool_size_that_is_not_a_count_is_refused(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FLUX_DB_POOL_SIZE", value)
    with pytest.raises(ConfigurationError, match="FLUX_DB_POOL_SIZE"):
        await connect(sqlite_url)
