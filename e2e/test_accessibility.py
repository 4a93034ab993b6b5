"""Keyboard and screen readers: the focus goes back to the control that opened a
dialog or a view, Escape leaves the past view, every control has its name and
description; and an axe-core scan (from npm, run inside the page) of the notes
page, the past view and the phone layout finds no violations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from e2e.conftest import PASSWORD
from e2e.notes_page import create_note, note, wait_synced

SignIn = Callable[..., Page]
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def slider(page: Page) -> Any:
    return page.get_by_role("slider", name="Time machine")


def axe_scan(page: Page) -> dict[str, Any]:
    """axe-core's rules (its default set: WCAG 2.x A and AA and best practices) run on
    the page as it is now: the violations, and how many rules passed."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return {
                passed: result.passes.length,
                violations: result.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
                })),
            };
        }"""
    )
    return result


def assert_no_violations(page: Page, where: str) -> None:
    scan = axe_scan(page)
    assert scan["violations"] == [], f"axe-core on {where}:\n" + json.dumps(
        scan["violations"], indent=2
    )
    assert scan["passed"] >= 10, f"axe-core checked only {scan['passed']} rules on {where}"


def some_notes(page: Page) -> None:
    create_note(page, "Groceries", "milk, eggs")
    create_note(page, "Secret", "only mine", private=True)
    wait_synced(page)


def test_escape_or_cancel_in_the_delete_confirmation_returns_to_delete(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    some_notes(ada)
    delete = note(ada, "Groceries").get_by_role("button", name="Delete")
    delete.click()
    cancel = note(ada, "Groceries").get_by_role("button", name="Cancel")
    expect(cancel).to_be_focused()
    ada.keyboard.press("Escape")
    expect(cancel).to_have_count(0)
    expect(delete).to_be_focused()
    delete.press("Enter")
    expect(cancel).to_be_focused()
    cancel.press("Enter")
    expect(delete).to_be_focused()


def test_each_delete_button_is_named_delete_and_described_by_its_note(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    some_notes(ada)
    for title in ("Groceries", "Secret"):
        button = note(ada, title).get_by_role("button", name="Delete", exact=True)
        expect(button).to_have_accessible_name("Delete")
        expect(button).to_have_accessible_description(title)


def test_the_time_machine_is_a_landmark_escape_and_back_to_now_return_to_the_slider(
    sign_in: SignIn,
) -> None:
    ada = sign_in("ada")
    some_notes(ada)
    bar = ada.get_by_role("region", name="Time machine")
    expect(bar.get_by_role("slider", name="Time machine")).to_be_visible()
    past = ada.get_by_role("region", name="The past (read-only)")

    slider(ada).focus()
    ada.keyboard.press("ArrowLeft")
    expect(past).to_be_visible()
    ada.keyboard.press("Escape")
    expect(past).to_have_count(0)
    expect(slider(ada)).to_be_focused()

    ada.keyboard.press("ArrowLeft")
    expect(past).to_be_visible()
    past.get_by_role("button", name="Back to now").click()
    expect(past).to_have_count(0)
    expect(slider(ada)).to_be_focused()

    ada.keyboard.press("ArrowLeft")
    past.get_by_role("button", name="Back to now").focus()
    ada.keyboard.press("Escape")  # from inside the past view too
    expect(past).to_have_count(0)
    expect(slider(ada)).to_be_focused()


def test_escape_closes_the_deleted_notes_and_returns_to_their_button(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    some_notes(ada)
    note(ada, "Groceries").get_by_role("button", name="Delete").click()
    note(ada, "Groceries").get_by_role("button", name="Yes, delete").click()
    wait_synced(ada)
    toggle = ada.get_by_role("button", name="Deleted notes")
    toggle.click()
    listed = ada.get_by_role("list", name="Deleted notes")
    restore = listed.get_by_role("button", name="Restore")
    restore.focus()
    ada.keyboard.press("Escape")
    expect(listed).to_have_count(0)
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_after_a_wrong_password_the_focus_is_on_password(visitor: Page) -> None:
    visitor.goto("/login")
    expect(visitor.get_by_label("Username")).to_be_focused()
    visitor.get_by_label("Username").fill("ada")
    visitor.get_by_label("Password").fill(PASSWORD + "-wrong")
    visitor.get_by_role("button", name="Sign in").click()
    expect(visitor.get_by_role("alert")).to_contain_text("Wrong username or password")
    expect(visitor.get_by_label("Username")).to_have_value("ada")
    expect(visitor.get_by_label("Password")).to_be_focused()
    expect(visitor.get_by_label("Password")).to_have_accessible_description(
        "Wrong username or password."
    )


def test_new_note_puts_the_focus_in_its_title(sign_in: SignIn) -> None:
    ada = sign_in("ada")
    ada.get_by_role("button", name="New note").click()
    title = ada.get_by_role("list", name="Notes").get_by_role("textbox", name="Title")
    expect(title).to_be_focused()


def test_axe_finds_no_violations_on_the_notes_page_and_the_past_view(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    some_notes(ada)
    create_note(bob, "Bob's note", "shared")
    wait_synced(bob)
    expect(note(ada, "Bob's note")).to_be_visible()
    note(ada, "Groceries").get_by_role("button", name="Delete").click()  # the confirmation
    assert_no_violations(ada, "the notes page (a delete confirmation open)")
    ada.keyboard.press("Escape")
    ada.get_by_role("button", name="Deleted notes").click()
    expect(ada.get_by_role("region", name="Deleted notes")).to_be_visible()
    assert_no_violations(ada, "the notes page (deleted notes open)")

    slider(ada).focus()
    ada.keyboard.press("ArrowLeft")
    expect(ada.get_by_role("region", name="The past (read-only)")).to_be_visible()
    assert_no_violations(ada, "the past view of the time machine")


def test_axe_finds_no_violations_in_the_phone_layout(sign_in: SignIn, visitor: Page) -> None:
    ada = sign_in("ada", width=390, height=844)
    some_notes(ada)
    assert_no_violations(ada, "the notes page at 390x844")
    visitor.set_viewport_size({"width": 390, "height": 844})
    visitor.goto("/login")
    assert_no_violations(visitor, "the sign-in page at 390x844")
