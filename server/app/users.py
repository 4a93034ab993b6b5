"""Users who sign in: names, roles and scrypt password hashes.

Users are not event-sourced: they live in their own table (`flux_users`, in
this module's MetaData, not in the notes read model) next to the event log.
Password hashes must never enter the append-only log, which is replayed and
streamed to browsers, and an account is configuration of the server rather
than data the reducers decide about.  The same MetaData holds `flux_settings`
(the generated session secret).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Column, Connection, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from server.store import Database, StoreError

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


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist (same cost, no timing hint)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


def role_of(conn: Connection, name: str) -> str | None:
    """The user's role, read on a synchronous connection (inside a transaction)."""
    row = conn.execute(select(users_table.c.role).where(users_table.c.name == name)).first()
    return str(row.role) if row is not None else None


class Users:
    """The users of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_tables(self) -> None:
        async with self.database.translated():
            async with self.database.engine.begin() as conn:
                await conn.run_sync(lambda c: metadata.create_all(c, checkfirst=True))

    async def get(self, name: str) -> User | None:
        role = await self.database.read(lambda conn: role_of(conn, name))
        return User(name, role) if role is not None else None

    async def list(self) -> list[User]:
        def work(conn: Connection) -> list[User]:
            rows = conn.execute(
                select(users_table.c.name, users_table.c.role).order_by(users_table.c.name)
            )
            return [User(str(r.name), str(r.role)) for r in rows]

        return await self.database.read(work)

    async def add(self, name: str, password: str, role: str) -> User:
        """Create a user; UserError when the name is taken or anything is invalid."""
        check_name(name)
        check_role(role)
        check_password(password)
        hashed = await asyncio.to_thread(hash_password, password)

        def work(conn: Connection) -> None:
            conn.execute(insert(users_table).values(name=name, role=role, password=hashed))

        try:
            async with self.database.translated():
                async with self.database.engine.begin() as conn:
                    await conn.run_sync(work)
        except StoreError as error:
            if isinstance(error.__cause__, IntegrityError):
                raise UserError(f"The user name {name!r} is taken; choose another.") from error
            raise
        return User(name, role)

    async def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password matches, else None (same cost either way)."""

        def work(conn: Connection) -> tuple[str, str] | None:
            row = conn.execute(
                select(users_table.c.role, users_table.c.password).where(users_table.c.name == name)
            ).first()
            return (str(row.role), str(row.password)) if row is not None else None

        found = await self.database.read(work)
        stored = found[1] if found else _dummy_hash()
        ok = await asyncio.to_thread(verify_password, password, stored)
        if found is None or not ok:
            return None
        return User(name, found[0])

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
