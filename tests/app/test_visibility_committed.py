"""Visibility.committed: the fan-out learns a new note's facts from its own
committed noteAdded (no read per socket), and a privacy change drops them."""

from __future__ import annotations

from typing import Any

import pytest

from server.app import visibility as visibility_module
from server.app.notefacts import NoteFacts
from server.app.users import User
from server.app.visibility import Visibility

ADA = User("ada", "editor")
BOB = User("bob", "editor")


class NoReads:
    """A database the test forbids to read: every fact must come from the events."""

    async def read(self, work: Any) -> Any:
        raise AssertionError("Visibility read the database")


def added(seq: int, note: str, user: str, private: bool | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"id": note, "title": "t", "text": ""}
    if private is not None:
        payload["private"] = private
    return {"seq": seq, "id": f"e{seq}", "type": "noteAdded", "payload": payload,
            "meta": {"user": user}, "timestamp": "2026-11-30T00:00:00.000Z"}  # fmt: skip


def edited(seq: int, note: str) -> dict[str, Any]:
    return {"seq": seq, "id": f"e{seq}", "type": "noteTitleEdited",
            "payload": {"id": note, "title": "u"}, "meta": {"user": "ada"}}  # fmt: skip


def test_a_new_notes_events_are_filtered_without_a_read() -> None:
    visibility = Visibility(NoReads())  # type: ignore[arg-type]
    batch = [added(1, "mine", "ada", True), added(2, "ours", "ada", None), edited(3, "mine")]
    visibility.committed(batch)
    assert [e["seq"] for e in visibility.events_now(BOB, batch) or []] == [2]
    assert [e["seq"] for e in visibility.events_now(ADA, batch) or []] == [1, 2, 3]


def test_a_privacy_change_drops_what_was_learned() -> None:
    visibility = Visibility(NoReads())  # type: ignore[arg-type]
    visibility.committed([added(1, "n", "ada", False)])
    change = {"seq": 2, "id": "e2", "type": "notePrivacyChanged",
              "payload": {"id": "n", "private": True}, "meta": {"user": "ada"}}  # fmt: skip
    visibility.committed([change])
    assert "n" not in visibility.known
    assert visibility.events_now(BOB, [edited(3, "n")]) is None  # must be read again


def test_the_same_list_is_answered_for_every_socket_and_each_user_alike() -> None:
    visibility = Visibility(NoReads())  # type: ignore[arg-type]
    shared = [added(1, "a", "ada", False), edited(2, "a")]
    visibility.committed(shared)
    # no private note: every socket gets the whole list
    assert [e["seq"] for e in visibility.events_now(BOB, shared) or []] == [1, 2]
    assert [e["seq"] for e in visibility.events_now(ADA, shared) or []] == [1, 2]
    mixed = [added(3, "p", "bob", True), edited(4, "a")]
    visibility.committed(mixed)
    for _ in range(2):  # a user's second socket gets the same answer
        assert [e["seq"] for e in visibility.events_now(ADA, mixed) or []] == [4]
        assert [e["seq"] for e in visibility.events_now(BOB, mixed) or []] == [3, 4]
    # a new list is worked out anew (its note's facts now cached from `mixed`)
    assert [e["seq"] for e in visibility.events_now(ADA, [edited(5, "p")]) or []] == []


async def test_the_answer_to_a_users_own_new_notes_needs_no_read() -> None:
    """The POST's answer (Visibility.events) before the hub has seen the commit."""
    visibility = Visibility(NoReads())  # type: ignore[arg-type]
    mine = [added(1, "secret", "ada", True), added(2, "open", "ada", None)]
    assert [e["seq"] for e in await visibility.events(ADA, mine)] == [1, 2]


async def test_someone_elses_new_note_is_still_looked_up() -> None:
    visibility = Visibility(NoReads())  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="read the database"):
        await visibility.events(BOB, [added(1, "secret", "ada", True)])


class Facts:
    """A read model of notes `n0`, `n1`, ...: ada's, private when the number is odd
    (stands in for facts_in_read_model; `reads` lists the ids each read asked for)."""

    def __init__(self) -> None:
        self.reads: list[list[str]] = []

    async def read(self, work: Any) -> Any:
        return work(None)

    def facts_in_read_model(self, _conn: Any, ids: list[str]) -> dict[str, NoteFacts]:
        self.reads.append(list(ids))
        return {note: NoteFacts("ada", int(note[1:]) % 2 == 1) for note in ids}


def test_the_cached_facts_are_bounded_and_the_oldest_go_first() -> None:
    visibility = Visibility(NoReads(), facts_kept=3)  # type: ignore[arg-type]
    visibility.committed([added(i, f"n{i}", "ada", i == 4) for i in range(1, 6)])
    assert list(visibility.known) == ["n3", "n4", "n5"]
    assert visibility.events_now(BOB, [edited(6, "n2")]) is None  # forgotten: read again
    assert [e["seq"] for e in visibility.events_now(BOB, [edited(7, "n5")]) or []] == [7]
    assert visibility.events_now(BOB, [edited(8, "n4")]) == []


async def test_facts_read_past_the_bound_are_still_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = Facts()
    monkeypatch.setattr(visibility_module, "facts_in_read_model", database.facts_in_read_model)
    visibility = Visibility(database, facts_kept=2)  # type: ignore[arg-type]
    found = await visibility.facts(["n1", "n2", "n3", "n4"])
    assert {note: facts.private for note, facts in found.items()} == {
        "n1": True, "n2": False, "n3": True, "n4": False}  # fmt: skip
    assert len(visibility.known) == 2
    again = await visibility.facts(["n3", "n4"])
    assert set(again) == {"n3", "n4"} and database.reads == [["n1", "n2", "n3", "n4"]]
