"""Users who sign in: names, roles and scrypt password hashes.

Users are not event-sourced: they live in their own table (`flux_users`, in
this module's MetaData, not in the notes read model) next to the event log.
Password hashes must never enter the append-only log, which is replayed and
streamed to browsers, and an account is configuration of the server rather
than data the reducers decide about.  The same MetaData holds `flux_settings`
(the generated session secret) and `flux_sessions` (server/app/sessions.py).

Names are case-insensitive: `flux_user_names` holds one row per lower-cased
name ever used, with the name as first stored (the canonical one, which
`meta.user` carries).  Its primary key makes `ADA` and `ada` one account on
every backend, and a removed account leaves its row behind as a tombstone,
so nobody can sign up as a removed user and inherit their private notes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from server.store import Database, StoreError

T = TypeVar("T")

ADMIN, EDITOR, VIEWER = "admin", "editor", "viewer"
ROLES = (ADMIN, EDITOR, VIEWER)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

# scrypt cost; hashes carry their own parameters, so tests may lower this.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1

metadata = MetaData()

users_table = Table(
    "flux_users",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("password", String(300), nullable=False),
)

names_table = Table(
    "flux_user_names",
    metadata,
    Column("key", String(50), primary_key=True),  # the name in lower case
    Column("name", String(50), nullable=False),  # as first stored
    Column("removed", BigInteger, nullable=True),  # unix seconds; set = a tombstone
)

sessions_table = Table(
    "flux_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the cookie's token, hex
    Column("user", String(50), nullable=False, index=True),
    Column("created", BigInteger, nullable=False),  # unix seconds
    Column("last_seen", BigInteger, nullable=False),
    Column("expires", BigInteger, nullable=False),
)

settings_table = Table(
    "flux_settings",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(500), nullable=False),
)


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


class UserError(ValueError):
    """A user name, role or password that cannot be accepted; the message says why."""


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UserError(
            "A user name is 1 to 50 letters, digits, '.', '_' or '-'; "
            f"{name!r} is not. Choose another name."
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"The role must be one of {', '.join(ROLES)}; got {role!r}.")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"The password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"The password may have at most {MAX_PASSWORD} characters.")
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash` with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


log = logging.getLogger("flux.users")


def name_key(name: str) -> str:
    """The case-insensitive key of a name (names are ASCII: `ADA` and `ada` are one)."""
    return name.lower()


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist (same cost, no timing hint)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


_ROLE = select(users_table.c.role).where(users_table.c.name == bindparam("name"))
"""Built once: the policy reads it for every dispatched event."""


def role_of(conn: Connection, name: str) -> str | None:
    """The user's role, read on a synchronous connection (inside a transaction)."""
    row = conn.execute(_ROLE, {"name": name}).first()
    return str(row.role) if row is not None else None


def end_sessions(conn: Connection, name: str) -> int:
    """Delete every session of `name`; how many there were."""
    result = conn.execute(delete(sessions_table).where(sessions_table.c.user == name))
    return int(result.rowcount or 0)


def _find_row(conn: Connection, name: str) -> Any:
    """The users row (name, role, password) of `name`: the exact name first (so
    two users older than `flux_user_names` that differ only in case each still
    sign in), then the one whose name equals it ignoring case."""
    columns = (users_table.c.name, users_table.c.role, users_table.c.password)
    row = conn.execute(select(*columns).where(users_table.c.name == name)).first()
    if row is None:
        joined = users_table.join(names_table, names_table.c.name == users_table.c.name)
        row = conn.execute(
            select(*columns).select_from(joined).where(names_table.c.key == name_key(name))
        ).first()
    return row


def _find(conn: Connection, name: str) -> tuple[str, str] | None:
    row = _find_row(conn, name)
    return (str(row.name), str(row.role)) if row is not None else None


def _register_old_names(conn: Connection) -> None:
    """Give users made before `flux_user_names` their row there.  Two old users
    whose names differ only in case keep working by exact name; the second is logged."""
    known = {str(r.key) for r in conn.execute(select(names_table.c.key))}
    for row in conn.execute(select(users_table.c.name).order_by(users_table.c.name)).all():
        key = name_key(str(row.name))
        if key in known:
            continue
        conn.execute(insert(names_table).values(key=key, name=str(row.name)))
        known.add(key)
    # Logged once per start, so an admin can rename by hand if they care.
    old = conn.execute(
        select(users_table.c.name).where(users_table.c.name.not_in(select(names_table.c.name)))
    ).all()
    for row in old:
        log.warning(
            "The user %r shares its name (ignoring case) with an older one; it signs "
            "in only with its exact name.",
            row.name,
        )


class Users:
    """The users of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_tables(self) -> None:
        async with self.database.translated():
            async with self.database.engine.begin() as conn:
                await conn.run_sync(lambda c: metadata.create_all(c, checkfirst=True))
        try:
            await self._write(_register_old_names)
        except StoreError as error:  # another process registered them at the same time
            if not isinstance(error.__cause__, IntegrityError):
                raise

    async def get(self, name: str) -> User | None:
        """The user of exactly this (canonical) name, as sessions and events carry it."""
        role = await self.database.read(lambda conn: role_of(conn, name))
        return User(name, role) if role is not None else None

    async def find(self, name: str) -> User | None:
        """The user whose name equals `name` ignoring case."""
        found = await self.database.read(lambda conn: _find(conn, name))
        return User(found[0], found[1]) if found is not None else None

    async def list(self) -> list[User]:
        def work(conn: Connection) -> list[User]:
            rows = conn.execute(
                select(users_table.c.name, users_table.c.role).order_by(users_table.c.name)
            )
            return [User(str(r.name), str(r.role)) for r in rows]

        return await self.database.read(work)

    async def add(self, name: str, password: str, role: str) -> User:
        """Create a user; UserError when the name (in any case) is taken or was
        removed, or anything is invalid."""
        check_name(name)
        check_role(role)
        check_password(password)
        hashed = await asyncio.to_thread(hash_password, password)

        def work(conn: Connection) -> None:
            conn.execute(insert(names_table).values(key=name_key(name), name=name))
            conn.execute(insert(users_table).values(name=name, role=role, password=hashed))

        try:
            await self._write(work)
        except StoreError as error:
            if not isinstance(error.__cause__, IntegrityError):
                raise
            holder = await self.database.read(
                lambda conn: conn.execute(
                    select(names_table).where(names_table.c.key == name_key(name))
                ).first()
            )
            if holder is not None and holder.removed is not None:
                raise UserError(
                    f"The user name {name!r} belonged to a removed account and stays "
                    "reserved (its private notes are still its own); choose another."
                ) from error
            raise UserError(f"The user name {name!r} is taken; choose another.") from error
        return User(name, role)

    async def authenticate(self, name: str, password: str) -> User | None:
        """The user (canonical name) when the password matches, else None.

        The name is matched ignoring case.  An unknown name is checked against
        a dummy hash, so both failures cost the same.
        """

        def work(conn: Connection) -> tuple[str, str, str] | None:
            row = _find_row(conn, name)
            return (str(row.name), str(row.role), str(row.password)) if row is not None else None

        found = await self.database.read(work)
        stored = found[2] if found else _dummy_hash()
        ok = await asyncio.to_thread(verify_password, password, stored)
        if found is None or not ok:
            return None
        return User(found[0], found[1])

    async def set_password(self, name: str, password: str) -> tuple[User, int]:
        """Change the password of `name` (any case) and end all its sessions;
        the user and the number of sessions ended."""
        check_password(password)
        user = await self.find(name)
        if user is None:
            raise UserError(f"There is no user {name!r}; `flux users list` shows them.")
        hashed = await asyncio.to_thread(hash_password, password)

        def work(conn: Connection) -> int:
            conn.execute(
                update(users_table).where(users_table.c.name == user.name).values(password=hashed)
            )
            return end_sessions(conn, user.name)

        return user, await self._write(work)

    async def remove(self, name: str) -> tuple[User, int]:
        """Remove `name` (any case), end its sessions and keep its name as a
        tombstone; the user removed and the number of sessions ended."""
        user = await self.find(name)
        if user is None:
            raise UserError(f"There is no user {name!r}; `flux users list` shows them.")

        def work(conn: Connection) -> int:
            conn.execute(delete(users_table).where(users_table.c.name == user.name))
            ended = end_sessions(conn, user.name)
            conn.execute(
                update(names_table)
                .where(names_table.c.key == name_key(user.name))
                .values(removed=int(time.time()))
            )
            return ended

        return user, await self._write(work)

    async def _write(self, work: Callable[[Connection], T]) -> T:
        async with self.database.translated():
            async with self.database.engine.begin() as conn:
                return await conn.run_sync(work)

    async def setting(self, key: str, default: str) -> str:
        """The stored value of `key`; stores `default` first when there is none."""

        def read(conn: Connection) -> str | None:
            row = conn.execute(
                select(settings_table.c.value).where(settings_table.c.name == key)
            ).first()
            return str(row.value) if row is not None else None

        found = await self.database.read(read)
        if found is not None:
            return found

        def write(conn: Connection) -> None:
            conn.execute(insert(settings_table).values(name=key, value=default))

        try:
            async with self.database.translated():
                async with self.database.engine.begin() as conn:
                    await conn.run_sync(write)
        except StoreError:
            pass  # another process stored it first; read theirs
        stored = await self.database.read(read)
        if stored is None:
            raise StoreError(f"Could not store the setting {key!r}.")
        return stored
