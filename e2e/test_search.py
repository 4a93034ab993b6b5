""" "Search notes": filtering as one types (title and text, case and accents ignored),
the empty result, clearing, live changes of what was found, and others' private notes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.notes_page import edit, note, notes, wait_synced
from e2e.server_process import FluxServer

SignIn = Callable[..., Page]


def post_notes(page: Page, server: FluxServer, rows: list[dict[str, object]]) -> None:
    """Add notes as the page's user through POST /api/events (faster than the UI)."""
    events = [
        {"type": "noteAdded", "id": str(uuid.uuid4()), "payload": {"text": "", **row}}
        for row in rows
    ]
    answer = page.request.post(
        server.url + "/api/events", data=events, headers={"Origin": server.url}
    )
    assert answer.ok, answer.text()


def test_search_filters_as_one_types_and_clearing_restores_the_list(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada = sign_in("ada")
    post_notes(
        ada,
        server,
        [
            {"id": "cafe", "title": "Café opening", "text": "Tables and chairs"},
            {"id": "menu", "title": "Menu", "text": "Crème brûlée, CAFE au lait"},
            {"id": "plan", "title": "Plan", "text": "Nothing about coffee"},
        ],
    )
    expect(notes(ada)).to_have_count(3)
    box = ada.get_by_label("Search notes")
    box.press_sequentially("caf", delay=30)
    # Accents and case ignored; title ("Café") and text ("CAFE") both count.
    expect(notes(ada)).to_have_count(2)
    expect(note(ada, "Café opening")).to_be_visible()
    expect(note(ada, "Menu")).to_be_visible()
    expect(ada.get_by_text("2 notes found")).to_be_visible()
    box.press_sequentially("e au", delay=30)
    expect(notes(ada)).to_have_count(1)
    expect(note(ada, "Menu")).to_be_visible()
    box.fill("zebra")
    expect(notes(ada)).to_have_count(0)
    expect(ada.get_by_text("No notes match “zebra”.")).to_be_visible()
    box.fill("")
    expect(notes(ada)).to_have_count(3)
    expect(ada.get_by_text("No notes match")).to_have_count(0)
    wait_synced(ada)


def test_found_notes_change_live_and_others_private_notes_are_never_found(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    post_notes(bob, server, [{"id": "bob-secret", "title": "Budget secret", "private": True}])
    post_notes(bob, server, [{"id": "bob-open", "title": "Budget draft", "text": "numbers"}])
    post_notes(ada, server, [{"id": "ada-own", "title": "Garden", "text": "the budget"}])
    expect(notes(ada)).to_have_count(2)
    ada.get_by_label("Search notes").fill("budget")
    expect(notes(ada)).to_have_count(2)
    expect(note(ada, "Budget draft")).to_be_visible()
    expect(note(ada, "Garden")).to_be_visible()
    expect(note(ada, "Budget secret")).to_have_count(0)
    # Bob renames the note ada found: her result shows the new title at once.
    edit(note(bob, "Budget draft"), "Title", "Budget final")
    expect(note(ada, "Budget final")).to_be_visible()
    # A note bob adds that matches joins the results (the search is asked again).
    post_notes(bob, server, [{"id": "bob-new", "title": "Budget for May"}])
    expect(note(ada, "Budget for May")).to_be_visible()
    expect(notes(ada)).to_have_count(3)
    # Bob sees his own private note when he searches.
    bob.get_by_label("Search notes").fill("secret")
    expect(note(bob, "Budget secret")).to_be_visible()
    expect(notes(bob)).to_have_count(1)


def test_new_note_while_searching_clears_the_search_and_focuses_the_title(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada = sign_in("ada")
    post_notes(ada, server, [{"id": "n1", "title": "Alpha"}, {"id": "n2", "title": "Beta"}])
    expect(notes(ada)).to_have_count(2)
    ada.get_by_label("Search notes").fill("alpha")
    expect(notes(ada)).to_have_count(1)
    ada.get_by_role("button", name="New note").click()
    expect(ada.get_by_label("Search notes")).to_have_value("")
    ada.keyboard.type("Gamma")
    expect(note(ada, "Gamma")).to_be_visible()
    expect(notes(ada)).to_have_count(3)
