"""Who may dispatch which event on which note: the notes app's policy.

Natural Python, written once: the server enforces it inside the
dispatch transaction (server/app/policy.py), and the page, transpiled, shows
only the buttons it allows (no "Delete" an editor may not use, a read-only
page for viewers, "Restore" where a restore can succeed).

    denial(user, kind, note) -> None | [rule, reason]

`user` is {name, role}; `note` is the note as the policy knows it, at least
{id, author, private} (a row, or a removed note as the log remembers it), or
None when there is no such note (the reducer decides what that means).

The rules, in order:
- `viewers.readOnly`: viewers dispatch nothing;
- `unknownType`: only the event types of RULES may be dispatched;
- `private.authorOnly`: a private note is changed only by its author (admins
  included: admins may do everything on *shared* notes);
- the event type's own rule: everyone who writes may add and edit; editors
  remove and restore only their own notes, admins also shared ones; only the
  author makes a note private or shared (`notePrivacyChanged`).
"""

VIEWER = "viewer"
EDITOR = "editor"
ADMIN = "admin"

WRITERS = "writers"
OWN_OR_ADMIN = "ownOrAdmin"
AUTHOR = "author"

# event type -> [rule name, description, who]
RULES = {
    "noteAdded": ["noteAdded.writers", "editors and admins add notes", WRITERS],
    "noteTitleEdited": [
        "noteEdited.sharedOrOwn",
        "editors and admins edit shared notes and their own private notes",
        WRITERS,
    ],
    "noteContentEdited": [
        "noteEdited.sharedOrOwn",
        "editors and admins edit shared notes and their own private notes",
        WRITERS,
    ],
    "noteSpliced": [
        "noteEdited.sharedOrOwn",
        "editors and admins edit shared notes and their own private notes",
        WRITERS,
    ],
    "noteRemoved": [
        "noteRemoved.ownOrAdmin",
        "editors remove only their own notes; admins also remove shared notes",
        OWN_OR_ADMIN,
    ],
    "noteRestored": [
        "noteRestored.ownOrAdmin",
        "editors restore only their own notes; admins also restore shared notes",
        OWN_OR_ADMIN,
    ],
    "notePrivacyChanged": [
        "notePrivacyChanged.authorOnly",
        "only its author makes a note private or shared (admins included)",
        AUTHOR,
    ],
}


def denial(user, kind, note):
    """None if `user` may dispatch an event of type `kind` on `note`; else [rule, reason]."""
    name = user.get("name")
    role = user.get("role")
    if role == VIEWER:
        return ["viewers.readOnly", "Viewers may read notes but not change them."]
    if kind not in RULES:
        return ["unknownType", f"No rule allows the event type {kind}."]
    rule, description, who = RULES[kind]
    if note is None:
        return None
    mine = note.get("author") == name
    hidden = note.get("private") is True
    if hidden and not mine:
        return [
            "private.authorOnly",
            f"Note {note.get('id', '')} is private to its author; only they may change it.",
        ]
    if who == OWN_OR_ADMIN and not mine and not (role == ADMIN and not hidden):
        return [rule, f"Denied: {description}."]
    if who == AUTHOR and not mine:
        return [rule, f"Denied: {description}."]
    return None


def may(user, kind, note):
    """True when `denial(user, kind, note)` is None (for the page's buttons)."""
    return denial(user, kind, note) is None
