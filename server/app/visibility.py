"""The read side of the policy: which notes and events a user may see.

A note's author never changes; its privacy changes only through a
`notePrivacyChanged` event, so the facts are cached per process and an id's
entry is dropped whenever such an event passes through `events` (each
instance's stream sees every event); unknown ids are read from the read
model, one query per batch.  An event is visible when the note it names is,
by the note's *current* privacy: a note made private takes its history out of
others' sight (stream, time machine, search), a note made shared brings it.

Two exceptions make the change itself reach the pages that need it:

- a `notePrivacyChanged` that makes a note private is visible to everyone
  who could see the note right before it (it carries only the id and the
  flag, which they knew): a page that shows the note learns it became
  private and hides it.  A note that was already private (created private,
  or a repeated change) reveals nothing to the others, not even its id;
- one that makes a note shared carries `meta.note`, the note's row as it was
  right after that event (folded from the note's own events through the
  shared root reducer), so a page that never had the note gets it whole and
  the note's later events apply to it.  Like the note's other events it is
  seen by the note's current privacy: made private again since, it is gone
  from the others' history with the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from sqlalchemy import Connection

from server.app.notefacts import NoteFacts, events_of_note, facts_in_read_model, note_id_of
from server.app.policy import can_see
from server.app.users import User
from server.store import Database, Event, Row
from shared_reducers.conflicts import COPY_SEPARATOR, is_conflict_copy
from shared_reducers.memory import empty_state, reduce_state
from shared_reducers.notes_app import notes_app

PRIVACY_CHANGED = "notePrivacyChanged"
NOTE_ADDED = "noteAdded"
ROWS_KEPT = 256
FACTS_KEPT = 100_000
"""Notes whose facts are cached (the oldest learned go first): a long-running
server would otherwise keep every note it ever saw."""
ALL_PUBLIC: list[NoteFacts | None] = []
"""events_now's mark for a list that names no private note: everyone sees all of it."""


def _privacy_change(event: Event) -> str | None:
    """The note id of a notePrivacyChanged event, else None."""
    return note_id_of(event) if event.get("type") == PRIVACY_CHANGED else None


def row_after(conn: Connection, note_id: str, seq: int) -> Row | None:
    """The note as it was right after event `seq`, folded from its own events (and,
    for a conflict copy, its original's events before the edit that made it)."""
    events = [e for e in events_of_note(conn, note_id) if e["seq"] <= seq]
    before: list[Event] = []
    if is_conflict_copy(note_id) and events:
        original = events_of_note(conn, note_id.split(COPY_SEPARATOR, 1)[0])
        before = [e for e in original if e["seq"] < events[0]["seq"]]
    state = empty_state(notes_app.collection_names)
    for event in [*before, *events]:
        state = reduce_state(notes_app, state, event)
    row: Row | None = state["notes"].get(note_id)
    return row


def _added_by(user: User, event: Event) -> bool:
    """A `noteAdded` of `user`'s: its note is theirs (its author is the event's
    user), so they see it whatever its privacy, with no facts to read (the
    answer to their own POST of a new note made one read-model read)."""
    if event.get("type") != NOTE_ADDED:
        return False
    meta = event.get("meta")
    return isinstance(meta, dict) and meta.get("user") == user.name


class Visibility:
    def __init__(self, database: Database, facts_kept: int = FACTS_KEPT) -> None:
        self.database = database
        self.known: dict[str, NoteFacts] = {}
        self.facts_kept = facts_kept
        self.rows: dict[int, Row | None] = {}
        self.shared_before: dict[int, bool] = {}
        # events_now's work for the list the hub is handing to every socket
        self._now_events: list[Event] | None = None
        self._now_facts: list[NoteFacts | None] | None = None
        self._now_by_user: dict[str, list[Event]] = {}

    async def facts(self, note_ids: Iterable[str]) -> dict[str, NoteFacts]:
        wanted = set(note_ids)
        missing = sorted(i for i in wanted if i not in self.known)
        if missing:
            found = await self.database.read(lambda conn: facts_in_read_model(conn, missing))
            answer = {i: self.known[i] for i in wanted if i in self.known}
            for note, facts in found.items():
                self._learn(note, facts)
            return {**answer, **found}
        return {i: self.known[i] for i in wanted}

    def _learn(self, note: str, facts: NoteFacts) -> None:
        """Cache a note's facts, dropping the oldest learned past `facts_kept`."""
        known = self.known
        known.pop(note, None)
        known[note] = facts
        while len(known) > self.facts_kept:
            del known[next(iter(known))]

    def committed(self, events: Iterable[Event]) -> None:
        """Called with each committed batch, in commit order, before the fan-out:
        a privacy change drops the note's facts; a `noteAdded` states them (the
        event's user is the author, its `private` the privacy: the note did not
        exist before, and a later privacy change passes here after it), so the
        sockets need no read for a new note.  Only committed events come here:
        an old `noteAdded` seen elsewhere (history) may be out of date."""
        for event in events:
            note = note_id_of(event)
            if note is None:
                continue
            if event.get("type") == PRIVACY_CHANGED:
                self.known.pop(note, None)
            elif event.get("type") == NOTE_ADDED:
                payload: Any = event["payload"]
                meta = event.get("meta")
                user = meta.get("user") if isinstance(meta, dict) else None
                author = user if isinstance(user, str) else "anonymous"
                self._learn(note, NoteFacts(author, payload.get("private") is True))

    def forget(self, events: Iterable[Event]) -> None:
        """Drop the cached facts of the notes whose privacy these events change."""
        for event in events:
            changed = _privacy_change(event)
            if changed is not None:
                self.known.pop(changed, None)

    async def events(self, user: User, events: list[Event]) -> list[Event]:
        """The events `user` may see, in their order (privacy changes: see the module)."""
        self.forget(events)
        ids = [
            n
            for n, e in ((note_id_of(e), e) for e in events)
            if n is not None and not _added_by(user, e)
        ]
        facts = await self.facts(ids)
        visible = []
        for event in events:
            note = note_id_of(event)
            if (
                note is None
                or _added_by(user, event)
                or can_see(user, facts.get(note))
                or await self.hid_from_all(event)
            ):
                visible.append(event)
        return await self.with_rows(visible)

    async def privacy_changes(self, user: User, events: list[Event]) -> list[Event]:
        """`events` (already filtered for `user` but for privacy changes, as the log
        reader's query does) without the privacy changes `user` may not see."""
        facts = await self.facts(n for n in map(_privacy_change, events) if n is not None)
        kept = []
        for event in events:
            note = _privacy_change(event)
            if note is None or can_see(user, facts.get(note)) or await self.hid_from_all(event):
                kept.append(event)
        return kept

    async def hid_from_all(self, event: Event) -> bool:
        """True when `event` made private a note that was shared right before it."""
        note_id = _privacy_change(event)
        payload: Any = event.get("payload")
        if note_id is None or payload.get("private") is not True or "seq" not in event:
            return False
        seq = int(event["seq"])
        if seq not in self.shared_before:
            row = await self.database.read(partial(row_after, note_id=note_id, seq=seq - 1))
            self.shared_before[seq] = row is not None and row.get("private") is False
            while len(self.shared_before) > ROWS_KEPT:
                del self.shared_before[next(iter(self.shared_before))]
        return self.shared_before[seq]

    def events_now(self, user: User, events: list[Event]) -> list[Event] | None:
        """`events(user, events)` when it needs no read (every note's facts cached, no
        privacy change among them), else None: the fan-out's write path cannot wait.

        The hub calls this for every socket with the same list: what does not depend on
        the user is worked out once per list, and the answer once per user name."""
        if events is not self._now_events:
            self._now_events = events
            self._now_by_user = {}
            self._now_facts = self._facts_now(events)
        facts = self._now_facts
        if facts is None:
            return None
        if facts is ALL_PUBLIC:
            return events
        found = self._now_by_user.get(user.name)
        if found is None:
            found = [
                event
                for event, note in zip(events, facts, strict=True)
                if note is None or can_see(user, note)
            ]
            self._now_by_user[user.name] = found
        return found

    def _facts_now(self, events: list[Event]) -> list[NoteFacts | None] | None:
        """The facts of each event's note (None: it names none), taken once for the
        list; ALL_PUBLIC when no event names a private note; None when a privacy
        change or a note whose facts are not cached needs a read."""
        if any(_privacy_change(event) is not None for event in events):
            return None
        facts: list[NoteFacts | None] = []
        for event in events:
            note = note_id_of(event)
            found = None if note is None else self.known.get(note)
            if note is not None and found is None:
                return None
            facts.append(found)
        if all(found is None or not found.private for found in facts):
            return ALL_PUBLIC
        return facts

    async def with_rows(self, events: list[Event]) -> list[Event]:
        """`events`, each one that makes a note shared with `meta.note` (its row then)."""
        out = []
        for event in events:
            note_id = _privacy_change(event)
            payload: Any = event.get("payload")
            if note_id is None or payload.get("private") is not False or "seq" not in event:
                out.append(event)
                continue
            seq = int(event["seq"])
            if seq not in self.rows:
                self.rows[seq] = await self.database.read(
                    partial(row_after, note_id=note_id, seq=seq)
                )
                while len(self.rows) > ROWS_KEPT:
                    del self.rows[next(iter(self.rows))]
            meta = event.get("meta")
            out.append(
                {
                    **event,
                    "meta": {**(meta if isinstance(meta, dict) else {}), "note": self.rows[seq]},
                }
            )
        return out

    async def note(self, user: User, note_id: str) -> bool:
        """True when the note (or removed note) exists and `user` may see it."""
        facts = await self.facts([note_id])
        return note_id in facts and can_see(user, facts[note_id])


def row_visible(user: User, row: Row) -> bool:
    return can_see(user, NoteFacts.of(row))
