"""`flux at SEQ|ISO-TIME [--json]`: the notes as they were after an event or at a moment."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from server.commands import tooling
from server.store import Database, RootReducer
from server.store.history import OutOfRange, parse_moment, state_at


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "at", help="show the notes as they were after event SEQ or at an ISO-8601 time"
    )
    parser.add_argument("point", metavar="SEQ|ISO-TIME", help="e.g. 120 or 2026-11-26T10:00:00Z")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_database_option(parser)
    tooling.add_app_option(parser)
    parser.set_defaults(run=lambda args: main(args, parser))


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    point: str = args.point.strip()
    seq: int | None = None
    time: str | None = None
    if point.isdigit():
        seq = int(point)
    else:
        try:
            time = parse_moment(point)
        except OutOfRange as error:
            parser.error(f"expected a seq (a whole number) or an ISO-8601 time; {error}")

    async def work(database: Database, reducer: RootReducer) -> int:
        try:
            past = await state_at(database, reducer, seq, time)
        except OutOfRange as error:
            parser.error(str(error))
        if args.json:
            print(json.dumps({"seq": past.seq, "timestamp": past.timestamp, **past.collections}))
            return 0
        when = f" ({past.timestamp})" if past.timestamp else " (before the first event)"
        notes = past.collections.get("notes", [])
        print(f"After event {past.seq}{when}: {len(notes)} notes")
        for note in notes:
            private = ", private" if note.get("private") else ""
            print(
                f"  {note['id']}  {note['title']!r}  by {note['author']}, v{note['version']}{private}"
            )
        return 0

    return tooling.run("at", work, args.database, args.app)
