"""User text is text, and private notes stay private."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.notes_page import create_note, events, note, notes, wait_synced

SignIn = Callable[..., Page]
EVIL = "<img src=x onerror=alert(1)>"


def test_a_title_with_markup_is_shown_as_text_and_runs_nothing(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    dialogs: list[str] = []
    for page in (ada, bob):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    create_note(ada, EVIL, EVIL)
    wait_synced(ada)

    expect(note(bob, EVIL).get_by_label("Text")).to_have_value(EVIL)
    expect(events(bob).first).to_contain_text(EVIL)
    bob.reload()  # the server-rendered first paint too
    expect(note(bob, EVIL).get_by_label("Title")).to_have_value(EVIL)
    expect(bob.locator("img")).to_have_count(0)
    expect(ada.locator("img")).to_have_count(0)
    assert dialogs == []


def test_a_private_note_never_reaches_another_user(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Surprise party", "for bob", private=True)
    expect(note(ada, "Surprise party").get_by_text("Private")).to_be_visible()
    create_note(ada, "Team lunch")
    wait_synced(ada)

    # Events arrive in seq order, so once the later public note is there, the private one
    # would have been too.
    expect(note(bob, "Team lunch")).to_be_visible()
    expect(notes(bob)).to_have_count(1)
    expect(events(bob).filter(has_text="Surprise")).to_have_count(0)
    bob.reload()
    expect(note(bob, "Team lunch")).to_be_visible()
    expect(notes(bob)).to_have_count(1)
    expect(bob.get_by_text("Surprise party")).to_have_count(0)
    expect(bob.get_by_role("list", name="Recent events")).not_to_contain_text("Surprise")


def test_the_events_panel_shows_who_did_what_newest_first(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Agenda")
    expect(note(bob, "Agenda")).to_be_visible()
    title = note(bob, "Agenda").get_by_label("Title")
    title.fill("Agenda v2")
    bob.keyboard.press("Tab")  # the note's name follows its title as it is typed
    wait_synced(bob)

    expect(events(ada)).to_contain_text(
        ["bob typed in “Agenda v2”", "ada typed in “Agenda”", "ada added a new note"]
    )
