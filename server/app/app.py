"""The notes server assembled in one place.

    app = await open_app(Settings(database_url="sqlite+aiosqlite:///data/notes.db"))

`open_app` opens the database, creates the users tables, finds the session
secret and calls `create_app(store, settings)`, which wires the routes
(sign-in, API, websocket, pages, /healthz), the access log, and the
server-side sessions (server/app/sessions.py) with the sign-in throttle.  The store must be built with the policy's reducer
(`server.app.policy.authorizing`), as `open_store` does.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import time
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.app import api, auth, pages, websocket
from server.app.http_errors import to_response
from server.app.notes_store import reducer as notes_reducer
from server.app.policy import AuthorizingReducer, authorizing
from server.app.schema import metadata as notes_metadata
from server.app.search_index import drop_stale_sqlite_indexes
from server.app.services import TEMPLATES_DIR, Services
from server.app.sessions import Sessions
from server.app.settings import Settings
from server.app.throttle import Throttle
from server.app.users import Users
from server.app.visibility import Visibility
from server.store import ConfigurationError, Database, Store, StoreError, connect, create_store
from server.store.history import keep_snapshots
from server.store.live import Hub

log = logging.getLogger("flux.access")
SECRET_SETTING = "session_secret"


class AccessLog:
    """One log line per HTTP request: method, path, status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            log.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.monotonic() - started) * 1000,
            )


async def healthz(request: Request) -> Response:
    flux: Services = request.app.state.flux
    if await flux.database.ping():
        return JSONResponse({"ok": True})
    return JSONResponse(
        {"ok": False, "error": "The database does not answer.", "detail": None}, status_code=503
    )


async def store_failed(_request: Request, exc: Exception) -> Response:
    """A database error outside a dispatch (sign-in, a page): JSON, 503 when unavailable."""
    return to_response(exc)


def create_app(store: Store, settings: Settings) -> Starlette:
    """The Starlette app over `store` (whose database has the users tables)."""
    if not isinstance(store.reducer, AuthorizingReducer):
        raise ConfigurationError(
            "The app's store must check the policy: build it with "
            "create_store(server.app.policy.authorizing(reducer), database), as open_store does."
        )
    if not settings.secret_key:
        raise ConfigurationError(
            "Settings.secret_key is empty; set FLUX_SECRET_KEY or use open_app, which stores one."
        )
    database = store.get_database()
    visibility = Visibility(database)
    services = Services(
        store=store,
        settings=settings,
        users=Users(database),
        visibility=visibility,
        templates=Jinja2Templates(directory=str(TEMPLATES_DIR)),
        hub=Hub(store, websocket.encode_event, prepare=visibility.committed),
        sessions=Sessions(database, settings.secret_key, settings.session_check_seconds),
        throttle=Throttle(),
    )
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        *auth.routes(),
        *api.routes(),
        *websocket.routes(),
        *pages.routes(),
        Route("/api/{rest:path}", api.not_found),
    ]
    middleware = [Middleware(AccessLog)]
    app = Starlette(
        routes=routes, middleware=middleware, exception_handlers={StoreError: store_failed}
    )
    app.state.flux = services
    app.state.snapshots = keep_snapshots(store)  # the time machine's, taken after commits
    return app


async def open_store(url: str) -> Store:
    """The notes store with the policy checked in every dispatch, and the users tables."""
    database = await connect(url, notes_metadata)
    try:
        await check_up_to_date(database)
        if database.dialect == "sqlite":  # a replay leaves the old table's FTS5 index behind
            await database.write(lambda conn, _head: drop_stale_sqlite_indexes(conn))
        await Users(database).create_tables()
    except BaseException:
        await database.close()
        raise
    return create_store(authorizing(notes_reducer), database)


async def check_up_to_date(database: Database) -> None:
    """Refuse a read model made by an older version of the app: a table that
    lacks a column, or a table just created on a log that already has events
    (it would start empty).  `flux replay` rebuilds it from the log."""
    missing: dict[str, Any] = dict(await database.missing_columns())
    if database.created_tables and await database.last_seq() > 0:
        missing.update({name: "the whole table" for name in database.created_tables})
    if missing:
        raise ConfigurationError(
            f"The database {database.url} was made by an older version: its read model lacks "
            f"{missing}. Rebuild the read model from the event log with `flux replay "
            "--database URL` (nothing is lost: the log is the source of truth), then start again."
        )


async def secret_key(store: Store, settings: Settings) -> str:
    """Settings first, then FLUX_SECRET_KEY, then the one stored in the database
    (generated on first start, so sessions survive a restart)."""
    if settings.secret_key:
        return settings.secret_key
    from_env = os.environ.get("FLUX_SECRET_KEY")
    if from_env:
        return from_env
    users = Users(store.get_database())
    return await users.setting(SECRET_SETTING, secrets.token_urlsafe(32))


async def open_app(settings: Settings | None = None, **overrides: Any) -> Starlette:
    """Open the database of `settings` and build the app; close it with `close_app`."""
    settings = dataclasses.replace(settings or Settings(), **overrides)
    store = await open_store(settings.database_url)
    try:
        key = await secret_key(store, settings)
        return create_app(store, dataclasses.replace(settings, secret_key=key))
    except BaseException:
        await store.get_database().close()
        raise


async def close_app(app: Starlette) -> None:
    flux: Services = app.state.flux
    await flux.sessions.close()
    await flux.hub.close()
    await app.state.snapshots.close()
    await flux.database.close()
