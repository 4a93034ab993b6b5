"""`flux import < events.ndjson`: load an exported log into an empty database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from server.commands import tooling
from server.store import Database, RootReducer
from server.store.history import import_events, progress_for


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "import",
        help="read NDJSON events from stdin into an empty database and rebuild the read model",
    )
    add_database_option(parser)
    tooling.add_app_option(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    async def work(database: Database, reducer: RootReducer) -> int:
        report = await import_events(database, reducer, sys.stdin, progress_for(sys.stderr))
        tables = ", ".join(f"{name}: {count} rows" for name, count in report.rows.items())
        print(f"Imported {report.events} events; rebuilt {tables}.")
        return 0

    return tooling.run("import", work, args.database, args.app)
