"""Validation per event type, before anything reaches the store.

`validate_event(raw, user)` checks the Flux Standard Action shape
(`server.events.check_event`, InvalidEvent -> 400), then the payload against
the event type's schema (`Invalid` -> 422, naming the field), and returns
the event to dispatch with `meta` replaced by `{"user": <session user>}`:
whatever the client sent in `meta` is dropped, so `meta.user` cannot be forged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from server.store import Event, check_event
from shared_reducers.conflicts import COPY_SEPARATOR
from shared_reducers.schemas import FIELDS, KINDS
from shared_reducers.schemas import SCHEMAS as SHARED_SCHEMAS

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer both engines hold exactly (JavaScript's Number.MAX_SAFE_INTEGER)."""


ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:~-]+$")
EVENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class Invalid(ValueError):
    """The payload does not fit its event type's schema; `field` names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Field:
    kind: type
    required: bool = True
    max_length: int | None = None
    new_note_id: bool = False
    choices: tuple[str, ...] = ()
    splices: bool = False


VALUE_TYPES: dict[str, type] = {"string": str, "bool": bool, "int": int, "list": list}


def _field(kind: Any, required: Any) -> Field:
    """The Field of a kind of shared_reducers/schemas.py (untyped, portable data)."""
    value_type, most = cast(tuple[str, int], KINDS[str(kind)])
    return Field(
        VALUE_TYPES[str(value_type)],
        required=bool(required),
        max_length=most or None,
        new_note_id=kind == "newNoteId",
        choices=tuple(FIELDS) if kind == "field" else (),
        splices=kind == "splices",
    )


SCHEMAS: dict[str, dict[str, Field]] = {
    event_type: {name: _field(kind, required) for name, (kind, required) in fields.items()}
    for event_type, fields in SHARED_SCHEMAS.items()
}
"""event type -> payload field -> Field, from shared_reducers/schemas.py."""

TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", list: "a list"}


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_field(where: str, value: Any, spec: Field) -> None:
    if spec.kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, spec.kind)
    if not ok:
        raise Invalid(
            where, f"must be {TYPE_NAMES[spec.kind]}; got {type(value).__name__} {value!r:.60}."
        )
    if isinstance(value, str):
        if spec.max_length is not None and len(value) > spec.max_length:
            raise Invalid(
                where,
                f"is {len(value)} characters long; at most {spec.max_length} are allowed.",
            )
        if where.endswith(".id") and not ID_PATTERN.match(value):
            raise Invalid(where, "must be letters, digits, '.', '_', ':' or '-' (a uuid is fine).")
        if "\x00" in value or not _encodable(value):
            raise Invalid(where, "must be text without NUL characters or lone surrogates.")
        if spec.new_note_id and COPY_SEPARATOR in value:
            raise Invalid(where, f"must not contain {COPY_SEPARATOR!r} (it marks conflict copies).")
        if spec.choices and value not in spec.choices:
            raise Invalid(where, f"must be one of {', '.join(spec.choices)}; got {value!r:.60}.")
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise Invalid(where, f"must not be negative; got {value}.")
    if isinstance(value, list):
        if spec.max_length is not None and len(value) > spec.max_length:
            raise Invalid(where, f"has {len(value)} items; at most {spec.max_length} are allowed.")
        if spec.splices:
            _check_splices(where, value)


def _check_splices(where: str, splices: list[Any]) -> None:
    """Each splice is [at, removeCount, insertText]; whether they fit the note's
    text is the reducer's to say (it knows the text)."""
    for i, splice in enumerate(splices):
        at = f"{where}[{i}]"
        if not isinstance(splice, list) or len(splice) != 3:
            raise Invalid(at, f"must be [at, removeCount, insertText]; got {splice!r:.60}.")
        _check_field(f"{at}[0]", splice[0], Field(int))
        _check_field(f"{at}[1]", splice[1], Field(int))
        _check_field(f"{at}[2]", splice[2], _field("text", True))


def check_payload(kind: str, payload: Any, prefix: str = "") -> None:
    """Check `payload` against the schema of `kind`; fields are named `<prefix>payload.<name>`."""
    where = f"{prefix}payload"
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise Invalid(
            f"{prefix}type",
            f"unknown event type {kind!r}; the known types are {', '.join(SCHEMAS)}.",
        )
    if not isinstance(payload, Mapping):
        raise Invalid(where, f"must be an object; got {type(payload).__name__}.")
    for name in payload:
        if name not in schema:
            raise Invalid(
                f"{where}.{name}",
                f"is not a field of {kind}; its fields are {', '.join(schema)}.",
            )
    for name, spec in schema.items():
        if name not in payload:
            if spec.required:
                raise Invalid(f"{where}.{name}", f"is required for {kind}.")
            continue
        _check_field(f"{where}.{name}", payload[name], spec)


def as_json_numbers(value: Any, where: str) -> Any:
    """`value` with its numbers as both engines see them: an integral float
    becomes an int (JSON has one kind of number; `2.0` is 2 in JavaScript), an
    integer beyond JavaScript's safe range is refused (the browser's reducer
    would compute with another number), as is a key that is not valid text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise Invalid(
                where,
                f"must be within ±{MAX_SAFE_INTEGER} (2**53 - 1), the whole numbers JavaScript "
                f"holds exactly; got a number of {len(str(abs(value)))} digits.",
            )
        return value
    if isinstance(value, float):
        if value.is_integer():
            return as_json_numbers(int(value), where)
        return value
    if isinstance(value, list):
        return [as_json_numbers(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            inside = f"{where}.{key}" if where else key
            if not _encodable(key) or "\x00" in key:
                raise Invalid(
                    f"{where}.{key!a}" if where else ascii(key),
                    "must be text: a key holds a NUL or a lone surrogate.",
                )
            out[key] = as_json_numbers(item, inside)
        return out
    return value


def validate_event(raw: Any, user: str, where: str = "event") -> Event:
    """The event to dispatch, or InvalidEvent (shape, 400) / Invalid (payload, 422)."""
    prefix = "" if where == "event" else f"{where}."
    if not isinstance(raw, dict):
        check_event(raw, where)  # InvalidEvent: not an event at all
    event = as_json_numbers(
        raw, prefix.rstrip(".")
    )  # before the store's check: 422 naming the field
    check_event(event, where)
    if "id" in event and not EVENT_ID_PATTERN.match(event["id"]):
        raise Invalid(
            f"{prefix}id", "must be 1 to 64 letters, digits, '.', '_', ':' or '-' (a uuid)."
        )
    if event.get("error"):
        raise Invalid(f"{prefix}error", "clients may not dispatch error events; leave it out.")
    check_payload(event["type"], event.get("payload"), prefix)
    event.pop("error", None)
    event["meta"] = {"user": user}
    return event


def validate_events(raw: Any, user: str, max_events: int) -> list[Event]:
    """One event or a non-empty list of at most `max_events`, each validated."""
    if isinstance(raw, list):
        if not raw:
            raise Invalid("body", "needs an event or a non-empty list of events; got [].")
        if len(raw) > max_events:
            raise Invalid(
                "body", f"has {len(raw)} events; at most {max_events} per request are allowed."
            )
        return [validate_event(e, user, f"event[{i}]") for i, e in enumerate(raw)]
    return [validate_event(raw, user)]
