"""Fixtures of the library tests: a store of the tests' own items app, per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from server.store import Store
from tests.store.items import open_items_store
from tests.support.backends import BACKENDS, server_database


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    """An items store on an empty database, once per backend."""
    store = await open_items_store(db_url)
    yield store
    await store.get_database().close()


@pytest.fixture
def pg_url(_server_databases: dict) -> str:
    """An empty PostgreSQL database, as a postgresql+psycopg URL (whatever driver
    FLUX_TEST_POSTGRES_URL names: the tests of psycopg's own paths)."""
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL is not among FLUX_TEST_BACKENDS")
    database = server_database("postgresql", _server_databases)
    database.reset()
    url = make_url(database.url).set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)
