"""`flux demo`: dispatch a few note events and print the log and the notes."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import Any

from server.app.notes_store import open_notes_store


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("demo", help="dispatch a few events and print the log and notes")
    add_database_option(parser)
    parser.set_defaults(run=lambda args: asyncio.run(run(args.database)))


async def run(url: str | None) -> int:
    store = await open_notes_store(url)
    store.subscribe(lambda events: print("committed:", ", ".join(e["type"] for e in events)))
    last = await store.get_database().last_seq()
    note = f"demo-{last + 1}"
    await store.dispatch(
        [
            {
                "type": "noteAdded",
                "payload": {"id": note, "title": "Hello", "text": "First words"},
                "meta": {"user": "demo"},
            },
            {
                "type": "noteContentEdited",
                "payload": {"id": note, "text": "Edited", "baseVersion": 1},
                "meta": {"user": "demo"},
            },
        ]
    )
    for event in await store.get_database().events_after(last):
        print(json.dumps(event))
    for row in await store.get_database().rows("notes"):
        print(row)
    await store.get_database().close()
    return 0
