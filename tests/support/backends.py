"""Real databases for the tests: one per backend per test run, emptied before each test.

PostgreSQL and MariaDB are expected at the addresses below (override with
FLUX_TEST_POSTGRES_URL / FLUX_TEST_MYSQL_URL, each naming a server, not a
database).  Each run creates its own databases and drops them at the end.
With CI=true an unreachable server fails the run; otherwise its tests skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "FLUX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
)
MYSQL_URL = os.environ.get("FLUX_TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306")
BACKENDS = [
    b for b in os.environ.get("FLUX_TEST_BACKENDS", "sqlite,postgresql,mysql").split(",") if b
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class ServerDatabase:
    """One database on a PostgreSQL or MariaDB server, for the whole run."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.name = f"flux_test_{uuid.uuid4().hex[:10]}"
        server = make_url(POSTGRES_URL if backend == "postgresql" else MYSQL_URL)
        self.server = server
        self.url = server.set(database=self.name).render_as_string(hide_password=False)

    async def _admin(self, *statements: str, database: str = "postgres") -> None:
        u = self.server
        if self.backend == "postgresql":
            import asyncpg

            conn = await asyncpg.connect(
                host=u.host,
                port=u.port or 5432,
                user=u.username,
                password=u.password,
                database=database,
                timeout=5,
            )
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()
        else:
            import aiomysql

            conn = await aiomysql.connect(
                host=u.host,
                port=u.port or 3306,
                user=u.username or "root",
                password=u.password or "",
                connect_timeout=5,
                autocommit=True,
            )
            try:
                async with conn.cursor() as cursor:
                    for statement in statements:
                        await cursor.execute(statement)
            finally:
                conn.close()

    def create(self) -> None:
        if self.backend == "postgresql":
            asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        else:
            asyncio.run(self._admin(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4"))

    def reset(self) -> None:
        """Drop every table: each test starts on an empty database.

        PostgreSQL: the connections a test left behind are ended (waiting up
        to 5 s for each to go), then the public schema is dropped with all it
        holds and made again -- a tenth of the time of DROP/CREATE DATABASE,
        which copies the template (0.08 vs 0.56 s a test, 230 tests).
        """
        if self.backend == "postgresql":
            asyncio.run(
                self._admin(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    "DROP SCHEMA public CASCADE",
                    "CREATE SCHEMA public",
                    database=self.name,
                )
            )
        else:
            asyncio.run(
                self._admin(
                    f"DROP DATABASE IF EXISTS `{self.name}`",
                    f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4",
                )
            )

    def drop(self) -> None:
        if self.backend == "postgresql":
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        else:
            asyncio.run(self._admin(f"DROP DATABASE IF EXISTS `{self.name}`"))


def unreachable(backend: str, error: BaseException) -> None:
    message = f"{backend} is unreachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; with CI=true every backend must be reachable.", pytrace=False)
    pytest.skip(message)


def server_database(
    backend: str, made: dict[str, ServerDatabase | BaseException]
) -> ServerDatabase:
    """The test session's database on `backend` (made once, kept in `made`)."""
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


async def terminate_the_waiting_dispatch(admin: asyncpg.Connection) -> int:
    """Wait until a backend of this database waits on a lock; terminate it; return its pid."""
    async with asyncio.timeout(10):
        while True:
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if pid is not None:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
                return int(pid)
            await asyncio.sleep(0.02)
