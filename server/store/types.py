"""Type aliases shared across the server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Event = dict[str, Any]
"""A Flux Standard Action: {type, payload?, meta?, error?, id?}; stored ones add seq and timestamp."""

Operation = dict[str, Any]
"""One changeset operation: {op, collection, id, values}."""

Changeset = list[Operation]

Row = dict[str, Any]

Listener = Callable[[list[Event]], "Awaitable[None] | None"]

Dispatch = Callable[..., Awaitable[list[Event]]]


RootReducer = Callable[[Any, Event], Changeset]
