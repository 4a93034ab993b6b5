"""Two people on the same notes, in two browser contexts."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.conftest import db_event_count, db_notes
from e2e.notes_page import create_note, edit, note, notes, wait_synced
from e2e.server_process import FluxServer

SignIn = Callable[..., Page]


def test_a_new_note_and_an_edit_reach_the_other_user_without_reload(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Shopping", "milk")
    wait_synced(ada)
    expect(note(bob, "Shopping")).to_be_visible(timeout=2000)
    expect(note(bob, "Shopping").get_by_label("Text")).to_have_value("milk")

    edit(note(bob, "Shopping"), "Text", "milk, eggs")
    wait_synced(bob)
    expect(note(ada, "Shopping").get_by_label("Text")).to_have_value("milk, eggs", timeout=2000)


def test_simultaneous_edits_converge_and_keep_both_texts(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Plan", "start")
    expect(note(bob, "Plan").get_by_label("Text")).to_have_value("start")

    ada_text, bob_text = (
        note(ada, "Plan").get_by_label("Text"),
        note(bob, "Plan").get_by_label("Text"),
    )
    ada_text.fill("ada's version")
    bob_text.fill("bob's version")
    ada_text.press("Tab")
    bob_text.press("Tab")
    wait_synced(ada)
    wait_synced(bob)

    # Each replaced the text they saw.  If bob's page had not shown ada's version
    # yet when he replaced the text, both replaced "start": it is deleted once and
    # both typed texts stay, the one committed first first.  If it had (the live
    # stream can be that fast), bob replaced ada's text, which was visible to him.
    # Either way: one note, no conflict copy, both pages and the database agree.
    wanted = re.compile("^(ada's versionbob's version|bob's versionada's version|bob's version)$")
    expect(notes(ada)).to_have_count(1)
    expect(notes(bob)).to_have_count(1)
    shown_ada = note(ada, "Plan").get_by_label("Text")
    expect(shown_ada).to_have_value(wanted)
    expect(note(bob, "Plan").get_by_label("Text")).to_have_value(shown_ada.input_value())
    stored = [text for _title, text in db_notes(server).values()]
    assert stored == [shown_ada.input_value()]
    expect(ada.get_by_text("Conflict copy", exact=True)).to_have_count(0)


def test_typing_saves_a_few_events_loses_no_keystroke_and_merges_another_field(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Log")
    expect(note(bob, "Log")).to_be_visible()
    sentence = "The quick brown fox jumps over the lazy dog, twice."

    note(ada, "Log").get_by_label("Text").click()
    ada.keyboard.type(sentence[:25], delay=30)
    edit(note(bob, "Log"), "Title", "Daily log")  # arrives while ada is still typing
    expect(note(ada, "Daily log")).to_be_visible()
    ada.keyboard.type(sentence[25:], delay=30)
    ada.keyboard.press("Tab")
    wait_synced(ada)

    expect(note(ada, "Daily log").get_by_label("Text")).to_have_value(sentence)
    expect(note(bob, "Daily log").get_by_label("Text")).to_have_value(sentence)
    expect(notes(bob)).to_have_count(1)  # another field changed: no conflict copy
    # Typing goes out every ~200 ms while it lasts: a few events, far fewer than keystrokes.
    assert 2 <= db_event_count(server, "noteSpliced") <= len(sentence) // 3
