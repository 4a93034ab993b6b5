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
server converge.  A `baseVersion` that is missing, or not below the
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

Payloads.  Each event type's payload is declared once, in schemas.py (the
kinds of its fields and their bounds, from limits.py); the server validates
every event against it before the store sees it (422 naming the field), and
the dispatch below checks it once more with the same declaration
(`checked_payload`: the browser, replays of an imported log), so the
handlers trust the payload's fields and check only what depends on the STATE.

Rejections (EventRejected, with a sentence a person can read): a payload that
does not fit its schema (a missing field, a wrong type, an empty id, a title
longer than MAX_TITLE, text with U+0000 or a lone surrogate, more than 500
splices), a user name longer than 100, adding or restoring an id that exists,
splices that are malformed or do not fit the text they were made on, a
`baseVersion` above the note's version, a spliced text longer than 100,000
characters, editing or removing a note that does not exist (or was removed),
and a missing timestamp.  Other event types change nothing.  The limits are
the columns of the notes table.
"""

from shared_reducers.conflicts import conflict_copy_id
from shared_reducers.errors import EventRejected
from shared_reducers.limits import MAX_NOTE_ID, MAX_TEXT, MAX_TITLE, MAX_USER
from shared_reducers.portable import is_storable_text, utf8_length
from shared_reducers.schemas import KINDS, SCHEMAS, checked_payload
from shared_reducers.text_ops import (
    apply_splices,
    diff_splices,
    normalize,
    shown,
    splices_size,
    transform,
    validate_splices,
)

__all__ = [
    "CONFLICT",
    "DEFAULT_MAX_RECENT",
    "DEFAULT_MAX_RECENT_BYTES",
    "ENTRY_OVERHEAD",
    "bounded",
    "existing_note",
    "make_notes_reducer",
    "new_note",
    "notes_reducer",
    "timestamp_of",
    "user_of",
]
"""What the browser build exports (notes_app.py exports the app's own names)."""

CONFLICT = " (conflict)"
DEFAULT_MAX_RECENT = 200
DEFAULT_MAX_RECENT_BYTES = 65536
ENTRY_OVERHEAD = 16
"""Bytes counted per entry and per splice of `recent`, besides the inserted text."""

EDITED_FIELD = {"noteTitleEdited": "title", "noteContentEdited": "text"}


def make_notes_reducer(max_recent=DEFAULT_MAX_RECENT, max_recent_bytes=DEFAULT_MAX_RECENT_BYTES):
    """The notes reducer with its own bounds on the `recent` tail of each row."""
    bounds = [max_recent, max_recent_bytes]

    def notes_reducer(notes, event):
        kind = event.get("type")
        if not isinstance(kind, str) or kind not in SCHEMAS:
            return notes.no_change()
        payload = checked_payload(event, SCHEMAS, KINDS)
        if kind == "noteAdded":
            return note_added(notes, payload, event)
        if kind in EDITED_FIELD:
            return note_edited(notes, payload, event, EDITED_FIELD[kind], bounds)
        if kind == "noteRemoved":
            return notes.remove(existing_note(notes, payload["id"])["id"])
        if kind == "noteSpliced":
            return note_spliced(notes, payload, event, bounds)
        if kind == "noteRestored":
            return note_restored(notes, payload, event)
        return privacy_changed(notes, payload, event, bounds)

    return notes_reducer


notes_reducer = make_notes_reducer()


def note_added(notes, payload, event):
    if notes.get(payload["id"]) is not None:
        raise EventRejected(f"Note {payload['id']} already exists; choose a new id.")
    return notes.insert(new_note(event, payload))


def note_edited(notes, payload, event, field, bounds):
    note = existing_note(notes, payload["id"])
    value = payload[field]
    base = payload.get("baseVersion")
    if base is not None and base < note["version"]:
        return conflict_copy(notes, note, field, value, event)
    splices = diff_splices(note[field], value)
    return notes.update(note["id"], changed(note, field, value, splices, event, bounds))


def note_restored(notes, payload, event):
    if notes.get(payload["id"]) is not None:
        raise EventRejected(f"Note {payload['id']} is not deleted, so it cannot be restored.")
    return notes.insert(new_note(event, payload))


def privacy_changed(notes, payload, event, bounds):
    """The author makes a note private or shared: an applied edit of `private`
    (next version, who and when); its `recent` entry has no splices, so the
    typing of both text fields transforms through it unchanged.  Setting the
    privacy the note already has changes nothing."""
    note = existing_note(notes, payload["id"])
    if payload["private"] == note["private"]:
        return notes.no_change()
    return notes.update(note["id"], changed(note, "private", payload["private"], [], event, bounds))


def note_spliced(notes, payload, event, bounds):
    note = existing_note(notes, payload["id"])
    field = payload["field"]
    base = payload["baseVersion"]
    if base > note["version"]:
        raise EventRejected(
            f"'baseVersion' is {shown(base)} but note {note['id']} is at version {note['version']}; "
            "splices can only be made on a version that exists."
        )
    recent = recent_of(note)
    if base < note["version"] and (not recent or recent[0][0] > base + 1):
        splices = validate_splices(payload["splices"], None)
        return conflict_copy(notes, note, field, "".join([s[2] for s in splices]), event)
    later = [entry[2] for entry in recent if entry[0] > base and entry[1] == field]
    length = len(note[field]) - sum(splices_size(applied) for applied in later)
    splices = normalize(validate_splices(payload["splices"], length))
    for applied in later:
        splices = transform(splices, applied, True)
    value = apply_splices(note[field], splices)
    if field == "title" and len(value) > MAX_TITLE:
        raise EventRejected(
            f"After these splices the title would have {len(value)} characters; "
            f"a title has at most {MAX_TITLE}."
        )
    if len(value) > MAX_TEXT:
        raise EventRejected(
            f"After these splices the text would have {len(value)} characters; "
            f"a note's text has at most {MAX_TEXT}."
        )
    return notes.update(note["id"], changed(note, field, value, splices, event, bounds))


def changed(note, field, value, splices, event, bounds):
    """The changes of an applied edit: the field, who and when, the next
    version, and the tail with the splices as applied."""
    version = note["version"] + 1
    return {
        field: value,
        "updatedAt": timestamp_of(event),
        "updatedBy": user_of(event),
        "version": version,
        "recent": bounded(recent_of(note), [version, field, splices], bounds),
    }


def recent_of(note):
    """The row's tail of recent changes (rows written before it existed have none)."""
    return note.get("recent") or []


def bounded(recent, entry, bounds):
    """`recent` with `entry` added, without the oldest entries beyond the bounds.

    Most edits drop nothing.  When the count fits and an upper bound of the
    bytes fits too (`bytes_at_most`: no text is measured), the tail is copied
    once with the entry added.  Otherwise the exact sizes are summed from the
    newest entry back, only as far as entries are kept, and only the entries
    kept are copied."""
    most, most_bytes = bounds
    if len(recent) + 1 <= most:
        room = most_bytes - bytes_at_most(entry)
        for each in recent:
            if room < 0:
                break
            room -= ENTRY_OVERHEAD  # bytes_at_most(each), inlined: this runs on every edit
            for splice in each[2]:
                room -= ENTRY_OVERHEAD + 4 * len(splice[2])
        if room >= 0:
            return recent + [entry]
    total = entry_bytes(entry)
    if most < 1 or total > most_bytes:
        return []
    start = len(recent)
    while start > 0:
        size = entry_bytes(recent[start - 1])
        if len(recent) - start + 2 > most or total + size > most_bytes:
            break
        total += size
        start -= 1
    return recent[start:] + [entry]


def entry_bytes(entry):
    """The size of one `recent` entry as the bounds count it (see the module's docstring)."""
    return ENTRY_OVERHEAD + sum(ENTRY_OVERHEAD + utf8_length(s[2]) for s in entry[2])


def bytes_at_most(entry):
    """An upper bound of entry_bytes(entry) that measures no text: a character
    takes at most 4 bytes in UTF-8 (`len` counts code points in both engines)."""
    total = ENTRY_OVERHEAD
    for splice in entry[2]:
        total += ENTRY_OVERHEAD + 4 * len(splice[2])
    return total


def conflict_copy(notes, note, field, value, event):
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id or not is_storable_text(event_id):
        raise EventRejected("A stale edit needs the event's id (a uuid) to name its conflict copy.")
    id = conflict_copy_id(note["id"], event_id)
    if len(id) > MAX_NOTE_ID:
        raise EventRejected(
            f"The conflict copy's id {id} would be longer than {MAX_NOTE_ID} characters; "
            "resolve the conflict on the note it copies."
        )
    if notes.get(id) is not None:
        raise EventRejected(f"The conflict copy {id} already exists.")
    copy = {"id": id, "title": note["title"], "text": note["text"], "private": note["private"]}
    copy[field] = value
    # The title keeps as much as fits with the " (conflict)" mark.
    copy["title"] = copy["title"][: MAX_TITLE - len(CONFLICT)] + CONFLICT
    return notes.insert(new_note(event, copy))


def new_note(event, fields):
    """A new row: the id, title, text and privacy (default shared) of `fields`,
    by the event's user at the event's time."""
    now = timestamp_of(event)
    user = user_of(event)
    return {
        "id": fields["id"],
        "title": fields["title"],
        "text": fields["text"],
        "author": user,
        "private": fields.get("private", False),
        "createdAt": now,
        "updatedAt": now,
        "updatedBy": user,
        "version": 1,
        "recent": [],
    }


def existing_note(notes, id):
    note = notes.get(id)
    if note is None:
        raise EventRejected(f"Note {id} does not exist or was deleted.")
    return note


def timestamp_of(event):
    timestamp = event.get("timestamp")
    if not isinstance(timestamp, str):
        raise EventRejected(
            "The event has no timestamp; the store sets it, and a browser sets a "
            "provisional one before applying an event optimistically."
        )
    return timestamp


def user_of(event):
    meta = event.get("meta")
    user = meta.get("user") if isinstance(meta, dict) else None
    if not isinstance(user, str):
        return "anonymous"
    if len(user) > MAX_USER:
        raise EventRejected(f"A user name must have at most {MAX_USER} characters.")
    if not is_storable_text(user):
        raise EventRejected(
            "The user name contains U+0000 or a lone surrogate, which the database cannot store."
        )
    return user
