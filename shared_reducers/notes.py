"""The notes reducer of the sample app: `(collection, event) -> changeset`.

Events and payloads:

    noteAdded          {id, title, text, private?}
    noteTitleEdited    {id, title, baseVersion?}
    noteContentEdited  {id, text, baseVersion?}
    noteRemoved        {id}
    noteRestored       {id, title, text, private?}

A note row is {id, title, text, author, private, createdAt, updatedAt,
updatedBy, version}.  Who and when come from the event (`meta.user`, else
"anonymous"; `timestamp`, which the store sets and a browser sets
provisionally before its optimistic update), never from a clock.

Stale edits.  An edit whose `baseVersion` is below the note's `version` was
made on an old copy, so it is not applied to the note: it becomes a visible
conflict copy, a new note with the id `<note id>~<event id>`, the note's
title (or the edited title) followed by " (conflict)", and the note's text
(or the edited text).  The people resolve it by editing and removing notes.
The rule depends only on the state and the event, so every browser and the
server converge.  A `baseVersion` that is missing or null, or not below the
version, is a normal edit, which sets the field and adds one to `version`.

Rejections (EventRejected, with a sentence a person can read): a payload that
is not an object, a field of the wrong type, an id that is empty or longer
than 120 characters, a title longer than 400, a user name longer than 100,
adding or restoring an id that exists, editing or removing a note that does
not exist (or was removed), a missing timestamp, and text with U+0000 or a
lone surrogate (the database cannot store them).  Other event types
change nothing.  The limits are the columns of the notes table.
"""

from shared_reducers.errors import EventRejected
from shared_reducers.portable import (
    describe,
    get_or,
    has_key,
    is_bool,
    is_int,
    is_object,
    is_storable_text,
    is_string,
    text_length,
)

MAX_ID = 120
MAX_TITLE = 400
MAX_USER = 100
CONFLICT = " (conflict)"


def notes_reducer(notes, event):
    kind = get_or(event, "type", None)
    if not is_string(kind):
        return notes.no_change()
    if kind == "noteAdded":
        return note_added(notes, payload_of(event, kind), event)
    if kind == "noteTitleEdited":
        return edit(notes, payload_of(event, kind), event, "title")
    if kind == "noteContentEdited":
        return edit(notes, payload_of(event, kind), event, "text")
    if kind == "noteRemoved":
        return note_removed(notes, payload_of(event, kind))
    if kind == "noteRestored":
        return note_restored(notes, payload_of(event, kind), event)
    return notes.no_change()


def note_added(notes, payload, event):
    id = id_field(payload)
    if notes.get(id) is not None:
        raise EventRejected("Note " + id + " already exists; choose a new id.")
    return notes.insert(new_note(id, title_field(payload), text_field(payload), payload, event))


def note_restored(notes, payload, event):
    id = id_field(payload)
    if notes.get(id) is not None:
        raise EventRejected("Note " + id + " is not deleted, so it cannot be restored.")
    return notes.insert(new_note(id, title_field(payload), text_field(payload), payload, event))


def note_removed(notes, payload):
    note = existing_note(notes, payload)
    return notes.remove(note["id"])


def edit(notes, payload, event, field):
    note = existing_note(notes, payload)
    if field == "title":
        value = title_field(payload)
    else:
        value = text_field(payload)
    base = get_or(payload, "baseVersion", None)
    if base is not None and not is_int(base):
        raise EventRejected(
            "'baseVersion' must be a whole number (the version the edit was made on); got "
            + describe(base)
            + "."
        )
    if base is not None and base < note["version"]:
        return conflict_copy(notes, note, field, value, event)
    changes = {
        "updatedAt": timestamp_of(event),
        "updatedBy": user_of(event),
        "version": note["version"] + 1,
    }
    changes[field] = value
    return notes.update(note["id"], changes)


def conflict_copy(notes, note, field, value, event):
    event_id = get_or(event, "id", None)
    if not is_string(event_id) or event_id == "" or not is_storable_text(event_id):
        raise EventRejected("A stale edit needs the event's id (a uuid) to name its conflict copy.")
    id = note["id"] + "~" + event_id
    if text_length(id) > MAX_ID:
        raise EventRejected(
            "The conflict copy's id " + id + " would be longer than 120 characters; "
            "resolve the conflict on the note it copies."
        )
    if notes.get(id) is not None:
        raise EventRejected("The conflict copy " + id + " already exists.")
    title = note["title"]
    text = note["text"]
    if field == "title":
        title = value
    else:
        text = value
    title = title + CONFLICT
    if text_length(title) > MAX_TITLE:
        raise EventRejected(
            "The conflict copy's title would be longer than 400 characters; shorten the title."
        )
    copy = new_note(id, title, text, None, event)
    copy["private"] = note["private"]
    return notes.insert(copy)


def new_note(id, title, text, payload, event):
    hidden = False
    if payload is not None:
        hidden = get_or(payload, "private", False)
        if not is_bool(hidden):
            raise EventRejected(
                "'private' must be true or false when given; got " + describe(hidden) + "."
            )
    now = timestamp_of(event)
    user = user_of(event)
    return {
        "id": id,
        "title": title,
        "text": text,
        "author": user,
        "private": hidden,
        "createdAt": now,
        "updatedAt": now,
        "updatedBy": user,
        "version": 1,
    }


def payload_of(event, kind):
    payload = get_or(event, "payload", None)
    if not is_object(payload):
        raise EventRejected(kind + " needs a payload object; got " + found(event, "payload") + ".")
    return payload


def existing_note(notes, payload):
    id = id_field(payload)
    note = notes.get(id)
    if note is None:
        raise EventRejected("Note " + id + " does not exist or was deleted.")
    return note


def id_field(payload):
    id = string_field(payload, "id")
    if id == "" or text_length(id) > MAX_ID:
        raise EventRejected("A note id must have 1 to 120 characters; got '" + id + "'.")
    return id


def title_field(payload):
    title = string_field(payload, "title")
    if text_length(title) > MAX_TITLE:
        raise EventRejected("A title must have at most 400 characters; shorten it.")
    return title


def text_field(payload):
    return string_field(payload, "text")


def string_field(payload, name):
    value = get_or(payload, name, None)
    if not is_string(value):
        raise EventRejected(
            "The payload needs '" + name + "' as a string; got " + found(payload, name) + "."
        )
    if not is_storable_text(value):
        raise EventRejected(
            "'" + name + "' contains the character U+0000 or a lone surrogate, which "
            "the database cannot store; remove it."
        )
    return value


def found(mapping, key):
    """What `mapping` holds under `key`, in words, for a message."""
    if has_key(mapping, key):
        return describe(mapping[key])
    return "nothing"


def timestamp_of(event):
    timestamp = get_or(event, "timestamp", None)
    if not is_string(timestamp):
        raise EventRejected(
            "The event has no timestamp; the store sets it, and a browser sets a "
            "provisional one before applying an event optimistically."
        )
    return timestamp


def user_of(event):
    meta = get_or(event, "meta", None)
    user = None
    if is_object(meta):
        user = get_or(meta, "user", None)
    if not is_string(user):
        return "anonymous"
    if text_length(user) > MAX_USER:
        raise EventRejected("A user name must have at most 100 characters.")
    if not is_storable_text(user):
        raise EventRejected(
            "The user name contains U+0000 or a lone surrogate, which the database cannot store."
        )
    return user
