"""The time machine and the deleted notes in the browser, with two users."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from e2e.conftest import db_event_count, db_notes
from e2e.notes_page import create_note, edit, note, wait_synced
from e2e.server_process import FluxServer

SignIn = Callable[..., Page]
DOCS = Path(__file__).resolve().parent.parent / "docs"


def delete(page: Page, title: str) -> None:
    note(page, title).get_by_role("button", name="Delete").click()
    note(page, title).get_by_role("button", name="Yes, delete").click()
    wait_synced(page)


def slider(page: Page) -> Locator:
    return page.get_by_role("slider", name="Time machine")


def past_note(page: Page, title: str) -> Locator:
    return page.get_by_role("list", name="Notes as they were").get_by_role(
        "listitem", name=f"Note: {title}", exact=True
    )


def deleted_note(page: Page, title: str) -> Locator:
    return page.get_by_role("list", name="Deleted notes").get_by_role(
        "listitem", name=f"Deleted note: {title}", exact=True
    )


def test_the_slider_shows_a_deleted_note_and_restore_brings_it_back_for_both(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Old plan", "step one")
    wait_synced(ada)
    expect(note(bob, "Old plan")).to_be_visible()
    delete(ada, "Old plan")
    expect(note(bob, "Old plan")).to_have_count(0)

    slider(ada).focus()
    ada.keyboard.press("ArrowLeft")  # one event back: before the deletion
    expect(past_note(ada, "Old plan")).to_be_visible()
    expect(past_note(ada, "Old plan")).to_contain_text("step one")
    banner = ada.get_by_role("region", name="The past (read-only)")
    expect(banner).to_contain_text("ada typed in “Old plan”")
    expect(ada.get_by_role("list", name="Notes", exact=True)).to_have_count(0)  # not the live list

    past_note(ada, "Old plan").get_by_role("button", name="Restore").click()
    expect(banner).to_have_count(0)
    expect(note(ada, "Old plan").get_by_label("Text")).to_have_value("step one")
    wait_synced(ada)
    expect(note(bob, "Old plan").get_by_label("Text")).to_have_value("step one")
    assert list(db_notes(server).values()) == [("Old plan", "step one")]
    assert db_event_count(server, "noteRestored") == 1


def test_back_to_now_and_the_past_is_read_only(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    create_note(ada, "Draft", "v1")
    edit(note(ada, "Draft"), "Text", "v2")
    wait_synced(ada)
    slider(ada).focus()
    ada.keyboard.press("ArrowLeft")
    expect(past_note(ada, "Draft")).to_contain_text("v1")
    expect(past_note(ada, "Draft").get_by_role("textbox")).to_have_count(0)
    expect(past_note(ada, "Draft").get_by_role("button", name="Restore")).to_have_count(0)
    ada.get_by_role("button", name="Back to now").click()
    expect(note(ada, "Draft").get_by_label("Text")).to_have_value("v2")


def test_deleted_notes_view_restores_and_a_second_delete_undoes_it(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(bob, "Lunch", "Friday")
    delete(bob, "Lunch")
    expect(note(ada, "Lunch")).to_have_count(0)

    bob.get_by_role("button", name="Deleted notes").click()
    deleted_note(bob, "Lunch").get_by_role("button", name="Restore").click()
    expect(deleted_note(bob, "Lunch")).to_have_count(0)
    expect(note(ada, "Lunch").get_by_label("Text")).to_have_value("Friday")

    delete(bob, "Lunch")  # the restore is undone by deleting again
    expect(deleted_note(bob, "Lunch")).to_be_visible()
    expect(note(ada, "Lunch")).to_have_count(0)


def test_another_users_private_note_is_in_neither_the_past_nor_the_deleted_list(
    sign_in: SignIn,
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Public", "for all")
    create_note(ada, "Diary", "secret", private=True)
    delete(ada, "Diary")
    delete(ada, "Public")
    expect(note(bob, "Public")).to_have_count(0)

    bob.get_by_role("button", name="Deleted notes").click()
    expect(deleted_note(bob, "Public")).to_be_visible()
    expect(deleted_note(bob, "Diary")).to_have_count(0)
    expect(deleted_note(bob, "Public").get_by_role("button", name="Restore")).to_have_count(0)

    slider(bob).focus()
    bob.keyboard.press("ArrowLeft")  # the last event bob may see: before Public was deleted
    expect(past_note(bob, "Public")).to_be_visible()
    for _ in range(6):
        bob.keyboard.press("ArrowLeft")
        expect(past_note(bob, "Diary")).to_have_count(0)


def test_screenshot_of_the_past_view(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada", width=1100, height=720), sign_in("bob")
    create_note(ada, "Groceries", "milk, eggs, bread")
    create_note(bob, "Team lunch", "Friday 12:30, the Greek place")
    create_note(ada, "Trip to Lisbon", "book the train, pack the camera")
    wait_synced(bob)
    expect(note(ada, "Team lunch")).to_be_visible()
    edit(note(ada, "Groceries"), "Text", "milk, eggs, bread, coffee")
    delete(ada, "Trip to Lisbon")
    slider(ada).focus()
    ada.keyboard.press("ArrowLeft")
    ada.keyboard.press("ArrowLeft")
    expect(past_note(ada, "Trip to Lisbon")).to_be_visible()
    expect(past_note(ada, "Groceries")).to_contain_text("milk, eggs, bread")
    slider(ada).blur()
    ada.screenshot(path=str(DOCS / "time-machine.png"))
