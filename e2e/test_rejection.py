"""What the server refuses is undone in the page, with the reason next to it."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.notes_page import create_note, edit, note, wait_synced

SignIn = Callable[..., Page]


def test_a_viewers_edit_is_rejected_explained_and_rolled_back(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    create_note(ada, "Budget", "42")
    wait_synced(ada)
    vic = sign_in("vic")

    edit(note(vic, "Budget"), "Title", "Hacked")

    alert = vic.get_by_role("alert")
    expect(alert).to_contain_text("was undone")
    expect(alert).to_contain_text("Hacked")
    expect(alert).to_contain_text(re.compile("viewer", re.IGNORECASE))
    expect(note(vic, "Budget").get_by_label("Title")).to_have_value("Budget")
    expect(note(vic, "Budget").get_by_role("alert")).to_be_visible()
    wait_synced(vic)
    expect(note(ada, "Budget")).to_be_visible()


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
