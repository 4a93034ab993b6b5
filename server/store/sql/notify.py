"""PostgreSQL LISTEN on a dedicated connection: wake-ups from other instances.

Each append on PostgreSQL sends `pg_notify('flux_events', '<last seq> <origin>')`
inside its transaction (see `Backend.announce`), delivered at commit; `origin`
names the Database that wrote it, so an instance can tell its own commits
(which its store hands to the follower directly) from the others'.  A
notification is only a wake-up: the follower reads the events from the log.
Payloads are limited and a notification sent while this connection is down is
lost, which is why the follower also polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped,unused-ignore]
from sqlalchemy.engine import URL

log = logging.getLogger("flux.notify")

CONNECT_TIMEOUT_SECONDS = 5.0


def payload(seq: int, origin: str) -> str:
    """The NOTIFY payload of a commit whose last event is `seq`, written by `origin`."""
    return f"{seq} {origin}"


def parse(text: str) -> tuple[int | None, str | None]:
    """(seq, origin) of a payload; None for what it does not carry (an older
    instance sends the seq alone; anything unreadable is still a wake-up)."""
    seq_text, _, origin = text.partition(" ")
    try:
        seq: int | None = int(seq_text)
    except ValueError:
        return None, None
    return seq, origin or None


class PgListener:
    """One asyncpg connection that LISTENs on a channel and calls
    `on_seq(seq | None, origin | None)` for each notification (see `parse`)."""

    def __init__(
        self, url: URL, channel: str, on_seq: Callable[[int | None, str | None], None]
    ) -> None:
        self.url = url
        self.channel = channel
        self.on_seq = on_seq
        self._conn: Any = None

    @property
    def alive(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def connect(self) -> None:
        """Open the connection and LISTEN; raises OSError/asyncpg errors when it cannot."""
        await self.close()
        args = self.url.translate_connect_args(username="user")
        conn = await asyncpg.connect(**args, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            await conn.add_listener(self.channel, self._heard)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    def _heard(self, _conn: Any, _pid: int, _channel: str, text: str) -> None:
        self.on_seq(*parse(text))

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            await conn.close(timeout=CONNECT_TIMEOUT_SECONDS)
        except Exception:  # a dead socket: nothing left to release but the handle
            log.debug("Closing the LISTEN connection failed", exc_info=True)
            conn.terminate()
