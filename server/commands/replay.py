"""`flux replay`: rebuild the read-model tables from the log with the current reducers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from server.commands import tooling
from server.store import Database, RootReducer
from server.store.history import progress_for, replay


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "replay",
        help="rebuild the read-model tables from the log with the current reducers, then swap",
    )
    add_database_option(parser)
    tooling.add_app_option(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    async def work(database: Database, reducer: RootReducer) -> int:
        report = await replay(database, reducer, progress_for(sys.stderr))
        tables = ", ".join(f"{name}: {count} rows" for name, count in report.rows.items())
        print(
            f"Replayed {report.seq} events ({report.caught_up} dispatched meanwhile); "
            f"swapped in {tables}."
        )
        return 0

    return tooling.run("replay", work, args.database, args.app)
