"""One declaration, two checks: the server's validation (server/app/validation.py,
422 naming the field) and the reducers' checked_payload (shared_reducers/schemas.py)
read the same SCHEMAS and KINDS, so they accept and refuse the same payloads for
what the declaration says (presence, type, bound, storable text, choices, sign).
The server alone also refuses unknown fields, ids that are not uuid-like and a new
note's id with the conflict-copy separator."""

from __future__ import annotations

from typing import Any

import pytest

from server.app.validation import Invalid, check_payload
from shared_reducers.errors import EventRejected
from shared_reducers.limits import MAX_NEW_NOTE_ID, MAX_NOTE_ID, MAX_SPLICES, MAX_TEXT, MAX_TITLE
from shared_reducers.schemas import SCHEMAS, checked_payload

VALID: dict[str, dict[str, Any]] = {
    "noteAdded": {"id": "n1", "title": "T", "text": "x", "private": True},
    "noteTitleEdited": {"id": "n1", "title": "T", "baseVersion": 1},
    "noteContentEdited": {"id": "n1", "text": "x"},
    "noteSpliced": {"id": "n1", "field": "text", "baseVersion": 0, "splices": [[0, 0, "a"]]},
    "noteRemoved": {"id": "n1"},
    "noteRestored": {"id": "n1", "title": "T", "text": "x"},
    "notePrivacyChanged": {"id": "n1", "private": False},
}

LEFT_OUT = object()

CHANGES: list[tuple[str, str, Any]] = [
    # (event type, field, value or LEFT_OUT)
    ("noteAdded", "id", LEFT_OUT),
    ("noteAdded", "id", 7),
    ("noteAdded", "id", ""),
    ("noteAdded", "id", "n" * MAX_NEW_NOTE_ID),
    ("noteAdded", "id", "n" * (MAX_NEW_NOTE_ID + 1)),
    ("noteAdded", "title", "t" * MAX_TITLE),
    ("noteAdded", "title", "😀" * (MAX_TITLE + 1)),
    ("noteAdded", "title", ["t"]),
    ("noteAdded", "text", "x" * (MAX_TEXT + 1)),
    ("noteAdded", "text", "a\x00b"),
    ("noteAdded", "text", "\ud800"),
    ("noteAdded", "private", "yes"),
    ("noteAdded", "private", None),
    ("noteAdded", "private", LEFT_OUT),
    ("noteTitleEdited", "baseVersion", None),
    ("noteTitleEdited", "baseVersion", LEFT_OUT),
    ("noteTitleEdited", "baseVersion", "1"),
    ("noteTitleEdited", "baseVersion", -1),
    ("noteTitleEdited", "baseVersion", True),
    ("noteTitleEdited", "baseVersion", 1.5),
    ("noteContentEdited", "id", "n" * (MAX_NOTE_ID + 1)),
    ("noteContentEdited", "id", "n" * MAX_NOTE_ID),
    ("noteSpliced", "field", "body"),
    ("noteSpliced", "field", "title"),
    ("noteSpliced", "baseVersion", LEFT_OUT),
    ("noteSpliced", "splices", "abc"),
    ("noteSpliced", "splices", [[0, 0, "a"]] * (MAX_SPLICES + 1)),
    ("noteRemoved", "id", LEFT_OUT),
    ("notePrivacyChanged", "private", 1),
    ("notePrivacyChanged", "private", None),
    ("notePrivacyChanged", "private", LEFT_OUT),
]


def server_refuses(kind: str, payload: Any) -> str | None:
    try:
        check_payload(kind, payload)
    except Invalid as error:
        return error.field
    return None


def reducer_refuses(kind: str, payload: Any) -> str | None:
    try:
        checked_payload({"type": kind, "payload": payload})
    except EventRejected as error:
        return error.reason
    return None


def test_every_event_type_has_a_valid_example() -> None:
    assert sorted(VALID) == sorted(SCHEMAS)
    for kind, payload in VALID.items():
        assert server_refuses(kind, payload) is None
        assert checked_payload({"type": kind, "payload": payload}) is payload


@pytest.mark.parametrize(("kind", "field", "value"), CHANGES)
def test_both_checks_refuse_the_same_payloads_and_name_the_field(
    kind: str, field: str, value: Any
) -> None:
    payload = {**VALID[kind], field: value}
    if value is LEFT_OUT:
        del payload[field]
    where = server_refuses(kind, payload)
    reason = reducer_refuses(kind, payload)
    assert (where is None) == (reason is None), (where, reason)
    if where is not None and reason is not None:
        assert where == f"payload.{field}"
        assert reason.startswith(kind) and f"'{field}'" in reason


def test_a_payload_that_is_not_an_object_is_refused_by_both() -> None:
    assert server_refuses("noteRemoved", ["n1"]) == "payload"
    assert (
        reducer_refuses("noteRemoved", ["n1"]) == "noteRemoved needs a payload object; got a list."
    )
