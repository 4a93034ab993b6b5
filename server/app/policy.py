"""Access control by event type, checked inside the dispatch transaction.

The rules themselves are portable (shared_reducers/policy.py: `denial(user,
kind, note)`), so the page shows only what they allow; this module applies
them on the server, with what only the server knows.

`note` is the note's current row (read in the same transaction as the
reducer, so no other write can slip in between the check and the write), or
for `noteRestored`, whose row is gone, its row in `removed_notes` (author and
privacy as they were).  Before the table is consulted, two rules apply to
every event:

- `viewers.readOnly`: viewers dispatch nothing;
- `private.authorOnly`: a private note is seen and changed only by its author
  (admins included: admins may do everything on *shared* notes).

How it is wired: `authorizing(reducer)` wraps the root reducer of the app's
store.  The store calls it for each event inside the transaction that
appends it, after the earlier events of the same dispatch were applied, so a
batch "add a private note, then edit it" is checked against the rows the
batch itself wrote.  The user's role is read from `flux_users` in that same
transaction, once per user and transaction (the event carries only
`meta.user`, set from the session).  A
denial raises `Forbidden`; the transaction rolls back, nothing is written.

The same module answers the read side: `can_see(user, facts)`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from server.app.notefacts import NoteFacts, note_id_of
from server.app.users import User, role_of
from server.store import PROBE_TYPE, Event, RootReducer, Row
from shared_reducers.errors import EventRejected
from shared_reducers.notes_app import NOTES, REMOVED, nothing_to_restore
from shared_reducers.policy import RULES, denial


class Forbidden(Exception):
    """The policy denies the event; `rule` names the rule."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(f"{reason} (rule {rule})")
        self.rule = rule
        self.reason = reason


POLICY = RULES
"""event type -> [rule name, description, who]: shared_reducers/policy.py."""


def _as_note(row: Row | None, note_id: str) -> dict[str, Any] | None:
    """The note as the portable policy reads it: {id, author, private}."""
    if row is None:
        return None
    return {"id": note_id, "author": row["author"], "private": bool(row["private"])}


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


def authorize(user: User, event: Event, view: Any) -> None:
    """Raise Forbidden (or EventRejected) unless `user` may dispatch `event` now.

    `view` is the dispatch's database view: the note is read in the same
    transaction as the reducer's write.  A note the user may not see gets the
    answer a note that does not exist gets (409, same words): nothing about
    someone's private note leaks through an error.
    """
    kind = str(event["type"])
    _check(user, kind, None)
    note_id = note_id_of(event)
    if note_id is None:
        raise EventRejected(f"{kind} needs payload.id as a string.")
    note: Row | None = view.collection(NOTES).get(note_id)
    if kind == "noteRestored" and note is None:
        note = view.collection(REMOVED).get(note_id)
        if note is not None and not can_see(user, NoteFacts.of(note)):
            raise EventRejected(nothing_to_restore(note_id))
    if note is not None and not can_see(user, NoteFacts.of(note)):
        raise EventRejected(f"Note {note_id} does not exist or was deleted.")
    _check(user, kind, _as_note(note, note_id))


class AuthorizingReducer:
    """The root reducer, with every event checked against the policy first (server only).

    `__wrapped__` is the bare reducer, which replay runs (the log holds only
    events that passed the policy when they were dispatched).
    """

    def __init__(self, reducer: RootReducer) -> None:
        self.__wrapped__ = reducer
        self.collection_names = list(getattr(reducer, "collection_names", []))
        self._roles: tuple[Any, dict[str, str | None]] = (None, {})
        """(the transaction, the roles it read): a group commit's events of one
        user read the role once (one round trip per event less on a server)."""

    def _role(self, conn: Connection, name: str) -> str | None:
        transaction = conn.get_transaction()
        if self._roles[0] is not transaction:
            self._roles = (transaction, {})
        roles = self._roles[1]
        if name not in roles:
            roles[name] = role_of(conn, name)
        return roles[name]

    def __call__(self, view: Any, event: Event) -> Any:
        if event.get("type") == PROBE_TYPE:
            return self.__wrapped__(view, event)
        conn: Connection = view.conn
        meta = event.get("meta") or {}
        name = meta.get("user") if isinstance(meta, dict) else None
        role = self._role(conn, name) if isinstance(name, str) else None
        if name is None or role is None:
            raise Forbidden("users.known", f"The user {name!r} does not exist; sign in again.")
        authorize(User(name, role), event, view)
        return self.__wrapped__(view, event)


def authorizing(reducer: RootReducer) -> AuthorizingReducer:
    """`reducer` with every event checked against the policy first."""
    return AuthorizingReducer(reducer)
