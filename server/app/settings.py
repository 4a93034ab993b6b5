"""The notes server's settings: one frozen object built by `flux serve` or a test."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.store.sql import database_url

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Settings:
    """What the app needs to know; every field has a sensible default.

    `secret_key` signs the session cookie; `None` means "take it from
    FLUX_SECRET_KEY, else from the database" (see `server.app.open_app`).
    `allowed_origins` are extra origins (besides the server's own) that may
    POST and open the websocket, e.g. a reverse proxy's public address.
    `https_only` marks the session cookie `Secure` on every response (it is
    anyway on requests that arrived over https, as a trusted proxy says).
    `session_check_seconds`: how often each instance checks that the
    sessions of its open websockets still exist (server/app/sessions.py).
    `dispatch_rate`/`dispatch_burst`: each user's token bucket of events per
    second and its size, on this instance (server/app/ratelimit.py); `None`
    means no limit, as for an app built in code; `flux serve` sets 50 and 500.
    `ws_close_after_rejections`: rate-limit rejections a websocket may pile up
    (forgiven at `dispatch_rate`) before it is closed with 1008.
    """

    database_url: str = field(default_factory=database_url)
    signup: bool = True
    secret_key: str | None = None
    allowed_origins: tuple[str, ...] = ()
    https_only: bool = False
    session_check_seconds: float = 5.0
    max_body_bytes: int = MAX_BODY_BYTES
    max_events_per_dispatch: int = 500
    events_page_default: int = 100
    events_page_max: int = 1000
    ws_queue_size: int = 1000
    ws_poll_seconds: float = 60.0
    presence_expiry_seconds: float = 8.0
    dispatch_rate: float | None = None
    dispatch_burst: int = 500
    ws_close_after_rejections: int = 1000
