"""The payload of each event type of the notes app, declared once.

The server's validation (server/app/validation.py) checks every event against
these declarations before the store sees it (422 naming the field); the
reducers check the same declarations once per event where they run
(`checked_payload`: the browser, replays of an imported log), so their
handlers read `payload["id"]` without re-checking types; the limits come
from limits.py, which the reducers' messages and the page's fields read too.
Why here rather than in notes.py: notes.py and notes_app.py both handle these
events and the server's validation imports no reducer, so the declaration is
one module of its own (flux crosscheck --generate finds it from either).

    SCHEMAS[event type][field] = [kind, required]
    KINDS[kind] = [value type, most characters or items (0: no bound)]
"""

from shared_reducers.errors import EventRejected
from shared_reducers.limits import (
    MAX_NEW_NOTE_ID,
    MAX_NOTE_ID,
    MAX_SPLICES,
    MAX_TEXT,
    MAX_TITLE,
)
from shared_reducers.portable import describe, is_int, is_storable_text

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

WORDS = {"string": "a string", "bool": "true or false", "int": "a whole number", "list": "a list"}


def checked_payload(event, schemas=SCHEMAS, kinds=KINDS):
    """The payload of `event`, checked against its type's schema, or
    EventRejected naming the field.  The server's validation has already
    refused such events with a 422 (server/app/validation.py); this is the same
    declaration read once more where the reducer runs (the browser, replays of
    an imported log), so a handler trusts every declared field: present when
    required, of its type, within its bound, text the database can store.
    Whether an event fits the STATE (the note exists, the splices fit the
    text) stays the handler's to say."""
    kind = event["type"]
    payload = event.get("payload")
    if not isinstance(payload, dict):
        got = describe(payload) if "payload" in event else "nothing"
        raise EventRejected(f"{kind} needs a payload object; got {got}.")
    for name, rule in schemas[kind].items():
        spec = kinds[rule[0]]
        if name not in payload:
            if not rule[1]:
                continue  # an optional field left out (null is refused, as the server does)
            raise EventRejected(f"{kind} needs '{name}' as {WORDS[spec[0]]}; got nothing.")
        value = payload[name]
        if usual(rule[0], spec, value):
            continue
        if not fits_type(spec[0], value):
            raise EventRejected(
                f"{kind} needs '{name}' as {WORDS[spec[0]]}; got {describe(value)}."
            )
        problem = field_problem(rule[0], value, spec[1])
        if problem:
            raise EventRejected(f"{kind}'s '{name}' {problem}")
    return payload


def usual(kind, spec, value):
    """True for the values most payloads hold, which fits_type and field_problem
    accept too, in one call instead of three: a non-empty storable string within
    its bound (not a splice's `field`), a bool, a whole number >= 0 (an int in
    CPython; a float such as 2.0 takes the long way).  False means only "look
    closer", not "wrong"."""
    type_name = spec[0]
    if type_name == "string":
        return (
            isinstance(value, str)
            and value != ""
            and (spec[1] == 0 or len(value) <= spec[1])
            and kind != "field"
            and is_storable_text(value)
        )
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return False


def field_problem(kind, value, most):
    """What is wrong with `value`, of the right type for `kind` (a key of
    KINDS) and at most `most` characters or items long (0: no bound), in words,
    or "" when it fits."""
    if isinstance(value, str):
        if not is_storable_text(value):
            return (
                "contains the character U+0000 or a lone surrogate, which the database "
                "cannot store; remove it."
            )
        if kind.endswith("Id") and not value:
            return "must not be empty."
        if kind == "field" and value not in FIELDS:
            return f"must be one of {', '.join(FIELDS)}; got '{value}'."
    elif not isinstance(value, list) and not isinstance(value, bool) and value < 0:
        return f"must not be negative; got {int(value)}."
    if most and len(value) > most:
        unit = "characters" if isinstance(value, str) else "items"
        return f"has {len(value)} {unit}; at most {most} are allowed."
    return ""


def fits_type(type_name, value):
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return is_int(value)  # 2.0 counts: JSON has one kind of number
    return isinstance(value, list)
