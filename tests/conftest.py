"""Fixtures shared by the whole suite: a fresh database URL per test, per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import BACKENDS, ServerDatabase, unreachable


@pytest.fixture(scope="session")
def _server_databases() -> Iterator[dict[str, ServerDatabase | BaseException]]:
    made: dict[str, ServerDatabase | BaseException] = {}
    yield made
    for database in made.values():
        if isinstance(database, ServerDatabase):
            database.drop()


def _server_database(
    backend: str, made: dict[str, ServerDatabase | BaseException]
) -> ServerDatabase:
    if backend not in made:
        database = ServerDatabase(backend)
        try:
            database.create()
            made[backend] = database
        except Exception as error:
            made[backend] = error
    found = made[backend]
    if isinstance(found, BaseException):
        unreachable(backend, found)
        raise AssertionError("unreachable")  # pragma: no cover
    return found


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _server_databases: dict) -> str:
    """A URL of an empty database, once per backend (sqlite, postgresql, mysql)."""
    backend = request.param
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'flux.db'}"
    database = _server_database(backend, _server_databases)
    database.reset()
    return database.url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'flux.db'}"
