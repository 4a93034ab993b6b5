"""`flux export > events.ndjson`: the event log, one JSON event per line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from server.commands import tooling
from server.store import Database, RootReducer
from server.store.history import export_events, progress_for


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("export", help="write the event log to stdout as NDJSON")
    add_database_option(parser)
    tooling.add_app_option(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    async def work(database: Database, reducer: RootReducer) -> int:
        count = await export_events(database, sys.stdout, progress_for(sys.stderr))
        print(f"exported {count} events", file=sys.stderr)
        return 0

    return tooling.run("export", work, args.database, args.app)
