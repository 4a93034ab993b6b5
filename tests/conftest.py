"""Fixtures shared by the whole suite: a fresh database URL per test, per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backends import BACKENDS, ServerDatabase, server_database

pytest_plugins = ["tests.support.flux_server"]


@pytest.fixture(scope="session")
def _server_databases() -> Iterator[dict[str, ServerDatabase | BaseException]]:
    made: dict[str, ServerDatabase | BaseException] = {}
    yield made
    for database in made.values():
        if isinstance(database, ServerDatabase):
            database.drop()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _server_databases: dict) -> str:
    """A URL of an empty database, once per backend (sqlite, postgresql, mysql)."""
    backend = request.param
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'flux.db'}"
    database = server_database(backend, _server_databases)
    database.reset()
    return database.url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'flux.db'}"


# Modules that kill processes and databases, start several servers or build the
# package: `make test` runs them, `make test-fast` leaves them out.
SLOW_MODULES = ("test_faults", "test_durability", "test_instances", "test_installed")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)
