"""The websocket `/ws?after=SEQ` of the notes app: every visible event after
SEQ, then live ones, and dispatch.

Ordering without gaps or duplicates: a connection joins the fan-out (its queue
starts collecting committed events) *before* it reads the backlog from the
log, and it remembers the last seq it has passed (`sent`).  Anything queued
at or below `sent` is a duplicate and skipped; a queued event above
`sent + 1` means something was missed (another server instance wrote, or the
queue was joined late), so the connection first catches up from `sent`: from
the hub's recent committed events when they cover the gap (no read), else from
the log by position.  With no live event for `ws_poll_seconds` it reads the log.

While the stream is idle (caught up, its queue empty, nothing being sent),
the hub writes each new event's frame straight to the socket from the commit's
listener (`Connection.deliver_now`: one frame made per event for all sockets,
no queue, no task hop), if the socket's buffer is below its bound and the
event's visibility needs no read; otherwise the event takes the queue.
A client whose queue is full (server/store/live/fanout.py) is closed with 1013
and resumes with `after=` its last seq.  The messages are in docs/protocol.md.

Presence (server/app/presence.py) rides the same socket: `presence` messages
in are validated here and handed to the instance's `Presence`; each
connection runs a publisher (throttled) and a deliverer (its presence
outbox, sent through the same `send_text` as events, one message at a time,
so events never wait behind more than one presence message).

Heartbeat: the page sends `{"type": "ping"}` every few seconds and treats the
socket as dead when no `pong` comes back in time (a dropped network leaves a
TCP connection open for minutes); a ping is answered at once and is not a
dispatch, so it never counts against the rate limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from server.app.auth import current_session, origin_allowed
from server.app.dispatching import MAX_SEQ, dispatch_for, loads
from server.app.http_errors import describe
from server.app.presence import Presence, PresenceInvalid, Seat, read_presence
from server.app.ratelimit import RateLimited
from server.app.services import Services, services
from server.app.users import User
from server.store import Event, StoreUnavailable, new_event_id
from server.store.live import Client

log = logging.getLogger("flux.ws")
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
DATABASE_BUSY = "The database is busy; reconnect with after=<last seq>."
UNSUPPORTED_DATA = 1003
SIGNED_OUT = "Signed out: sign in again at /login."
BACKLOG_PAGE = 500
CLOSE_SECONDS = 5.0
PING_ID_CHARS = 100
WRITE_BOUND = 64 * 1024
"""Bytes a socket's write buffer may hold for a frame to be written to it directly
(uvicorn pauses writing at its transport's high-water mark, 64 KiB by default)."""


class Overflow(Exception):
    pass


class Hammering(Exception):
    """The client kept dispatching far past its rate limit (close 1008)."""


class BinaryFrame(Exception):
    """The client sent a binary frame: the protocol is JSON text (close 1003)."""


def text_frame(text: str) -> bytes:
    """A server's (unmasked, uncompressed) websocket text frame carrying `text`."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class Wire:
    """The server's protocol object of one websocket, when it lets the fan-out write a
    ready-made frame straight to the socket: uvicorn's sans-I/O websocket protocol
    (`flux serve`; frames go uncompressed).  `of` gives None for anything else (the
    test client, another server), which then sends every event through the queue."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol

    @staticmethod
    def of(websocket: WebSocket) -> Wire | None:
        protocol = _protocol_behind(getattr(websocket, "_send", None))
        if protocol is None:
            return None
        # permessage-deflate lets a message go uncompressed (RSV1 clear; RFC 7692 §6)
        # and its context only covers the messages it compressed; any other
        # extension might not: then every event goes through uvicorn's send.
        if any(not isinstance(e, PerMessageDeflate) for e in protocol.conn.extensions):
            return None
        return Wire(protocol)

    def can_write(self) -> bool:
        """True when a frame written now goes out as uvicorn's own send would, without
        waiting: the socket is open, not closing, and its buffer is below the bound."""
        p = self.protocol
        return bool(
            p.handshake_complete
            and not p.close_sent
            and not p.disconnected
            and p.writable.is_set()
            and p.conn.state is State.OPEN
            and not p.transport.is_closing()
            and p.transport.get_write_buffer_size() < WRITE_BOUND
        )

    def write(self, frame: bytes) -> None:
        self.protocol.transport.write(frame)


def _protocol_behind(send: Any, depth: int = 0) -> WebSocketsSansIOProtocol | None:
    """The uvicorn protocol whose ASGI `send` this is, through the wrappers the
    middleware adds (Starlette's exception handling wraps it in closures)."""
    if send is None or depth > 6:
        return None
    owner = getattr(send, "__self__", None)
    if isinstance(owner, WebSocketsSansIOProtocol):
        return owner
    for cell in getattr(send, "__closure__", None) or ():
        try:
            inner = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(inner):
            found = _protocol_behind(inner, depth + 1)
            if found is not None:
                return found
    return None


class Connection:
    """One websocket: the event stream out, dispatches in."""

    def __init__(self, websocket: WebSocket, flux: Services, user: User, after: int) -> None:
        self.websocket = websocket
        self.flux = flux
        self.user = user
        self.sent = after
        self.count = 0
        self.send_lock = asyncio.Lock()
        self.wire = Wire.of(websocket)
        self.idle = False
        """True while the stream task waits on an empty queue: nothing of the stream is
        in flight, so the hub may write the next events directly (`deliver_now`)."""
        self.presence: Presence | None = None
        self.seat: Seat | None = None
        self.strikes = flux.dispatch_limits.strikes(flux.settings.ws_close_after_rejections)

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(json.dumps(message))

    async def send_text(self, text: str) -> None:
        async with self.send_lock:
            await self.websocket.send_text(text)

    async def send_events(self, events: list[Event]) -> None:
        for event in await self.flux.visibility.events(self.user, events):
            await self.send_text(self.flux.hub.encoded(event))
            self.count += 1
        if events:
            self.sent = max(self.sent, events[-1]["seq"])

    def deliver_now(self, events: list[Event]) -> bool:
        """Called by the hub right after a commit: write the events' frames to the socket
        now, from the hub's loop (no queue, no task hop), when nothing else is being
        sent, they follow `sent` without a gap, their visibility needs no read and the
        socket's buffer is below its bound.  False: the queue and `stream` take them."""
        wire = self.wire
        if (
            wire is None
            or not self.idle
            or self.send_lock.locked()
            or not events
            or events[0]["seq"] != self.sent + 1
            or not wire.can_write()
        ):
            return False
        visible = self.flux.visibility.events_now(self.user, events)
        if visible is None:
            return False
        hub = self.flux.hub
        if len(visible) == 1:
            wire.write(hub.framed(visible[0], text_frame))
        elif visible:  # a group commit's events: one frame each, one write (one syscall)
            wire.write(b"".join([hub.framed(event, text_frame) for event in visible]))
        self.count += len(visible)
        self.sent = events[-1]["seq"]
        return True

    async def catch_up(self, until: int | None = None, *, from_log: bool = False) -> None:
        """Send the visible events after `sent` (up to `until`): from the hub's recent
        committed events when they cover them (the connection has joined the hub, so
        what the hub hands out later comes through the queue), else from the log.
        `from_log`: always from the log (the safety poll's read)."""
        hub = self.flux.hub
        while until is None or self.sent < until:
            limit = BACKLOG_PAGE if until is None else min(BACKLOG_PAGE, until - self.sent)
            page = None if from_log else hub.recent_after(self.sent, limit)
            if page is None:
                page = await self.flux.database.events_after(self.sent, limit)
            await self.send_events(page)
            if len(page) < limit:
                return

    async def stream(self, client: Client) -> None:
        await self.catch_up()
        poll = self.flux.settings.ws_poll_seconds
        while True:
            if client.overflowed:
                raise Overflow
            self.idle = True  # the hub may write directly while we wait (deliver_now)
            try:
                async with asyncio.timeout(poll):
                    event = await client.queue.get()
            except TimeoutError:
                self.idle = False
                await self.catch_up(from_log=True)
                continue
            finally:  # also when the connection ends: nothing more goes out directly
                self.idle = False
            if client.overflowed:
                raise Overflow
            if event["seq"] <= self.sent:
                continue
            if event["seq"] > self.sent + 1:
                await self.catch_up(until=event["seq"] - 1)
            await self.send_events([event])

    async def receive(self) -> None:
        limit = self.flux.settings.max_body_bytes
        while True:
            text = await self.receive_text()
            if len(text.encode()) > limit:
                await self.send({"type": "error", "error": f"Messages are at most {limit} bytes."})
                continue
            try:
                message = loads(text)
            except (ValueError, RecursionError):
                await self.send({"type": "error", "error": "A message must be a JSON object."})
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "presence":
                await self.take_presence(message)
                continue
            if kind == "ping":
                await self.send(pong(message))
                continue
            if kind != "dispatch":
                await self.send(
                    {
                        "type": "error",
                        "error": 'Expected {"type": "dispatch", "event": {...}}, '
                        f'{{"type": "presence", ...}} or {{"type": "ping"}}; got {text[:80]!r}.',
                    }
                )
                continue
            await self.dispatch(message.get("event"))

    async def receive_text(self) -> str:
        """The next text frame; a binary frame ends the connection with 1003
        (unsupported data), a close from the client with WebSocketDisconnect."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        text = message.get("text")
        if text is None:
            raise BinaryFrame
        return str(text)

    async def take_presence(self, message: dict[str, Any]) -> None:
        try:
            state = read_presence(message)
        except PresenceInvalid as invalid:
            await self.send(
                {"type": "error", "error": str(invalid), "detail": {"field": invalid.field}}
            )
            return
        if self.presence is not None and self.seat is not None:
            self.presence.offer(self.seat, state)

    async def dispatch(self, raw: Any) -> None:
        event_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(raw, dict) and "id" not in raw:
            raw = {**raw, "id": new_event_id()}
            event_id = raw["id"]
        if isinstance(raw, list):
            await self.send(
                {
                    "type": "rejected",
                    "id": None,
                    "status": 400,
                    "error": "Send one event per dispatch message, not a list.",
                    "detail": None,
                }
            )
            return
        try:
            stored = await dispatch_for(self.flux, self.user, raw)
        except Exception as error:
            status, reason, detail = describe(error)
            await self.send(
                {
                    "type": "rejected",
                    "id": event_id,
                    "status": status,
                    "error": reason,
                    "detail": detail,
                }
            )
            if isinstance(error, RateLimited) and self.strikes.out():
                raise Hammering from error
            return
        event = stored[0] if stored else None
        await self.send({"type": "confirmed", "id": event_id, "event": event})


def pong(ping: dict[str, Any]) -> dict[str, Any]:
    """The answer to the page's heartbeat `{"type": "ping", "id"?}`: `{"type": "pong"}`,
    with the ping's `id` when it is a short string or a whole number (so the page can
    match them).  A ping dispatches nothing, so it never counts against the rate limit."""
    answer: dict[str, Any] = {"type": "pong"}
    ping_id = ping.get("id")
    if (isinstance(ping_id, int) and not isinstance(ping_id, bool)) or (
        isinstance(ping_id, str) and len(ping_id) <= PING_ID_CHARS
    ):
        answer["id"] = ping_id
    return answer


def presence_of(websocket: WebSocket, flux: Services) -> Presence:
    """The app's presence (one per app, made by its first websocket, following its hub)."""
    state = websocket.app.state
    found: Presence | None = getattr(state, "presence", None)
    if found is None:
        found = Presence(flux.database, flux.settings.presence_expiry_seconds)
        flux.hub.follower.subscribe(found.on_events)
        state.presence = found
    return found


def _after(websocket: WebSocket) -> int | None:
    text = websocket.query_params.get("after", "0")
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 0 <= value <= MAX_SEQ else None


async def _refuse(websocket: WebSocket, reason: str) -> None:
    await websocket.accept()
    await websocket.close(POLICY_VIOLATION, reason)
    log.info("WS %s refused: %s", websocket.url.path, reason)


async def websocket_endpoint(websocket: WebSocket) -> None:
    if not origin_allowed(websocket):
        return await _refuse(websocket, "The Origin header must name this server.")
    session = await current_session(websocket)
    if session is None:
        return await _refuse(websocket, "Not signed in: sign in at /login first.")
    user = session.user
    after = _after(websocket)
    if after is None:
        return await _refuse(websocket, "after must be a whole number >= 0.")
    flux = services(websocket)
    last = await flux.database.last_seq()
    if after > last:
        return await _refuse(
            websocket,
            f"after={after} is beyond the last event ({last}); reload the page.",
        )
    await websocket.accept()
    started = time.monotonic()
    connection = Connection(websocket, flux, user, after)
    client = flux.hub.join(flux.settings.ws_queue_size)
    client.direct = connection.deliver_now
    signed_out = flux.sessions.watch(session.id)  # set when the session ends (sessions.py)
    presence = presence_of(websocket, flux)
    seat: Seat | None = None
    code, reason = 1000, "done"
    try:
        await flux.hub.start()
        # `last` as read before the handshake: what committed since comes in the stream
        await connection.send({"type": "hello", "user": user.as_json(), "seq": last})
        seat = presence.join(user)
        connection.presence, connection.seat = presence, seat
        overflow = asyncio.create_task(client.overflow.wait())
        ended = asyncio.create_task(signed_out.wait())
        tasks = {
            ended,
            asyncio.create_task(connection.stream(client)),
            asyncio.create_task(connection.receive()),
            asyncio.create_task(presence.publisher(seat)),
            asyncio.create_task(presence.deliver(seat, connection.send_text)),
            overflow,
        }
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        errors = [t.exception() for t in done if t is not overflow]
        error = next((e for e in errors if e is not None), None)
        if ended in done:
            code, reason = POLICY_VIOLATION, SIGNED_OUT
        elif overflow in done or isinstance(error, Overflow):
            code, reason = TRY_AGAIN_LATER, "Too far behind; reconnect with after=<last seq>."
        elif isinstance(error, Hammering):
            code, reason = POLICY_VIOLATION, "Too many events, far past the rate limit."
        elif isinstance(error, WebSocketDisconnect):
            code, reason = error.code, "client left"
        elif isinstance(error, BinaryFrame):
            code, reason = UNSUPPORTED_DATA, "Messages are JSON text frames, not binary."
        elif isinstance(error, StoreUnavailable):
            code, reason = TRY_AGAIN_LATER, DATABASE_BUSY
        elif error is not None:
            log.error("WS %s failed: %r", user.name, error)
            code, reason = 1011, "server error; reconnect with after=<last seq>"
    except WebSocketDisconnect as error:
        code, reason = error.code, "client left"
    except StoreUnavailable as error:
        # the hub's first read of the log (with thousands of sockets opening at once,
        # reads can queue past the pool's timeout): the client comes back, as from a drop
        log.warning("WS %s: %s", user.name, error)
        code, reason = TRY_AGAIN_LATER, DATABASE_BUSY
    finally:
        flux.hub.leave(client)
        flux.sessions.unwatch(session.id, signed_out)
        if seat is not None:
            presence.leave(seat)
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                # A client that reads nothing cannot take the close frame either.
                await asyncio.wait_for(websocket.close(code, reason), CLOSE_SECONDS)
        log.info(
            "WS /ws user=%s after=%d sent=%d last=%d close=%d (%s) %.1fs",
            user.name,
            after,
            connection.count,
            connection.sent,
            code,
            reason,
            time.monotonic() - started,
        )


def routes() -> list[BaseRoute]:
    return [WebSocketRoute("/ws", websocket_endpoint)]


def encode_event(event: Event) -> str:
    """The `event` message of the protocol, as sent to every client."""
    return json.dumps({"type": "event", "event": event})
