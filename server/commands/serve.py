"""`flux serve`: the notes server (Starlette under uvicorn).

Behind a TLS proxy (docs/operations.md, "Production"):

    flux serve --allowed-origin https://notes.example.com --forwarded-allow-ips 10.0.0.5

`--forwarded-allow-ips` trusts X-Forwarded-Proto/For from those addresses
only (uvicorn's proxy headers): the request's scheme becomes https, so the
session cookie gets `Secure` and the Origin check expects https, and the
client address (used by the sign-in throttle) becomes the forwarded one.

Limits (docs/operations.md, "Limits"): connections overall and per address,
deadlines for half-sent requests (server/app/connection_limits.py), and each
user's dispatch rate (server/app/ratelimit.py).  Every flag has an
environment variable, e.g. FLUX_DISPATCH_RATE=0 turns the rate limit off.
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

from server.app import connection_limits
from server.app.app import close_app, open_app
from server.app.connection_limits import ConnectionLimits
from server.app.settings import Settings
from server.store import ConfigurationError
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


DISPATCH_RATE = 50.0
DISPATCH_BURST = 500


def _env(name: str, kind: Callable[[str], Any], default: Any) -> Any:
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        return kind(text)
    except ValueError:
        raise SystemExit(f"${name} must be a {kind.__name__}; got {text!r}.") from None


def _add_limits(parser: argparse.ArgumentParser) -> None:
    limits = parser.add_argument_group("limits (docs/operations.md)")
    add = limits.add_argument
    add(
        "--max-connections",
        type=int,
        default=_env("FLUX_MAX_CONNECTIONS", int, None),
        metavar="N",
        help="connections open at once; more are refused at accept with 503. Default: what "
        "the file-descriptor limit allows (raised to the hard limit at start). "
        "$FLUX_MAX_CONNECTIONS",
    )
    add(
        "--max-connections-per-address",
        type=int,
        default=_env("FLUX_MAX_CONNECTIONS_PER_ADDRESS", int, connection_limits.MAX_PER_ADDRESS),
        metavar="N",
        help=f"connections from one client address ({connection_limits.MAX_PER_ADDRESS}; 0: no "
        "cap; --forwarded-allow-ips proxies are exempt). $FLUX_MAX_CONNECTIONS_PER_ADDRESS",
    )
    add(
        "--header-timeout",
        type=float,
        default=_env("FLUX_HEADER_TIMEOUT", float, connection_limits.HEADER_TIMEOUT),
        metavar="SECONDS",
        help="close a connection whose request head has not arrived within this "
        f"({connection_limits.HEADER_TIMEOUT:g}). $FLUX_HEADER_TIMEOUT",
    )
    add(
        "--body-timeout",
        type=float,
        default=_env("FLUX_BODY_TIMEOUT", float, connection_limits.BODY_TIMEOUT),
        metavar="SECONDS",
        help="close a connection whose request body has not arrived within this after its "
        f"head ({connection_limits.BODY_TIMEOUT:g}). $FLUX_BODY_TIMEOUT",
    )
    add(
        "--dispatch-rate",
        type=float,
        default=_env("FLUX_DISPATCH_RATE", float, DISPATCH_RATE),
        metavar="EVENTS",
        help=f"events a second each user may dispatch, sustained, on this instance "
        f"({DISPATCH_RATE:g}; 0: no limit). $FLUX_DISPATCH_RATE",
    )
    add(
        "--dispatch-burst",
        type=int,
        default=_env("FLUX_DISPATCH_BURST", int, DISPATCH_BURST),
        metavar="EVENTS",
        help=f"events a user may dispatch at once before the rate applies ({DISPATCH_BURST}). "
        "$FLUX_DISPATCH_BURST",
    )


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
    _add_limits(parser)
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
        dispatch_rate=args.dispatch_rate or None,
        dispatch_burst=args.dispatch_burst,
    )
    files = connection_limits.file_limit()
    if args.max_connections is None:
        args.max_connections = connection_limits.default_max_connections(files)
    try:
        connection_limits.check_max_connections(args.max_connections, files)
    except ConfigurationError as error:
        raise SystemExit(f"flux serve: {error}") from None
    exempt, exempt_all = connection_limits.trusted_networks(args.forwarded_allow_ips)
    limits = ConnectionLimits(
        max_connections=args.max_connections,
        max_per_address=args.max_connections_per_address,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        exempt=exempt,
        exempt_all=exempt_all,
    )
    logging.getLogger("flux.connections").info(connection_limits.summary(limits, files))
    asyncio.run(serve(settings, args.host, args.port, args.forwarded_allow_ips, limits))
    return 0


async def serve(
    settings: Settings,
    host: str,
    port: int,
    forwarded_allow_ips: str | None = None,
    limits: ConnectionLimits | None = None,
) -> None:
    app = await open_app(settings)
    http, ws = connection_limits.protocol_classes(
        limits or ConnectionLimits(connection_limits.default_max_connections(1024))
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=http,
        ws=ws,
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
