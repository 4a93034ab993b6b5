"""The payload of each event type of the notes app, declared once.

The server's validation (server/app/validation.py) checks every event against
these declarations before the store sees it (422 naming the field); the
limits come from limits.py, which the reducers' messages and the page's
fields read too.  Plain data, portable (the browser build exports it).

    SCHEMAS[event type][field] = [kind, required]
    KINDS[kind] = [value type, most characters or items (0: no bound)]
"""

from shared_reducers.limits import (
    MAX_NEW_NOTE_ID,
    MAX_NOTE_ID,
    MAX_SPLICES,
    MAX_TEXT,
    MAX_TITLE,
)

KINDS = {
    "noteId": ["string", MAX_NOTE_ID],
    "newNoteId": ["string", MAX_NEW_NOTE_ID],
    "title": ["string", MAX_TITLE],
    "text": ["string", MAX_TEXT],
    "flag": ["bool", 0],
    "version": ["int", 0],
    "field": ["string", 0],
    "splices": ["list", MAX_SPLICES],
}

FIELDS = ["title", "text"]
"""The values of a noteSpliced's `field`."""

SCHEMAS = {
    "noteAdded": {
        "id": ["newNoteId", True],
        "title": ["title", True],
        "text": ["text", True],
        "private": ["flag", False],
    },
    "noteTitleEdited": {
        "id": ["noteId", True],
        "title": ["title", True],
        "baseVersion": ["version", False],
    },
    "noteContentEdited": {
        "id": ["noteId", True],
        "text": ["text", True],
        "baseVersion": ["version", False],
    },
    "noteSpliced": {
        "id": ["noteId", True],
        "field": ["field", True],
        "baseVersion": ["version", True],
        "splices": ["splices", True],
    },
    "noteRemoved": {"id": ["noteId", True]},
    "noteRestored": {
        "id": ["noteId", True],
        "title": ["title", True],
        "text": ["text", True],
        "private": ["flag", False],
    },
    "notePrivacyChanged": {
        "id": ["noteId", True],
        "private": ["flag", True],
    },
}
