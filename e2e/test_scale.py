"""The notes page with 10,000 notes: a small first HTML, only the cards on screen in
the DOM, the whole list reachable by scrolling, a note being typed in stays put while
the list scrolls away, and search finds one note among them.

The notes go into the database through the store (`flux import`, bench/search.py's
log) before the server starts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bench.search import log_lines
from e2e.conftest import db_notes
from e2e.notes_page import note, notes, wait_synced
from e2e.server_process import FluxServer

COUNT = 10_000
SignIn = Callable[..., Page]


@pytest.fixture(scope="module")
def seeded_notes(tmp_path_factory: pytest.TempPathFactory, seeded_users: Path) -> Path:
    """The e2e users and 10,000 notes (ada's and bob's, one in ten private), imported once."""
    seed = FluxServer(tmp_path_factory.mktemp("seeded-notes"))
    seed.copy_database(seeded_users)
    seed.flux("import", stdin="\n".join(log_lines(COUNT)) + "\n")
    return seed.database_path


@pytest.fixture
def server(tmp_path: Path, seeded_notes: Path) -> Iterator[FluxServer]:
    """A fresh copy of the 10,000 notes, served by `flux serve`."""
    flux = FluxServer(tmp_path)
    flux.copy_database(seeded_notes)
    flux.start()
    yield flux
    flux.stop()


def first_title() -> str:
    """The title of the oldest note (n1, ada's, shared)."""
    event = json.loads(next(iter(log_lines(1))))
    return str(event["payload"]["title"])


def test_ten_thousand_notes_render_a_window_and_scroll_to_the_oldest(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada = sign_in("ada")
    html = ada.request.get(server.url + "/").text()
    assert len(html.encode()) < 200_000, f"the first HTML has {len(html.encode())} bytes"
    wait_synced(ada)
    rendered = notes(ada).count()
    assert 0 < rendered <= 100, f"{rendered} note cards in the DOM"
    # The whole list is reachable: at the bottom, the oldest note.
    oldest = first_title()
    ada.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(note(ada, oldest)).to_be_visible()
    assert notes(ada).count() <= 100
    # Typing in it, then scrolling to the top: the note keeps the focus and the caret.
    field = note(ada, oldest).get_by_label("Text")
    field.click()
    ada.keyboard.press("Control+End")
    ada.keyboard.type(" first", delay=20)
    ada.evaluate("window.scrollTo(0, 0)")
    ada.wait_for_timeout(300)
    ada.keyboard.type(" second", delay=20)
    assert ada.evaluate("document.activeElement.dataset.field") == "text"
    ada.keyboard.press("Tab")
    wait_synced(ada)
    saved = db_notes(server)["n1"][1]
    assert saved.endswith(" first second"), saved


def test_search_finds_one_note_among_ten_thousand(sign_in: SignIn, server: FluxServer) -> None:
    ada = sign_in("ada")
    ada.get_by_label("Search notes").fill("zephyrine")
    expect(notes(ada)).to_have_count(1)
    expect(ada.get_by_text("1 note found")).to_be_visible()
    ada.get_by_label("Search notes").fill("")
    expect(ada.get_by_text("1 note found")).to_have_count(0)
    assert 1 < notes(ada).count() <= 100
