"""What the server refuses is undone in the page, with the reason next to it."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.notes_page import create_note, note, wait_synced

SignIn = Callable[..., Page]


def test_a_viewer_gets_a_read_only_page(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    create_note(ada, "Budget", "42")
    wait_synced(ada)
    vic = sign_in("vic")

    budget = note(vic, "Budget")
    expect(budget.get_by_label("Title")).to_have_value("Budget")
    expect(budget.get_by_label("Title")).not_to_be_editable()
    expect(budget.get_by_label("Text")).not_to_be_editable()
    expect(budget.get_by_role("button", name="Delete")).to_have_count(0)
    expect(vic.get_by_role("button", name="New note")).to_be_disabled()
    expect(vic.get_by_text("You are a viewer")).to_be_visible()


def test_an_editor_sees_delete_only_on_notes_they_may_delete(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Adas note")
    create_note(bob, "Bobs note")
    wait_synced(bob)
    expect(note(bob, "Adas note")).to_be_visible()
    expect(note(bob, "Adas note").get_by_role("button", name="Delete")).to_have_count(0)
    expect(note(bob, "Bobs note").get_by_role("button", name="Delete")).to_have_count(1)


def test_delete_asks_first_and_then_removes_the_note_for_everyone(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Old idea")
    expect(note(bob, "Old idea")).to_be_visible()

    note(ada, "Old idea").get_by_role("button", name="Delete").click()
    confirm = note(ada, "Old idea").get_by_role("group", name="Confirm delete")
    confirm.get_by_role("button", name="Cancel").click()
    expect(note(ada, "Old idea")).to_be_visible()

    note(ada, "Old idea").get_by_role("button", name="Delete").click()
    confirm.get_by_role("button", name="Yes, delete").click()
    expect(note(ada, "Old idea")).to_have_count(0)
    expect(note(bob, "Old idea")).to_have_count(0)
