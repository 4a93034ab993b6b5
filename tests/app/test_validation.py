"""Bad input: each malformed body gets its status, names the problem, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.app.validation import Invalid, validate_event, validate_events
from server.store import InvalidEvent
from tests.support.flux_server import Server, added, running_server


def note(**payload: Any) -> dict[str, Any]:
    base = {"id": "n1", "title": "T", "text": "x"}
    base.update(payload)
    return {"type": "noteAdded", "payload": {k: v for k, v in base.items() if v is not ...}}


def spliced(**payload: Any) -> dict[str, Any]:
    base = {"id": "n1", "field": "text", "baseVersion": 1, "splices": [[0, 0, "a"]]}
    base.update(payload)
    return {"type": "noteSpliced", "payload": {k: v for k, v in base.items() if v is not ...}}


BAD_BODIES: list[tuple[str, Any, int, str | None]] = [
    # (case, body (bytes are sent as they are), status, the field named in detail)
    ("not json", b"{", 400, None),
    ("not utf-8", b"\xff\xfe", 400, None),
    ("a string", "just text", 400, None),
    ("a number", 42, 400, None),
    ("an empty list", [], 422, "body"),
    ("no type", {"payload": {}}, 400, None),
    ("type not a string", {"type": 7, "payload": {}}, 400, None),
    ("unknown type", {"type": "noteExploded", "payload": {"id": "n1"}}, 422, "type"),
    ("seq from the client", {**note(), "seq": 5}, 400, None),
    ("meta not an object", {**note(), "meta": "ada"}, 400, None),
    ("event id a number", {**note(), "id": 5}, 400, None),
    ("event id too long", {**note(), "id": "x" * 65}, 400, None),
    ("event id with a space", {**note(), "id": "a b"}, 422, "id"),
    ("note id with a NUL", note(id="a\x00b"), 422, "payload.id"),
    ("note id with a slash", note(id="a/b"), 422, "payload.id"),
    ("title with a NUL", note(title="a\x00b"), 422, "payload.title"),
    (
        "text with a lone surrogate",
        b'{"type":"noteAdded","payload":{"id":"n1","title":"t","text":"\\ud800"}}',
        422,
        "payload.text",
    ),
    ("error event", {**note(), "error": True}, 422, "error"),
    ("no payload", {"type": "noteAdded"}, 422, "payload"),
    ("payload a list", {"type": "noteAdded", "payload": ["n1"]}, 422, "payload"),
    ("missing title", note(title=...), 422, "payload.title"),
    ("title a number", note(title=1), 422, "payload.title"),
    ("title null", note(title=None), 422, "payload.title"),
    ("title too long", note(title="t" * 201), 422, "payload.title"),
    ("text too long", note(text="x" * 100_001), 422, "payload.text"),
    ("private a string", note(private="yes"), 422, "payload.private"),
    ("note id a number", note(id=12), 422, "payload.id"),
    ("note id empty", note(id=""), 422, "payload.id"),
    ("note id with ~", note(id="a~b"), 422, "payload.id"),
    ("note id too long", note(id="n" * 51), 422, "payload.id"),
    ("unknown payload field", note(colour="red"), 422, "payload.colour"),
    (
        "baseVersion a string",
        {"type": "noteContentEdited", "payload": {"id": "n1", "text": "x", "baseVersion": "1"}},
        422,
        "payload.baseVersion",
    ),
    (
        "baseVersion a boolean",
        {"type": "noteContentEdited", "payload": {"id": "n1", "text": "x", "baseVersion": True}},
        422,
        "payload.baseVersion",
    ),
    ("splices not a list", spliced(splices="x"), 422, "payload.splices"),
    ("splice not a triple", spliced(splices=[[0, 0]]), 422, "payload.splices[0]"),
    ("splice at a string", spliced(splices=[["0", 0, "a"]]), 422, "payload.splices[0][0]"),
    ("splice count negative", spliced(splices=[[0, -1, "a"]]), 422, "payload.splices[0][1]"),
    ("splice text a number", spliced(splices=[[0, 0, 5]]), 422, "payload.splices[0][2]"),
    ("splice text with a NUL", spliced(splices=[[0, 0, "a\x00"]]), 422, "payload.splices[0][2]"),
    ("too many splices", spliced(splices=[[0, 0, "a"]] * 501), 422, "payload.splices"),
    ("splice field unknown", spliced(field="author"), 422, "payload.field"),
    ("splice without baseVersion", spliced(baseVersion=...), 422, "payload.baseVersion"),
    ("second event bad", [note(), note(id="n2", text=5)], 422, "event[1].payload.text"),
    ("too many events", [note(id=f"n{i}") for i in range(501)], 422, "body"),
    ("nested too deep", b"[" * 100_000 + b"]" * 100_000, 400, None),
    ("NaN", b'{"type":"noteAdded","payload":{"id":"n1","title":NaN,"text":"x"}}', 400, None),
    ("body over 256 KiB", note(text="x" * (256 * 1024)), 413, None),
]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [pytest.param(body, status, field, id=case) for case, body, status, field in BAD_BODIES],
)
async def test_bad_body(sqlite_server: Server, body: Any, status: int, field: str | None) -> None:
    ada = await sqlite_server.client("ada")
    response = await ada.dispatch(body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert isinstance(answer["error"], str) and answer["error"]
    if field is not None:
        assert answer["detail"]["field"] == field
    assert await sqlite_server.log() == []


@pytest.mark.parametrize(
    ("origin", "case"),
    [(None, "missing"), ("http://evil.example", "foreign"), ("null", "opaque")],
)
async def test_dispatch_without_our_origin_is_403(
    sqlite_server: Server, origin: str | None, case: str
) -> None:
    ada = await sqlite_server.client("ada")
    response = await ada.dispatch(added("n1"), origin=origin)
    assert response.status_code == 403, case
    assert "Origin" in response.json()["error"]
    assert await sqlite_server.log() == []


async def test_an_allowed_extra_origin_may_dispatch(sqlite_url: str) -> None:
    async with running_server(sqlite_url, allowed_origins=("https://notes.example",)) as server:
        ada = await server.client("ada")
        response = await ada.dispatch(added("n1"), origin="https://notes.example")
        assert response.status_code == 200


async def test_a_forged_meta_user_is_overwritten_not_refused(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    [stored] = await ada.ok({**added("n1"), "meta": {"user": "bob"}})
    assert stored["meta"] == {"user": "ada"}
    [logged] = await sqlite_server.log()
    assert logged["meta"] == {"user": "ada"}


async def test_largest_allowed_fields_are_accepted(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    await ada.ok(note(id="n" * 50, title="t" * 200, text="x" * 100_000))
    assert len(await sqlite_server.log()) == 1


# -- the validator on its own ----------------------------------------------------


def test_validate_event_replaces_meta_and_keeps_the_payload() -> None:
    event = validate_event({**note(), "meta": {"user": "eve", "x": 1}}, "ada")
    assert event["meta"] == {"user": "ada"}
    assert event["payload"] == {"id": "n1", "title": "T", "text": "x"}


def test_validate_event_names_the_field_and_the_problem() -> None:
    with pytest.raises(Invalid) as caught:
        validate_event(note(title="t" * 201), "ada")
    assert caught.value.field == "payload.title"
    assert "201" in caught.value.problem and "200" in caught.value.problem


def test_validate_events_rejects_a_non_event() -> None:
    with pytest.raises(InvalidEvent):
        validate_events("noteAdded", "ada", 10)


def test_bad_bodies_are_json_serialisable() -> None:
    for _case, body, _status, _field in BAD_BODIES:
        if not isinstance(body, bytes):
            json.dumps(body)


NUMBER_BODIES: list[tuple[str, bytes, str]] = [
    (
        "a 400-digit baseVersion",
        b'{"type":"noteContentEdited","payload":{"id":"n1","text":"x","baseVersion":'
        + b"9" * 400
        + b"}}",
        "payload.baseVersion",
    ),
    (
        "2**53 as a splice position",
        b'{"type":"noteSpliced","payload":{"id":"n1","field":"text","baseVersion":1,'
        b'"splices":[[9007199254740992,0,"a"]]}}',
        "payload.splices[0][0]",
    ),
    (
        "a lone surrogate in a payload key",
        b'{"type":"noteAdded","payload":{"id":"n1","title":"t","text":"x","\\ud800":1}}',
        "payload.'\\ud800'",
    ),
]


@pytest.mark.parametrize(
    ("body", "field"), [pytest.param(body, field, id=case) for case, body, field in NUMBER_BODIES]
)
async def test_numbers_beyond_javascripts_and_keys_that_are_not_text_are_422(
    sqlite_server: Server, body: bytes, field: str
) -> None:
    ada = await sqlite_server.client("ada")
    response = await ada.dispatch(body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["field"] == field
    assert await sqlite_server.log() == []


async def test_an_integral_float_is_the_int_javascript_sees(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    await ada.ok(added("n1", text="abc"))
    body = (
        b'{"type":"noteSpliced","payload":{"id":"n1","field":"text","baseVersion":1.0,'
        b'"splices":[[3.0,0,"d"]]}}'
    )
    [stored] = (await ada.dispatch(body)).json()
    assert stored["payload"]["splices"] == [[3, 0, "d"]]
    assert isinstance(stored["payload"]["baseVersion"], int)
    assert (await ada.notes())["n1"]["text"] == "abcd"


async def test_events_after_the_last_seq_is_a_clear_400(sqlite_server: Server) -> None:
    ada = await sqlite_server.client("ada")
    await ada.ok(added("n1"))
    response = await ada.http.get("/api/events?after=5")
    assert response.status_code == 400
    assert response.json()["detail"] == {"field": "after", "last": 1}
    assert (await ada.http.get("/api/events?after=1")).json()["events"] == []
