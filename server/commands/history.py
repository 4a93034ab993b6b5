"""`flux history note ID [--json]`: every event that touched a note, with the note after it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from server.commands import tooling
from server.store import Database, RootReducer
from server.store.history import history

KINDS = {"note": "notes", "notes": "notes"}


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("history", help="every event that touched a note")
    parser.add_argument("kind", choices=sorted(KINDS), help="what to look up: note")
    parser.add_argument("id", metavar="ID", help="the note's id")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    add_database_option(parser)
    tooling.add_app_option(parser)
    parser.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    name = KINDS[args.kind]

    async def work(database: Database, reducer: RootReducer) -> int:
        entries = await history(database, reducer, name, args.id)
        if args.json:
            for entry in entries:
                print(json.dumps(entry))
            return 0
        if not entries:
            print(f"No event touched {args.kind} {args.id}.")
            return 0
        for entry in entries:
            event, row = entry["event"], entry["row"]
            user = (event.get("meta") or {}).get("user", "anonymous")
            after = (
                "deleted"
                if row is None
                else f"{row['title']!r}: {row['text']!r} (v{row['version']})"
            )
            print(
                f"{event['seq']:>8}  {event['timestamp']}  {event['type']:<18} by {user}  -> {after}"
            )
        return 0

    return tooling.run("history", work, args.database, args.app)
