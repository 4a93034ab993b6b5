"""The notes reducer, in CPython (tests/reducers/test_isomorphism.py shows JavaScript agrees)."""

from __future__ import annotations

from typing import Any

import pytest

from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.limits import MAX_TITLE
from shared_reducers.memory import empty_state, reduce_state, rows_of
from shared_reducers.notes import notes_reducer

root = combine_reducers({"notes": notes_reducer})
AT = "2026-11-26T23:22:24.123Z"
LATER = "2026-11-26T23:30:00.000Z"


def event(kind: str, payload: Any, id: str = "e1", at: str = AT, user: str = "ada") -> dict:
    return {"type": kind, "payload": payload, "id": id, "timestamp": at, "meta": {"user": user}}


def added(note: str = "n1", title: str = "Hello", text: str = "Hi") -> dict:
    return event("noteAdded", {"id": note, "title": title, "text": text}, id="add-" + note)


def run(*events: dict) -> Any:
    state = empty_state(["notes"])
    for each in events:
        state = reduce_state(root, state, each)
    return state


def rejection(*events: dict) -> str:
    with pytest.raises(EventRejected) as caught:
        run(*events)
    return caught.value.reason


def test_an_added_note_has_every_field_from_the_event() -> None:
    assert run(added())["notes"]["n1"] == {
        "id": "n1",
        "title": "Hello",
        "text": "Hi",
        "author": "ada",
        "private": False,
        "createdAt": AT,
        "updatedAt": AT,
        "updatedBy": "ada",
        "version": 1,
        "recent": [],
    }


def test_a_note_may_be_added_as_private() -> None:
    payload = {"id": "n1", "title": "", "text": "", "private": True}
    assert run(event("noteAdded", payload))["notes"]["n1"]["private"] is True


def test_without_a_user_the_author_is_anonymous() -> None:
    add = added()
    del add["meta"]
    assert run(add)["notes"]["n1"]["author"] == "anonymous"


def test_a_title_edit_sets_the_title_and_bumps_the_version() -> None:
    edit = event("noteTitleEdited", {"id": "n1", "title": "New", "baseVersion": 1}, at=LATER)
    note = run(added(), edit)["notes"]["n1"]
    assert (note["title"], note["version"], note["updatedAt"]) == ("New", 2, LATER)


def test_a_content_edit_without_base_version_is_applied() -> None:
    edit = event("noteContentEdited", {"id": "n1", "text": "Changed"}, user="bob")
    note = run(added(), edit)["notes"]["n1"]
    assert (note["text"], note["updatedBy"], note["author"]) == ("Changed", "bob", "ada")


def test_a_stale_edit_becomes_a_conflict_copy_and_leaves_the_note_alone() -> None:
    first = event("noteContentEdited", {"id": "n1", "text": "Mine", "baseVersion": 1}, id="e1")
    stale = event("noteContentEdited", {"id": "n1", "text": "Yours", "baseVersion": 1}, id="e2")
    notes = run(added(), first, stale)["notes"]
    assert notes["n1"]["text"] == "Mine"
    assert notes["n1~e2"]["text"] == "Yours"
    assert notes["n1~e2"]["title"] == "Hello (conflict)"


def test_a_stale_title_edit_titles_the_copy_with_the_edit() -> None:
    first = event("noteTitleEdited", {"id": "n1", "title": "A", "baseVersion": 1}, id="e1")
    stale = event("noteTitleEdited", {"id": "n1", "title": "B", "baseVersion": 1}, id="e2")
    assert run(added(), first, stale)["notes"]["n1~e2"]["title"] == "B (conflict)"


def test_a_removed_note_is_gone() -> None:
    assert rows_of(run(added(), event("noteRemoved", {"id": "n1"})), "notes") == []


def test_a_removed_note_can_be_restored() -> None:
    restore = event("noteRestored", {"id": "n1", "title": "Back", "text": "x", "private": False})
    notes = run(added(), event("noteRemoved", {"id": "n1"}), restore)["notes"]
    assert notes["n1"]["title"] == "Back"


def test_unknown_event_types_change_nothing() -> None:
    assert run(event("noteArchived", None)) == empty_state(["notes"])


def test_editing_a_missing_note_is_rejected() -> None:
    edit = event("noteTitleEdited", {"id": "n9", "title": "x"})
    assert rejection(edit) == "Note n9 does not exist or was deleted."


def test_removing_a_removed_note_is_rejected() -> None:
    remove = event("noteRemoved", {"id": "n1"})
    assert "does not exist" in rejection(added(), remove, remove)


def test_adding_an_existing_id_is_rejected() -> None:
    assert rejection(added(), added()) == "Note n1 already exists; choose a new id."


def test_restoring_a_note_that_exists_is_rejected() -> None:
    restore = event("noteRestored", {"id": "n1", "title": "", "text": ""})
    assert "is not deleted" in rejection(added(), restore)


def test_a_null_payload_is_rejected() -> None:
    assert rejection(event("noteAdded", None)) == "noteAdded needs a payload object; got null."


def test_a_missing_payload_is_rejected() -> None:
    add = added()
    del add["payload"]
    assert rejection(add) == "noteAdded needs a payload object; got nothing."


def test_a_number_as_id_is_rejected() -> None:
    reason = rejection(event("noteAdded", {"id": 1, "title": "", "text": ""}))
    assert reason == "noteAdded needs 'id' as a string; got a number."


def test_a_missing_title_is_rejected() -> None:
    reason = rejection(event("noteAdded", {"id": "n1", "text": ""}))
    assert reason == "noteAdded needs 'title' as a string; got nothing."


def test_a_non_boolean_private_is_rejected() -> None:
    payload = {"id": "n1", "title": "", "text": "", "private": "yes"}
    reason = rejection(event("noteAdded", payload))
    assert reason == "noteAdded needs 'private' as true or false; got a string."


def test_a_fractional_base_version_is_rejected() -> None:
    edit = event("noteTitleEdited", {"id": "n1", "title": "x", "baseVersion": 1.5})
    assert "needs 'baseVersion' as a whole number; got a number" in rejection(added(), edit)


def test_a_title_longer_than_the_limit_is_rejected() -> None:
    assert MAX_TITLE == 200  # one limit: validation, the reducer and the page read limits.py
    reason = rejection(added(title="t" * 201))
    assert reason == "noteAdded's 'title' has 201 characters; at most 200 are allowed."


def test_emoji_count_as_one_character_each() -> None:
    assert run(added(title="😀" * 200))["notes"]["n1"]["title"] == "😀" * 200


def test_a_conflict_copy_of_a_full_length_title_keeps_what_fits_with_its_mark() -> None:
    first = event("noteTitleEdited", {"id": "n1", "title": "x" * 200}, id="e2")
    stale = event("noteTitleEdited", {"id": "n1", "title": "y" * 200, "baseVersion": 1}, id="e3")
    copy = run(added(), first, stale)["notes"]["n1~e3"]["title"]
    assert copy == "y" * 189 + " (conflict)" and len(copy) == MAX_TITLE


def test_an_event_without_timestamp_is_rejected_when_it_writes_one() -> None:
    add = added()
    del add["timestamp"]
    assert "no timestamp" in rejection(add)


def test_text_the_database_cannot_store_is_rejected() -> None:
    payload = {"id": "n1", "title": "a\u0000b", "text": ""}
    assert "U+0000 or a lone surrogate" in rejection(event("noteAdded", payload))


def test_a_lone_surrogate_is_rejected() -> None:
    payload = {"id": "n1", "title": "", "text": "\ud800"}
    assert "U+0000 or a lone surrogate" in rejection(event("noteAdded", payload))


def privacy(note: str, private: Any, id: str = "p1", at: str = LATER, user: str = "ada") -> dict:
    return event("notePrivacyChanged", {"id": note, "private": private}, id=id, at=at, user=user)


def test_the_author_makes_a_note_private_like_an_edit() -> None:
    note = run(added(), privacy("n1", True))["notes"]["n1"]
    assert note["private"] is True
    assert (note["version"], note["updatedAt"], note["updatedBy"]) == (2, LATER, "ada")
    assert note["recent"] == [[2, "private", []]]
    assert (note["title"], note["text"], note["createdAt"]) == ("Hello", "Hi", AT)


def test_a_private_note_made_shared_again() -> None:
    note = run(added(), privacy("n1", True), privacy("n1", False, id="p2"))["notes"]["n1"]
    assert note["private"] is False
    assert note["version"] == 3


def test_setting_the_privacy_a_note_has_changes_nothing() -> None:
    assert run(added(), privacy("n1", False)) == run(added())


def test_typing_made_before_a_privacy_change_is_not_a_conflict() -> None:
    splice = event(
        "noteSpliced",
        {"id": "n1", "field": "text", "baseVersion": 1, "splices": [[2, 0, "!"]]},
        id="s1",
    )
    state = run(added(), privacy("n1", True), splice)
    assert state["notes"]["n1"]["text"] == "Hi!"
    assert state["notes"]["n1"]["version"] == 3
    assert list(state["notes"]) == ["n1"]


def test_a_privacy_change_needs_a_flag_and_an_existing_note() -> None:
    assert "'private' as true or false; got a string" in rejection(added(), privacy("n1", "yes"))
    assert "does not exist" in rejection(privacy("n9", True))
