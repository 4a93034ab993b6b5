"""The read side of the policy: which notes and events a user may see.

A note's facts (author, private) never change (server/app/notefacts.py), so
they are cached per process for good; unknown ids are read from the read
model, one query per batch.  An event is visible when the note it names is.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.app.notefacts import NoteFacts, facts_in_read_model, note_id_of
from server.app.policy import can_see
from server.app.users import User
from server.store import Database, Event, Row


class Visibility:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.known: dict[str, NoteFacts] = {}

    async def facts(self, note_ids: Iterable[str]) -> dict[str, NoteFacts]:
        wanted = set(note_ids)
        missing = sorted(i for i in wanted if i not in self.known)
        if missing:
            found = await self.database.read(lambda conn: facts_in_read_model(conn, missing))
            self.known.update(found)
        return {i: self.known[i] for i in wanted if i in self.known}

    async def events(self, user: User, events: list[Event]) -> list[Event]:
        """The events `user` may see, in their order."""
        ids = [n for n in (note_id_of(e) for e in events) if n is not None]
        facts = await self.facts(ids)
        return [
            event
            for event in events
            if (note := note_id_of(event)) is None or can_see(user, facts.get(note))
        ]

    async def note(self, user: User, note_id: str) -> bool:
        """True when the note (or removed note) exists and `user` may see it."""
        facts = await self.facts([note_id])
        return note_id in facts and can_see(user, facts[note_id])


def row_visible(user: User, row: Row) -> bool:
    return can_see(user, NoteFacts.of(row))
