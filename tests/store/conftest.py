"""Fixtures of the library tests: a store of the tests' own items app, per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.store import Store
from tests.store.items import open_items_store


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    """An items store on an empty database, once per backend."""
    store = await open_items_store(db_url)
    yield store
    await store.get_database().close()
