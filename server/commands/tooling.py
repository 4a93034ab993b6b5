"""What the time-machine commands share: opening the notes store and turning
the project's errors into a message and an exit status."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from server.app.notes_store import open_notes_store
from server.store import ConfigurationError, Database, RootReducer, StoreError
from server.store.history import OutOfRange, ReplayError, TransferError

EXPECTED_ERRORS = (StoreError, ConfigurationError, ReplayError, TransferError, OutOfRange)


async def open_app(url: str | None) -> tuple[Database, RootReducer]:
    """The notes app's database (created when missing) and root reducer."""
    store = await open_notes_store(url)
    return store.get_database(), store.reducer


def run(
    command: str, work: Callable[[Database, RootReducer], Awaitable[int]], url: str | None
) -> int:
    """Open the database, run `work`, close; errors become `flux COMMAND: ...` and exit 1."""

    async def main() -> int:
        database, reducer = await open_app(url)
        try:
            return await work(database, reducer)
        finally:
            await database.close()

    try:
        return asyncio.run(main())
    except EXPECTED_ERRORS as error:
        print(f"flux {command}: {error}", file=sys.stderr)
        return 1
