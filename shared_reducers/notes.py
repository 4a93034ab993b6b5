"""The notes reducer of the sample app: `(collection, event) -> changeset`.

Events and payloads:

    noteAdded          {id, title, text, private?}
    noteTitleEdited    {id, title, baseVersion?}
    noteContentEdited  {id, text, baseVersion?}
    noteRemoved        {id}
    noteRestored       {id, title, text, private}

Who and when come from the event (`meta.user`, `timestamp`), never from a
clock.  A stale edit (its `baseVersion` below the note's `version`) is not
applied to the note: it becomes a visible conflict copy, a new note with the
edited text and the id `<note id>~<event id>`, that the people resolve.  The
rule is deterministic, so every browser and the server converge.
"""

from shared_reducers.errors import EventRejected
from shared_reducers.portable import get_or, has_key, is_bool, is_int, is_object, is_string


def notes_reducer(notes, event):
    kind = event["type"]
    if kind not in HANDLERS:
        return notes.no_change()
    payload = get_or(event, "payload", None)
    if not is_object(payload):
        raise EventRejected(kind + " needs a payload object.")
    return HANDLERS[kind](notes, payload, event)


def note_added(notes, payload, event):
    id = text_field(payload, "id")
    if notes.get(id) is not None:
        raise EventRejected("Note " + id + " already exists.")
    return notes.insert(
        new_note(
            id,
            text_field(payload, "title"),
            text_field(payload, "text"),
            flag_field(payload, "private"),
            event,
        )
    )


def note_title_edited(notes, payload, event):
    return edit(notes, payload, event, "title")


def note_content_edited(notes, payload, event):
    return edit(notes, payload, event, "text")


def note_removed(notes, payload, event):
    note = existing_note(notes, payload)
    return notes.remove(note["id"])


def note_restored(notes, payload, event):
    id = text_field(payload, "id")
    if notes.get(id) is not None:
        raise EventRejected("Note " + id + " is not deleted, so it cannot be restored.")
    return notes.insert(
        new_note(
            id,
            text_field(payload, "title"),
            text_field(payload, "text"),
            flag_field(payload, "private"),
            event,
        )
    )


HANDLERS = {
    "noteAdded": note_added,
    "noteTitleEdited": note_title_edited,
    "noteContentEdited": note_content_edited,
    "noteRemoved": note_removed,
    "noteRestored": note_restored,
}


def edit(notes, payload, event, field):
    note = existing_note(notes, payload)
    value = text_field(payload, field)
    base = get_or(payload, "baseVersion", None)
    if base is not None and not is_int(base):
        raise EventRejected("baseVersion must be a whole number.")
    if base is not None and base < note["version"]:
        copy = new_note(
            note["id"] + "~" + event["id"],
            note["title"] + " (conflict)",
            note["text"],
            note["private"],
            event,
        )
        copy[field] = value if field == "text" else value + " (conflict)"
        return notes.insert(copy)
    changes = {
        "updatedAt": event["timestamp"],
        "updatedBy": user_of(event),
        "version": note["version"] + 1,
    }
    changes[field] = value
    return notes.update(note["id"], changes)


def new_note(id, title, text, private, event):
    return {
        "id": id,
        "title": title,
        "text": text,
        "author": user_of(event),
        "private": private,
        "createdAt": event["timestamp"],
        "updatedAt": event["timestamp"],
        "updatedBy": user_of(event),
        "version": 1,
    }


def existing_note(notes, payload):
    id = text_field(payload, "id")
    note = notes.get(id)
    if note is None:
        raise EventRejected("Note " + id + " does not exist or was deleted.")
    return note


def text_field(payload, name):
    if not has_key(payload, name) or not is_string(payload[name]):
        raise EventRejected("The payload needs '" + name + "' as a string.")
    return payload[name]


def flag_field(payload, name):
    value = get_or(payload, name, False)
    if not is_bool(value):
        raise EventRejected("'" + name + "' must be true or false.")
    return value


def user_of(event):
    meta = get_or(event, "meta", None)
    if is_object(meta) and is_string(get_or(meta, "user", None)):
        return meta["user"]
    return "anonymous"
