"""The one way the app's transports (REST and websocket) dispatch: parse,
validate as the signed-in user, dispatch, and answer with what that user may see."""

from __future__ import annotations

import json
from typing import Any

from server.app.services import Services
from server.app.users import User
from server.app.validation import validate_events
from server.store import Event

MAX_SEQ = 2**53  # beyond any log, within every database's BIGINT


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; send numbers as finite values")


def loads(text: str | bytes) -> Any:
    """json.loads without NaN and Infinity (which JSON does not have)."""
    return json.loads(text, parse_constant=_no_constants)


async def dispatch_for(flux: Services, user: User, raw: Any) -> list[Event]:
    """Validate and dispatch `raw` as `user`; returns the stored events `user` may see.
    Raises RateLimited (429) when `user` is over the dispatch rate (ratelimit.py)."""
    events = validate_events(raw, user.name, flux.settings.max_events_per_dispatch)
    flux.dispatch_limits.check(user.name, len(events))
    stored = await flux.store.dispatch(events)
    return await flux.visibility.events(user, stored)
