"""`flux serve`: the notes server (Starlette under uvicorn).

Behind a TLS proxy (docs/operations.md, "Production"):

    flux serve --allowed-origin https://notes.example.com --forwarded-allow-ips 10.0.0.5

`--forwarded-allow-ips` trusts X-Forwarded-Proto/For from those addresses
only (uvicorn's proxy headers): the request's scheme becomes https, so the
session cookie gets `Secure` and the Origin check expects https, and the
client address (used by the sign-in throttle) becomes the forwarded one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
from collections.abc import Callable
from typing import Any

import uvicorn

from server.app.app import close_app, open_app
from server.app.settings import Settings
from server.store.sql import database_url

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ORIGIN = re.compile(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$"
)


def origin(text: str) -> str:
    if not ORIGIN.match(text):
        raise argparse.ArgumentTypeError(
            "an origin is a scheme, a host and an optional port, e.g. "
            f"https://notes.example.com or http://10.0.0.5:8000 (no path, no '/'); got {text!r}"
        )
    return text


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("serve", help="serve the notes app over HTTP and websocket")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument(
        "--no-signup", action="store_true", help="turn the sign-up page off (admins add users)"
    )
    parser.add_argument(
        "--allowed-origin",
        dest="allowed_origins",
        action="append",
        type=origin,
        default=[],
        metavar="ORIGIN",
        help="a public origin (e.g. https://notes.example.com) that may POST and open the "
        "websocket besides the server's own; repeatable",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        default=None,
        help="comma-separated addresses of trusted proxies (or '*'): their X-Forwarded-Proto "
        "and X-Forwarded-For are believed. Default: proxy headers are ignored",
    )
    parser.add_argument(
        "--secure-cookie",
        action="store_true",
        help="always mark the session cookie Secure (it is anyway on requests that arrived "
        "over https)",
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
    settings = Settings(
        database_url=database_url(args.database),
        signup=not args.no_signup,
        allowed_origins=tuple(args.allowed_origins),
        https_only=args.secure_cookie,
    )
    asyncio.run(serve(settings, args.host, args.port, args.forwarded_allow_ips))
    return 0


async def serve(
    settings: Settings, host: str, port: int, forwarded_allow_ips: str | None = None
) -> None:
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
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await close_app(app)
