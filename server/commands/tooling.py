"""What the history commands share: `--app` (which app's store to open),
opening it, and turning the project's errors into a message and an exit status.

An app is named `module:factory`, where `await factory(url)` returns a Store
(its database and root reducer); the default is the notes app.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from server.store import ConfigurationError, Database, RootReducer, Store, StoreError
from server.store.history import OutOfRange, ReplayError, TransferError

EXPECTED_ERRORS = (StoreError, ConfigurationError, ReplayError, TransferError, OutOfRange)
NOTES_APP = "server.app.notes_store:open_notes_store"


def add_app_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app",
        metavar="MODULE:FACTORY",
        default=NOTES_APP,
        help=f"the app whose store to open: `await FACTORY(url)` returns a Store (default: {NOTES_APP})",
    )


def load_factory(spec: str) -> Callable[[str | None], Awaitable[Store]]:
    """The store factory named `module:factory`; ConfigurationError if it is not there."""
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise ConfigurationError(f"--app must be MODULE:FACTORY; got {spec!r}.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigurationError(f"--app {spec}: cannot import {module_name} ({error}).") from None
    factory: Any = getattr(module, name, None)
    if not callable(factory):
        raise ConfigurationError(f"--app {spec}: {module_name} has no function {name}.")
    return factory


async def open_app(url: str | None, spec: str = NOTES_APP) -> tuple[Database, RootReducer]:
    """The app's database (created when missing) and root reducer."""
    store = await load_factory(spec)(url)
    if not isinstance(store, Store):
        raise ConfigurationError(f"--app {spec} must return a Store; got {type(store).__name__}.")
    return store.get_database(), store.reducer


def run(
    command: str,
    work: Callable[[Database, RootReducer], Awaitable[int]],
    url: str | None,
    spec: str = NOTES_APP,
) -> int:
    """Open the app's database, run `work`, close; errors become `flux COMMAND: ...` and exit 1."""

    async def main() -> int:
        database, reducer = await open_app(url, spec)
        try:
            return await work(database, reducer)
        finally:
            await database.close()

    try:
        return asyncio.run(main())
    except EXPECTED_ERRORS as error:
        print(f"flux {command}: {error}", file=sys.stderr)
        return 1
