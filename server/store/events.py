"""Checking events (Flux Standard Actions) and stamping them for the log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from server.store.errors import InvalidEvent
from server.store.types import Event

ALLOWED_KEYS = ("type", "payload", "meta", "error", "id")
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer JavaScript holds exactly (Number.MAX_SAFE_INTEGER): the
browser's reducer computes with the same numbers as the server's only within it."""
MAX_TYPE_LENGTH = 200
MAX_ID_LENGTH = 64


def check_event(event: Any, where: str = "event") -> Event:
    """Return a plain-dict copy of `event`, or raise InvalidEvent naming the problem."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(
            f"{where} must be a dict (a Flux Standard Action); instead it was {type(event).__name__}."
        )
    for key in event:
        if key not in ALLOWED_KEYS:
            raise InvalidEvent(
                f"{where} has the unexpected key {key!r}; a Flux Standard Action has only "
                f"{', '.join(ALLOWED_KEYS)} (seq and timestamp are set by the store)."
            )
    kind = event.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise InvalidEvent(f"{where}['type'] must be a non-empty string; instead it was {kind!r}.")
    if len(kind) > MAX_TYPE_LENGTH:
        raise InvalidEvent(f"{where}['type'] is longer than {MAX_TYPE_LENGTH} characters.")
    if "meta" in event and event["meta"] is not None and not isinstance(event["meta"], Mapping):
        raise InvalidEvent(
            f"{where}['meta'] must be a dict when given; instead it was "
            f"{type(event['meta']).__name__}."
        )
    if "error" in event and not isinstance(event["error"], bool):
        raise InvalidEvent(
            f"{where}['error'] must be true or false when given; instead it was {event['error']!r}."
        )
    if "id" in event:
        event_id = event["id"]
        if not isinstance(event_id, str) or not event_id or len(event_id) > MAX_ID_LENGTH:
            raise InvalidEvent(
                f"{where}['id'] must be a non-empty string of at most {MAX_ID_LENGTH} characters "
                f"(a uuid); instead it was {event_id!r}."
            )
    for key in ("payload", "meta"):
        if key in event:
            try:
                json.dumps(event[key], allow_nan=False)
            except (TypeError, ValueError) as error:
                raise InvalidEvent(
                    f"{where}[{key!r}] must be JSON data (dicts, lists, strings, numbers, "
                    f"booleans, None): {error}."
                ) from error
    for key in ("type", "id"):
        if isinstance(event.get(key), str) and not _is_unicode(event[key]):
            raise InvalidEvent(
                f"{where}[{key!r}] holds a lone surrogate, which is not Unicode text; "
                "send the string as UTF-8."
            )
    checked: Event = {"type": kind}
    for key in ("payload", "meta", "error", "id"):
        if key in event:
            checked[key] = event[key]
    for key in ("payload", "meta"):
        if key in checked:
            checked[key] = json_numbers(checked[key], f"{where}[{key!r}]")
    if isinstance(checked.get("meta"), Mapping):
        checked["meta"] = dict(checked["meta"])
    return checked


def json_numbers(value: Any, where: str) -> Any:
    """`value` with its numbers as JSON has them, so that CPython and the
    browser's reducer see the same ones: an integral float becomes an int
    (`2.0` is 2 in JavaScript) and an integer beyond ±(2**53 - 1) is refused
    (InvalidEvent naming where).  Returns `value` itself when nothing changes."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise InvalidEvent(
            f"{where} holds an integer of {len(str(abs(value)))} digits, beyond "
            f"±{MAX_SAFE_INTEGER} (2**53 - 1), the whole numbers JavaScript holds exactly."
        )
    if isinstance(value, float):
        return json_numbers(int(value), where) if value.is_integer() else value
    if isinstance(value, list):
        items = [json_numbers(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, Mapping):
        fixed = {key: json_numbers(item, f"{where}[{key!r}]") for key, item in value.items()}
        same = all(fixed[key] is item for key, item in value.items())
        return value if same and isinstance(value, dict) else fixed
    return value


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_events(event_or_list: Any) -> list[Event]:
    """One event or a list of them -> a list of checked copies; all are checked first."""
    if isinstance(event_or_list, list | tuple):
        if not event_or_list:
            raise InvalidEvent("dispatch needs an event or a non-empty list of events; got [].")
        return [check_event(e, f"event[{i}]") for i, e in enumerate(event_or_list)]
    return [check_event(event_or_list)]


def new_event_id() -> str:
    return str(uuid.uuid4())


def format_timestamp(moment: datetime) -> str:
    """UTC, ISO-8601 with milliseconds and Z: 2026-11-26T23:22:24.123Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_timestamp() -> str:
    return format_timestamp(datetime.now(UTC))
