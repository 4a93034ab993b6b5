"""Connection limits for `flux serve`: caps on open connections (overall and per
client address) and deadlines for half-sent requests, in uvicorn's protocols.

    limits = ConnectionLimits(max_connections=18_000, max_per_address=1024)
    http, ws = protocol_classes(limits)
    uvicorn.Config(app, http=http, ws=ws, ...)

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`) but waits
forever for a request that never completes, and accepts until the process
runs out of file descriptors.  Here:

- A request's head (request line and headers) must arrive within
  `header_timeout` seconds of the connection opening or of the request's
  first byte; its body within `body_timeout` of the head.  Otherwise the
  connection is closed.  An established websocket is not a request: no
  deadline applies to it.
- At most `max_connections` connections are open at once, and at most
  `max_per_address` from one client address (trusted proxies exempt).  A
  connection past a cap is refused at accept: it gets a `503` JSON answer
  and is closed; when too many refusals are still draining, it is closed at
  once without an answer.

`file_limit()` raises the soft file-descriptor limit to the hard one and
returns it; `default_max_connections` leaves room below it for the database
pool, the log and the connections being refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.store import ConfigurationError

log = logging.getLogger("flux.connections")
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
MAX_PER_ADDRESS = 1024
MAX_DRAINING = 64  # refused connections still being answered (each holds a descriptor)
DRAIN_SECONDS = 1.0
SPARE_FILES = 64  # descriptors that are not connections: database pool, log, listener
LOG_EVERY = 10.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ConnectionLimits:
    """`max_per_address=0` turns the per-address cap off; `exempt` lists the
    networks (trusted proxies) it does not apply to, `exempt_all` all of them."""

    max_connections: int
    max_per_address: int = MAX_PER_ADDRESS
    header_timeout: float = HEADER_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    exempt: tuple[Network, ...] = ()
    exempt_all: bool = False

    def is_exempt(self, address: str) -> bool:
        if self.exempt_all:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.exempt)


def trusted_networks(forwarded_allow_ips: str | None) -> tuple[tuple[Network, ...], bool]:
    """The networks of `--forwarded-allow-ips` (and whether it is '*')."""
    networks: list[Network] = []
    for item in (forwarded_allow_ips or "").split(","):
        item = item.strip()
        if item == "*":
            return (), True
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue  # a hostname or a unix socket: no TCP peer address to match
    return tuple(networks), False


def file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard one (when finite); the soft one after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def default_max_connections(files: int) -> int:
    """The connection cap that leaves room for everything else below `files`."""
    return max(16, files - SPARE_FILES - MAX_DRAINING - files // 20)


def check_max_connections(max_connections: int, files: int) -> None:
    if max_connections < 1 or max_connections + SPARE_FILES + MAX_DRAINING > files:
        raise ConfigurationError(
            f"--max-connections {max_connections} does not fit: this process may open {files} "
            f"files (ulimit -n) and needs {SPARE_FILES + MAX_DRAINING} of them for other things. "
            f"Use at most {files - SPARE_FILES - MAX_DRAINING}, or raise the limit (ulimit -n, "
            "LimitNOFILE= in a systemd unit)."
        )


class Gate:
    """Counts the open connections, overall and per address, and admits or refuses."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open: dict[Any, str] = {}  # transport -> client address
        self.per_address: Counter[str] = Counter()
        self.draining = 0
        self.noted: Counter[str] = Counter()
        self.noted_at = float("-inf")

    def admit(self, transport: asyncio.BaseTransport) -> str | None:
        """None when admitted (counted until `release`), else why it is refused."""
        limits = self.limits
        address = peer_address(transport)
        if len(self.open) >= limits.max_connections:
            return f"{len(self.open)} connections are open, the most this server takes"
        if (
            limits.max_per_address
            and self.per_address[address] >= limits.max_per_address
            and not limits.is_exempt(address)
        ):
            return f"{address} has {limits.max_per_address} connections open, the most per address"
        self.open[transport] = address
        self.per_address[address] += 1
        return None

    def release(self, transport: asyncio.BaseTransport) -> None:
        address = self.open.pop(transport, None)
        if address is not None:
            self.per_address[address] -= 1
            if not self.per_address[address]:
                del self.per_address[address]

    def note(self, what: str) -> None:
        """Count a refusal or a timeout; log the counts at most every LOG_EVERY seconds."""
        self.noted[what] += 1
        now = time.monotonic()
        if now - self.noted_at >= LOG_EVERY:
            counts = ", ".join(f"{n} x {what}" for what, n in self.noted.items())
            log.warning("connections: %s (%d open)", counts, len(self.open))
            self.noted.clear()
            self.noted_at = now


def peer_address(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else "local"


def refusal(reason: str) -> bytes:
    body = json.dumps(
        {"error": f"Too many connections: {reason}. Try again shortly.", "detail": None}
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, admitted by a `Gate` and with request deadlines."""

    gate: ClassVar[Gate]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline: asyncio.TimerHandle | None = None
        self.refused = False
        self.draining = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        reason = self.gate.admit(transport)
        if reason is not None:
            self.refuse(reason)
        else:
            self.arm(self.gate.limits.header_timeout, "request head timed out")

    def refuse(self, reason: str) -> None:
        self.refused = True
        self.gate.note("refused")
        if self.gate.draining >= MAX_DRAINING:
            self.transport.abort()
            return
        # Answer, then read and drop the request until the client closes (closing with
        # unread data would reset the connection and could lose the answer).
        self.draining = True
        self.gate.draining += 1
        self.transport.write(refusal(reason))
        self.transport.write_eof()
        self.deadline = self.loop.call_later(DRAIN_SECONDS, self.transport.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        self.gate.release(self.transport)
        if self.draining:
            self.draining = False
            self.gate.draining -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self.refused:
            super().data_received(data)

    def arm(self, seconds: float, what: str) -> None:
        self.disarm()
        self.deadline = self.loop.call_later(seconds, self.expire, what)

    def disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def expire(self, what: str) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            self.gate.note(what)
            self.transport.close()

    # httptools parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.deadline is None:  # a later request on a keep-alive connection
            self.arm(self.gate.limits.header_timeout, "request head timed out")

    def on_headers_complete(self) -> None:
        self.disarm()
        super().on_headers_complete()
        if not self.parser.should_upgrade():
            self.arm(self.gate.limits.body_timeout, "request body timed out")

    def on_message_complete(self) -> None:
        self.disarm()
        super().on_message_complete()


class LimitedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, which takes over an admitted connection on upgrade."""

    gate: ClassVar[Gate]

    def connection_lost(self, exc: Exception | None) -> None:
        self.gate.release(self.transport)
        super().connection_lost(exc)


def protocol_classes(
    limits: ConnectionLimits,
) -> tuple[type[LimitedHttpProtocol], type[LimitedWebSocketProtocol]]:
    """uvicorn's `http` and `ws` protocol classes sharing one `Gate` over `limits`."""
    gate = Gate(limits)

    class Http(LimitedHttpProtocol):
        pass

    class WebSocket(LimitedWebSocketProtocol):
        pass

    Http.gate = gate
    WebSocket.gate = gate
    return Http, WebSocket


def summary(limits: ConnectionLimits, files: int) -> str:
    """What `flux serve` logs at start."""
    per = limits.max_per_address or "no cap"
    return (
        f"connections: at most {limits.max_connections} open ({per} per address; "
        f"{files} files allowed), request head within {limits.header_timeout:g} s, "
        f"body within {limits.body_timeout:g} s"
    )
