"""Writing together: two people typing in one note at human speed, carets, presence,
the same user in two tabs, a note deleted under someone's typing, private notes."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from e2e.conftest import db_event_count, db_notes
from e2e.notes_page import create_note, note, notes, wait_synced
from e2e.server_process import FluxServer
from e2e.test_screenshots import side_by_side

SignIn = Callable[..., Page]
DOCS = Path(__file__).resolve().parent.parent / "docs"

ORIGINAL = "We meet on Tuesday."
ADA = "Ada writes this first line at the start of the note. "  # 53 characters
BOB = " Bob adds this closing line at the end of the same note."  # 56 characters


def text_of(page: Page, title: str) -> Locator:
    return note(page, title).get_by_label("Text")


def caret_of(page: Page, title: str, user: str) -> Locator:
    """The other person's caret drawn over the note's fields."""
    return note(page, title).get_by_role("img", name=f"{user}’s caret")


def selection_start(control: Locator) -> int:
    return int(control.evaluate("el => el.selectionStart"))


def type_together(
    first: Page, first_text: str, second: Page, second_text: str, rng: random.Random
) -> None:
    """Both type at once, key by key, 30-80 ms apart (as people do), interleaved."""
    for i in range(max(len(first_text), len(second_text))):
        if i < len(first_text):
            first.keyboard.type(first_text[i])
        if i < len(second_text):
            second.keyboard.type(second_text[i])
        time.sleep(rng.uniform(0.03, 0.08))


def start_typing_at(page: Page, control: Locator, where: str) -> None:
    control.click()
    page.keyboard.press("Control+Home" if where == "start" else "Control+End")


def api_notes(page: Page) -> list[dict[str, object]]:
    """GET /api/notes with the page's session."""
    answer = page.request.get("/api/notes")
    assert answer.ok, answer.text()
    rows: list[dict[str, object]] = answer.json()["notes"]
    return rows


@pytest.mark.parametrize("trial", [1, 2, 3])
def test_two_people_typing_in_one_note_both_keep_their_sentences_and_carets(
    sign_in: SignIn, server: FluxServer, trial: int
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Agenda", ORIGINAL)
    wait_synced(ada)
    expect(text_of(bob, "Agenda")).to_have_value(ORIGINAL)

    start_typing_at(ada, text_of(ada, "Agenda"), "start")
    start_typing_at(bob, text_of(bob, "Agenda"), "end")
    rng = random.Random(trial)
    half = len(ADA) // 2
    started = time.monotonic()
    type_together(ada, ADA[:half], bob, BOB[:half], rng)
    typing = time.monotonic() - started
    # Mid-sentence: each page shows the other's caret in the note, and who is here.
    expect(caret_of(bob, "Agenda", "ada")).to_be_visible()
    expect(caret_of(ada, "Agenda", "bob")).to_be_visible()
    expect(note(bob, "Agenda").get_by_role("group", name="Also here")).to_contain_text("ada")
    expect(note(ada, "Agenda").get_by_role("group", name="Also here")).to_contain_text("bob")
    started = time.monotonic()
    type_together(ada, ADA[half:], bob, BOB[half:], rng)
    typing += time.monotonic() - started

    wait_synced(ada)
    wait_synced(bob)
    expected = ADA + ORIGINAL + BOB
    expect(text_of(ada, "Agenda")).to_have_value(expected)
    expect(text_of(bob, "Agenda")).to_have_value(expected)
    expect(notes(ada)).to_have_count(1)
    expect(notes(bob)).to_have_count(1)
    assert list(db_notes(server).values()) == [("Agenda", expected)]
    assert [row["text"] for row in api_notes(bob)] == [expected]
    # Nobody's caret jumped: each is right after what they typed.
    assert selection_start(text_of(ada, "Agenda")) == len(ADA)
    assert selection_start(text_of(bob, "Agenda")) == len(expected)
    # Typing went out while it lasted, at most one event per person per 200 ms (two
    # periods of typing, a leading send each), fewer events than keystrokes.
    sent = db_event_count(server, "noteSpliced")
    assert 4 <= sent <= 2 * (typing / 0.2 + 4) and sent < len(ADA) + len(BOB)
    # The other's caret sits in the field, where they type: ada's after her sentence (line
    # one or two), bob's after the whole text, further down.
    ada_caret = caret_of(bob, "Agenda", "ada").bounding_box()
    bob_caret = caret_of(ada, "Agenda", "bob").bounding_box()
    field = text_of(bob, "Agenda").bounding_box()
    assert ada_caret is not None and bob_caret is not None and field is not None
    for caret in (ada_caret, bob_caret):
        assert field["x"] <= caret["x"] <= field["x"] + field["width"]
        assert field["y"] <= caret["y"] <= field["y"] + field["height"]
    assert bob_caret["y"] > ada_caret["y"]


def test_a_keystroke_reaches_the_other_page_quickly(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Latency", "")
    wait_synced(ada)
    expect(note(bob, "Latency")).to_be_visible()
    text_of(ada, "Latency").click()
    delays = []
    for char in "abcdefghij":
        before = text_of(bob, "Latency").input_value()
        started = time.monotonic()
        ada.keyboard.type(char)
        bob.wait_for_function(
            "v => document.querySelector('textarea.text').value === v",
            arg=before + char,
            polling="raf",
            timeout=3000,
        )
        delays.append(time.monotonic() - started)
        time.sleep(0.3)  # a quiet period: each keystroke is the first of a burst
    delays.sort()
    median = delays[len(delays) // 2]
    print(f"keystroke -> other page: median {median * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms")
    assert median < 0.5


def test_the_same_user_in_two_tabs_is_two_writers(sign_in: SignIn, server: FluxServer) -> None:
    first, second = sign_in("ada"), sign_in("ada")
    create_note(first, "Both tabs", ORIGINAL)
    wait_synced(first)
    expect(text_of(second, "Both tabs")).to_have_value(ORIGINAL)

    start_typing_at(first, text_of(first, "Both tabs"), "start")
    start_typing_at(second, text_of(second, "Both tabs"), "end")
    type_together(first, ADA[:20], second, BOB[:20], random.Random(7))
    expect(caret_of(second, "Both tabs", "ada")).to_be_visible()
    expect(caret_of(first, "Both tabs", "ada")).to_be_visible()
    type_together(first, ADA[20:], second, BOB[20:], random.Random(8))

    wait_synced(first)
    wait_synced(second)
    expected = ADA + ORIGINAL + BOB
    expect(text_of(first, "Both tabs")).to_have_value(expected)
    expect(text_of(second, "Both tabs")).to_have_value(expected)
    assert list(db_notes(server).values()) == [("Both tabs", expected)]
    assert selection_start(text_of(first, "Both tabs")) == len(ADA)


def test_a_note_deleted_while_someone_types_keeps_their_text_as_a_new_note(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    errors: list[str] = []
    for page in (ada, bob):
        page.on("pageerror", lambda error: errors.append(str(error)))
    create_note(ada, "Minutes", "Notes of the meeting.")
    wait_synced(ada)
    start_typing_at(bob, text_of(bob, "Minutes"), "end")
    bob.keyboard.type(" Bob's point one.", delay=40)

    note(ada, "Minutes").get_by_role("button", name="Delete").click()
    note(ada, "Minutes").get_by_role("button", name="Yes, delete").click()
    bob.keyboard.type(" And two.", delay=40)  # typing on while the deletion arrives

    offer = bob.get_by_role("group", name="Deleted while you were typing: Minutes")
    expect(offer).to_contain_text("ada deleted “Minutes” while you were typing in it")
    expect(offer).to_contain_text("Notes of the meeting. Bob's point one.")
    # bob may not restore ada's note (editors restore their own): he keeps his text instead.
    expect(offer.get_by_role("button", name="Restore with my changes")).to_have_count(0)
    keep = offer.get_by_role("button", name="Keep my text as a new note")
    expect(keep).to_be_focused()
    kept = keep.evaluate("el => el.closest('[data-lost]').querySelector('blockquote').textContent")
    keep.click()
    expect(offer).to_have_count(0)
    expect(text_of(bob, "Minutes")).to_have_value(kept)
    wait_synced(bob)
    expect(text_of(ada, "Minutes")).to_have_value(kept)
    assert list(db_notes(server).values()) == [("Minutes", kept)]
    assert kept.startswith("Notes of the meeting. Bob's point one.")
    assert errors == []


def test_a_note_deleted_in_another_tab_while_typing_is_restored_with_the_changes(
    sign_in: SignIn, server: FluxServer
) -> None:
    typing, deleting = sign_in("ada"), sign_in("ada")
    create_note(typing, "Draft", "First draft.")
    wait_synced(typing)
    start_typing_at(typing, text_of(typing, "Draft"), "end")
    typing.keyboard.type(" More words", delay=40)
    note(deleting, "Draft").get_by_role("button", name="Delete").click()
    note(deleting, "Draft").get_by_role("button", name="Yes, delete").click()
    typing.keyboard.type(" and more.", delay=40)

    offer = typing.get_by_role("group", name="Deleted while you were typing: Draft")
    expect(offer).to_contain_text("ada deleted “Draft”")
    restore = offer.get_by_role("button", name="Restore with my changes")
    expect(restore).to_be_focused()
    restore.click()
    wait_synced(typing)
    expect(text_of(deleting, "Draft")).to_have_value(text_of(typing, "Draft").input_value())
    [(title, text)] = db_notes(server).values()
    assert title == "Draft" and text.startswith("First draft. More words")


def test_a_private_note_shows_no_presence_to_others(sign_in: SignIn) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    other_tab = sign_in("ada")
    create_note(ada, "Public plan", "for all")
    create_note(ada, "Secret", "mine", private=True)
    wait_synced(ada)
    expect(note(bob, "Public plan")).to_be_visible()
    expect(note(other_tab, "Secret")).to_be_visible()

    start_typing_at(ada, text_of(ada, "Secret"), "end")
    ada.keyboard.type(" only", delay=40)
    time.sleep(1.0)  # several presence intervals: nothing may arrive
    expect(bob.get_by_role("group", name="Also here")).to_have_count(0)
    expect(other_tab.get_by_role("group", name="Also here")).to_have_count(0)
    expect(other_tab.get_by_role("img", name="ada’s caret")).to_have_count(0)

    start_typing_at(ada, text_of(ada, "Public plan"), "end")  # presence works at all
    expect(note(bob, "Public plan").get_by_role("group", name="Also here")).to_contain_text("ada")
    text_of(ada, "Public plan").blur()
    expect(bob.get_by_role("group", name="Also here")).to_have_count(0)


def test_typing_offline_merges_when_the_page_comes_back(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Trip", ORIGINAL)
    wait_synced(ada)
    expect(text_of(bob, "Trip")).to_have_value(ORIGINAL)

    server.stop()
    expect(ada.get_by_role("status")).to_contain_text("Offline")
    start_typing_at(ada, text_of(ada, "Trip"), "start")
    ada.keyboard.type(ADA, delay=20)
    server.start()
    wait_synced(bob)
    start_typing_at(bob, text_of(bob, "Trip"), "end")
    bob.keyboard.type(BOB, delay=20)
    wait_synced(ada)
    wait_synced(bob)
    expected = ADA + ORIGINAL + BOB
    expect(text_of(ada, "Trip")).to_have_value(expected)
    expect(text_of(bob, "Trip")).to_have_value(expected)
    assert list(db_notes(server).values()) == [("Trip", expected)]


def test_screenshot_of_two_carets_in_one_note(sign_in: SignIn, browser: Browser) -> None:
    ada, bob = sign_in("ada", width=900, height=620), sign_in("bob", width=900, height=620)
    create_note(ada, "Team offsite", "Day 1: arrive, dinner at 7.\nDay 2: workshop.\nDay 3: hike")
    wait_synced(ada)
    expect(note(bob, "Team offsite")).to_be_visible()
    start_typing_at(bob, text_of(bob, "Team offsite"), "end")
    bob.keyboard.type(" if it does not rain.", delay=30)
    text_of(ada, "Team offsite").click()
    ada.keyboard.press("Control+Home")
    ada.keyboard.press("ArrowDown")
    ada.keyboard.press("End")
    ada.keyboard.type(" (bring boots)", delay=30)
    ada.keyboard.press("Shift+Home")  # a selection, drawn on bob's page
    expect(caret_of(bob, "Team offsite", "ada")).to_be_visible()
    expect(caret_of(ada, "Team offsite", "bob")).to_be_visible()
    wait_synced(ada)
    wait_synced(bob)
    time.sleep(0.3)
    clip = {"x": 0, "y": 0, "width": 900, "height": 470}
    side_by_side(
        browser, ada.screenshot(clip=clip), bob.screenshot(clip=clip), DOCS / "two-carets.png"
    )
