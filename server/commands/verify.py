"""`flux verify`: replay the log in memory and compare with the read-model tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from server.commands import tooling
from server.store import Database, RootReducer
from server.store.history import progress_for, verify

SHOWN = 10


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "verify", help="check that the read-model tables equal a replay of the log"
    )
    add_database_option(parser)
    tooling.add_app_option(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    async def work(database: Database, reducer: RootReducer) -> int:
        report = await verify(database, reducer, progress_for(sys.stderr))
        tables = len(database.tables)
        if report.ok:
            print(
                f"OK: the read model ({report.rows} rows in {tables} "
                f"table{'s' if tables != 1 else ''}) equals the replay of {report.seq} events."
            )
            return 0
        print(
            f"MISMATCH: {len(report.differences)} rows differ between the tables and the "
            f"replay of {report.seq} events; the first ones:"
        )
        for diff in report.differences[:SHOWN]:
            print(f"{diff.collection} {diff.id}:")
            print(f"  log says:   {json.dumps(diff.log)}")
            print(f"  table has:  {json.dumps(diff.table)}")
        print("Run `flux replay` to rebuild the tables from the log.")
        return 1

    return tooling.run("verify", work, args.database, args.app)
