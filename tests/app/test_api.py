"""The HTTP API end to end, against a real server on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support.flux_server import Server, added, content_edited, removed, spliced


async def test_healthz_answers_when_the_database_does(server: Server) -> None:
    response = await server.anonymous().http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"ok": True})


async def test_dispatch_returns_the_stored_event_and_the_note_appears(server: Server) -> None:
    ada = await server.client("ada")
    [stored] = await ada.ok(added("n1", "Hello"))
    assert (stored["seq"], stored["type"], stored["meta"]) == (1, "noteAdded", {"user": "ada"})
    notes = await ada.notes()
    assert notes["n1"]["title"] == "Hello"
    assert notes["n1"]["author"] == "ada"


async def test_a_list_is_one_dispatch_in_order(server: Server) -> None:
    ada = await server.client("ada")
    stored = await ada.ok([added("n1"), content_edited("n1", "second", base=1)])
    assert [e["seq"] for e in stored] == [1, 2]
    assert (await ada.notes())["n1"]["text"] == "second"


async def test_a_rejected_event_in_a_list_writes_nothing(server: Server) -> None:
    ada = await server.client("ada")
    response = await ada.dispatch([added("n1"), content_edited("missing", "x")])
    assert response.status_code == 409
    assert "missing" in response.json()["error"]
    assert await server.log() == []


async def test_meta_user_is_the_sessions_user_whatever_the_client_sends(server: Server) -> None:
    ada = await server.client("ada")
    event = {**added("n1"), "meta": {"user": "mallory", "role": "admin"}}
    [stored] = await ada.ok(event)
    assert stored["meta"] == {"user": "ada"}
    assert (await ada.notes())["n1"]["author"] == "ada"


async def test_resending_an_event_id_is_idempotent(server: Server) -> None:
    ada = await server.client("ada")
    event = added("n1")
    first = await ada.ok(event)
    again = await ada.ok(event)
    assert first == again
    assert len(await server.log()) == 1


async def test_notes_answer_carries_the_last_seq(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), added("n2")])
    response = await ada.http.get("/api/notes")
    assert response.json()["seq"] == 2
    assert [n["id"] for n in response.json()["notes"]] == ["n1", "n2"]


async def test_events_after_seq_in_order_with_limit(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added(f"n{i}") for i in range(5)])
    assert [e["seq"] for e in await ada.events(after=1, limit=2)] == [2, 3]
    assert [e["seq"] for e in await ada.events(after=3)] == [4, 5]


async def test_events_limit_is_capped(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added(f"n{i}") for i in range(3)])
    response = await ada.http.get("/api/events", params={"after": 0, "limit": 10**9})
    assert response.status_code == 200
    assert len(response.json()["events"]) == 3


@pytest.mark.parametrize("query", ["after=x", "after=-1", "limit=ten", f"after={10**30}"])
async def test_events_bad_query_is_400(server: Server, query: str) -> None:
    ada = await server.client("ada")
    response = await ada.http.get(f"/api/events?{query}")
    assert response.status_code == 400
    assert response.json()["detail"]["field"] in query


async def test_history_lists_every_event_of_the_note(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), added("n2"), content_edited("n1", "b"), removed("n1")])
    response = await ada.http.get("/api/notes/n1/history")
    assert [e["type"] for e in response.json()["events"]] == [
        "noteAdded",
        "noteContentEdited",
        "noteRemoved",
    ]
    texts = [note and note["text"] for note in response.json()["notes"]]
    assert texts == ["Some text", "b", None]


async def test_history_shows_the_text_after_each_burst_of_typing(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok(added("n1", text="Hello"))
    await ada.ok(spliced("n1", "text", 1, [[5, 0, " world"]]))
    await ada.ok(spliced("n1", "text", 1, [[0, 0, ">> "]]))  # made on version 1: transformed
    response = (await ada.http.get("/api/notes/n1/history")).json()
    assert [note["text"] for note in response["notes"]] == [
        "Hello",
        "Hello world",
        ">> Hello world",
    ]


async def test_history_of_a_conflict_copy_starts_with_the_edit_that_made_it(
    server: Server,
) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), content_edited("n1", "first", base=1)])
    [stale] = await ada.ok(content_edited("n1", "stale", base=1))
    copy_id = f"n1~{stale['id']}"
    assert (await ada.notes())[copy_id]["text"] == "stale"
    await ada.ok(content_edited(copy_id, "merged"))
    response = await ada.http.get(f"/api/notes/{copy_id}/history")
    assert [e["seq"] for e in response.json()["events"]] == [3, 4]
    assert [note["text"] for note in response.json()["notes"]] == ["stale", "merged"]


async def test_history_of_an_unknown_note_is_404(server: Server) -> None:
    ada = await server.client("ada")
    response = await ada.http.get("/api/notes/nope/history")
    assert response.status_code == 404
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/notes"), ("GET", "/api/events"), ("GET", "/api/notes/n1/history")],
)
async def test_reads_need_a_session(server: Server, method: str, path: str) -> None:
    response = await server.anonymous().http.request(method, path)
    assert response.status_code == 401
    assert "sign in" in response.json()["error"].lower()


async def test_dispatch_needs_a_session(server: Server) -> None:
    response = await server.anonymous().dispatch(added("n1"))
    assert response.status_code == 401
    assert await server.log() == []


async def test_unknown_api_path_is_a_json_404(server: Server) -> None:
    response = await server.anonymous().http.get("/api/nothing")
    assert response.status_code == 404
    assert "error" in response.json()
