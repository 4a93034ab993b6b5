"""A websocket client that co-edits one note's text the way the notes page does.

It runs the page's portable code (shared_reducers: the notes reducer on its
own copy of the state, `coedit` for the session, `text_ops` for the caret)
and its timing: a keystroke every `key_ms` (+-50 %) at its caret, the
pending splices sent as one `noteSpliced` by a trailing throttle as in
web/throttle.js and web/app.js (`send_ms` after the first keystroke of a quiet
period, again after a confirmation while typing is pending; at most one event
in flight), its own event confirmed and others' applied from the event stream
in seq order.  Each keystroke inserts a character of its own range; when a
character of `theirs` shows up in this page's text, the delay since it was
typed (same process, same clock) goes to `delays`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from shared_reducers.coedit import (
    local_edit,
    new_session,
    on_confirmed,
    on_rejected,
    on_remote,
    shown_text,
    take_outgoing,
)
from shared_reducers.combine import combine_reducers
from shared_reducers.memory import empty_state, reduce_state
from shared_reducers.notes import notes_reducer
from shared_reducers.text_ops import transform_position

ROOT_REDUCER = combine_reducers({"notes": notes_reducer})


class Page:
    def __init__(
        self,
        ws_url: str,
        cookie: str,
        origin: str,
        note: str,
        first_char: int,
        mine: dict[str, float],
        theirs: dict[str, float],
        delays: list[float],
        key_ms: float,
        send_ms: float,
    ) -> None:
        self.ws_url = ws_url
        self.cookie = cookie
        self.origin = origin
        self.note = note
        self.next_char = first_char
        self.mine = mine
        self.theirs = theirs
        self.delays = delays
        self.key_seconds = key_ms / 1000
        self.send_seconds = send_ms / 1000
        self.state: Any = empty_state(["notes"])
        self.session: Any = None
        self.caret = 0
        self.keystrokes = 0
        self.rejected = 0
        self.typing = False
        self.ws: ClientConnection | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.timer: asyncio.TimerHandle | None = None

    async def open(self, at_end: bool) -> None:
        """Connect and wait for the note (the first event after `after`)."""
        self.ws = await connect(
            self.ws_url,
            additional_headers={"Cookie": self.cookie},
            origin=self.origin,  # type: ignore[arg-type]
            open_timeout=10,
        )
        while self.session is None:
            message = json.loads(await self.ws.recv())
            if message["type"] == "event":
                self.state = reduce_state(ROOT_REDUCER, self.state, message["event"])
                row = self.state["notes"].get(self.note)
                if row is not None:
                    self.session = new_session(self.note, "text", row["text"], row["version"])
        self.caret = len(self.session["text"]) if at_end else 0

    def start(self) -> None:
        self.typing = True
        self.tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self._type()),
        ]

    async def stop(self) -> None:
        """Stop typing; what is pending is still sent."""
        self.typing = False

    @property
    def idle(self) -> bool:
        return self.session["inflight"] is None and not self.session["buffer"]

    async def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.ws is not None:
            await self.ws.close()

    async def _type(self) -> None:
        while self.typing:
            await asyncio.sleep(self.key_seconds * (0.5 + random.random()))
            if not self.typing:
                return
            char = chr(self.next_char)
            self.next_char += 1
            self.mine[char] = time.perf_counter()
            self.session = local_edit(self.session, [[self.caret, 0, char]])
            self.caret += 1
            self.keystrokes += 1
            self._poke()

    def _poke(self) -> None:
        if self.timer is None:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(self.send_seconds, self._fire)

    def _fire(self) -> None:
        self.timer = None
        event_id = str(uuid.uuid4())
        self.session, payload = take_outgoing(self.session, event_id)
        if payload is not None and self.ws is not None:
            event = {"type": "noteSpliced", "payload": payload, "id": event_id}
            self.tasks.append(
                asyncio.create_task(self.ws.send(json.dumps({"type": "dispatch", "event": event})))
            )

    async def _read(self) -> None:
        assert self.ws is not None
        async for text in self.ws:
            message = json.loads(text)
            kind = message["type"]
            if kind == "event":
                self._apply(message["event"])
            elif kind == "rejected" and message["id"] == self.session["inflight_id"]:
                self.rejected += 1
                self.session = on_rejected(self.session)

    def _apply(self, event: dict[str, Any]) -> None:
        self.state = reduce_state(ROOT_REDUCER, self.state, event)
        row = self.state["notes"].get(self.note)
        session = self.session
        if row is None:
            return
        if event["id"] == session["inflight_id"]:
            if row["version"] == session["version"] + 1:
                self.session = on_confirmed(session, event["id"], row["version"])
                if self.session["buffer"]:
                    self._poke()
            else:  # it became a conflict copy
                self.rejected += 1
                self.session = on_rejected(session)
            return
        if row["version"] == session["version"]:
            return  # another note
        last = row["recent"][-1]
        splices = last[2] if last[1] == "text" else []
        self.session, shown = on_remote(session, splices, row["version"])
        self.caret = transform_position(self.caret, shown, False)
        now = time.perf_counter()
        for _at, _removed, inserted in shown:
            for char in inserted:
                typed = self.theirs.pop(char, None)
                if typed is not None:
                    self.delays.append((now - typed) * 1000)


def converged(pages: list[Page], server_text: str) -> bool:
    """Every page shows the server's text, and nothing is pending."""
    return all(p.idle and shown_text(p.session) == server_text for p in pages)
