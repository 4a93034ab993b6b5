"""Access control by event type, checked inside the dispatch transaction.

The rules themselves are portable (shared_reducers/policy.py: `denial(user,
kind, note)`), so the page shows only what they allow; this module applies
them on the server, with what only the server knows.

`note` is the note's current row (read in the same transaction as the
reducer, so no other write can slip in between the check and the write), or
for `noteRestored`, whose row is gone, the note as the log remembers it
(`NoteFacts`: its author and privacy).  Before the table is consulted, two
rules apply to every event:

- `viewers.readOnly`: viewers dispatch nothing;
- `private.authorOnly`: a private note is seen and changed only by its author
  (admins included: admins may do everything on *shared* notes).

How it is wired: `authorizing(reducer)` wraps the root reducer of the app's
store.  The store calls it for each event inside the transaction that
appends it, after the earlier events of the same dispatch were applied, so a
batch "add a private note, then edit it" is checked against the rows the
batch itself wrote.  The user's role is read from `flux_users` in that same
transaction (the event carries only `meta.user`, set from the session).  A
denial raises `Forbidden`; the transaction rolls back, nothing is written.

The same module answers the read side: `can_see(user, facts)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from server.app.notefacts import NoteFacts, former_note, id_was_used, note_id_of
from server.app.users import User, role_of
from server.store import PROBE_TYPE, Event, RootReducer, Row
from shared_reducers.errors import EventRejected
from shared_reducers.policy import RULES, denial

Note = Row | NoteFacts | None


class Forbidden(Exception):
    """The policy denies the event; `rule` names the rule."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(f"{reason} (rule {rule})")
        self.rule = rule
        self.reason = reason


POLICY = RULES
"""event type -> [rule name, description, who]: shared_reducers/policy.py."""


def _as_note(note: Note, note_id: str) -> dict[str, Any] | None:
    """The note as the portable policy reads it: {id, author, private}."""
    if note is None:
        return None
    if isinstance(note, NoteFacts):
        return {"id": note_id, "author": note.author, "private": note.private}
    return {"id": note_id, "author": note["author"], "private": bool(note["private"])}


def _check(user: User, kind: str, note: dict[str, Any] | None) -> None:
    refused = denial({"name": user.name, "role": user.role}, kind, note)
    if refused is not None:
        rule, reason = refused
        raise Forbidden(rule, reason)


def can_see(user: User, facts: NoteFacts | None) -> bool:
    """Private notes and all their events are visible only to their author.

    Events that name no known note (facts None) are visible to everyone.
    """
    return facts is None or not facts.private or facts.author == user.name


def authorize(
    conn: Connection, user: User, event: Event, get_row: Callable[[str], Row | None]
) -> None:
    """Raise Forbidden (or EventRejected) unless `user` may dispatch `event` now."""
    kind = str(event["type"])
    _check(user, kind, None)
    note_id = note_id_of(event)
    if note_id is None:
        raise EventRejected(f"{kind} needs payload.id as a string.")
    note: Note = get_row(note_id)
    if kind == "noteAdded" and note is None and id_was_used(conn, note_id):
        raise EventRejected(
            f"The note id {note_id} was used before; restore that note or choose a new id."
        )
    if kind == "noteRestored" and note is None:
        note = former_note(conn, note_id)
        if note is None:
            raise EventRejected(f"Note {note_id} never existed, so it cannot be restored.")
    _check(user, kind, _as_note(note, note_id))
    if kind == "noteRestored" and isinstance(note, NoteFacts):
        wanted = (event.get("payload") or {}).get("private", False) is True
        if wanted != note.private:
            raise Forbidden(
                "noteRestored.keepsPrivacy",
                f"A restore must keep the note's privacy: send private={str(note.private).lower()}.",
            )


class AuthorizingReducer:
    """The root reducer, with every event checked against the policy first (server only).

    `__wrapped__` is the bare reducer, which replay runs (the log holds only
    events that passed the policy when they were dispatched).
    """

    def __init__(self, reducer: RootReducer) -> None:
        self.__wrapped__ = reducer
        self.collection_names = list(getattr(reducer, "collection_names", []))

    def __call__(self, view: Any, event: Event) -> Any:
        if event.get("type") == PROBE_TYPE:
            return self.__wrapped__(view, event)
        conn: Connection = view.conn
        meta = event.get("meta") or {}
        name = meta.get("user") if isinstance(meta, dict) else None
        role = role_of(conn, name) if isinstance(name, str) else None
        if name is None or role is None:
            raise Forbidden("users.known", f"The user {name!r} does not exist; sign in again.")
        authorize(conn, User(name, role), event, view.collection("notes").get)
        return self.__wrapped__(view, event)


def authorizing(reducer: RootReducer) -> AuthorizingReducer:
    """`reducer` with every event checked against the policy first."""
    return AuthorizingReducer(reducer)
