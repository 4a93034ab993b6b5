"""The notes app's root reducer: `(database, event) -> changeset` over two
collections.

    notes          the notes (shared_reducers/notes.py decides every edit)
    removed_notes  one row per removed note: what a restore needs, and who owns it

A removed note leaves `notes` and is kept in `removed_notes` with its last
title and text, its author, its privacy and its creation time, and who removed
it when.  So the read model, not the log, answers "which notes were deleted",
"may this id be used" and "whose was it":

- `noteRemoved` moves the note to `removed_notes`;
- `noteRestored` brings back only a note that is in `removed_notes`, with its
  author, privacy and creation time from there (the payload's title and text
  are the content it comes back with; a `private` that differs is refused);
- `noteAdded` refuses an id that a removed note had (restore it instead).

Every other event is the notes reducer's alone.  Written in natural Python
(SUBSET.md): the browser runs the same root reducer for its optimistic
state.  Payloads are checked against schemas.py before a handler reads them.
"""

from shared_reducers.errors import EventRejected
from shared_reducers.notes import (
    DEFAULT_MAX_RECENT,
    DEFAULT_MAX_RECENT_BYTES,
    existing_note,
    make_notes_reducer,
    new_note,
    timestamp_of,
    user_of,
)
from shared_reducers.portable import describe
from shared_reducers.schemas import checked_payload

__all__ = ["NOTES", "REMOVED", "make_notes_app", "notes_app"]
"""What the browser build exports (note_removed and note_restored are also notes.py's names)."""

NOTES = "notes"
REMOVED = "removed_notes"


def make_notes_app(max_recent=DEFAULT_MAX_RECENT, max_recent_bytes=DEFAULT_MAX_RECENT_BYTES):
    """The root reducer, with these bounds on each note's `recent` tail."""
    notes_reducer = make_notes_reducer(max_recent, max_recent_bytes)

    def notes_app(database, event):
        notes = database.collection(NOTES)
        removed = database.collection(REMOVED)
        kind = event.get("type")
        if kind == "noteAdded" and removed.get(checked_payload(event)["id"]) is not None:
            raise EventRejected(
                f"The note id {event['payload']['id']} was used before; "
                "restore that note or choose a new id."
            )
        if kind == "noteRemoved":
            return note_removed(notes, removed, checked_payload(event), event)
        if kind == "noteRestored":
            return note_restored(notes, removed, checked_payload(event), event)
        return notes_reducer(notes, event)

    notes_app.collection_names = [NOTES, REMOVED]
    return notes_app


notes_app = make_notes_app()


def note_removed(notes, removed, payload, event):
    note = existing_note(notes, payload["id"])
    kept = {
        "id": note["id"],
        "title": note["title"],
        "text": note["text"],
        "author": note["author"],
        "private": note["private"],
        "createdAt": note["createdAt"],
        "removedAt": timestamp_of(event),
        "removedBy": user_of(event),
    }
    return notes.remove(note["id"]) + removed.insert(kept)


def note_restored(notes, removed, payload, event):
    id = payload["id"]
    if notes.get(id) is not None:
        raise EventRejected(f"Note {id} is not deleted, so it cannot be restored.")
    former = removed.get(id)
    if former is None:
        raise EventRejected(nothing_to_restore(id))
    hidden = payload.get("private", former["private"])
    if hidden != former["private"]:
        raise EventRejected(
            f"A restore keeps the note's privacy: send 'private' as "
            f"{describe(former['private'])} or leave it out; got {describe(hidden)}."
        )
    note = new_note(event, payload)
    note["author"] = former["author"]
    note["private"] = former["private"]
    note["createdAt"] = former["createdAt"]
    return removed.remove(id) + notes.insert(note)


def nothing_to_restore(id):
    """The answer to a restore of a note that was never deleted (or that the
    person may not see: the server gives the same answer, revealing nothing)."""
    return f"There is no deleted note {id} to restore."
