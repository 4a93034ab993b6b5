"""Sessions kept on the server: the cookie holds a random token, the table its hash.

    token = await sessions.start(user)          # after a correct password
    session = await sessions.find(token)        # each request: one indexed read
    await sessions.end(session.id)              # logout: gone at once, everywhere

`flux_sessions` (in server/app/users.py's MetaData) holds, per session, the
sha256 of its token (so a leaked table or backup holds no usable cookie), the
user's canonical name, and when it was created, last seen and expires.  A
session ends when its row is deleted: logout deletes one, `flux users passwd`
and `flux users remove` delete all of a user's (server/app/users.py).  Each
request reads its row joined with `flux_users`, so the end is seen at once.

The cookie's value is the token signed with the server's secret key (the
same FLUX_SECRET_KEY every instance shares): a cookie that was not made here
is refused without a database read, and changing the key ends every session.

Open websockets do not read the table per message.  `watch(session_id)`
gives a socket an `asyncio.Event` that is set when its session ends: at once
for a logout on this instance, and within `session_check_seconds` for any
other end (another instance, `flux users passwd/remove`), found by one query
per instance per period for all its open sockets together.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from server.app.users import User, sessions_table, users_table
from server.store import Database, StoreError

_FIND = (
    select(users_table.c.name, users_table.c.role, sessions_table.c.last_seen)
    .select_from(sessions_table.join(users_table, users_table.c.name == sessions_table.c.user))
    .where(sessions_table.c.id == bindparam("key"), sessions_table.c.expires > bindparam("now"))
)
"""A live session's user and role: built once (it is read on every request)."""

log = logging.getLogger("flux.sessions")
COOKIE = "flux_session"
LIFETIME_SECONDS = 14 * 24 * 3600
TOUCH_SECONDS = 300  # last_seen is written at most this often per session
CHECK_BATCH = 500


@dataclass(frozen=True)
class Session:
    id: str  # sha256 of the token, hex: the table's key, never the token itself
    user: User


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """The sessions of one database, and the open websockets watching them."""

    def __init__(self, database: Database, secret_key: str, check_seconds: float) -> None:
        self.database = database
        self.signer = Signer(secret_key, salt="flux-session")
        self.check_seconds = check_seconds
        self.watchers: dict[str, set[asyncio.Event]] = {}
        self._checker: asyncio.Task[None] | None = None

    # -- the cookie ------------------------------------------------------------

    def cookie_value(self, token: str) -> str:
        return self.signer.sign(token).decode("ascii")

    def token_of(self, cookie: str | None) -> str | None:
        """The token in a cookie this server signed, else None."""
        if not cookie:
            return None
        try:
            return self.signer.unsign(cookie).decode("ascii")
        except (BadSignature, UnicodeError):
            return None

    # -- the table -------------------------------------------------------------

    async def start(self, user: User) -> str:
        """A new session of `user`; its token (the cookie carries it signed)."""
        token = secrets.token_urlsafe(32)
        now = int(time.time())

        def work(conn: Connection) -> None:
            conn.execute(  # the user's expired sessions go as a new one comes
                delete(sessions_table).where(
                    sessions_table.c.user == user.name, sessions_table.c.expires <= now
                )
            )
            conn.execute(
                insert(sessions_table).values(
                    id=session_id(token),
                    user=user.name,
                    created=now,
                    last_seen=now,
                    expires=now + LIFETIME_SECONDS,
                )
            )

        await self._write(work)
        return token

    async def find(self, token: str) -> Session | None:
        """The live session of `token` with its user's current role, else None."""
        key = session_id(token)
        now = int(time.time())

        found = await self.database.read_row(_FIND, {"key": key, "now": now})
        if found is None:
            return None
        name, role, last_seen = str(found[0]), str(found[1]), int(found[2])
        if now - last_seen >= TOUCH_SECONDS:
            with contextlib.suppress(StoreError):  # a missed touch is harmless
                await self._write(
                    lambda conn: conn.execute(
                        update(sessions_table)
                        .where(sessions_table.c.id == key)
                        .values(last_seen=now)
                    )
                )
        return Session(key, User(name, role))

    async def end(self, key: str) -> None:
        """End one session (logout): its row goes, its sockets here close now."""
        await self._write(
            lambda conn: conn.execute(delete(sessions_table).where(sessions_table.c.id == key))
        )
        self._ended([key])

    async def _write(self, work: Callable[[Connection], object]) -> None:
        async with self.database.translated():
            async with self.database.engine.begin() as conn:
                await conn.run_sync(work)

    # -- open websockets -------------------------------------------------------

    def watch(self, key: str) -> asyncio.Event:
        """An event set when session `key` ends; `unwatch` it when the socket closes."""
        ended = asyncio.Event()
        self.watchers.setdefault(key, set()).add(ended)
        if self._checker is None or self._checker.done():
            self._checker = asyncio.create_task(self._check_forever())
        return ended

    def unwatch(self, key: str, ended: asyncio.Event) -> None:
        watching = self.watchers.get(key)
        if watching is not None:
            watching.discard(ended)
            if not watching:
                del self.watchers[key]

    def _ended(self, keys: Iterable[str]) -> None:
        for key in keys:
            for ended in self.watchers.pop(key, ()):
                ended.set()

    async def check(self) -> None:
        """End the watchers of every watched session that is gone (one query per
        CHECK_BATCH sessions)."""
        keys = list(self.watchers)
        now = int(time.time())
        for start in range(0, len(keys), CHECK_BATCH):
            batch = keys[start : start + CHECK_BATCH]

            def read(conn: Connection, batch: list[str] = batch) -> set[str]:
                joined = sessions_table.join(
                    users_table, users_table.c.name == sessions_table.c.user
                )
                rows = conn.execute(
                    select(sessions_table.c.id)
                    .select_from(joined)
                    .where(sessions_table.c.id.in_(batch), sessions_table.c.expires > now)
                )
                return {str(row.id) for row in rows}

            live = await self.database.read(read)
            self._ended(key for key in batch if key not in live)

    async def _check_forever(self) -> None:
        while self.watchers:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.check()
            except StoreError as error:  # keep the sockets; check again next period
                log.warning("Could not check the open sockets' sessions: %s", error)

    async def close(self) -> None:
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker
