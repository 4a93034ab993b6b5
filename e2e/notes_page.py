"""What the tests do on the notes page, through roles and accessible names only."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def note(page: Page, title: str) -> Locator:
    """The list item of the note with this title."""
    return page.get_by_role("list", name="Notes").get_by_role(
        "listitem", name=f"Note: {title}", exact=True
    )


def notes(page: Page) -> Locator:
    return page.get_by_role("list", name="Notes").get_by_role("listitem")


def events(page: Page) -> Locator:
    return page.get_by_role("list", name="Recent events").get_by_role("listitem")


def status(page: Page) -> Locator:
    return page.get_by_role("status")


def create_note(page: Page, title: str, text: str = "", private: bool = False) -> Locator:
    """New note -> (tick its own "Private") -> type the title (and text) -> leave the
    field so it saves.  The new note is the first of the list until it is typed in."""
    page.get_by_role("button", name="New note").click()
    if private:
        fresh = notes(page).first
        fresh.get_by_role("checkbox", name="Private").check()
        fresh.get_by_label("Title").focus()
    page.keyboard.type(title)
    item = note(page, title)
    if text:
        item.get_by_label("Text").fill(text)
    item.get_by_label("Text").press("Tab")
    return item


def edit(item: Locator, field: str, value: str) -> None:
    """Replace the field's text and leave it.  (The note's name follows its title as it is
    typed, so the Tab goes through the keyboard, not through `item`.)"""
    control = item.get_by_label(field)
    control.fill(value)
    control.page.keyboard.press("Tab")


def wait_synced(page: Page) -> None:
    """Live, and no change waiting for the server."""
    expect(status(page)).to_have_text(re.compile(r"^\s*Live\s*$"))
