"""What the event log says about a note: who added it and whether it is private.

A note's author and privacy are fixed when it is added: the policy forbids
re-adding a used id and a restore that changes `private`, and only a private
note's author may edit, remove or restore it.  So the visibility of every
event of a note is one constant, found from the note's first `noteAdded`
(or `noteRestored`) event, and may be cached forever.

A conflict copy `<note id>~<event id>` (see shared_reducers/notes.py) is
created by an edit of `<note id>` and copies its privacy; it has the
visibility of the original note.  Ids of new notes may not contain `~`.

Everything here is synchronous and takes a connection (run inside a
transaction through `run_sync`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from server.store import Event
from server.store.sql import events_table, row_to_event
from shared_reducers.conflicts import COPY_SEPARATOR

ORIGIN_TYPES = ("noteAdded", "noteRestored")


@dataclass(frozen=True)
class NoteFacts:
    """The author who added a note and whether it is private."""

    author: str
    private: bool


def note_id_of(event: Event) -> str | None:
    payload = event.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("id"), str):
        return str(payload["id"])
    return None


def base_id(note_id: str) -> str:
    """The original note's id: `n1` for `n1` and for its conflict copy `n1~e7`."""
    return note_id.split(COPY_SEPARATOR, 1)[0]


def _payload_id() -> Any:
    return events_table.c.payload["id"].as_string()


def _facts_of(event: Event) -> NoteFacts:
    meta = event.get("meta") or {}
    payload = event.get("payload") or {}
    author = meta.get("user") if isinstance(meta, dict) else None
    return NoteFacts(str(author or "anonymous"), payload.get("private") is True)


def learn(events: Iterable[Event]) -> dict[str, NoteFacts]:
    """Facts found in these events (each note id's first noteAdded/noteRestored)."""
    found: dict[str, NoteFacts] = {}
    for event in events:
        note = note_id_of(event)
        if event.get("type") in ORIGIN_TYPES and note is not None and note not in found:
            found[note] = _facts_of(event)
    return found


def facts_in_log(conn: Connection, note_ids: Iterable[str]) -> dict[str, NoteFacts]:
    """Each id's facts from its first noteAdded/noteRestored; ids never added are absent."""
    wanted = sorted(set(note_ids))
    if not wanted:
        return {}
    query = (
        select(events_table)
        .where(events_table.c.type.in_(ORIGIN_TYPES), _payload_id().in_(wanted))
        .order_by(events_table.c.seq)
    )
    return learn(row_to_event(row) for row in conn.execute(query))


def id_was_used(conn: Connection, note_id: str) -> bool:
    """True when some logged event already names this note id."""
    query = select(events_table.c.seq).where(_payload_id() == note_id).limit(1)
    return conn.execute(query).first() is not None


def former_note(conn: Connection, note_id: str) -> NoteFacts | None:
    """The facts of a note that may have been removed: its author and privacy.

    For a conflict copy never restored before, the author is the user of the
    edit that created it and the privacy is the original note's.
    """
    found = facts_in_log(conn, [note_id]).get(note_id)
    if found is not None or COPY_SEPARATOR not in note_id:
        return found
    original_id, event_id = note_id.split(COPY_SEPARATOR, 1)
    original = facts_in_log(conn, [original_id]).get(original_id)
    row = conn.execute(select(events_table).where(events_table.c.id == event_id)).first()
    if original is None or row is None:
        return None
    return NoteFacts(_facts_of(row_to_event(row)).author, original.private)


def events_of_note(conn: Connection, note_id: str) -> list[Event]:
    """Every logged event that touched the note, in seq order.

    For a conflict copy this starts with the edit of the original that created it.
    """
    condition = _payload_id() == note_id
    if COPY_SEPARATOR in note_id:
        condition = or_(condition, events_table.c.id == note_id.split(COPY_SEPARATOR, 1)[1])
    query = select(events_table).where(condition).order_by(events_table.c.seq)
    return [row_to_event(row) for row in conn.execute(query)]
