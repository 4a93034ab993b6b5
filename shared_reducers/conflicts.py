"""The conflict-copy convention, in one place.

A stale whole-field edit (one made on an old version that cannot be merged)
becomes a visible copy of the note whose id is the note's id, COPY_SEPARATOR
and the event's id: `n1~6f1c...`.  Ids of new notes may not contain the
separator, so only the reducer makes such ids.
"""

COPY_SEPARATOR = "~"


def conflict_copy_id(note_id, event_id):
    """The id of the conflict copy that event `event_id` makes of note `note_id`."""
    return note_id + COPY_SEPARATOR + event_id


def is_conflict_copy(note_id):
    """True for the id of a conflict copy."""
    return COPY_SEPARATOR in note_id
