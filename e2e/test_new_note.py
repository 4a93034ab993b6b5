"""No litter: "New note" opens a note on this page only; it reaches the others
with its first keystroke, and one never typed in leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.conftest import db_event_count, db_notes
from e2e.notes_page import create_note, events, note, notes, wait_synced
from e2e.server_process import FluxServer

SignIn = Callable[..., Page]


def test_a_new_note_never_typed_in_leaves_nothing_for_the_others(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(bob, "Marker")
    wait_synced(bob)
    expect(note(ada, "Marker")).to_be_visible()

    ada.get_by_role("button", name="New note").click()
    expect(notes(ada).first.get_by_label("Title")).to_be_focused()  # ready to type
    expect(notes(ada)).to_have_count(2)
    ada.wait_for_timeout(500)  # walking away: nothing is sent while nobody types
    expect(notes(bob)).to_have_count(1)
    assert db_event_count(server, "noteAdded") == 1

    ada.get_by_role("slider", name="Time machine").focus()  # leaves the new note
    expect(notes(ada)).to_have_count(1)
    wait_synced(ada)
    assert list(db_notes(server).values()) == [("Marker", "")]
    assert db_event_count(server, "noteAdded") == 1
    expect(events(bob).filter(has_text="ada")).to_have_count(0)


def test_the_first_keystroke_adds_the_note_for_everyone(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    ada.get_by_role("button", name="New note").click()
    ada.keyboard.type("Milk")
    expect(note(bob, "Milk")).to_be_visible()
    ada.keyboard.press("Tab")
    ada.keyboard.type("and eggs")
    wait_synced(ada)
    expect(note(bob, "Milk").get_by_label("Text")).to_have_value("and eggs")
    assert list(db_notes(server).values()) == [("Milk", "and eggs")]
    assert db_event_count(server, "noteAdded") == 1


def test_a_new_private_note_is_private_from_its_first_keystroke(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Diary", "dear diary", private=True)
    create_note(ada, "Public")
    wait_synced(ada)
    expect(note(bob, "Public")).to_be_visible()
    expect(notes(bob)).to_have_count(1)
    assert db_event_count(server, "notePrivacyChanged") == 0  # private when added
