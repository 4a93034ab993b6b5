"""The baseline of bench/throughput.py: the notes CRUD a team writes without flux.

    python -m bench.crud_app --port P --database URL --user NAME:PASSWORD

A plain Starlette app on SQLAlchemy (async), served by uvicorn as `flux serve`
serves (no access log, no per-message deflate).  No event log, no fan-out:

- `POST /login` (form: username, password): an scrypt check (flux's cost),
  then a random token whose sha256 goes in a `sessions` row; the cookie holds
  the token.
- `POST /notes` `{"title", "text"}`: insert a row owned by the user, answer
  `{"id", "version"}` (201).
- `PATCH /notes/{id}` `{"title"?, "text"?}`: update the user's own row
  (`WHERE id AND author`), bump its version; 404 if there is none.

Every notes request reads its session row (one indexed read, as flux does),
validates the body (422 naming the field) and writes in one transaction.
Durability as flux's: SQLite in WAL with the same `synchronous` (FULL unless
FLUX_SQLITE_SYNCHRONOUS says otherwise, server/store/sql/backends.py) and a
busy timeout; PostgreSQL with its default synchronous commit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import uvicorn
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.store.sql.backends import sqlite_synchronous

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(400), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(100), nullable=False),
    Column("createdAt", String(32), nullable=False),
    Column("updatedAt", String(32), nullable=False),
    Column("version", Integer, nullable=False),
)
users = Table(
    "users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("password", String(200), nullable=False),
)
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user", String(100), nullable=False),
    Column("expires", Float, nullable=False),
)

MAX_TITLE = 400
MAX_TEXT = 100_000
SESSION_SECONDS = 14 * 24 * 3600
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class Invalid(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.message}
        if self.field:
            body["field"] = self.field
        return JSONResponse(body, self.status)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    return salt.hex() + "$" + hashlib.scrypt(password.encode(), salt=salt, **SCRYPT).hex()


def password_ok(password: str, stored: str) -> bool:
    salt, digest = stored.split("$")
    actual = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **SCRYPT).hex()
    return hmac.compare_digest(actual, digest)


def make_engine(url: str, pool_size: int) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, pool_size=pool_size, max_overflow=0)
    engine = create_async_engine(parsed)
    synchronous = sqlite_synchronous()

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise Invalid(400, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise Invalid(400, "The body must be a JSON object.")
    return body


def _text(body: dict[str, Any], field: str, limit: int, required: bool) -> str | None:
    if field not in body:
        if required:
            raise Invalid(422, f"{field} is required.", field)
        return None
    value = body[field]
    if not isinstance(value, str):
        raise Invalid(422, f"{field} must be a string.", field)
    if len(value) > limit:
        raise Invalid(422, f"{field} is longer than {limit} characters.", field)
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def build_app(engine: AsyncEngine, seed: list[tuple[str, str]]) -> Starlette:
    async def current_user(request: Request) -> str:
        token = request.cookies.get("session")
        if not token:
            raise Invalid(401, "Sign in first.")
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(sessions.c.user, sessions.c.expires).where(
                        sessions.c.token_hash == token_hash
                    )
                )
            ).first()
        if row is None or row.expires < time.time():
            raise Invalid(401, "Sign in first.")
        return str(row.user)

    async def login(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("username", "")), str(form.get("password", ""))
        async with engine.connect() as conn:
            stored = (
                await conn.execute(select(users.c.password).where(users.c.name == name))
            ).scalar()
        if stored is None or not await asyncio.to_thread(password_ok, password, stored):
            return JSONResponse({"error": "Wrong name or password."}, 401)
        token = secrets.token_urlsafe(32)
        async with engine.begin() as conn:
            await conn.execute(
                insert(sessions).values(
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    user=name,
                    expires=time.time() + SESSION_SECONDS,
                )
            )
        response = JSONResponse({"user": name})
        response.set_cookie("session", token, httponly=True, samesite="lax")
        return response

    async def add_note(request: Request) -> Response:
        try:
            user = await current_user(request)
            body = await _body(request)
            title = _text(body, "title", MAX_TITLE, required=True)
            text = _text(body, "text", MAX_TEXT, required=True)
        except Invalid as error:
            return error.response()
        note_id, now = uuid.uuid4().hex, _now()
        async with engine.begin() as conn:
            await conn.execute(
                insert(notes).values(
                    id=note_id,
                    title=title,
                    text=text,
                    author=user,
                    createdAt=now,
                    updatedAt=now,
                    version=1,
                )
            )
        return JSONResponse({"id": note_id, "version": 1}, 201)

    async def edit_note(request: Request) -> Response:
        try:
            user = await current_user(request)
            body = await _body(request)
            changes = {
                field: value
                for field, limit in (("title", MAX_TITLE), ("text", MAX_TEXT))
                if (value := _text(body, field, limit, required=False)) is not None
            }
            if not changes:
                raise Invalid(422, "Give title or text.", "text")
        except Invalid as error:
            return error.response()
        async with engine.begin() as conn:
            version = (
                await conn.execute(
                    update(notes)
                    .where(notes.c.id == request.path_params["id"], notes.c.author == user)
                    .values(**changes, updatedAt=_now(), version=notes.c.version + 1)
                    .returning(notes.c.version)
                )
            ).scalar()
        if version is None:
            return JSONResponse({"error": "No such note of yours."}, 404)
        return JSONResponse({"id": request.path_params["id"], "version": version})

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            for name, password in seed:
                hashed = await asyncio.to_thread(hash_password, password)
                await conn.execute(insert(users).values(name=name, password=hashed))
        try:
            yield
        finally:
            await engine.dispose()

    return Starlette(
        routes=[
            Route("/login", login, methods=["POST"]),
            Route("/notes", add_note, methods=["POST"]),
            Route("/notes/{id}", edit_note, methods=["PATCH"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True, help="SQLAlchemy async URL")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD")
    parser.add_argument("--pool-size", type=int, default=20, help="PostgreSQL connections")
    args = parser.parse_args(argv)
    seed = [(u.split(":", 1)[0], u.split(":", 1)[-1]) for u in args.user]
    engine = make_engine(args.database, args.pool_size)
    app = build_app(engine, seed)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        ws_per_message_deflate=False,
        access_log=False,
        log_config=None,
    )
    asyncio.run(uvicorn.Server(config).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
