"""The notes app's limits, in one place: the server's validation, the
reducers' messages and the page's fields all read them from here.

The database columns are at least this wide (server/app/schema.py).
"""

MAX_TITLE = 200
"""Characters (code points) of a title, conflict copies' " (conflict)" included."""

MAX_TEXT = 100000
"""Characters of a note's text."""

MAX_NOTE_ID = 120
"""Characters of any note id (the notes.id column)."""

MAX_NEW_NOTE_ID = 50
"""Characters of the id of a new note: a conflict copy adds "~" and an event id
(at most 64) to it and must still fit MAX_NOTE_ID."""

MAX_EVENT_ID = 64
"""Characters of an event id."""

MAX_USER = 100
"""Characters of a user name."""

MAX_SPLICES = 500
"""Splices in one noteSpliced (a page sends one composed list every ~200 ms)."""
