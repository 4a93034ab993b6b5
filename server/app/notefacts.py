"""Who owns a note and whether it is private, from the read model.

Every note row records its author and privacy (conflict copies included:
the reducer sets them), and a removed note keeps them in `removed_notes`
(shared_reducers/notes_app.py).  Nothing is guessed from ids or read from
the log.  A note's author never changes; its privacy changes only through
`notePrivacyChanged`, which drops the cached facts (server/app/visibility.py).

Everything here is synchronous and takes a connection (run inside a
transaction through `run_sync`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, or_, select

from server.app.schema import notes, removed_notes
from server.store import Event
from server.store.sql import events_table, row_to_event
from shared_reducers.conflicts import COPY_SEPARATOR


@dataclass(frozen=True)
class NoteFacts:
    """The author of a note and whether it is private."""

    author: str
    private: bool

    @classmethod
    def of(cls, row: Mapping[str, Any] | RowMapping) -> NoteFacts:
        return cls(str(row["author"]), bool(row["private"]))


def note_id_of(event: Event) -> str | None:
    payload = event.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("id"), str):
        return str(payload["id"])
    return None


def facts_in_read_model(conn: Connection, note_ids: Iterable[str]) -> dict[str, NoteFacts]:
    """The facts of each id that is a note or a removed note; other ids are absent."""
    wanted = sorted(set(note_ids))
    found: dict[str, NoteFacts] = {}
    for table in (notes, removed_notes):
        for start in range(0, len(wanted), 500):
            query = select(table.c.id, table.c.author, table.c.private).where(
                table.c.id.in_(wanted[start : start + 500])
            )
            found.update({row.id: NoteFacts.of(row._mapping) for row in conn.execute(query)})
    return found


def events_of_note(conn: Connection, note_id: str) -> list[Event]:
    """Every logged event that touched the note, in seq order.

    For a conflict copy this starts with the edit of the original that made it
    (its id names that event: shared_reducers/conflicts.py).
    """
    condition = events_table.c.payload["id"].as_string() == note_id
    if COPY_SEPARATOR in note_id:
        condition = or_(condition, events_table.c.id == note_id.split(COPY_SEPARATOR, 1)[1])
    query = select(events_table).where(condition).order_by(events_table.c.seq)
    return [row_to_event(row) for row in conn.execute(query)]
