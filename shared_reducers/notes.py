"""The notes reducer of the sample app: `(collection, event) -> changeset`.

Events and payloads:

    noteAdded          {id, title, text, private?}
    noteTitleEdited    {id, title, baseVersion?}
    noteContentEdited  {id, text, baseVersion?}
    noteRemoved        {id}
    noteRestored       {id, title, text, private?}
    noteSpliced        {id, field: "title" | "text", baseVersion, splices}
    notePrivacyChanged {id, private}   (the author makes the note private or shared)

A note row is {id, title, text, author, private, createdAt, updatedAt,
updatedBy, version, recent}.  Who and when come from the event (`meta.user`, else
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

Splices (live co-editing, see docs/coediting.md and text_ops.py).  A
noteSpliced event carries `splices`, a list of [at, removeCount, insertText]
made on the field as it was at `baseVersion` (code points).  `recent` is the
row's tail of the latest changes, one entry [version, field, splices] per
version (oldest first): a splice event adds its splices as applied, a
whole-field edit adds the one splice between the old and the new value
(`diff_splices`), adding or restoring a note starts it empty.  An edit whose
`baseVersion` is below the version is transformed through the entries of its
field after `baseVersion` (each committed first, so it wins ties: concurrent
inserts at one position keep commit order; an insert inside text deleted
meanwhile stays at the deletion point; overlapping deletes delete the union
once), then applied; like any applied edit it adds one to `version`.  The
tail keeps at most `max_recent` entries (default 200) and `max_recent_bytes`
bytes (default 64 KiB, counted as the UTF-8 bytes each entry inserts plus 16
per splice and per entry); the oldest go first, and an entry bigger than the
whole bound leaves the tail empty.  A stale splice edit older than the tail
(its `baseVersion` below the oldest entry's version minus one) cannot be
placed: it becomes a conflict copy like a stale whole-field edit, whose
edited field holds the text the splices inserted.  `make_notes_reducer(
max_recent, max_recent_bytes)` builds the reducer with other bounds.

Rejections (EventRejected, with a sentence a person can read): a payload that
is not an object, a field of the wrong type, an id that is empty or longer
than 120 characters, a title longer than MAX_TITLE (limits.py), a user name longer than 100,
adding or restoring an id that exists, splices that are
malformed or do not fit the text they were made on, more than 500 splices, a
`baseVersion` above the note's version, a spliced text longer than 100,000
characters, editing or removing a note that does
not exist (or was removed), a missing timestamp, and text with U+0000 or a
lone surrogate (the database cannot store them).  Other event types
change nothing.  The limits are the columns of the notes table.
"""

from shared_reducers.conflicts import conflict_copy_id
from shared_reducers.errors import EventRejected
from shared_reducers.limits import MAX_NOTE_ID, MAX_TEXT, MAX_TITLE, MAX_USER
from shared_reducers.portable import (
    describe,
    get_or,
    has_key,
    int_text,
    is_bool,
    is_int,
    is_list,
    is_object,
    is_storable_text,
    is_string,
    slice_text,
    text_length,
    utf8_length,
)
from shared_reducers.text_ops import (
    apply_splices,
    diff_splices,
    normalize,
    shown,
    splices_size,
    transform,
    validate_splices,
)

MAX_ID = MAX_NOTE_ID
MAX_SPLICED_TEXT = MAX_TEXT
CONFLICT = " (conflict)"
DEFAULT_MAX_RECENT = 200
DEFAULT_MAX_RECENT_BYTES = 65536
ENTRY_OVERHEAD = 16
"""Bytes counted per entry and per splice of `recent`, besides the inserted text."""


def make_notes_reducer(max_recent, max_recent_bytes):
    """The notes reducer with its own bounds on the `recent` tail of each row."""
    bounds = [max_recent, max_recent_bytes]

    def notes_reducer(notes, event):
        kind = get_or(event, "type", None)
        if not is_string(kind):
            return notes.no_change()
        if kind == "noteAdded":
            return note_added(notes, payload_of(event, kind), event)
        if kind == "noteSpliced":
            return note_spliced(notes, payload_of(event, kind), event, bounds)
        if kind == "noteTitleEdited":
            return edit(notes, payload_of(event, kind), event, "title", bounds)
        if kind == "noteContentEdited":
            return edit(notes, payload_of(event, kind), event, "text", bounds)
        if kind == "noteRemoved":
            return note_removed(notes, payload_of(event, kind))
        if kind == "noteRestored":
            return note_restored(notes, payload_of(event, kind), event)
        if kind == "notePrivacyChanged":
            return privacy_changed(notes, payload_of(event, kind), event, bounds)
        return notes.no_change()

    return notes_reducer


notes_reducer = make_notes_reducer(DEFAULT_MAX_RECENT, DEFAULT_MAX_RECENT_BYTES)


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


def privacy_changed(notes, payload, event, bounds):
    """The author makes a note private or shared: an applied edit of `private`
    (next version, who and when); its `recent` entry has no splices, so the
    typing of both text fields transforms through it unchanged.  Setting the
    privacy the note already has changes nothing."""
    note = existing_note(notes, payload)
    hidden = get_or(payload, "private", None)
    if not is_bool(hidden):
        raise EventRejected(
            "notePrivacyChanged needs 'private' as true or false; got "
            + found(payload, "private")
            + "."
        )
    if hidden == note["private"]:
        return notes.no_change()
    return notes.update(note["id"], changed(note, "private", hidden, [], event, bounds))


def note_spliced(notes, payload, event, bounds):
    note = existing_note(notes, payload)
    field = get_or(payload, "field", None)
    if not is_string(field) or (field != "title" and field != "text"):
        raise EventRejected(
            'noteSpliced needs \'field\' as "title" or "text"; got ' + found(payload, "field") + "."
        )
    version = note["version"]
    base = get_or(payload, "baseVersion", None)
    if not is_int(base) or base < 0:
        raise EventRejected(
            "noteSpliced needs 'baseVersion', the version the splices were made on, as a "
            "whole number; got " + found(payload, "baseVersion") + "."
        )
    if base > version:
        raise EventRejected(
            "'baseVersion' is "
            + shown(base)
            + " but note "
            + note["id"]
            + " is at version "
            + int_text(version)
            + "; splices can only be made on a version that exists."
        )
    recent = recent_of(note)
    if base < version and (len(recent) == 0 or recent[0][0] > base + 1):
        splices = validate_splices(get_or(payload, "splices", None), None)
        inserted = ""
        for splice in splices:
            inserted = inserted + splice[2]
        return conflict_copy(notes, note, field, inserted, event)
    later = []
    length = text_length(note[field])
    for entry in recent:
        if entry[0] > base and entry[1] == field:
            later.append(entry[2])
            length = length - splices_size(entry[2])
    splices = normalize(validate_splices(get_or(payload, "splices", None), length))
    for applied in later:
        splices = transform(splices, applied, True)
    value = apply_splices(note[field], splices)
    if field == "title" and text_length(value) > MAX_TITLE:
        raise EventRejected(
            "After these splices the title would have "
            + int_text(text_length(value))
            + " characters; a title has at most "
            + int_text(MAX_TITLE)
            + "."
        )
    if text_length(value) > MAX_SPLICED_TEXT:
        raise EventRejected(
            "After these splices the text would have "
            + int_text(text_length(value))
            + " characters; a note's text has at most "
            + int_text(MAX_TEXT)
            + "."
        )
    return notes.update(note["id"], changed(note, field, value, splices, event, bounds))


def changed(note, field, value, splices, event, bounds):
    """The changes of an applied edit: the field, who and when, the next
    version, and the tail with the splices as applied."""
    version = note["version"] + 1
    changes = {
        "updatedAt": timestamp_of(event),
        "updatedBy": user_of(event),
        "version": version,
        "recent": bounded(recent_of(note), [version, field, splices], bounds),
    }
    changes[field] = value
    return changes


def recent_of(note):
    """The row's tail of recent changes (rows written before it existed have none)."""
    recent = get_or(note, "recent", None)
    if not is_list(recent):
        return []
    return recent


def bounded(recent, entry, bounds):
    """`recent` with `entry` added, without the oldest entries beyond the bounds.

    Most edits drop nothing.  When the count fits and an upper bound of the
    bytes fits too (`bytes_at_most`: no text is measured), the tail is copied
    once with the entry added.  Otherwise the exact sizes are summed from the
    newest entry back, only as far as entries are kept, and only the entries
    kept are copied."""
    if len(recent) + 1 <= bounds[0]:
        room = bounds[1] - bytes_at_most(entry)
        for each in recent:
            if room < 0:
                break
            room = room - bytes_at_most(each)
        if room >= 0:
            kept = list(recent)
            kept.append(entry)
            return kept
    total = entry_bytes(entry)
    if bounds[0] < 1 or total > bounds[1]:
        return []
    start = len(recent)
    while start > 0:
        size = entry_bytes(recent[start - 1])
        if len(recent) - start + 2 > bounds[0] or total + size > bounds[1]:
            break
        total = total + size
        start = start - 1
    kept = recent[start:]
    kept.append(entry)
    return kept


def entry_bytes(entry):
    """The size of one `recent` entry as the bounds count it (see the module's docstring)."""
    size = ENTRY_OVERHEAD
    for splice in entry[2]:
        size = size + ENTRY_OVERHEAD + utf8_length(splice[2])
    return size


def bytes_at_most(entry):
    """An upper bound of entry_bytes(entry) that measures no text: a character
    takes at most 4 bytes in UTF-8, and `len` counts code points in CPython
    and UTF-16 units (at most 3 bytes each) in JavaScript."""
    size = ENTRY_OVERHEAD
    for splice in entry[2]:
        size = size + ENTRY_OVERHEAD + 4 * len(splice[2])
    return size


def edit(notes, payload, event, field, bounds):
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
    splices = diff_splices(note[field], value)
    return notes.update(note["id"], changed(note, field, value, splices, event, bounds))


def conflict_copy(notes, note, field, value, event):
    event_id = get_or(event, "id", None)
    if not is_string(event_id) or event_id == "" or not is_storable_text(event_id):
        raise EventRejected("A stale edit needs the event's id (a uuid) to name its conflict copy.")
    id = conflict_copy_id(note["id"], event_id)
    if text_length(id) > MAX_ID:
        raise EventRejected(
            "The conflict copy's id "
            + id
            + " would be longer than "
            + int_text(MAX_ID)
            + " characters; resolve the conflict on the note it copies."
        )
    if notes.get(id) is not None:
        raise EventRejected("The conflict copy " + id + " already exists.")
    title = note["title"]
    text = note["text"]
    if field == "title":
        title = value
    else:
        text = value
    # The title keeps as much as fits with the " (conflict)" mark.
    title = slice_text(title, 0, MAX_TITLE - text_length(CONFLICT)) + CONFLICT
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
        "recent": [],
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
        raise EventRejected(
            "A title must have at most " + int_text(MAX_TITLE) + " characters; shorten it."
        )
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
