"""The time machine over HTTP: /api/state?at=, the deleted notes and their restore,
with the same per-user visibility as every other read (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.flux_server import (
    Client,
    Server,
    added,
    content_edited,
    removed,
    restored,
    title_edited,
)


async def state(client: Client, at: int | str | None = None) -> dict[str, Any]:
    params = {} if at is None else {"at": at}
    response = await client.http.get("/api/state", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def deleted(client: Client) -> list[dict[str, Any]]:
    response = await client.http.get("/api/notes/deleted")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deleted"]
    return found


async def restore(client: Client, note_id: str, origin: str = "own") -> Any:
    headers = {"origin": client.server.origin if origin == "own" else origin}
    return await client.http.post(f"/api/notes/{note_id}/restore", headers=headers)


async def test_state_at_a_seq_is_the_notes_after_that_event(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", "First"), title_edited("n1", "Second"), removed("n1")])
    past = await state(ada, at=2)
    assert (past["seq"], [n["title"] for n in past["notes"]]) == (2, ["Second"])
    assert past["timestamp"].endswith("Z")
    assert (await state(ada, at=1))["notes"][0]["title"] == "First"


async def test_state_without_at_is_now_and_at_zero_is_empty(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), added("n2"), removed("n1")])
    now = await state(ada)
    assert (now["seq"], [n["id"] for n in now["notes"]]) == (3, ["n2"])
    assert await state(ada, at=0) == {"seq": 0, "timestamp": None, "notes": []}


async def test_state_never_shows_another_users_private_note(server: Server) -> None:
    ada, bob = await server.client("ada"), await server.client("bob")
    await ada.ok([added("secret", private=True), added("shared")])
    assert [n["id"] for n in (await state(bob, at=2))["notes"]] == ["shared"]
    assert [n["id"] for n in (await state(ada, at=2))["notes"]] == ["secret", "shared"]


async def test_state_past_the_end_is_a_400_naming_at(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok(added("n1"))
    response = await ada.http.get("/api/state", params={"at": 5})
    assert response.status_code == 400
    assert response.json()["detail"] == {"field": "at"}
    assert "between 0 and 1" in response.json()["error"]


@pytest.mark.parametrize("query", ["at=x", "at=-1", "at=", f"at={10**30}", "at=1.5"])
async def test_state_bad_at_is_400(server: Server, query: str) -> None:
    ada = await server.client("ada")
    response = await ada.http.get(f"/api/state?{query}")
    assert response.status_code == 400
    assert response.json()["detail"]["field"] == "at"


async def test_deleted_lists_removed_notes_with_their_last_content(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", "Plan"), content_edited("n1", "last words"), added("n2")])
    await ada.ok(removed("n1"))
    [entry] = await deleted(ada)
    assert (entry["row"]["id"], entry["row"]["text"]) == ("n1", "last words")
    assert (entry["event"]["type"], entry["event"]["meta"]) == ("noteRemoved", {"user": "ada"})
    assert entry["event"]["timestamp"] == (await server.log())[-1]["timestamp"]
    assert entry["restorable"] is True


async def test_deleted_never_lists_another_users_private_note(server: Server) -> None:
    ada, bob = await server.client("ada"), await server.client("bob")
    await ada.ok([added("secret", private=True), added("shared")])
    await ada.ok([removed("secret"), removed("shared")])
    assert [e["row"]["id"] for e in await deleted(bob)] == ["shared"]
    assert [e["row"]["id"] for e in await deleted(ada)] == ["secret", "shared"]


async def test_deleted_marks_what_the_user_may_restore(server: Server) -> None:
    ada, bob = await server.client("ada"), await server.client("bob")
    boss = await server.client("boss", "admin")
    await ada.ok([added("n1"), removed("n1")])
    assert [e["restorable"] for e in await deleted(bob)] == [False]
    assert [e["restorable"] for e in await deleted(boss)] == [True]


async def test_restorable_follows_who_added_the_note_not_who_restored_it(server: Server) -> None:
    ada, boss = await server.client("ada"), await server.client("boss", "admin")
    await ada.ok([added("n1"), removed("n1")])
    assert (await restore(boss, "n1")).status_code == 200
    await boss.ok(removed("n1"))
    assert [e["restorable"] for e in await deleted(ada)] == [True]
    assert (await restore(ada, "n1")).status_code == 200


async def test_a_restored_note_leaves_the_deleted_list(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), removed("n1")])
    await ada.ok(restored("n1"))
    assert await deleted(ada) == []


async def test_restore_brings_back_the_last_content_and_is_an_event(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", "Plan", "kept"), removed("n1")])
    response = await restore(ada, "n1")
    assert response.status_code == 200, response.text
    [event] = response.json()
    assert (event["type"], event["seq"], event["meta"]) == ("noteRestored", 3, {"user": "ada"})
    note = (await ada.notes())["n1"]
    assert (note["title"], note["text"], note["private"]) == ("Plan", "kept", False)


async def test_restore_keeps_a_private_note_private(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", private=True), removed("n1")])
    assert (await restore(ada, "n1")).status_code == 200
    assert (await ada.notes())["n1"]["private"] is True


async def test_a_restore_is_undone_by_removing_again(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), removed("n1")])
    assert (await restore(ada, "n1")).status_code == 200
    await ada.ok(removed("n1"))
    assert "n1" not in await ada.notes()
    assert [e["row"]["id"] for e in await deleted(ada)] == ["n1"]


async def test_an_editor_may_not_restore_another_users_note(server: Server) -> None:
    ada, bob = await server.client("ada"), await server.client("bob")
    await ada.ok([added("n1"), removed("n1")])
    response = await restore(bob, "n1")
    assert response.status_code == 403
    assert response.json()["detail"]["rule"] == "noteRestored.ownOrAdmin"
    assert len(await server.log()) == 2


async def test_an_admin_restores_a_shared_note(server: Server) -> None:
    ada, boss = await server.client("ada"), await server.client("boss", "admin")
    await ada.ok([added("n1", "Team"), removed("n1")])
    assert (await restore(boss, "n1")).status_code == 200
    assert (await ada.notes())["n1"]["title"] == "Team"


async def test_a_restore_that_cannot_be_done_answers_the_same_whatever_the_reason(
    server: Server,
) -> None:
    """Another user's private note, a note that is not deleted and a note that
    never existed get one answer: nothing tells whether someone's note exists."""
    ada, bob = await server.client("ada"), await server.client("bob")
    await ada.ok([added("secret", private=True), removed("secret"), added("live")])
    answers = []
    for note_id in ("secret", "live", "never"):
        response = await restore(bob, note_id)
        answers.append((response.status_code, response.json()["error"].replace(note_id, "X")))
    assert answers == [(409, "There is no deleted note X to restore.")] * 3
    assert len(await server.log()) == 3


async def test_restore_needs_an_own_origin(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1"), removed("n1")])
    response = await restore(ada, "n1", origin="https://evil.example")
    assert response.status_code == 403
    assert len(await server.log()) == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/state"), ("GET", "/api/notes/deleted"), ("POST", "/api/notes/n1/restore")],
)
async def test_time_machine_needs_a_session(server: Server, method: str, path: str) -> None:
    response = await server.anonymous().http.request(method, path)
    assert response.status_code == 401
