"""The page follows the policy (shared_reducers/policy.py, transpiled): only the
buttons one may use, and the author's "Private" toggle on their own notes, with
what it means for the others (two users)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.notes_page import create_note, edit, note, notes, wait_synced

SignIn = Callable[..., Page]


def test_an_editor_sees_delete_only_on_the_notes_they_may_delete(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Ada's plan", "mine")
    create_note(bob, "Bob's list", "his")
    wait_synced(ada)
    wait_synced(bob)
    expect(note(bob, "Ada's plan")).to_be_visible()
    expect(note(bob, "Ada's plan").get_by_role("button", name="Delete")).to_have_count(0)
    expect(note(bob, "Bob's list").get_by_role("button", name="Delete")).to_have_count(1)
    expect(note(ada, "Bob's list").get_by_role("button", name="Delete")).to_have_count(0)
    # nor the author's toggle: only its author makes a note private or shared
    expect(note(bob, "Ada's plan").get_by_role("checkbox", name="Private")).to_have_count(0)
    expect(note(ada, "Ada's plan").get_by_role("checkbox", name="Private")).not_to_be_checked()


def test_a_viewers_page_is_read_only(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    create_note(ada, "Minutes", "We agreed.")
    wait_synced(ada)
    vic = sign_in("vic")
    item = note(vic, "Minutes")
    expect(item.get_by_label("Text")).to_have_value("We agreed.")
    expect(item.get_by_label("Title")).not_to_be_editable()
    expect(item.get_by_label("Text")).not_to_be_editable()
    expect(item.get_by_role("button", name="Delete")).to_have_count(0)
    expect(item.get_by_role("checkbox", name="Private")).to_have_count(0)
    expect(vic.get_by_role("button", name="New note")).to_be_disabled()


def test_the_author_makes_a_note_private_then_shared_again(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Budget", "12,000 for the trip")
    create_note(ada, "Agenda", "1. Budget")
    wait_synced(ada)
    expect(note(bob, "Budget")).to_be_visible()

    note(ada, "Budget").get_by_role("checkbox", name="Private").check()
    wait_synced(ada)
    expect(note(ada, "Budget").get_by_role("checkbox", name="Private")).to_be_checked()
    expect(note(bob, "Budget")).to_have_count(0)  # gone at once, no reload
    expect(notes(bob)).to_have_count(1)
    edit(note(ada, "Budget"), "Text", "15,000 for the trip")
    wait_synced(ada)
    bob.reload()
    expect(note(bob, "Agenda")).to_be_visible()
    expect(note(bob, "Budget")).to_have_count(0)
    expect(bob.get_by_text("15,000")).to_have_count(0)
    bob.get_by_label("Search notes").fill("budget")  # "Agenda" says Budget; "Budget" is hidden
    expect(note(bob, "Agenda")).to_be_visible()
    expect(notes(bob)).to_have_count(1)
    bob.get_by_label("Search notes").fill("trip")
    expect(bob.get_by_text("No notes match")).to_be_visible()
    bob.get_by_label("Search notes").fill("")

    note(ada, "Budget").get_by_role("checkbox", name="Private").uncheck()
    wait_synced(ada)
    # bob's page gets the note whole (it never had its private edit), and can edit it
    expect(note(bob, "Budget").get_by_label("Text")).to_have_value("15,000 for the trip")
    edit(note(bob, "Budget"), "Text", "15,000 for the trip, agreed")
    wait_synced(bob)
    expect(note(ada, "Budget").get_by_label("Text")).to_have_value("15,000 for the trip, agreed")
    ada.reload()
    expect(note(ada, "Budget").get_by_role("checkbox", name="Private")).not_to_be_checked()
