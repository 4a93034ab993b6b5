"""`flux serve`: the notes server (Starlette under uvicorn)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

import uvicorn

from server.app.app import close_app, open_app
from server.app.settings import Settings
from server.store.sql import database_url

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("serve", help="serve the notes app over HTTP and websocket")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument(
        "--no-signup", action="store_true", help="turn the sign-up page off (admins add users)"
    )
    parser.add_argument(
        "--sqlite-synchronous",
        choices=["FULL", "NORMAL"],
        default=None,
        help="SQLite durability: FULL (default) syncs every commit; NORMAL may lose the last "
        "commits in a power cut (docs/operations.md). Same as $FLUX_SQLITE_SYNCHRONOUS",
    )
    add_database_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    if args.sqlite_synchronous:  # read by connect() when the app opens the database
        os.environ["FLUX_SQLITE_SYNCHRONOUS"] = args.sqlite_synchronous
    settings = Settings(database_url=database_url(args.database), signup=not args.no_signup)
    asyncio.run(serve(settings, args.host, args.port))
    return 0


async def serve(settings: Settings, host: str, port: int) -> None:
    app = await open_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=settings.max_body_bytes + 1024,
        access_log=False,
        log_config=None,
        proxy_headers=False,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await close_app(app)
