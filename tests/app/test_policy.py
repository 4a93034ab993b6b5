"""The policy matrix: each role x each event type x own / other / private note,
for dispatch (through the API) and for visibility (REST and websocket)."""

from __future__ import annotations

from typing import Any

import pytest

from server.app.notefacts import NoteFacts
from server.app.policy import POLICY, can_see
from server.app.users import User
from tests.support.flux_server import (
    Client,
    Server,
    added,
    content_edited,
    events_until_marker,
    receive,
    removed,
    restored,
    spliced,
    title_edited,
)

ACTORS = {"editor": "ada", "admin": "root", "viewer": "val"}
KINDS = ("own", "own-private", "other", "other-private")
CHANGES = ("noteTitleEdited", "noteContentEdited", "noteSpliced", "noteRemoved", "noteRestored")


def expected(role: str, kind: str, kind_of_event: str) -> int:
    if role == "viewer":
        return 403
    if kind == "other-private":
        return 409  # the answer a note that does not exist gets: no existence oracle
    if kind_of_event in ("noteRemoved", "noteRestored") and kind == "other":
        return 200 if role == "admin" else 403
    return 200


def event_for(kind_of_event: str, note: str, private: bool) -> dict[str, Any]:
    if kind_of_event == "noteTitleEdited":
        return title_edited(note)
    if kind_of_event == "noteContentEdited":
        return content_edited(note)
    if kind_of_event == "noteSpliced":
        return spliced(note, "text", 1, [[0, 0, "Hi "]])
    if kind_of_event == "noteRemoved":
        return removed(note)
    return restored(note, private)


async def cast(server: Server, role: str) -> tuple[Client, Client]:
    """The actor with `role` and bob, an editor who writes the "other" notes."""
    bob = await server.client("bob", "editor")
    if role == "viewer":
        # a viewer owns nothing; "own" notes were written while val was an editor
        actor = await server.client("val", "editor")
    else:
        actor = await server.client(ACTORS[role], role)
    return actor, bob


async def set_role(server: Server, name: str, role: str) -> None:
    from sqlalchemy import update

    from server.app.users import users_table

    async with server.flux.database.engine.begin() as conn:
        await conn.execute(update(users_table).where(users_table.c.name == name).values(role=role))


def test_every_event_type_has_a_rule() -> None:
    assert sorted(POLICY) == sorted(["noteAdded", *CHANGES, "notePrivacyChanged"])


@pytest.mark.parametrize("role", list(ACTORS))
@pytest.mark.parametrize("kind_of_event", CHANGES)
async def test_dispatch_matrix(server: Server, role: str, kind_of_event: str) -> None:
    """`role` dispatches `kind_of_event` on an own, own private, other's shared and
    other's private note; the statuses match the table and a denial writes nothing."""
    actor, bob = await cast(server, role)
    for kind in KINDS:
        author = actor if kind.startswith("own") else bob
        await author.ok(added(kind, private=kind.endswith("private")))
        if kind_of_event == "noteRestored":
            await author.ok(removed(kind))
    if role == "viewer":
        await set_role(server, "val", "viewer")
    statuses, wanted = {}, {}
    for kind in KINDS:
        before = await server.log()
        response = await actor.dispatch(event_for(kind_of_event, kind, kind.endswith("private")))
        statuses[kind] = response.status_code
        wanted[kind] = expected(role, kind, kind_of_event)
        if response.status_code == 403:
            assert response.json()["detail"]["rule"]
            assert await server.log() == before
        elif response.status_code == 200:
            assert response.json()[0]["meta"] == {"user": ACTORS[role]}
    assert statuses == wanted


@pytest.mark.parametrize(("role", "status"), [("editor", 200), ("admin", 200), ("viewer", 403)])
async def test_adding_a_note(server: Server, role: str, status: int) -> None:
    actor = await server.client(ACTORS[role], role)
    response = await actor.dispatch(added("n1"))
    assert response.status_code == status
    assert len(await server.log()) == (1 if status == 200 else 0)


async def test_viewer_denial_names_the_rule(server: Server) -> None:
    val = await server.client("val", "viewer")
    response = await val.dispatch(added("n1"))
    assert response.json()["detail"] == {"rule": "viewers.readOnly"}
    assert "Viewers" in response.json()["error"]


async def test_a_private_notes_id_cannot_be_reused_by_another_user(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("n1", private=True), removed("n1")])
    response = await ada.dispatch(added("n1"))
    assert response.status_code == 409
    assert "used before" in response.json()["error"]


async def test_a_restore_keeps_the_notes_privacy(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", private=True), removed("n1")])
    response = await ada.dispatch(restored("n1", private=False))
    assert response.status_code == 409
    assert "keeps the note's privacy" in response.json()["error"]


async def test_restoring_a_note_that_never_existed_is_409(server: Server) -> None:
    ada = await server.client("ada")
    response = await ada.dispatch(restored("ghost"))
    assert response.status_code == 409


async def test_a_batch_is_checked_against_its_own_earlier_events(server: Server) -> None:
    ada = await server.client("ada")
    stored = await ada.ok([added("n1", private=True), content_edited("n1"), removed("n1")])
    assert [e["seq"] for e in stored] == [1, 2, 3]


async def test_a_denied_event_in_a_batch_writes_nothing(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok(added("b1"))
    response = await ada.dispatch([added("n1"), removed("b1")])
    assert response.status_code == 403
    assert len(await server.log()) == 1


async def test_an_editor_may_remove_a_conflict_copy_they_made_on_a_shared_note(
    server: Server,
) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("n1"), content_edited("n1", "v2", base=1)])
    [stale] = await ada.ok(content_edited("n1", "mine", base=1))
    copy_id = f"n1~{stale['id']}"
    assert (await ada.dispatch(removed(copy_id))).status_code == 200
    assert (await ada.dispatch(restored(copy_id))).status_code == 200


async def test_a_deleted_user_may_no_longer_dispatch(server: Server) -> None:
    from sqlalchemy import delete

    from server.app.users import users_table

    ada = await server.client("ada")
    async with server.flux.database.engine.begin() as conn:
        await conn.execute(delete(users_table).where(users_table.c.name == "ada"))
    assert (await ada.dispatch(added("n1"))).status_code == 401


async def test_a_batch_reads_its_users_role_once_and_a_new_role_applies_next_time(
    server: Server,
) -> None:
    from sqlalchemy import event, update

    from server.app.users import users_table

    ada = await server.client("ada")
    database = server.flux.database
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "flux_users" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    engines = {database.engine.sync_engine, database.writer_engine or database.engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        await ada.ok([added("n1"), added("n2"), content_edited("n1", "again")])
        roles = [s for s in reads if "JOIN" not in s.upper()]  # the session read joins
        assert len(roles) == 1, roles
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    async with database.engine.begin() as conn:
        await conn.execute(
            update(users_table).where(users_table.c.name == "ada").values(role="viewer")
        )
    assert (await ada.dispatch(added("n3"))).status_code == 403


# -- visibility ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "author", "private", "visible"),
    [
        ("ada", "ada", True, True),
        ("ada", "bob", True, False),
        ("ada", "bob", False, True),
    ],
)
def test_can_see(user: str, author: str, private: bool, visible: bool) -> None:
    assert can_see(User(user, "editor"), NoteFacts(author, private)) is visible


async def bobs_notes(bob: Client) -> None:
    await bob.ok([added("shared"), added("secret", private=True)])
    await bob.ok([content_edited("secret", "more", base=1), content_edited("shared", "x")])


@pytest.mark.parametrize("role", list(ACTORS))
async def test_others_private_notes_are_invisible_over_rest(server: Server, role: str) -> None:
    actor, bob = await cast(server, role)
    await bobs_notes(bob)
    assert sorted(await actor.notes()) == ["shared"]
    assert [e["payload"]["id"] for e in await actor.events()] == ["shared", "shared"]
    assert (await actor.http.get("/api/notes/secret/history")).status_code == 404
    assert (await actor.http.get("/api/notes/shared/history")).status_code == 200


async def test_the_author_sees_their_private_notes_everywhere(server: Server) -> None:
    _, bob = await cast(server, "editor")
    await bobs_notes(bob)
    assert sorted(await bob.notes()) == ["secret", "shared"]
    assert len(await bob.events()) == 4
    history = await bob.http.get("/api/notes/secret/history")
    assert [e["seq"] for e in history.json()["events"]] == [2, 3]


@pytest.mark.parametrize("role", list(ACTORS))
async def test_others_private_notes_are_invisible_over_the_websocket(
    server: Server, role: str
) -> None:
    actor, bob = await cast(server, role)
    await bob.ok(added("old-secret", private=True))
    async with actor.websocket(after=0) as ws:
        assert (await receive(ws))["type"] == "hello"
        await bobs_notes(bob)
        seen = [e["payload"]["id"] for e in await events_until_marker(ws, bob)]
    assert seen == ["shared", "shared"]


async def test_a_private_conflict_copy_is_invisible_to_others(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("s", private=True), content_edited("s", "v2", base=1)])
    [stale] = await bob.ok(content_edited("s", "old", base=1))
    copy_id = f"s~{stale['id']}"
    await bob.ok(content_edited(copy_id, "merged"))
    assert copy_id in await bob.notes()
    assert await ada.notes() == {}
    assert await ada.events() == []
    assert (await ada.http.get(f"/api/notes/{copy_id}/history")).status_code == 404


async def test_history_of_a_conflict_copy_of_a_private_note_is_as_missing(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("s", private=True), content_edited("s", "one")])
    [stale] = await bob.ok({**content_edited("s", "two", base=1), "id": "e-stale"})
    copy = f"s~{stale['id']}"
    assert copy in await bob.notes()
    for note_id in (copy, "s~e-never", "s"):
        response = await ada.http.get(f"/api/notes/{note_id}/history")
        assert response.status_code == 404
        assert response.json()["error"] == f"There is no note {note_id} you may see."
    assert (await bob.http.get(f"/api/notes/{copy}/history")).status_code == 200


async def test_reusing_another_users_event_id_is_409_and_reveals_nothing(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    [first] = await bob.ok({**added("secret", private=True), "id": "shared-id"})
    response = await ada.dispatch({**added("mine"), "id": "shared-id"})
    assert response.status_code == 409
    assert "secret" not in response.text and "bob" not in response.text
    assert "already used" in response.json()["error"]
    assert "mine" not in await ada.notes()
    again = await bob.dispatch({**added("secret", private=True), "id": "shared-id"})
    assert again.status_code == 200 and again.json() == [first]


async def test_events_of_others_private_notes_are_skipped_by_the_database(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added(f"p{i}", private=True) for i in range(40)])
    await bob.ok(added("shared"))
    answer = (await ada.http.get("/api/events?after=0&limit=5")).json()
    assert [e["payload"]["id"] for e in answer["events"]] == ["shared"]
    assert answer["scanned"] == 41
    mine = (await bob.http.get("/api/events?after=0&limit=5")).json()
    assert [e["seq"] for e in mine["events"]] == [1, 2, 3, 4, 5] and mine["scanned"] == 5


async def test_a_conflict_copy_id_cannot_be_restored_into_someone_elses_stream(
    server: Server,
) -> None:
    """bob used to restore 'diary~<his event id>': a private row of his that showed
    up in ada's stream and that she could not remove.  Only notes that existed
    can be restored, and ids with '~' are made only by the reducer."""
    ada, bob = await cast(server, "editor")
    await ada.ok(added("diary"))
    [mine] = await bob.ok(added("bobs"))
    for note_id in (f"diary~{mine['id']}", f"bobs~{mine['id']}"):
        response = await bob.dispatch(restored(note_id, True))
        assert response.status_code == 409
        assert response.json()["error"] == f"There is no deleted note {note_id} to restore."
        response = await bob.dispatch(added(note_id, private=True))
        assert response.status_code == 422
    assert sorted(await ada.notes()) == ["bobs", "diary"]
    assert len(await server.log()) == 2


def privacy(id: str, private: bool) -> dict:
    return {"type": "notePrivacyChanged", "payload": {"id": id, "private": private}}


async def found(client: Client, word: str) -> list[str]:
    response = await client.http.get("/api/notes", params={"q": word})
    assert response.status_code == 200, response.text
    return [note["id"] for note in response.json()["notes"]]


async def test_only_the_author_makes_a_note_private_or_shared(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    root = await server.client("root", "admin")
    val = await server.client("val", "viewer")
    await bob.ok(added("n1"))
    for other, rule in ((ada, "notePrivacyChanged.authorOnly"), (root, None), (val, None)):
        response = await other.dispatch(privacy("n1", True))
        assert response.status_code == 403
        if rule is not None:
            assert response.json()["detail"] == {"rule": rule}
    response = await bob.dispatch({"type": "notePrivacyChanged", "payload": {"id": "n1"}})
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "payload.private"
    [changed] = await bob.ok(privacy("n1", True))
    assert changed["payload"] == {"id": "n1", "private": True}
    assert (await bob.notes())["n1"]["private"] is True


async def test_a_note_made_private_disappears_for_others_everywhere(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("n1", title="Quarterly plans"), content_edited("n1", "draft")])
    assert await found(ada, "quarterly") == ["n1"]
    async with ada.websocket(after=2) as ws:
        assert (await receive(ws))["type"] == "hello"
        await bob.ok([privacy("n1", True), content_edited("n1", "secret now")])
        seen = await events_until_marker(ws, bob)
    # the change itself reaches ada (her page hides the note); nothing after it
    assert [(e["type"], e["payload"]) for e in seen] == [
        ("notePrivacyChanged", {"id": "n1", "private": True})
    ]
    assert "n1" not in await ada.notes()
    assert [e["type"] for e in await ada.events() if e["payload"]["id"] == "n1"] == [
        "notePrivacyChanged"
    ]
    assert await found(ada, "quarterly") == []
    assert (await ada.http.get("/api/notes/n1/history")).status_code == 404
    assert await found(bob, "quarterly") == ["n1"]
    assert (await ada.dispatch(content_edited("n1", "mine"))).status_code == 409


async def test_a_note_made_shared_reaches_others_with_its_row(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("n1", title="Team lunch", private=True), content_edited("n1", "Friday")])
    assert await found(ada, "lunch") == []
    async with ada.websocket(after=2) as ws:
        assert (await receive(ws))["type"] == "hello"
        await bob.ok(privacy("n1", False))
        row = (await bob.notes())["n1"]
        await bob.ok(content_edited("n1", "Friday at noon"))
        seen = await events_until_marker(ws, bob)
    assert [e["type"] for e in seen] == ["notePrivacyChanged", "noteContentEdited"]
    # the row as it was right after the change, so the next edit applies to it
    assert seen[0]["meta"] == {"user": "bob", "note": row}
    assert row["private"] is False and row["text"] == "Friday" and row["version"] == 3
    assert (await ada.notes())["n1"]["text"] == "Friday at noon"
    assert await found(ada, "lunch") == ["n1"]
    [logged] = [e for e in await ada.events() if e["type"] == "notePrivacyChanged"]
    assert logged["meta"]["note"] == row


async def test_the_past_of_a_note_made_private_is_hidden_too(server: Server) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("n1", title="Plans"), added("n2", title="Other")])
    assert {n["id"] for n in (await ada.http.get("/api/state?at=2")).json()["notes"]} == {
        "n1",
        "n2",
    }
    await bob.ok(privacy("n1", True))
    for at in (1, 2, 3):
        past = (await ada.http.get(f"/api/state?at={at}")).json()["notes"]
        assert "n1" not in {n["id"] for n in past}
    assert {n["id"] for n in (await bob.http.get("/api/state?at=2")).json()["notes"]} == {
        "n1",
        "n2",
    }


async def test_a_note_that_others_never_saw_leaves_no_trace_in_their_events(
    server: Server,
) -> None:
    ada, bob = await cast(server, "editor")
    await bob.ok([added("diary", title="Diary", private=True), privacy("diary", True)])
    # shared for a while, then private again: that past goes with the note's privacy
    await bob.ok([added("n2", title="Plans", private=True), privacy("n2", False)])
    await bob.ok([content_edited("n2", "draft"), privacy("n2", True)])
    seen = [(e["type"], e["payload"]["id"]) for e in await ada.events()]
    # ada sees only what tells her page that n2, which it could show, became private
    assert seen == [("notePrivacyChanged", "n2")]
    [hid] = [e for e in await ada.events()]
    assert hid["payload"] == {"id": "n2", "private": True} and "note" not in hid["meta"]
    async with ada.websocket(after=0) as ws:
        assert (await receive(ws))["type"] == "hello"
        streamed = await events_until_marker(ws, bob)
    assert [(e["type"], e["payload"]["id"]) for e in streamed] == [("notePrivacyChanged", "n2")]
    # the author sees all of it
    mine = [e["type"] for e in await bob.events() if e["payload"]["id"] in ("diary", "n2")]
    assert mine.count("notePrivacyChanged") == 3 and len(mine) == 6
