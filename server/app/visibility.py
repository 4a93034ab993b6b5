"""The read side of the policy: which notes and events a user may see.

Facts about a note (author, private) never change once it is added (see
`server.notefacts`), so they are cached per process for good; a missing id
is looked up in the log (one query per batch of unknown ids).
"""

from __future__ import annotations

from collections.abc import Iterable

from server.app.notefacts import NoteFacts, base_id, facts_in_log, learn, note_id_of
from server.app.policy import can_see
from server.app.users import User
from server.store import Database, Event, Row


class Visibility:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.known: dict[str, NoteFacts] = {}

    async def facts(self, note_ids: Iterable[str]) -> dict[str, NoteFacts]:
        wanted = {base_id(i) for i in note_ids}
        missing = sorted(i for i in wanted if i not in self.known)
        if missing:
            self.known.update(await self.database.read(lambda conn: facts_in_log(conn, missing)))
        return {i: self.known[i] for i in wanted if i in self.known}

    async def events(self, user: User, events: list[Event]) -> list[Event]:
        """The events `user` may see, in their order."""
        for note_id, found in learn(events).items():
            self.known.setdefault(note_id, found)
        ids = [n for n in (note_id_of(e) for e in events) if n is not None]
        facts = await self.facts(ids)
        visible = []
        for event in events:
            note = note_id_of(event)
            if note is None or can_see(user, facts.get(base_id(note))):
                visible.append(event)
        return visible

    async def note(self, user: User, note_id: str) -> bool:
        """True when `user` may see the note and its events."""
        facts = await self.facts([note_id])
        return can_see(user, facts.get(base_id(note_id)))


def row_visible(user: User, row: Row) -> bool:
    return can_see(user, NoteFacts(str(row["author"]), bool(row["private"])))
