"""Presence: who is looking at which note, and where their caret is.

Ephemeral and per server instance: presence travels only over the
websockets of this process, is never written to the event log and is lost
on a restart.  The messages are in docs/protocol.md ("Presence").

One `Seat` per websocket connection holds everything presence keeps for it
(memory is bounded by the number of connections):

- `pending`: the latest presence the client sent, not yet published.  A
  burst coalesces here; `publisher(seat)` publishes at most one per
  `interval` seconds and never loses the last one.
- `shown`: what the others were last told (with the note's facts).  A
  heartbeat that changes nothing refreshes the expiry and sends nothing.
- `outbox`: the presence messages waiting to be sent to this client, at most
  one per other connection (a newer one replaces an unsent older one), so a
  client that reads slowly receives the latest state of each peer, not the
  history.  `deliver(seat, send)` drains it through the connection's own
  send path; events never wait in it.

Who may see a note's presence is the read side of the policy
(`server.app.policy.can_see`) on the note's current row (author, private).
Rows are looked up once and then kept current by the hub's log follower:
`noteRemoved` forgets a note and tells the others that everyone on it left;
`noteAdded`/`noteRestored` make it be read again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from server.app.notefacts import NoteFacts, note_id_of
from server.app.policy import can_see
from server.app.users import User
from server.store import Database, Event, StoreError

log = logging.getLogger("flux.presence")

INTERVAL_SECONDS = 0.1
EXPIRY_SECONDS = 8.0
FIELDS = ("title", "text")
MAX_NOTE_ID = 200
MAX_POSITION = 2**31 - 1
MAX_VERSION = 2**53
NOTES_CACHED = 10_000

State = dict[str, Any]
"""A presence as the protocol carries it: {note, field, selection, version}."""


class PresenceInvalid(ValueError):
    """A presence message that does not fit the protocol; `field` names the key."""

    def __init__(self, field: str, expected: str, got: Any) -> None:
        shown = json.dumps(got) if _jsonable(got) else type(got).__name__
        super().__init__(
            f"presence.{field} must be {expected}; got {shown[:80]}. "
            "See docs/protocol.md, section Presence."
        )
        self.field = field


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _whole(value: Any, top: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def read_presence(message: dict[str, Any]) -> State:
    """The state in a client's presence message; raises PresenceInvalid.

    `note: null` means "I left": the other keys are then ignored.
    """
    if "note" not in message:
        raise PresenceInvalid("note", "a note id or null", "(missing)")
    note = message["note"]
    if note is None:
        return {"note": None, "field": None, "selection": None, "version": None}
    if not isinstance(note, str) or not 0 < len(note) <= MAX_NOTE_ID:
        raise PresenceInvalid("note", f"a note id (1 to {MAX_NOTE_ID} characters) or null", note)
    field = message.get("field")
    if field is not None and field not in FIELDS:
        raise PresenceInvalid("field", '"title", "text" or null', field)
    selection = message.get("selection")
    if selection is not None:
        if not (
            isinstance(selection, list)
            and len(selection) == 2
            and all(_whole(p, MAX_POSITION) for p in selection)
        ):
            raise PresenceInvalid(
                "selection",
                "[anchor, head], two whole numbers >= 0 (code points), or null",
                selection,
            )
        if field is None:
            raise PresenceInvalid("field", '"title" or "text" when a selection is sent', field)
        selection = [selection[0], selection[1]]
    version = message.get("version")
    if not _whole(version, MAX_VERSION):
        raise PresenceInvalid("version", "the note's version (a whole number >= 0)", version)
    return {"note": note, "field": field, "selection": selection, "version": version}


class Seat:
    """What presence keeps for one connection."""

    def __init__(self, user: User) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.user = user
        self.pending: State | None = None
        self.wake = asyncio.Event()
        self.shown: State | None = None
        self.shown_facts: NoteFacts | None = None
        self.expiry: asyncio.TimerHandle | None = None
        self.outbox: OrderedDict[str, str] = OrderedDict()
        self.ready = asyncio.Event()
        self.left = False

    def put(self, source: str, text: str) -> None:
        self.outbox[source] = text
        self.outbox.move_to_end(source)
        self.ready.set()


class Presence:
    """Every connection's presence on this server instance."""

    def __init__(
        self,
        database: Database,
        expiry_seconds: float = EXPIRY_SECONDS,
        interval_seconds: float = INTERVAL_SECONDS,
    ) -> None:
        self.database = database
        self.expiry_seconds = expiry_seconds
        self.interval_seconds = interval_seconds
        self.seats: dict[str, Seat] = {}
        self.notes: OrderedDict[str, NoteFacts | None] = OrderedDict()

    # Connections

    def join(self, user: User) -> Seat:
        """A new connection's seat, its outbox holding the presence it may see."""
        seat = Seat(user)
        for other in self.seats.values():
            if other.shown is not None and can_see(user, other.shown_facts):
                seat.put(other.id, self._encode(other, other.shown))
        self.seats[seat.id] = seat
        return seat

    def leave(self, seat: Seat) -> None:
        seat.left = True
        self._clear(seat)
        self.seats.pop(seat.id, None)

    def offer(self, seat: Seat, state: State) -> None:
        """The client sent `state`; the publisher takes the latest one."""
        seat.pending = state
        seat.wake.set()

    async def publisher(self, seat: Seat) -> None:
        """Publish the seat's pending state, at most once per interval (runs per connection)."""
        while True:
            await seat.wake.wait()
            seat.wake.clear()
            state, seat.pending = seat.pending, None
            if state is not None:
                await self._publish(seat, state)
                await asyncio.sleep(self.interval_seconds)

    async def deliver(self, seat: Seat, send: Callable[[str], Awaitable[None]]) -> None:
        """Send the seat's outbox through `send`, oldest first (runs per connection)."""
        while True:
            await seat.ready.wait()
            seat.ready.clear()
            while seat.outbox:
                _source, text = seat.outbox.popitem(last=False)
                await send(text)

    # Publishing

    async def _publish(self, seat: Seat, state: State) -> None:
        if state["note"] is None:
            self._clear(seat)
            return
        facts = await self.note_facts(state["note"])
        if seat.left or facts is None or not can_see(seat.user, facts):
            return  # unknown, removed or not the sender's to see: dropped silently
        self._keep_alive(seat)
        if state == seat.shown and facts == seat.shown_facts:
            return  # a heartbeat
        before = seat.shown_facts
        seat.shown, seat.shown_facts = state, facts
        full, gone = self._encode(seat, state), self._encode(seat, None)
        for other in self._others(seat):
            if can_see(other.user, facts):
                other.put(seat.id, full)
            elif before is not None and can_see(other.user, before):
                other.put(seat.id, gone)  # moved to a note this one may not see: left

    def _clear(self, seat: Seat) -> None:
        """The seat is on no note any more: tell those who saw it."""
        if seat.expiry is not None:
            seat.expiry.cancel()
            seat.expiry = None
        if seat.shown is None:
            return
        before = seat.shown_facts
        seat.shown, seat.shown_facts = None, None
        gone = self._encode(seat, None)
        for other in self._others(seat):
            if can_see(other.user, before):
                other.put(seat.id, gone)

    def _keep_alive(self, seat: Seat) -> None:
        if seat.expiry is not None:
            seat.expiry.cancel()
        loop = asyncio.get_running_loop()
        seat.expiry = loop.call_later(self.expiry_seconds, self._clear, seat)

    def _others(self, seat: Seat) -> Iterable[Seat]:
        return [other for other in self.seats.values() if other is not seat]

    @staticmethod
    def _encode(seat: Seat, state: State | None) -> str:
        shown = state or {"note": None, "field": None, "selection": None, "version": None}
        return json.dumps({"type": "presence", "client": seat.id, "user": seat.user.name, **shown})

    # Notes

    async def note_facts(self, note_id: str) -> NoteFacts | None:
        """The note's author and privacy, or None when it does not exist (now)."""
        if note_id in self.notes:
            self.notes.move_to_end(note_id)
            return self.notes[note_id]
        try:
            row = await self.database.get("notes", note_id)
        except StoreError as error:
            log.warning("Presence on %r dropped: reading the note failed (%s).", note_id, error)
            return None
        if row is None:
            return None  # not cached: an id nobody used yet may be added at any time
        found = NoteFacts(str(row["author"]), bool(row["private"]))
        # A noteRemoved delivered while the row was read wins (it is newer).
        self._remember(note_id, self.notes.get(note_id, found))
        return self.notes[note_id]

    def on_events(self, events: list[Event]) -> None:
        """The log follower's listener: keep the note cache current, clear removed notes."""
        for event in events:
            note_id = note_id_of(event)
            kind = event.get("type")
            if note_id is None:
                continue
            if kind == "noteRemoved":
                self._remember(note_id, None)
                for seat in list(self.seats.values()):
                    if seat.shown is not None and seat.shown["note"] == note_id:
                        self._clear(seat)
            elif kind in ("noteAdded", "noteRestored"):
                self.notes.pop(note_id, None)  # read its row again when someone is on it

    def _remember(self, note_id: str, facts: NoteFacts | None) -> None:
        self.notes[note_id] = facts
        self.notes.move_to_end(note_id)
        while len(self.notes) > NOTES_CACHED:
            self.notes.popitem(last=False)
