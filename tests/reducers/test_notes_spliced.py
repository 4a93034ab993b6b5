"""noteSpliced in the notes reducer: cases written out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, reduce_state
from shared_reducers.notes import (
    DEFAULT_MAX_RECENT,
    DEFAULT_MAX_RECENT_BYTES,
    make_notes_reducer,
    notes_reducer,
)

AT = "2026-11-26T23:22:24.123Z"


def event(kind: str, payload: Any, id: str = "e1", user: str = "ada") -> dict:
    return {"type": kind, "payload": payload, "id": id, "timestamp": AT, "meta": {"user": user}}


def added(text: str = "Hello", title: str = "T") -> dict:
    return event("noteAdded", {"id": "n1", "title": title, "text": text}, id="add")


def spliced(base: int, splices: Any, id: str, field: str = "text", user: str = "ada") -> dict:
    payload = {"id": "n1", "field": field, "baseVersion": base, "splices": splices}
    return event("noteSpliced", payload, id=id, user=user)


def run(*events: dict, reducer: Any = notes_reducer) -> Any:
    root = combine_reducers({"notes": reducer})
    state = empty_state(["notes"])
    for each in events:
        state = reduce_state(root, state, each)
    return state["notes"]


def rejection(*events: dict) -> str:
    with pytest.raises(EventRejected) as caught:
        run(*events)
    return caught.value.reason


def test_a_fresh_splice_edits_the_field_and_records_it() -> None:
    note = run(added(), spliced(1, [[5, 0, " world"]], "e1", user="bob"))["n1"]
    assert note["text"] == "Hello world"
    assert note["version"] == 2
    assert note["updatedBy"] == "bob"
    assert note["recent"] == [[2, "text", [[5, 0, " world"]]]]


def test_the_title_can_be_spliced_too() -> None:
    note = run(added(), spliced(1, [[1, 0, "op"]], "e1", field="title"))["n1"]
    assert (note["title"], note["text"]) == ("Top", "Hello")


def test_inserts_at_one_place_keep_commit_order() -> None:
    notes = run(added("ab"), spliced(1, [[1, 0, "X"]], "e1"), spliced(1, [[1, 0, "Y"]], "e2"))
    assert notes["n1"]["text"] == "aXYb"
    assert notes["n1"]["recent"][-1] == [3, "text", [[2, 0, "Y"]]]  # as applied
    assert list(notes) == ["n1"]  # no conflict copy


def test_an_insert_in_a_range_deleted_meanwhile_stays_at_the_deletion_point() -> None:
    notes = run(
        added("Hello world"), spliced(1, [[2, 7, ""]], "e1"), spliced(1, [[5, 0, "!"]], "e2")
    )
    assert notes["n1"]["text"] == "He!ld"


def test_overlapping_deletes_delete_the_union_once() -> None:
    notes = run(added("abcdefg"), spliced(1, [[1, 3, ""]], "e1"), spliced(1, [[2, 3, ""]], "e2"))
    assert notes["n1"]["text"] == "afg"


def test_astral_characters_count_as_one() -> None:
    notes = run(
        added("a😀b🎉c"),
        spliced(1, [[1, 1, "🙂"]], "e1"),
        spliced(1, [[3, 1, ""], [3, 0, "𝄞"]], "e2"),  # made on version 1: its 🎉 is at 3
    )
    assert notes["n1"]["text"] == "a🙂b𝄞c"


def test_a_stale_splice_passes_through_whole_field_edits_too() -> None:
    retitled = event("noteTitleEdited", {"id": "n1", "title": "New", "baseVersion": 1}, id="e1")
    rewritten = event("noteContentEdited", {"id": "n1", "text": ">> Hello", "baseVersion": 2})
    notes = run(added("Hello"), retitled, rewritten, spliced(1, [[5, 0, "!"]], "e3"))
    assert notes["n1"]["text"] == ">> Hello!"
    assert [entry[:2] for entry in notes["n1"]["recent"]] == [
        [2, "title"],
        [3, "text"],
        [4, "text"],
    ]
    assert notes["n1"]["recent"][1] == [3, "text", [[0, 0, ">> "]]]


def test_a_stale_whole_field_edit_still_becomes_a_conflict_copy() -> None:
    stale = event("noteContentEdited", {"id": "n1", "text": "Mine", "baseVersion": 1}, id="e2")
    notes = run(added(), spliced(1, [[0, 0, "x"]], "e1"), stale)
    assert notes["n1~e2"]["text"] == "Mine"
    assert notes["n1~e2"]["recent"] == []


def test_the_tail_keeps_the_newest_entries_up_to_its_count() -> None:
    reducer = make_notes_reducer(2, DEFAULT_MAX_RECENT_BYTES)
    edits = [spliced(v, [[0, 0, str(v)]], f"e{v}") for v in (1, 2, 3)]
    note = run(added(""), *edits, reducer=reducer)["n1"]
    assert [entry[0] for entry in note["recent"]] == [3, 4]


def test_the_tail_keeps_the_newest_entries_up_to_its_bytes() -> None:
    # An entry counts the UTF-8 bytes it inserts plus 16 for itself and 16 per splice.
    reducer = make_notes_reducer(DEFAULT_MAX_RECENT, 2 * (32 + 4))
    edits = [spliced(v, [[0, 0, "😀"]], f"e{v}") for v in (1, 2, 3)]
    note = run(added(""), *edits, reducer=reducer)["n1"]
    assert [entry[0] for entry in note["recent"]] == [3, 4]
    big = run(added(""), spliced(1, [[0, 0, "x" * 100]], "e1"), reducer=reducer)["n1"]
    assert big["recent"] == []  # bigger than the whole bound


def test_a_splice_older_than_the_tail_becomes_a_conflict_copy_of_its_typing() -> None:
    reducer = make_notes_reducer(1, DEFAULT_MAX_RECENT_BYTES)
    notes = run(
        added("abc"),
        spliced(1, [[0, 0, "1"]], "e1"),
        spliced(2, [[0, 0, "2"]], "e2"),
        spliced(1, [[3, 0, "typed"], [0, 1, "!"]], "e3", user="bob"),  # needs version 2's entry
        reducer=reducer,
    )
    assert notes["n1"]["text"] == "21abc"
    copy = notes["n1~e3"]
    assert (copy["title"], copy["text"], copy["author"]) == ("T (conflict)", "typed!", "bob")


def test_a_splice_just_inside_the_tail_is_transformed() -> None:
    reducer = make_notes_reducer(1, DEFAULT_MAX_RECENT_BYTES)
    notes = run(
        added("abc"),
        spliced(1, [[0, 0, "1"]], "e1"),
        spliced(1, [[3, 0, "!"]], "e2"),  # the tail holds version 2
        reducer=reducer,
    )
    assert notes["n1"]["text"] == "1abc!"


def test_rows_written_before_the_tail_existed_still_take_splices() -> None:
    state = run(added("abc"))
    row = {k: v for k, v in state["n1"].items() if k != "recent"}
    root = combine_reducers({"notes": notes_reducer})
    after = reduce_state(root, {"notes": {"n1": row}}, spliced(1, [[3, 0, "d"]], "e1"))
    assert after["notes"]["n1"]["text"] == "abcd"
    stale = reduce_state(root, after, spliced(1, [[0, 0, "z"]], "e2"))
    assert stale["notes"]["n1"]["recent"][0][0] == 2
    assert stale["notes"]["n1"]["text"] == "zabcd"


@pytest.mark.parametrize(
    ("splices", "message"),
    [
        ("abc", "noteSpliced needs 'splices' as a list; got a string."),
        (None, "noteSpliced needs 'splices' as a list; got null."),
        ([], "'splices' is empty; send at least one"),
        ([[6, 0, "x"]], "Splice 0 reaches character 6 of a text of 5 characters"),
        ([[0, 6, ""]], "Splice 0 reaches character 6 of a text of 5 characters"),
        ([[0, -1, ""]], "Splice 0 needs 'removeCount' as a whole number from 0; got -1."),
        ([[-1, 0, ""]], "Splice 0 needs 'at' as a whole number from 0; got -1."),
        ([[0, 0, "\x00"]], "Splice 0 inserts U+0000 or a lone surrogate"),
        ([[0, 0, "x"]] * 501, "noteSpliced's 'splices' has 501 items; at most 500 are allowed."),
    ],
)
def test_bad_splices_are_rejected(splices: Any, message: str) -> None:
    assert message in rejection(added(), spliced(1, splices, "e1"))


def test_positions_of_a_stale_splice_are_checked_on_the_text_it_was_made_on() -> None:
    # Version 1 had 5 characters; version 2 has 8.
    grown = spliced(1, [[5, 0, "!!!"]], "e1")
    assert "of a text of 5 characters" in rejection(added(), grown, spliced(1, [[7, 0, ""]], "e2"))


def test_the_title_limit_applies_after_the_splices() -> None:
    reason = rejection(added(title="t" * 199), spliced(1, [[0, 0, "ab"]], "e1", field="title"))
    assert (
        reason
        == "After these splices the title would have 201 characters; a title has at most 200."
    )


def test_the_text_limit_applies_after_the_splices() -> None:
    reason = rejection(added("x" * 99_999), spliced(1, [[0, 0, "ab"]], "e1"))
    assert "would have 100001 characters; a note's text has at most 100000." in reason


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"field": "body"}, "noteSpliced's 'field' must be one of title, text; got 'body'."),
        ({"field": None}, "noteSpliced needs 'field' as a string; got null."),
        ({"baseVersion": None}, "noteSpliced needs 'baseVersion' as a whole number; got null."),
        ({"baseVersion": "1"}, "needs 'baseVersion' as a whole number; got a string."),
        ({"baseVersion": -1}, "noteSpliced's 'baseVersion' must not be negative; got -1."),
        ({"baseVersion": 2}, "'baseVersion' is 2 but note n1 is at version 1; splices can only"),
        ({"id": "n9"}, "Note n9 does not exist or was deleted."),
    ],
)
def test_bad_payloads_are_rejected(changes: dict, message: str) -> None:
    payload = {"id": "n1", "field": "text", "baseVersion": 1, "splices": [[0, 0, "x"]], **changes}
    assert message in rejection(added(), event("noteSpliced", payload))


def test_a_payload_that_is_not_an_object_is_rejected() -> None:
    assert "noteSpliced needs a payload object; got a list." in rejection(
        added(), event("noteSpliced", [])
    )


def test_the_defaults_are_documented() -> None:
    assert (DEFAULT_MAX_RECENT, DEFAULT_MAX_RECENT_BYTES) == (200, 65536)
