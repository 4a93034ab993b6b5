"""The in-memory collection: applying changesets to a plain state."""

from __future__ import annotations

import pytest

from shared_reducers.errors import ChangesetConflict
from shared_reducers.memory import MemoryDatabase, apply_changeset, empty_state, rows_of


def insert(id: str, **values: object) -> dict:
    return {"op": "insert", "collection": "notes", "id": id, "values": {"id": id, **values}}


def test_an_insert_adds_a_row() -> None:
    state = apply_changeset(empty_state(["notes"]), [insert("a", title="x")])
    assert state == {"notes": {"a": {"id": "a", "title": "x"}}}


def test_applying_does_not_mutate_the_old_state() -> None:
    before = empty_state(["notes"])
    apply_changeset(before, [insert("a")])
    assert before == {"notes": {}}


def test_an_update_merges_the_values_and_keeps_the_id() -> None:
    update = {"op": "update", "collection": "notes", "id": "a", "values": {"id": "b", "t": 2}}
    state = apply_changeset(empty_state(["notes"]), [insert("a", t=1), update])
    assert state["notes"] == {"a": {"id": "a", "t": 2}}


def test_a_remove_drops_the_row() -> None:
    remove = {"op": "remove", "collection": "notes", "id": "a", "values": None}
    assert apply_changeset(empty_state(["notes"]), [insert("a"), remove]) == {"notes": {}}


def test_inserting_an_existing_id_is_a_conflict() -> None:
    with pytest.raises(ChangesetConflict, match="already exists"):
        apply_changeset(empty_state(["notes"]), [insert("a"), insert("a")])


def test_removing_a_missing_row_is_a_conflict() -> None:
    remove = {"op": "remove", "collection": "notes", "id": "a", "values": None}
    with pytest.raises(ChangesetConflict, match="no row a"):
        apply_changeset(empty_state(["notes"]), [remove])


def test_an_unknown_operation_is_a_conflict() -> None:
    with pytest.raises(ChangesetConflict, match="insert, update or remove"):
        apply_changeset(empty_state(["notes"]), [{**insert("a"), "op": "upsert"}])


def test_a_changeset_that_is_not_a_list_is_a_conflict() -> None:
    with pytest.raises(ChangesetConflict, match="must be a list"):
        apply_changeset(empty_state(["notes"]), {"op": "insert"})


def test_get_answers_a_row_or_none() -> None:
    state = apply_changeset(empty_state(["notes"]), [insert("a")])
    notes = MemoryDatabase(state).collection("notes")
    assert (notes.get("a"), notes.get("b"), notes.get(1)) == ({"id": "a"}, None, None)


def test_rows_are_sorted_by_code_point() -> None:
    ids = ["😀", "\uffff", "b", "10", "9"]
    state = apply_changeset(empty_state(["notes"]), [insert(i) for i in ids])
    assert [row["id"] for row in rows_of(state, "notes")] == ["10", "9", "b", "\uffff", "😀"]


def test_a_proto_id_is_an_ordinary_key() -> None:
    state = apply_changeset(empty_state(["notes"]), [insert("__proto__")])
    assert list(state["notes"]) == ["__proto__"]
