"""Fan-out of committed events to many connected clients, each with a bounded queue.

The events come from the instance's log follower (server/store/live/follower.py),
so commits of other instances on the same database reach this instance's
clients within a NOTIFY round trip or one follower poll (FLUX_POLL_SECONDS).

Under load, the commits that come within COALESCE_SECONDS of the previous
fan-out are held back to the end of that time and go out together (one write
per socket for several commits); a commit after a quiet moment goes out at once.

The listener never waits on a socket.  A client that can take the events at
once (its transport set `Client.direct`, and its queue is empty) gets them
written straight from the listener: one frame per event, encoded once for all
clients, and no task hop.  Otherwise (a slow client, one catching up, a
transport that cannot write directly) they go on the client's bounded queue,
which its own task drains.  A client whose queue is full is marked
overflowed: its transport closes it and the client resumes from its last seq.
Each event is encoded once for all clients (`encoded`, `framed`: small caches
by seq).

The hub also keeps the last RECENT committed events it handed out, in seq order
without gaps (`recent_after`), so a client catching up (after connecting, after
an overflow, to fill a gap) reads them from memory instead of the log when they
cover what it lacks.

Transport-free: the app's websocket protocol (server/app/websocket.py) owns the
sockets.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable

from server.store.live.follower import LogFollower, poll_seconds_from_env
from server.store.store import Store
from server.store.types import Event

ENCODED_CACHE = 2048
RECENT = 1024
"""How many of the last committed events the hub keeps for clients catching up."""
COALESCE_SECONDS = 0.01
"""Under load, commits go out together: a commit that comes within this long of the
previous fan-out waits for the end of that time, with every commit after it, and
they go out as one batch (one write per socket instead of one per commit).  A
commit after a quiet moment goes out at once, so only a busy server adds delay,
at most this long."""
log = logging.getLogger("flux.fanout")


class Client:
    """One connection's bounded queue of committed events."""

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(size)
        self.overflowed = False
        self.overflow = asyncio.Event()
        self.direct: Callable[[list[Event]], bool] | None = None
        """Set by the transport: write these events now if the socket can take them
        without waiting (True), else False and they are queued."""

    def offer(self, events: list[Event]) -> None:
        if self.overflowed:
            return
        for event in events:
            try:
                self.queue.put_nowait(event)
            except asyncio.QueueFull:
                # The connection closes even when its sender is stuck on a slow socket.
                self.overflowed = True
                self.overflow.set()
                return


class Hub:
    """Fans committed events out to every connected client's queue."""

    def __init__(
        self,
        store: Store,
        encode: Callable[[Event], str],
        poll_seconds: float | None = None,
        prepare: Callable[[list[Event]], None] | None = None,
        coalesce_seconds: float = COALESCE_SECONDS,
    ) -> None:
        """`prepare(events)`, when given, is called with each committed batch, in
        commit order, before any client gets it (an app refreshes its caches there).
        `coalesce_seconds`: see COALESCE_SECONDS (0: every commit goes out alone)."""
        self.clients: set[Client] = set()
        self._encode = encode
        self._prepare = prepare
        seconds = poll_seconds_from_env() if poll_seconds is None else poll_seconds
        self.follower = LogFollower(store.get_database(), poll_seconds=seconds)
        self.follower.wake_on_commits(store)
        self.follower.subscribe(self._on_commit)
        self._starting = asyncio.Lock()
        self._encoded: dict[int, str] = {}
        self._framed: dict[int, bytes] = {}
        self._recent: deque[Event] = deque(maxlen=RECENT)
        self._seen: int | None = None
        """The last seq handed out (None before the follower started)."""
        self.coalesce_seconds = coalesce_seconds
        self._pending: list[Event] = []
        """Committed events held back to go out together (see COALESCE_SECONDS)."""
        self._flush: asyncio.TimerHandle | None = None
        self._last_out = float("-inf")

    def encoded(self, event: Event) -> str:
        """The event's message as text (`encode`), encoded once for all clients."""
        seq = int(event["seq"])
        text = self._encoded.get(seq)
        if text is None:
            text = self._encode(event)
            self._encoded[seq] = text
            while len(self._encoded) > ENCODED_CACHE:
                del self._encoded[next(iter(self._encoded))]
        return text

    def framed(self, event: Event, frame: Callable[[str], bytes]) -> bytes:
        """`frame(encoded(event))`, the transport's bytes for the event, made once for
        all clients (one transport kind per hub)."""
        seq = int(event["seq"])
        data = self._framed.get(seq)
        if data is None:
            data = frame(self.encoded(event))
            self._framed[seq] = data
            while len(self._framed) > ENCODED_CACHE:
                del self._framed[next(iter(self._framed))]
        return data

    async def start(self) -> None:
        """Follow the log from its current end (idempotent: each websocket calls it)."""
        async with self._starting:
            if not self.follower.running:
                await self.follower.start()
                self._seen = self.follower.position
                self._recent.clear()

    async def close(self) -> None:
        await self.follower.stop()
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        self._out()

    def recent_after(self, after: int, limit: int) -> list[Event] | None:
        """The committed events after seq `after`, at most `limit`, as far as the hub has
        handed them out, when its recent events cover them; None when they do not (the
        caller reads the log).

        Only for a client that has joined: the events the hub hands out later reach
        its queue, so an answer that stops at the last seq the hub has seen (even an
        empty one) leaves nothing out."""
        seen = self._seen
        if seen is None or after > seen:
            return None
        if after == seen:
            return []
        recent = self._recent
        if not recent:
            return None
        start = after + 1 - int(recent[0]["seq"])
        if start < 0:
            return None  # some of them are no longer kept
        return list(itertools.islice(recent, start, start + limit))

    def _remember(self, events: list[Event]) -> None:
        """Keep `events` among the recent ones; a jump in seq starts them afresh, so
        the recent events are always consecutive."""
        recent = self._recent
        for event in events:
            seq = int(event["seq"])
            if recent and seq != int(recent[-1]["seq"]) + 1:
                recent.clear()
            recent.append(event)
            self._seen = seq

    def _on_commit(self, events: list[Event]) -> None:
        """The follower's listener: `events` go out now, or with the next batch when
        the last one went out less than `coalesce_seconds` ago."""
        if not events:
            return
        self._pending.extend(events)
        if self._flush is not None:  # a batch is waiting: these join it
            return
        loop = asyncio.get_running_loop()
        wait = self._last_out + self.coalesce_seconds - loop.time()
        if wait <= 0:
            self._out()
        else:
            self._flush = loop.call_later(wait, self._out)

    def _out(self) -> None:
        """Hand the pending events to every client, in seq order."""
        self._flush = None
        events, self._pending = self._pending, []
        if not events:
            return
        self._last_out = asyncio.get_running_loop().time()
        self._remember(events)
        if self._prepare is not None:
            self._prepare(events)
        for client in list(self.clients):
            direct = client.direct
            if direct is not None and not client.overflowed and client.queue.empty():
                try:
                    if direct(events):
                        continue
                except Exception:  # the queue and the client's task take it from here
                    log.exception("Writing events directly failed; queueing them")
            client.offer(events)

    def join(self, size: int) -> Client:
        client = Client(size)
        self.clients.add(client)
        return client

    def leave(self, client: Client) -> None:
        self.clients.discard(client)
